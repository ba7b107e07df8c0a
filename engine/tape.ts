/**
 * Reverse mode. Each recorded op leaves a TapeNode on its output; `backward(loss)` orders the
 * nodes reachable from the loss topologically and walks them in reverse, accumulating (+=)
 * each input's cotangent so that fan-out and reuse of a tensor are handled. The tape's own
 * kernels (the seed's fill, the += of engine/accumulate.ts) are engine kernels, not ops.
 */
import { accumulate } from "./accumulate.js";
import { fill } from "./fill.js";
import { currentPhase, inPhase } from "./phase.js";
import { keep } from "./scope.js";
import { fmt, sameShape } from "./shape.js";
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
  if (!loss.requiresGrad) throw new Error("backward: the loss does not depend on any tensor with requiresGrad");
  if (!seed && loss.size !== 1) throw new Error(`backward: loss has shape ${fmt(loss.shape)}; pass a seed cotangent`);
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    // Each node's VJP and the += of its cotangents run in the node's phase (engine/phase.ts); a
    // leaf's += runs in the phase of the node that last added to its cotangent.
    const madeIn = new Map<Tensor, string>();
    grads.set(
      loss,
      seed ?? inPhase(loss.node?.phase ?? currentPhase(), () => fill(loss.backend, loss.dtype, loss.shape, 1)),
    );
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
        t.grad = keep(
          previous
            ? inPhase(madeIn.get(t) ?? currentPhase(), () => accumulate(previous, dy))
            : new Tensor(dy.backend, dy.storage, dy.shape),
        );
        previous?.dispose();
        continue;
      }
      inPhase(node.phase, () => {
        const inputGrads = node.backward(dy);
        if (inputGrads.length !== node.inputs.length) {
          throw new Error(
            `backward: the VJP of ${node.opName} returned ${inputGrads.length} gradient(s) for ${node.inputs.length} input(s)`,
          );
        }
        node.inputs.forEach((input, i) => {
          const g = inputGrads[i];
          if (!g || !input.requiresGrad) return;
          if (!sameShape(g.shape, input.shape)) {
            throw new Error(
              `backward: the VJP of ${node.opName} returned a gradient of shape ${fmt(g.shape)} for input ${i} of shape ${fmt(input.shape)}`,
            );
          }
          const prev = grads.get(input);
          grads.set(input, prev ? accumulate(prev, g) : g);
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
