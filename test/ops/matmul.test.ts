/**
 * matmul edge cases on cpu and webgpu, each against an independent float64 triple loop: odd sizes
 * (1, primes, past one κ chunk, n % 4 ≠ 0 and = 0, wide n, every tile shape), all four transpose
 * flags, batched with shared and batched operands, the shared operand's gradient summed over the
 * batch, stale values in pooled buffers past the operands' ends, batches and row blocks past the
 * 65,535 workgroup limit, shape errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend } from "../../engine/backend.js";
import { HostRandom } from "../../engine/host-random.js";
import { ShapeError } from "../../engine/shape.js";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { matmul, mul, sum } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("matmul");
const FLAGS = [
  { transposeA: false, transposeB: false },
  { transposeA: true, transposeB: false },
  { transposeA: false, transposeB: true },
  { transposeA: true, transposeB: true },
];

const randoms = (n: number, seed: number) => {
  const rng = new HostRandom(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
};
const on = (b: Backend, values: ArrayLike<number>, shape: number[], requiresGrad = false) =>
  new Tensor(b, b.upload(values, "f32"), shape, requiresGrad);

/** Element (i, κ) of op(X) for a stored [rows, cols] matrix starting at `base`. */
const at = (x: ArrayLike<number>, base: number, cols: number, t: boolean, i: number, q: number) =>
  t ? x[base + q * cols + i] : x[base + i * cols + q];

/** Float64 reference of C[z] = op(A[z])·op(B[z]); a 2-D operand (batch 0) is shared. */
function reference(
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  batchA: number,
  batchB: number,
  t: { transposeA: boolean; transposeB: boolean },
) {
  const batch = Math.max(batchA, batchB, 1);
  const c = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++) {
    const aBase = batchA > 1 ? z * m * k : 0;
    const bBase = batchB > 1 ? z * k * n : 0;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++)
          s +=
            at(a, aBase, t.transposeA ? m : k, t.transposeA, i, q) *
            at(b, bBase, t.transposeB ? k : n, t.transposeB, q, j);
        c[z * m * n + i * n + j] = s;
      }
    }
  }
  return c;
}

const shapeOf = (rows: number, cols: number, t: boolean, batch: number) => [
  ...(batch > 0 ? [batch] : []),
  ...(t ? [cols, rows] : [rows, cols]),
];

async function checkProduct(
  b: Backend,
  m: number,
  k: number,
  n: number,
  batchA: number,
  batchB: number,
  flags: (typeof FLAGS)[number],
) {
  const sa = shapeOf(m, k, flags.transposeA, batchA);
  const sb = shapeOf(k, n, flags.transposeB, batchB);
  const a = randoms(
    sa.reduce((p, v) => p * v, 1),
    m * 7 + k,
  );
  const bv = randoms(
    sb.reduce((p, v) => p * v, 1),
    n * 11 + k,
  );
  const got = await matmul(on(b, a, sa), on(b, bv, sb), flags).toArray();
  // f32 products summed over k: the error grows like √k·ε relative to the row scale √k.
  assertClose(
    got,
    reference(a, bv, m, k, n, batchA, batchB, flags),
    2e-5 * Math.sqrt(k),
    `${b.name} ${JSON.stringify(sa)}·${JSON.stringify(sb)} ${JSON.stringify(flags)}`,
  );
}

