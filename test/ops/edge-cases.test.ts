/**
 * Named edge cases of the engine issue, on cpu and webgpu (compared with each other and with
 * the math): saturating functions at ±300, logsumexp with ±300 and −∞, empty and one-element
 * tensors, sizes at workgroup boundaries, a dispatch above 65,535 workgroups, and broadcasting
 * of every supported form.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend } from "../../engine/backend.js";
import { cpuBackend } from "../../engine/context.js";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { add, exp, logSigmoid, logsumexp, mul, sigmoid, softplus, sum } from "../../kernels/ops.js";
import { assertClose, exitWhenDone, gpuOrSkip } from "../helpers.js";

const gpu = await gpuOrSkip("edge cases");
const backends: Backend[] = gpu ? [cpuBackend(), gpu] : [cpuBackend()];
const on = (b: Backend, values: ArrayLike<number>, shape: number[], requiresGrad = false) => new Tensor(b, b.upload(values, "f32"), shape, requiresGrad);

for (const b of backends) {
  test(`${b.name}: sigmoid, softplus, log-sigmoid and exp at ±300 stay finite and correct`, async () => {
    const x = on(b, [-300, -30, 0, 30, 300], [5]);
    assertClose(await sigmoid(x).toArray(), [0, 9.357623e-14, 0.5, 1, 1], 1e-6, "sigmoid");
    assertClose(await softplus(x).toArray(), [0, 9.357623e-14, Math.log(2), 30, 300], 1e-6, "softplus");
    assertClose(await logSigmoid(x).toArray(), [-300, -30, -Math.log(2), -9.357623e-14, 0], 1e-6, "log-sigmoid");
    const e = await exp(on(b, [-300], [1])).toArray();
    assert.is(e[0], 0);
  });

  test(`${b.name}: logsumexp at ±300 and with −∞ (an all −∞ row gives −∞ and gradient 0)`, async () => {
    const x = on(b, [300, 299, -Infinity, -300, -Infinity, -301, -Infinity, -Infinity, -Infinity], [3, 3], true);
    const y = logsumexp(x, 1);
    const values = await y.toArray();
    assertClose([values[0], values[1]], [300 + Math.log(1 + Math.exp(-1)), -300 + Math.log(1 + Math.exp(-1))], 1e-6, "finite rows");
    assert.is(values[2], -Infinity);
    backward(sum(mul(y, on(b, [1, 1, 0], [3]))));
    const g = await x.grad!.toArray();
    assert.ok(g.every((v) => Number.isFinite(v)), `gradient ${Array.from(g)}`);
    assertClose(g, [1 / (1 + Math.exp(-1)), Math.exp(-1) / (1 + Math.exp(-1)), 0, 1 / (1 + Math.exp(-1)), 0, Math.exp(-1) / (1 + Math.exp(-1)), 0, 0, 0], 1e-6, "gradient");
  });

  test(`${b.name}: empty and one-element tensors through ops and backward`, async () => {
    const empty = on(b, [], [0, 3], true);
    assert.is((await add(empty, on(b, [1, 2, 3], [3])).toArray()).length, 0);
    assert.is((await sum(empty, 0).toArray()).join(), "0,0,0");
    const one = on(b, [2], [1], true);
    const y = sum(mul(one, one));
    assert.is(await y.item(), 4);
    backward(y);
    assert.is((await one.grad!.toArray())[0], 4);
  });
}

if (gpu) {
  test("webgpu = cpu at sizes around workgroup boundaries (255, 256, 257, 4095, 4097)", async () => {
    for (const n of [255, 256, 257, 4095, 4097]) {
      const values = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const [g, c] = await Promise.all([gpu, cpuBackend()].map((b) => sum(sigmoid(on(b, values, [n]))).toArray()));
      assertClose(g, c, 1e-5, `n = ${n}`);
    }
  });

  test("webgpu: a dispatch above 65,535 workgroups is folded into a 2-D grid", async () => {
    const n = 256 * 65535 + 257;
    const a = Float32Array.from({ length: n }, (_, i) => i % 1000);
    const out = await add(on(gpu, a, [n]), on(gpu, [0.5], [1])).toArray();
    for (const i of [0, 1, 255, 256, 65535 * 256 - 1, 65535 * 256, n - 2, n - 1]) assert.is(out[i], (i % 1000) + 0.5, `element ${i}`);
    let bad = 0;
    for (let i = 0; i < n; i++) if (out[i] !== (i % 1000) + 0.5) bad++;
    assert.is(bad, 0);
  });

  test("webgpu = cpu for every broadcasting form (scalar, leading, trailing, middle, both sides, rank 6)", async () => {
    const forms: [number[], number[]][] = [
      [[4, 5], []],
      [[4, 5], [5]],
      [[4, 5], [4, 1]],
      [[3, 1, 5], [3, 4, 5]],
      [[3, 1, 5], [4, 1]],
      [[2, 1, 3, 1, 2, 2], [1, 3, 1, 4, 1, 2]],
    ];
    for (const [sa, sb] of forms) {
      const size = (s: number[]) => s.reduce((p, v) => p * v, 1);
      const va = Float32Array.from({ length: size(sa) }, (_, i) => Math.cos(i));
      const vb = Float32Array.from({ length: size(sb) }, (_, i) => Math.sin(i + 1));
      const run = async (b: Backend) => {
        const A = on(b, va, sa, true);
        const B = on(b, vb, sb, true);
        backward(sum(mul(A, B)));
        return [await mul(A, B).toArray(), await A.grad!.toArray(), await B.grad!.toArray()];
      };
      const [g, c] = [await run(gpu), await run(cpuBackend())];
      g.forEach((x, k) => assertClose(x, c[k], 1e-5, `${JSON.stringify(sa)} × ${JSON.stringify(sb)} [${k}]`));
    }
  });
}

exitWhenDone();
test.run();
