/**
 * The fused observational log-density (kernels/mechanism-logpdf.ts) against its unfused
 * composition normalLogpdf(X, mechanism(X, G, ·), ℓ), whose parts are checked against formulas
 * elsewhere: values and every gradient, with X constant (the training case, which takes the
 * fused weight-gradient kernel that the registry sweep cannot reach) and with X live. cpu f64
 * and webgpu f32, at sizes that cross the kernels' row chunks and column blocks, with rows of
 * odd d (one float per access) and of even d (vector accesses).
 */
import { test } from "uvu";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/gradcheck.js";
import { backward } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import {
  linearGaussianLogpdf,
  linearMechanism,
  mlpGaussianLogpdf,
  mlpMechanism,
  normalLogpdf,
} from "../../kernels/ops.js";
import { assertClose, type Device, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("mechanism-logpdf", {
  cpu: { dtype: "f64", tol: 1e-10 },
  webgpu: { dtype: "f32", tol: 1e-4 },
});

const rng = new HostRandom(5);
const normals = (n: number, scale = 1) => Array.from({ length: n }, () => scale * rng.normal());
const units = (n: number) => Array.from({ length: n }, () => rng.uniform());

type Case = { kind: "linear" | "mlp"; M: number; N: number; d: number; H: number };
const cases: Case[] = [
  { kind: "linear", M: 3, N: 150, d: 4, H: 1 },
  { kind: "linear", M: 2, N: 70, d: 23, H: 1 },
  { kind: "mlp", M: 2, N: 90, d: 5, H: 3 },
  // Even d: rows read and written as vec2 (kernels/vector-rows.ts); d = 4 above takes vec4.
  { kind: "linear", M: 2, N: 90, d: 10, H: 1 },
  { kind: "mlp", M: 2, N: 90, d: 6, H: 3 },
  // Several rows per lane (rowsPerLane: 3 here), the last chunk part-filled.
  { kind: "linear", M: 2, N: 3000, d: 4, H: 1 },
  { kind: "mlp", M: 2, N: 3000, d: 3, H: 2 },
];

function draw({ kind, M, N, d, H }: Case): { values: number[][]; shapes: number[][] } {
  const shapes =
    kind === "linear" ? [[N, d], [M, d, d], [d, d], [d]] : [[N, d], [M, d, d], [d, d, H], [d, H], [d, H], [d], [d]];
  const values = shapes.map((s, k) => {
    const n = s.reduce((a, b) => a * b, 1);
    if (k === 1) return units(n);
    if (k === shapes.length - 1) return normals(n, 0.5);
    return normals(n, k === 0 ? 1 : 0.6);
  });
  return { values, shapes };
}

async function gradients(w: Device, c: Case, values: number[][], shapes: number[][], fused: boolean, xLive: boolean) {
  const inputs = values.map((v, k) =>
    tensor(v, shapes[k], { backend: w.backend, dtype: w.dtype, requiresGrad: k > 0 || xLive }),
  );
  const [x, g, ...rest] = inputs;
  const ell = rest[rest.length - 1];
  const weights = rest.slice(0, -1);
  let out: Tensor;
  if (fused)
    out =
      c.kind === "linear"
        ? linearGaussianLogpdf(x, g, weights[0], ell)
        : mlpGaussianLogpdf(x, g, weights[0], weights[1], weights[2], weights[3], ell);
  else
    out = normalLogpdf(
      x,
      c.kind === "linear"
        ? linearMechanism(x, g, weights[0])
        : mlpMechanism(x, g, weights[0], weights[1], weights[2], weights[3]),
      ell,
    );
  const seed = new HostRandom(9);
  backward(
    out,
    tensor(
      Array.from({ length: out.size }, () => seed.normal()),
      out.shape,
      { backend: w.backend, dtype: w.dtype },
    ),
  );
  const grads = await Promise.all(inputs.map((t) => (t.grad ? t.grad.toArray() : Promise.resolve(null))));
  return { value: await out.toArray(), grads };
}

for (const c of cases)
  for (const xLive of [false, true]) {
    const name = `${c.kind} M=${c.M} N=${c.N} d=${c.d}${c.kind === "mlp" ? ` H=${c.H}` : ""}, X ${xLive ? "live" : "constant"}: fused = composition`;
    devices.each(name, async (w) => {
      const { values, shapes } = draw(c);
      const fused = await gradients(w, c, values, shapes, true, xLive);
      const plain = await gradients(w, c, values, shapes, false, xLive);
      assertClose(fused.value, plain.value, w.tol, "L");
      plain.grads.forEach((g, k) => {
        if (g === null) return;
        assertClose(fused.grads[k]!, g, w.tol, `input ${k} gradient`);
      });
    });
  }

test.run();
exitWhenDone();