for (const device of devices) {
  const b = device.backend;
  device.test(`${device.name}: 2-D products at odd sizes, all four transpose flags`, async () => {
    const sizes =
      device.name === "cpu"
        ? [
            [1, 1, 1],
            [3, 5, 7],
            [33, 65, 17],
          ]
        : [
            [1, 1, 1],
            [3, 5, 7],
            [33, 65, 17],
            [128, 64, 36],
            [8, 32, 128],
            [13, 97, 260],
            [5, 40, 383],
            [2, 3, 64],
            // Short products' tiles (kernels/matmul.ts, variantFor): one 52-row block, two, two
            // column blocks; and a tall product's 32-row tile. Narrow n keeps the variants cheap
            // to compile (lavapipe: seconds per accumulator-heavy variant, no shader cache in CI).
            [50, 70, 36],
            [100, 33, 40],
            [5, 3, 2100],
            [300, 40, 36],
          ];
    for (const [m, k, n] of sizes) for (const flags of FLAGS) await checkProduct(b, m, k, n, 0, 0, flags);
  });

  device.test(`${device.name}: batched products, shared A, shared B, batch of one broadcast`, async () => {
    for (const flags of FLAGS) {
      await checkProduct(b, 5, 7, 9, 3, 3, flags);
      await checkProduct(b, 9, 33, 12, 0, 4, flags);
      await checkProduct(b, 11, 6, 5, 2, 0, flags);
      await checkProduct(b, 4, 3, 8, 1, 2, flags);
    }
  });

  device.test(`${device.name}: the gradient of a shared operand is summed over the batch`, async () => {
    // L = Σ W ⊙ (A_z · B) with B shared: Ā_z = W_z Bᵀ, B̄ = Σ_z A_zᵀ W_z.
    const [Z, m, k, n] = [3, 4, 6, 5];
    const av = randoms(Z * m * k, 1);
    const bv = randoms(k * n, 2);
    const wv = randoms(Z * m * n, 3);
    const A = on(b, av, [Z, m, k], true);
    const B = on(b, bv, [k, n], true);
    backward(sum(mul(matmul(A, B), on(b, wv, [Z, m, n]))));
    const wantB = new Float64Array(k * n);
    const wantA = new Float64Array(Z * m * k);
    for (let z = 0; z < Z; z++)
      for (let i = 0; i < m; i++)
        for (let q = 0; q < k; q++)
          for (let j = 0; j < n; j++) {
            wantB[q * n + j] += av[z * m * k + i * k + q] * wv[z * m * n + i * n + j];
            wantA[z * m * k + i * k + q] += wv[z * m * n + i * n + j] * bv[q * n + j];
          }
    assert.equal(B.grad!.shape, [k, n]);
    assertClose(await B.grad!.toArray(), wantB, 1e-5, "B̄");
    assertClose(await A.grad!.toArray(), wantA, 1e-5, "Ā");
  });

  device.test(`${device.name}: shape errors name the operands`, () => {
    const x = on(b, new Float64Array(6), [2, 3]);
    assert.throws(
      () => matmul(x, x),
      (e: unknown) => e instanceof ShapeError && /inner sizes differ \(3 vs 2\)/.test(String(e)),
    );
    assert.throws(
      () => matmul(on(b, new Float64Array(12), [2, 2, 3]), on(b, new Float64Array(27), [3, 3, 3])),
      /batch sizes differ/,
    );
    assert.throws(() => matmul(on(b, new Float64Array(3), [3]), x), /2-D or 3-D/);
  });
}

const gpu = devices.webgpu.backend;
devices.webgpu.test("webgpu: stale NaN in pooled buffers past the operands' ends is never read", async () => {
  // Fill buffers of the buckets the operands will use with NaN, free them, then allocate smaller
  // operands there: any read past k, m or n would turn outputs into NaN.
  for (const size of [4096, 2048, 1024]) on(gpu, new Float32Array(size).fill(NaN), [size]).dispose();
  for (const [m, k, n] of [
    [17, 37, 23],
    [9, 45, 44],
  ]) {
    const a = randoms(m * k, 5);
    const b = randoms(k * n, 6);
    const got = await matmul(on(gpu, a, [m, k]), on(gpu, b, [k, n])).toArray();
    assertClose(got, reference(a, b, m, k, n, 0, 0, FLAGS[0]), 1e-4, `${m}×${k}×${n}`);
  }
});

devices.webgpu.test("webgpu: a batch past 65,535 is folded into the grid", async () => {
  const Z = 70000;
  const a = Float64Array.from({ length: Z }, (_, z) => (z % 7) - 3);
  const c = await matmul(on(gpu, a, [Z, 1, 1]), on(gpu, [1, 2, 3, 4], [1, 4])).toArray();
  let bad = 0;
  for (let z = 0; z < Z; z++) for (let j = 0; j < 4; j++) if (c[z * 4 + j] !== a[z] * (j + 1)) bad++;
  assert.is(bad, 0);
});

devices.webgpu.test("webgpu: more than 65,535 row blocks (2²¹ + 3 rows) are folded into the grid", async () => {
  const m = 2 ** 21 + 3;
  const a = Float32Array.from({ length: m }, (_, i) => (i % 13) - 6);
  const c = await matmul(on(gpu, a, [m, 1]), on(gpu, [0.5], [1, 1])).toArray();
  let bad = 0;
  for (let i = 0; i < m; i++) if (c[i] !== a[i] * 0.5) bad++;
  assert.is(bad, 0);
});

exitWhenDone();
test.run();
