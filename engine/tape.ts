/**
 * Reverse mode. Each recorded op leaves a TapeNode on its output; `backward(loss)` orders the
 * nodes reachable from the loss topologically and walks them in reverse, accumulating (+=)
 * each input's cotangent so that fan-out and reuse of a tensor are handled.
 */
import { currentPhase, inPhase } from "./phase.js";
import { keep } from "./scope.js";
import { fmt } from "./shape.js";
import { type TapeNode, Tensor } from "./tensor.js";

let gradDepth = 0;

export function isRecording(): boolean {
  return gradDepth === 0;
}

/** Runs `fn` without recording anything on the tape. */
export function noGrad<T>(fn: () => T): T {
  gradDepth++;
  try {
    return fn();
  } finally {
    gradDepth--;
  }
}

type Accumulate = (a: Tensor, b: Tensor) => Tensor;
type Fill = (like: Tensor, value: number) => Tensor;
let accumulate: Accumulate | null = null;
let fill: Fill | null = null;

/** The engine wires in its add and fill ops here (they live in kernels/, which imports us). */
export function setTapeHelpers(add: Accumulate, full: Fill): void {
  accumulate = add;
  fill = full;
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    if (i === 0 && seen.has(t)) {
      stack.pop();
      continue;
    }
    seen.add(t);
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) stack.push([next, 0]);
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Back-propagates from `loss` (a one-element tensor unless `seed` is given) and adds the result
 * to `.grad` of every leaf tensor with requiresGrad.
 */
export function backward(loss: Tensor, seed?: Tensor): void {
  if (!accumulate || !fill) throw new Error("backward: engine ops are not loaded");
  if (!loss.requiresGrad) throw new Error("backward: the loss does not depend on any tensor with requiresGrad");
  if (!seed && loss.size !== 1) throw new Error(`backward: loss has shape ${fmt(loss.shape)}; pass a seed cotangent`);
  const add = accumulate;
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    // Each node's VJP and the += of its cotangents run in the node's phase (engine/phase.ts); a
    // leaf's += runs in the phase of the node that last added to its cotangent.
    const madeIn = new Map<Tensor, string>();
    grads.set(loss, seed ?? inPhase(loss.node?.phase ?? currentPhase(), () => fill!(loss, 1)));
    const order = topoOrder(loss);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const dy = grads.get(t);
      if (!dy) continue;
      const node = t.node;
      if (!node) {
        // A leaf's gradient is its own view (storage is refcounted), so leaves that received the
        // same cotangent tensor can be accumulated and disposed independently.
        const previous = t.grad;
        t.grad = keep(previous ? inPhase(madeIn.get(t) ?? currentPhase(), () => add(previous, dy)) : new Tensor(dy.backend, dy.storage, dy.shape));
        previous?.dispose();
        continue;
      }
      inPhase(node.phase, () => {
        const inputGrads = node.backward(dy);
        node.inputs.forEach((input, i) => {
          const g = inputGrads[i];
          if (!g || !input.requiresGrad) return;
          const prev = grads.get(input);
          grads.set(input, prev ? add(prev, g) : g);
          madeIn.set(input, node.phase);
        });
      });
    }
  });
}

export function recordNode(output: Tensor, node: TapeNode): void {
  output.node = node;
  output.requiresGrad = true;
}

/** Same values, cut from the tape (stop-gradient). Shares storage with `t`. */
export function detach(t: Tensor): Tensor {
  return new Tensor(t.backend, t.storage, t.shape, false);
}
