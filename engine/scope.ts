/**
 * Memory scopes. GPU buffers are not garbage-collected, so work that makes temporaries runs in
 * `tidy(fn)`: every tensor created inside is disposed on exit except what `fn` returns, what is
 * passed to `keep`, and what a returned tensor's backward pass still needs (the tensors reachable
 * through its tape: inputs and saved residuals). Gradients assigned by `backward` are kept.
 */
import { type Tensor, openScopes } from "./tensor.js";

/** Removes `t` from every open scope, so it outlives them. */
export function keep<T extends Tensor>(t: T): T {
  for (const scope of openScopes) scope.delete(t);
  return t;
}

type Returned = Tensor | readonly Tensor[] | Record<string, Tensor> | void | number | undefined;

function collect(value: unknown, into: Set<Tensor>): void {
  if (!value || typeof value !== "object") return;
  if ("storage" in (value as object) && "shape" in (value as object)) {
    const stack = [value as Tensor];
    while (stack.length > 0) {
      const t = stack.pop()!;
      if (into.has(t)) continue;
      into.add(t);
      if (t.node) stack.push(...t.node.inputs, ...t.node.saved);
    }
    return;
  }
  for (const v of Object.values(value as object)) collect(v, into);
}

export function tidy<T extends Returned>(fn: () => T): T {
  const scope = new Set<Tensor>();
  openScopes.push(scope);
  let result: T;
  try {
    result = fn();
  } finally {
    openScopes.pop();
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  const parent = openScopes[openScopes.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}
