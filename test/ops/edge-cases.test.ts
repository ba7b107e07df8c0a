/**
 * Named edge cases of the engine, on cpu and webgpu (compared with each other and with the math):
 * saturating functions and their gradients at ±300, logsumexp with ±300 and −∞, empty and
 * one-element tensors through unary, binary and reduction ops and backward, sizes at the
 * workgroup boundaries of the elementwise and reduction kernels, a dispatch above 65,535
 * workgroups, and broadcasting of every supported form.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend } from "../../engine/backend.js";
import { type Shape, sizeOf, stridesOf } from "../../engine/shape.js";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { add, exp, logSigmoid, logsumexp, max, mul, sigmoid, softplus, sum } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("edge cases");
const on = (b: Backend, values: ArrayLike<number>, shape: Shape, requiresGrad = false) =>
  new Tensor(b, b.upload(values, "f32"), shape, requiresGrad);
const read = async (t: Tensor) => Array.from(await t.toArray());
const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Values and input gradient of Σ f(x) on backend b. */
async function withGrad(b: Backend, values: ArrayLike<number>, shape: Shape, f: (x: Tensor) => Tensor) {
  const x = on(b, values, shape, true);
  const y = f(x);
  backward(sum(y));
  return { y: await read(y), shape: y.shape, grad: await read(x.grad!) };
}

for (const device of devices) {
  const b = device.backend;
  device.test(
    `${device.name}: sigmoid, softplus, log-sigmoid and exp at ±300: finite values, limits and gradients`,
    async () => {
      const xs = [-300, -30, 0, 30, 300];
      const s = await withGrad(b, xs, [5], sigmoid);
      assertClose(s.y, [0, 9.357623e-14, 0.5, 1, 1], 1e-6, "sigmoid");
      assertClose(
        s.grad,
        xs.map((x) => sig(x) * (1 - sig(x))),
        1e-6,
        "sigmoid'",
      );
      const p = await withGrad(b, xs, [5], softplus);
      assertClose(p.y, [0, 9.357623e-14, Math.log(2), 30, 300], 1e-6, "softplus");
      assertClose(p.grad, xs.map(sig), 1e-6, "softplus' = σ");
      const l = await withGrad(b, xs, [5], logSigmoid);
      assertClose(l.y, [-300, -30, -Math.log(2), -9.357623e-14, 0], 1e-6, "log-sigmoid");
      assertClose(
        l.grad,
        xs.map((x) => sig(-x)),
        1e-6,
        "log-sigmoid' = σ(−x)",
      );
      for (const g of [s.grad, p.grad, l.grad]) assert.ok(g.every(Number.isFinite), `finite gradients ${g}`);
      const e = await withGrad(b, [-300, 0, 300], [3], exp);
      assert.equal(e.y, [0, 1, Infinity], "exp underflows to 0 and overflows to +∞ in f32");
    },
  );

  device.test(`${device.name}: logsumexp at ±300 and with −∞ (an all −∞ row gives −∞ and gradient 0)`, async () => {
    const x = on(b, [300, 299, -Infinity, -300, -Infinity, -301, -Infinity, -Infinity, -Infinity], [3, 3], true);
    const y = logsumexp(x, 1);
    const values = await y.toArray();
    assertClose(
      [values[0], values[1]],
      [300 + Math.log(1 + Math.exp(-1)), -300 + Math.log(1 + Math.exp(-1))],
      1e-6,
      "finite rows",
    );
    assert.is(values[2], -Infinity);
    backward(sum(mul(y, on(b, [1, 1, 0], [3]))));
    const g = await x.grad!.toArray();
    assert.ok(
      g.every((v) => Number.isFinite(v)),
      `gradient ${Array.from(g)}`,
    );
    const hi = 1 / (1 + Math.exp(-1));
    assertClose(g, [hi, 1 - hi, 0, hi, 0, 1 - hi, 0, 0, 0], 1e-6, "gradient");
    // Even with a nonzero cotangent on the all −∞ row, its gradient is 0, not NaN.
    const z = on(b, [-Infinity, -Infinity], [1, 2], true);
    backward(sum(logsumexp(z, 1)));
    assert.equal(await read(z.grad!), [0, 0]);
  });

  device.test(`${device.name}: empty tensors through unary, binary, sum, logsumexp and backward`, async () => {
    const r = await withGrad(b, [], [0, 3], (x) => add(mul(sigmoid(x), x), on(b, [1, 2, 3], [3])));
    assert.equal([r.shape, r.y, r.grad], [[0, 3], [], []]);
    const empty = on(b, [], [0, 3]);
    assert.equal(await read(sum(empty)), [0], "Σ of nothing");
    assert.equal(await read(sum(empty, 0)), [0, 0, 0]);
    assert.equal(sum(empty, 1).shape, [0]);
    assert.equal(logsumexp(empty, 1).shape, [0]);
    assert.equal(await read(logsumexp(empty, 0)), [-Infinity, -Infinity, -Infinity], "log Σ of nothing");
    const lse = await withGrad(b, [], [0, 3], (x) => logsumexp(x, 0));
    assert.equal(lse.grad, []);
  });

  device.test(
    `${device.name}: one-element tensors through unary, binary, sum, logsumexp, max and backward`,
    async () => {
      const one = await withGrad(b, [2], [1], (x) => mul(x, x));
      assert.equal([one.y, one.grad], [[4], [4]]);
      const s = await withGrad(b, [0], [], sigmoid);
      assert.equal([s.shape, s.y, s.grad], [[], [0.5], [0.25]]);
      const l = await withGrad(b, [-7.5], [1, 1], (x) => logsumexp(x, 1));
      assert.equal([l.shape, l.y, l.grad], [[1], [-7.5], [1]], "logsumexp of one element is that element, gradient 1");
      const m = await withGrad(b, [3], [1], (x) => max(x, 0));
      assert.equal([m.shape, m.y, m.grad], [[], [3], [1]]);
      const total = await withGrad(b, [1.5], [1, 1, 1], (x) => add(sum(x), on(b, [1, 2], [2])));
      assert.equal([total.y, total.grad], [[2.5, 3.5], [2]], "a one-element sum broadcast against [2]");
    },
  );
}

