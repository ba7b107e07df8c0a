/**
 * Log-densities and their VJPs against the formulas, evaluated here in float64, on cpu (float64)
 * and webgpu (float32), at edge values: exact zeros for ZILN, huge |x − m|, log-variances at ±10,
 * saturated logits ζ = ±30, ±100; and the broadcast VJP reduced to each input's shape.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { normalLogpdf, normalLogpdfStd, sum, zilnLogpdf } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("log-densities", {
  cpu: { dtype: "f64", tol: 1e-12 },
  webgpu: { dtype: "f32", tol: 2e-5 },
});
const LOG2PI = Math.log(2 * Math.PI);
const logN = (x: number, m: number, l: number) => -0.5 * (LOG2PI + l + (x - m) ** 2 * Math.exp(-l));
// log σ(z) = −log(1 + e^{−z}), written for both signs so that float64 stays exact at ±100.
const logSigmoid = (z: number) => (z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z)));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

const x = [0, 0, 0.5, 1.3, 2.7, 1e-3, 0, 0, 3e3, 40];
const m = [0.2, -1, 3, 0, -0.5, 40, 1, -2, -7e3, -1e4];
const l = [10, -10, 0.3, -2, 1, 0, -10, 10, -10, 10];
const z = [2, -3, 0.1, 30, -30, 0, 100, -100, 5, -5];

for (const device of devices) {
  const { backend: b, dtype, tol } = device;
  const t = (v: number[], grad = false, shape = [v.length]) => new Tensor(b, b.upload(v, dtype), shape, grad);

  device.test(
    `${device.name}: Gaussian (log-variance and log-std) and ZILN log-densities match their formulas`,
    async () => {
      assertClose(
        await normalLogpdf(t(x), t(m), t(l)).toArray(),
        x.map((xi, i) => logN(xi, m[i], l[i])),
        tol,
        "normalLogpdf",
      );
      assertClose(
        await normalLogpdfStd(t(x), t(m), t(l.map((v) => v / 2))).toArray(),
        x.map((xi, i) => logN(xi, m[i], l[i])),
        tol,
        "normalLogpdfStd",
      );
      const ziln = x.map((xi, i) =>
        xi === 0 ? logSigmoid(z[i]) : logSigmoid(-z[i]) - Math.log(xi) + logN(Math.log(xi), m[i], l[i]),
      );
      const got = await zilnLogpdf(t(x), t(m), t(l), t(z)).toArray();
      assert.ok(got.every(Number.isFinite), `ZILN finite at ζ = ±100: ${got}`);
      assertClose(got, ziln, tol, "zilnLogpdf");
    },
  );

  device.test(
    `${device.name}: Gaussian VJPs: m̄ = ȳ(x−m)e^{−ℓ}, ℓ̄ = ½ȳ((x−m)²e^{−ℓ} − 1), x̄ = −m̄; log-std λ̄ = ȳ((x−m)²e^{−2λ} − 1)`,
    async () => {
      const dy = x.map((_, i) => 0.5 + 0.1 * i);
      for (const form of ["var", "std"] as const) {
        const scale = form === "var" ? l : l.map((v) => v / 2);
        const [X, M, S] = [t(x, true), t(m, true), t(scale, true)];
        const y = form === "var" ? normalLogpdf(X, M, S) : normalLogpdfStd(X, M, S);
        backward(y, t(dy));
        const dm = x.map((xi, i) => dy[i] * (xi - m[i]) * Math.exp(-l[i]));
        const ds = x.map((xi, i) => (form === "var" ? 0.5 : 1) * dy[i] * ((xi - m[i]) ** 2 * Math.exp(-l[i]) - 1));
        assertClose(await M.grad!.toArray(), dm, tol, `${form}: m̄`);
        assertClose(
          await X.grad!.toArray(),
          dm.map((v) => -v),
          tol,
          `${form}: x̄`,
        );
        assertClose(await S.grad!.toArray(), ds, tol, `${form}: scalē`);
      }
    },
  );

  device.test(
    `${device.name}: ZILN VJPs: ζ̄ = ȳ(1 − π) at x = 0, −ȳπ at x > 0; Gaussian VJP on log x; no gradient for x = 0 on μ, ℓ`,
    async () => {
      const dy = x.map((_, i) => 1 - 0.15 * i);
      const [M, L, Z] = [t(m, true), t(l, true), t(z, true)];
      backward(zilnLogpdf(t(x), M, L, Z), t(dy));
      const r = x.map((xi, i) => (xi > 0 ? Math.log(xi) - m[i] : 0));
      const dm = x.map((xi, i) => (xi > 0 ? dy[i] * r[i] * Math.exp(-l[i]) : 0));
      const dl = x.map((xi, i) => (xi > 0 ? 0.5 * dy[i] * (r[i] ** 2 * Math.exp(-l[i]) - 1) : 0));
      const dz = x.map((xi, i) => (xi > 0 ? -dy[i] * sigmoid(z[i]) : dy[i] * sigmoid(-z[i])));
      assertClose(await M.grad!.toArray(), dm, tol, "μ̄");
      assertClose(await L.grad!.toArray(), dl, tol, "ℓ̄");
      assertClose(await Z.grad!.toArray(), dz, tol, "ζ̄");
    },
  );

  device.test(
    `${device.name}: broadcast VJPs sum over the broadcast axes (x [N,d], m [M,N,d], ℓ [d], ζ [d])`,
    async () => {
      const [Mc, N, d] = [2, 3, 2];
      const xs = [0, 0.4, 1.1, 0, 2.5, 0.7];
      const ms = Array.from({ length: Mc * N * d }, (_, k) => Math.sin(k) * 0.8);
      const ls = [0.3, -0.6];
      const zs = [0.5, -1.5];
      const at = (mm: number, n: number, j: number) => (mm * N + n) * d + j;
      const gauss = { dx: new Array<number>(N * d).fill(0), dl: [0, 0] };
      const ziln = { dl: [0, 0], dz: [0, 0] };
      for (let mm = 0; mm < Mc; mm++) {
        for (let n = 0; n < N; n++) {
          for (let j = 0; j < d; j++) {
            const [xv, mv] = [xs[n * d + j], ms[at(mm, n, j)]];
            gauss.dx[n * d + j] += -(xv - mv) * Math.exp(-ls[j]);
            gauss.dl[j] += 0.5 * ((xv - mv) ** 2 * Math.exp(-ls[j]) - 1);
            if (xv > 0) ziln.dl[j] += 0.5 * ((Math.log(xv) - mv) ** 2 * Math.exp(-ls[j]) - 1);
            ziln.dz[j] += xv > 0 ? -sigmoid(zs[j]) : sigmoid(-zs[j]);
          }
        }
      }
      const [X, Mu, L] = [t(xs, true, [N, d]), t(ms, true, [Mc, N, d]), t(ls, true, [d])];
      backward(sum(normalLogpdf(X, Mu, L)));
      assertClose(await X.grad!.toArray(), gauss.dx, tol, "Gaussian x̄ [N,d]");
      assertClose(await L.grad!.toArray(), gauss.dl, tol, "Gaussian ℓ̄ [d]");
      const [L2, Z] = [t(ls, true, [d]), t(zs, true, [d])];
      backward(sum(zilnLogpdf(t(xs, false, [N, d]), t(ms, false, [Mc, N, d]), L2, Z)));
      assertClose(await L2.grad!.toArray(), ziln.dl, tol, "ZILN ℓ̄ [d]");
      assertClose(await Z.grad!.toArray(), ziln.dz, tol, "ZILN ζ̄ [d]");
    },
  );
}

exitWhenDone();
test.run();
