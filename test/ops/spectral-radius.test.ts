/**
 * The NO-BEARS spectral radius against a dense eigen-solver on random nonnegative matrices, on
 * nilpotent (DAG) inputs, and on the zero matrix — cpu (float64) and webgpu (float32).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend } from "../../engine/backend.js";
import { cpuBackend } from "../../engine/context.js";
import { HostRandom } from "../../engine/host-random.js";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { spectralRadius, sum } from "../../kernels/ops.js";
import { spectralRadiusDense } from "../eigen.js";
import { exitWhenDone, gpuOrSkip } from "../helpers.js";

const gpu = await gpuOrSkip("spectral radius");
const runs: [Backend, "f32" | "f64"][] = [[cpuBackend(), "f64"], ...(gpu ? [[gpu, "f32"] as [Backend, "f32"]] : [])];
const d = 30;
const rng = new HostRandom(30);
const matrices = Array.from({ length: 20 }, () => Array.from({ length: d }, () => Array.from({ length: d }, () => rng.uniform())));
const expected = matrices.map((m) => spectralRadiusDense(m, 300));

for (const [b, dtype] of runs) {
  test(`${b.name}: 20 random nonnegative 30×30 matrices agree with a dense solver to 1e-4`, async () => {
    const A = new Tensor(b, b.upload(matrices.flat(2), dtype), [20, d, d]);
    const got = await spectralRadius(A, { iterations: 300, seed: 1 }).toArray();
    got.forEach((rho, k) => assert.ok(Math.abs(rho - expected[k]) <= 1e-4 * expected[k], `matrix ${k}: ${rho} vs ${expected[k]}`));
    const quick = await spectralRadius(A, { iterations: 10, seed: 1 }).toArray();
    quick.forEach((rho, k) => assert.ok(Math.abs(rho - expected[k]) <= 1e-2 * expected[k], `10 iterations, matrix ${k}: ${rho} vs ${expected[k]}`));
  });

  test(`${b.name}: a DAG (nilpotent) gives 0 with zero gradient; a near-DAG gives the small true radius; no NaN`, async () => {
    const n = 6;
    const dag = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (j > i ? 0.5 + rng.uniform() : 0)));
    const near = dag.map((row, i) => row.map((v, j) => (j < i ? 1e-6 : v)));
    const zero = dag.map((row) => row.map(() => 0));
    const A = new Tensor(b, b.upload([dag, near, zero].flat(2), dtype), [3, n, n], true);
    const rho = spectralRadius(A, { iterations: 200, seed: 2 });
    const values = await rho.toArray();
    assert.is(values[0], 0);
    assert.is(values[2], 0);
    const truth = spectralRadiusDense(near, 3000);
    assert.ok(truth > 0 && truth < 0.2, `near-DAG true radius ${truth}`);
    assert.ok(Math.abs(values[1] - truth) <= 0.05 * truth, `near-DAG: ${values[1]} vs ${truth}`);
    backward(sum(rho));
    const g = await A.grad!.toArray();
    assert.ok(g.every(Number.isFinite), "finite gradient");
    assert.ok(g.slice(0, n * n).every((v) => v === 0) && g.slice(2 * n * n).every((v) => v === 0), "zero gradient on the DAG and the zero matrix");
  });
}

exitWhenDone();
test.run();