const [cpu, gpu] = [devices.cpu.backend, devices.webgpu.backend];
const both = async (f: (b: Backend) => Tensor) => [await read(f(gpu)), await read(f(cpu))];
const wave = (n: number, k = 1) => Float32Array.from({ length: n }, (_, i) => 3 * Math.sin(k * i + 0.5));

devices.webgpu.test(
  "webgpu = cpu at elementwise sizes around workgroup boundaries (255, 256, 257, 4095, 4097)",
  async () => {
    for (const n of [255, 256, 257, 4095, 4097]) {
      const [g, c] = await both((b) => sigmoid(on(b, wave(n), [n])));
      assertClose(g, c, 1e-6, `sigmoid, n = ${n}`);
      assertClose(g, Array.from(wave(n), sig), 1e-6, `sigmoid vs math, n = ${n}`);
    }
  },
);

devices.webgpu.test(
  "webgpu = cpu for reductions at their group sizes ± 1 (outputs per 256-lane group, 64-lane wide sums)",
  async () => {
    // logsumexp/max: one invocation per output, 256 per group; their VJPs one per input.
    for (const n of [255, 256, 257]) {
      for (const shape of [[n], [3, n]]) {
        const grads = async (b: Backend, f: (x: Tensor) => Tensor) => withGrad(b, wave(sizeOf(shape), 0.7), shape, f);
        for (const [name, f] of [
          ["logsumexp", (x: Tensor) => logsumexp(x, 0)],
          ["max", (x: Tensor) => max(x, 0)],
        ] as const) {
          const [g, c] = [await grads(gpu, f), await grads(cpu, f)];
          assertClose(g.y, c.y, 1e-6, `${name} ${JSON.stringify(shape)}`);
          assertClose(g.grad, c.grad, 1e-6, `${name} VJP ${JSON.stringify(shape)}`);
        }
      }
    }
    // sumToShape: one lane per output below 256 summands, a 64-lane group per output from 256.
    for (const count of [63, 64, 65, 255, 256, 257, 319, 320, 321]) {
      for (const rows of [1, 5]) {
        const values = wave(rows * count, 1.3);
        const [g, c] = await both((b) => sum(on(b, values, [rows, count]), 1));
        assertClose(g, c, 1e-5, `sum of ${count} × ${rows}`);
        const math = Array.from({ length: rows }, (_, r) =>
          values.subarray(r * count, (r + 1) * count).reduce((s, v) => s + v, 0),
        );
        assertClose(g, math, 1e-5, `sum vs math, ${count} × ${rows}`);
      }
    }
  },
);

