/**
 * The NO-BEARS spectral radius against a dense eigen-solver (test/eigen.ts) on random
 * nonnegative matrices, on nilpotent (DAG) and near-nilpotent inputs, on the zero matrix, and
 * past the workgroup-memory limit — cpu (float64) and webgpu (float32). The registry sweeps add
 * the float64 gradient check and webgpu-vs-cpu parity.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { philoxWord, uniform01 } from "../../engine/prng.js";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { spectralRadius, sum } from "../../kernels/ops.js";
import { WORKGROUP_MAX_D } from "../../kernels/spectral-radius.js";
import { eigenvalues, spectralRadiusDense } from "../eigen.js";
import { eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("spectral radius", { cpu: { dtype: "f64" }, webgpu: { dtype: "f32" } });
const rng = new HostRandom(30);
const randomMatrix = (n: number) => Array.from({ length: n }, () => Array.from({ length: n }, () => rng.uniform()));
const d = 30;
const matrices = Array.from({ length: 20 }, () => randomMatrix(d));
const expected = matrices.map((m) => spectralRadiusDense(m));

test("the dense solver finds known spectra (complex pair, companion roots, Perron root, trace)", () => {
  const rotation = eigenvalues([
    [0, -1],
    [1, 0],
  ]);
  assert.ok(
    rotation.every(({ re, im }) => Math.abs(re) < 1e-14 && Math.abs(Math.abs(im) - 1) < 1e-14),
    "rotation: ±i",
  );
  // Companion matrix of (x − 1)(x − 2)(x − 3)(x + 4) = x⁴ − 2x³ − 13x² + 38x − 24.
  const roots = eigenvalues([
    [2, 13, -38, 24],
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
  ])
    .map((e) => e.re)
    .sort((a, b) => a - b);
  [-4, 1, 2, 3].forEach((r, k) => assert.ok(Math.abs(roots[k] - r) < 1e-10, `root ${r}: ${roots[k]}`));
  // Perron–Frobenius: a positive matrix with every row summing to s has ρ = s.
  const rows = randomMatrix(12).map((row) => row.map((v) => (2.5 * v) / row.reduce((a, b) => a + b, 0)));
  assert.ok(Math.abs(spectralRadiusDense(rows) - 2.5) < 1e-12, "constant row sums");
  const trace = matrices[0].reduce((s, row, i) => s + row[i], 0);
  assert.ok(Math.abs(eigenvalues(matrices[0]).reduce((s, e) => s + e.re, 0) - trace) < 1e-10, "Σλ = trace");
});

test("u₀, v₀ are the documented Philox draws on every backend (two iterations, by hand)", async () => {
  const A = randomMatrix(5);
  const n = 5;
  const draw = (i: number) => uniform01(philoxWord(11, 4, i));
  let u = Array.from({ length: n }, (_, i) => draw(n * 2 + i));
  let v = Array.from({ length: n }, (_, i) => draw(n * 2 + n + i));
  const normalise = (w: number[]) => w.map((x) => x / (Math.hypot(...w) + 1e-12));
  for (let t = 0; t < 2; t++) {
    u = normalise(u.map((_, i) => u.reduce((s, uk, k) => s + A[k][i] * uk, 0)));
    v = normalise(v.map((_, i) => v.reduce((s, vk, k) => s + A[i][k] * vk, 0)));
  }
  const Av = v.map((_, i) => v.reduce((s, vk, k) => s + A[i][k] * vk, 0));
  const want = u.reduce((s, ui, i) => s + ui * Av[i], 0) / u.reduce((s, ui, i) => s + ui * v[i], 0);
  for (const { backend: b, dtype, available } of devices) {
    if (!available) continue;
    // Matrix 1 of a batch of 2: its draws start at counter 1·2d.
    const batch = new Tensor(b, b.upload([...randomMatrix(n).flat(), ...A.flat()], dtype), [2, n, n]);
    const got = (await spectralRadius(batch, { iterations: 2, seed: 11, stream: 4 }).toArray())[1];
    assert.ok(Math.abs(got - want) <= 1e-5 * want, `${b.name}: ${got} vs ${want}`);
  }
});

for (const device of devices) {
  const { backend: b, dtype } = device;
  device.test(
    `${device.name}: 20 random nonnegative 30×30 matrices in one batch agree with the dense solver to 1e-4`,
    async () => {
      const A = new Tensor(b, b.upload(matrices.flat(2), dtype), [20, d, d]);
      const got = await spectralRadius(A, { iterations: 200, seed: 1 }).toArray();
      got.forEach((rho, k) =>
        assert.ok(Math.abs(rho - expected[k]) <= 1e-4 * expected[k], `matrix ${k}: ${rho} vs ${expected[k]}`),
      );
      // The default T = 10 does not converge to 1e-4 in general, but is a sane estimate.
      const quick = await spectralRadius(A, { seed: 1 }).toArray();
      quick.forEach((rho, k) =>
        assert.ok(
          Math.abs(rho - expected[k]) <= 1e-2 * expected[k],
          `10 iterations, matrix ${k}: ${rho} vs ${expected[k]}`,
        ),
      );
    },
  );

  device.test(
    `${device.name}: the gradient is the Perron-root derivative u vᵀ/(uᵀv) (finite differences of the dense solver)`,
    async () => {
      const n = 8;
      const M = randomMatrix(n);
      const A = new Tensor(b, b.upload(M.flat(), dtype), [1, n, n], true);
      backward(sum(spectralRadius(A, { iterations: 200, seed: 7 })));
      const g = await A.grad!.toArray();
      const h = 1e-6;
      for (const [i, j] of [
        [0, 0],
        [2, 5],
        [7, 1],
        [4, 4],
      ]) {
        const bump = (s: number) =>
          spectralRadiusDense(M.map((row, r) => row.map((x, c) => (r === i && c === j ? x + s * h : x))));
        const fd = (bump(1) - bump(-1)) / (2 * h);
        assert.ok(
          Math.abs(g[i * n + j] - fd) <= 1e-4 * Math.abs(fd) + 1e-6,
          `∂ρ/∂A[${i}][${j}]: ${g[i * n + j]} vs ${fd}`,
        );
      }
      // ρ is homogeneous of degree 1, so Euler's identity ⟨A, ∂ρ/∂A⟩ = ρ holds exactly.
      const euler = M.flat().reduce((s, x, k) => s + x * g[k], 0);
      const rho = spectralRadiusDense(M);
      assert.ok(Math.abs(euler - rho) <= 1e-5 * rho, `⟨A, Ā⟩ = ${euler} vs ρ = ${rho}`);
    },
  );

  device.test(
    `${device.name}: DAG → 0 with zero gradient; near-DAG (upper-triangular + 1e-6) → its small true radius; zero matrix → 0; no NaN`,
    async () => {
      const n = 6;
      const dag = Array.from({ length: n }, (_, i) =>
        Array.from({ length: n }, (_, j) => (j > i ? 0.5 + rng.uniform() : 0)),
      );
      const near = dag.map((row, i) => row.map((v, j) => (i === j ? v : v + 1e-6)));
      const zero = dag.map((row) => row.map(() => 0));
      const A = new Tensor(b, b.upload([dag, near, zero].flat(2), dtype), [3, n, n], true);
      const rho = spectralRadius(A, { iterations: 200, seed: 2 });
      const values = await rho.toArray();
      assert.is(values[0], 0);
      assert.is(values[2], 0);
      const truth = spectralRadiusDense(near);
      assert.ok(truth > 0 && truth < 0.2, `near-DAG true radius ${truth}`);
      assert.ok(Math.abs(values[1] - truth) <= 0.05 * truth, `near-DAG: ${values[1]} vs ${truth}`);
      backward(sum(rho));
      const g = await A.grad!.toArray();
      assert.ok(g.every(Number.isFinite), "finite gradient");
      assert.ok(
        g.slice(0, n * n).every((v) => v === 0) && g.slice(2 * n * n).every((v) => v === 0),
        "zero gradient on the DAG and the zero matrix",
      );
      // Default T = 10 ≥ n: A^T v = 0 on the DAG, so the guard (not 0/0) gives 0 there.
      const quick = await spectralRadius(A, { seed: 2 }).toArray();
      assert.ok(quick.every(Number.isFinite) && quick[0] === 0 && quick[2] === 0, `T = 10: ${quick}`);
    },
  );

  device.test(
    `${device.name}: d = ${WORKGROUP_MAX_D + 76} (> ${WORKGROUP_MAX_D}: storage-buffer iterates), batched: known ρ and Perron vector`,
    async () => {
      // A = diag(w) B diag(w)⁻¹ with B > 0 and every row of B summing to s: ρ(A) = s and A w = s w,
      // so the right Perron vector is w and Ā_ij / Ā_ik = v_j / v_k = w_j / w_k.
      const n = WORKGROUP_MAX_D + 76;
      const sums = [1.5, 4];
      const w = Array.from({ length: n }, () => 0.5 + 1.5 * rng.uniform());
      const values = new Float64Array(2 * n * n);
      for (let m = 0; m < 2; m++) {
        for (let i = 0; i < n; i++) {
          const row = values.subarray((m * n + i) * n, (m * n + i + 1) * n);
          for (let j = 0; j < n; j++) row[j] = rng.uniform();
          const s = row.reduce((a, x) => a + x, 0);
          row.forEach((x, j) => (row[j] = (sums[m] * x * w[i]) / (s * w[j])));
        }
      }
      const A = new Tensor(b, b.upload(values, dtype), [2, n, n], true);
      const rho = spectralRadius(A, { seed: 5 });
      const got = await rho.toArray();
      got.forEach((r, m) => assert.ok(Math.abs(r - sums[m]) <= 1e-4 * sums[m], `matrix ${m}: ${r} vs ${sums[m]}`));
      backward(sum(rho));
      const g = await A.grad!.toArray();
      for (let m = 0; m < 2; m++) {
        let euler = 0;
        for (let k = m * n * n; k < (m + 1) * n * n; k++) euler += values[k] * g[k];
        assert.ok(Math.abs(euler - got[m]) <= 1e-3 * got[m], `⟨A, Ā⟩ = ${euler} vs ρ̂ = ${got[m]}`);
        for (const [i, j, k] of [
          [0, 1, 2],
          [500, 1099, 3],
          [1075, 17, 800],
        ]) {
          const ratio = g[(m * n + i) * n + j] / g[(m * n + i) * n + k];
          assert.ok(
            Math.abs(ratio - w[j] / w[k]) <= 1e-3 * (w[j] / w[k]),
            `matrix ${m}: Ā[${i}][${j}]/Ā[${i}][${k}] = ${ratio} vs ${w[j] / w[k]}`,
          );
        }
      }
    },
  );
}

exitWhenDone();
test.run();
