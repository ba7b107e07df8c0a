/**
 * Log-densities against their formulas in float64 (cpu) and float32 (webgpu), at edge values:
 * exact zeros for ZILN, huge |x − m|, log-variances at ±10.
 */
import { test } from "uvu";
import type { Backend } from "../../engine/backend.js";
import { cpuBackend } from "../../engine/context.js";
import { Tensor } from "../../engine/tensor.js";
import { normalLogpdf, normalLogpdfStd, zilnLogpdf } from "../../kernels/ops.js";
import { assertClose, exitWhenDone, gpuOrSkip } from "../helpers.js";

const gpu = await gpuOrSkip("log-densities");
const LOG2PI = Math.log(2 * Math.PI);
const logN = (x: number, m: number, l: number) => -0.5 * (LOG2PI + l + (x - m) ** 2 * Math.exp(-l));
const logSigmoid = (z: number) => -Math.log1p(Math.exp(-z));

const x = [0, 0, 0.5, 1.3, 2.7, 1e-3];
const m = [0.2, -1, 3, 0, -0.5, 40];
const l = [10, -10, 0.3, -2, 1, 0];
const z = [2, -3, 0.1, 30, -30, 0];

for (const [b, dtype, tol] of [[cpuBackend(), "f64", 1e-12], ...(gpu ? [[gpu, "f32", 2e-5]] : [])] as [Backend, "f32" | "f64", number][]) {
  const t = (v: number[]) => new Tensor(b, b.upload(v, dtype), [v.length]);
  test(`${b.name}: Gaussian (log-variance and log-std) and ZILN log-densities match their formulas`, async () => {
    assertClose(await normalLogpdf(t(x), t(m), t(l)).toArray(), x.map((xi, i) => logN(xi, m[i], l[i])), tol, "normalLogpdf");
    assertClose(await normalLogpdfStd(t(x), t(m), t(l.map((v) => v / 2))).toArray(), x.map((xi, i) => logN(xi, m[i], l[i])), tol, "normalLogpdfStd");
    const ziln = x.map((xi, i) => (xi === 0 ? logSigmoid(z[i]) : logSigmoid(-z[i]) - Math.log(xi) + logN(Math.log(xi), m[i], l[i])));
    assertClose(await zilnLogpdf(t(x), t(m), t(l), t(z)).toArray(), ziln, tol, "zilnLogpdf");
  });
}

exitWhenDone();
test.run();