devices.webgpu.test(
  "webgpu: a dispatch above 65,535 workgroups is folded into a 2-D grid (= cpu everywhere)",
  async () => {
    const n = 256 * 65535 + 257;
    const a = Float32Array.from({ length: n }, (_, i) => i % 1000);
    const [g, c] = await both((b) => add(on(b, a, [n]), on(b, [0.5], [1])));
    for (const i of [0, 1, 255, 256, 65535 * 256 - 1, 65535 * 256, n - 2, n - 1])
      assert.is(g[i], (i % 1000) + 0.5, `element ${i}`);
    let bad = 0;
    for (let i = 0; i < n; i++) if (g[i] !== c[i]) bad++;
    assert.is(bad, 0, "elements differing from cpu");
  },
);

devices.webgpu.test(
  "webgpu = cpu = math for every broadcasting form (scalar, leading, trailing, middle, both sides, rank 6)",
  async () => {
    const forms: [Shape, Shape][] = [
      [[4, 5], []],
      [[4, 5], [5]],
      [
        [4, 5],
        [4, 1],
      ],
      [
        [3, 1, 5],
        [3, 4, 5],
      ],
      [
        [3, 1, 5],
        [4, 1],
      ],
      [
        [2, 1, 3, 1, 2, 2],
        [1, 3, 1, 4, 1, 2],
      ],
    ];
    for (const [sa, sb] of forms) {
      const what = `${JSON.stringify(sa)} × ${JSON.stringify(sb)}`;
      const va = Float32Array.from({ length: sizeOf(sa) }, (_, i) => Math.cos(i));
      const vb = Float32Array.from({ length: sizeOf(sb) }, (_, i) => Math.sin(i + 1));
      const run = async (b: Backend) => {
        const A = on(b, va, sa, true);
        const B = on(b, vb, sb, true);
        const y = mul(A, B);
        backward(sum(y));
        return { shape: y.shape, y: await read(y), ga: await read(A.grad!), gb: await read(B.grad!) };
      };
      const [g, c] = [await run(gpu), await run(cpu)];
      const out = g.shape;
      const at = (i: number, s: Shape) => {
        const lead = out.length - s.length;
        return s.reduce(
          (o, d, k) => (d === 1 ? o : o + (Math.floor(i / stridesOf(out)[k + lead]) % d) * stridesOf(s)[k]),
          0,
        );
      };
      const y = Array.from({ length: sizeOf(out) }, (_, i) => va[at(i, sa)] * vb[at(i, sb)]);
      const ga = new Array<number>(va.length).fill(0);
      const gb = new Array<number>(vb.length).fill(0);
      y.forEach((_, i) => {
        ga[at(i, sa)] += vb[at(i, sb)];
        gb[at(i, sb)] += va[at(i, sa)];
      });
      for (const [k, want] of [
        ["y", y],
        ["ga", ga],
        ["gb", gb],
      ] as const) {
        assertClose(g[k], c[k], 1e-5, `${what} ${k}: webgpu vs cpu`);
        assertClose(g[k], want, 1e-5, `${what} ${k}: webgpu vs math`);
      }
    }
  },
);

exitWhenDone();
test.run();
