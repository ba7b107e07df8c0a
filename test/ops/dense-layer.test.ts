/**
 * denseLayer against the composition it replaces (matmul, bias add, tanh per net, then stacked),
 * forward and every gradient, in float64 on cpu and float32 on webgpu; and bad shapes refused.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/host-random.js";
import { backward } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import { add, concat, denseLayer, matmul, mul, reshape, slice, sum, tanh, transpose } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const DEVICES = await eachDevice("denseLayer", { cpu: { dtype: "f64" }, webgpu: { dtype: "f32" } });

/** The nets one at a time from matmul, add and tanh, stacked like denseLayer's output. */
function composed(x: Tensor, ws: Tensor[], bs: Tensor[], tanhOn: boolean, rowMajor: boolean): Tensor {
  const n = ws.length;
  const K = x.shape[x.rank - 2];
  const outs = ws.map((w, t) => {
    const xt = x.rank === 2 ? x : reshape(slice(x, 0, t, t + 1), x.shape.slice(1));
    const z = add(matmul(xt, w), bs[t]);
    return reshape(tanhOn ? tanh(z) : z, [1, K, w.shape[1]]);
  });
  const stacked = n === 1 ? outs[0] : concat(outs, 0); // [n, K, O]
  return rowMajor ? transpose(stacked, [1, 0, 2]) : stacked;
}

for (const [name, t] of Object.entries(DEVICES)) {
  test(`${name}: denseLayer equals matmul + bias + tanh per net, value and gradients (shared and per-net x, both layouts)`, async () => {
    const rng = new HostRandom(3);
    const on = { backend: t.backend, dtype: t.dtype, requiresGrad: true };
    const draw = (shape: number[]) =>
      tensor(
        Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
        shape,
        on,
      );
    for (const [xShape, n, O, tanhOn, rowMajor] of [
      [[5, 4], 3, 6, true, false],
      [[2, 5, 4], 2, 3, true, true],
      [[5, 4], 2, 70, false, true],
      [[19, 4], 2, 5, true, false],
      // One net, shared x: x̄ is the x-gradient kernel's own output (K = O, so a freed buffer of
      // its size would be the next one W̄'s copy takes).
      [[5, 4], 1, 5, true, false],
    ] as const) {
      const x = draw([...xShape]);
      const ws = Array.from({ length: n }, () => draw([4, O]));
      const bs = Array.from({ length: n }, () => draw([O]));
      const K = xShape[xShape.length - 2];
      const weight = draw(rowMajor ? [K, n, O] : [n, K, O]);
      const results: { y: ArrayLike<number>; grads: ArrayLike<number>[] }[] = [];
      for (const fused of [true, false]) {
        const y = fused
          ? denseLayer(x, ws, bs, { activation: tanhOn ? "tanh" : "identity", rowMajor })
          : composed(x, ws, bs, tanhOn, rowMajor);
        backward(sum(mul(y, weight)));
        const grads = [x, ...ws, ...bs].map((p) => {
          const g = p.grad!;
          p.grad = null;
          return g;
        });
        results.push({ y: await y.toArray(), grads: await Promise.all(grads.map((g) => g.toArray())) });
      }
      const tol = t.dtype === "f64" ? 1e-12 : 1e-5;
      const what = `${name} x ${xShape}, ${n} nets, O = ${O}`;
      assertClose(results[0].y, results[1].y, tol, `${what}: y`);
      results[0].grads.forEach((g, i) => assertClose(g, results[1].grads[i], tol, `${what}: gradient ${i}`));
    }
  });
}

test("denseLayer refuses mismatched shapes, naming them", () => {
  const on = { backend: DEVICES.cpu.backend, dtype: DEVICES.cpu.dtype };
  const x = tensor(new Array(12).fill(0), [3, 4], on);
  const w = tensor(new Array(8).fill(0), [4, 2], on);
  const b = tensor([0, 0], [2], on);
  const wrong = tensor(new Array(6).fill(0), [3, 2], on);
  assert.throws(() => denseLayer(x, [wrong], [b], { activation: "tanh" }), /denseLayer.*\[3, 2\]/);
  assert.throws(() => denseLayer(x, [w, w, w, w], [b, b, b, b], { activation: "tanh" }), /n ≤ 3/);
  assert.throws(() => denseLayer(x, [w], [], { activation: "tanh" }), /1 weights but 0 biases/);
});

exitWhenDone();
test.run();
