/**
 * The mechanisms as batched GEMMs (kernels/mechanism-gemm.ts) against the per-row kernels
 * (kernels/mechanism-logpdf.ts, mlp-mechanism.ts, linear-mechanism.ts), which test/ops/mechanisms
 * checks against formulas: values and every weight's gradient with X constant (the training
 * case), cpu f64 and webgpu f32, across row tiles, the VJP's row chunks, its groups of graph
 * samples, A saved or recomputed, and d not a multiple of 4; and when the forward keeps A. The κ chunk (d > 32) and two lane blocks (d > 128) are in the op's check cases (gradcheck
 * and parity sweeps): the per-row kernels compile too slowly there to be the reference.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/gradcheck.js";
import { backward, noGrad } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import { apply } from "../../engine/op.js";
import { mechanismGemmOp } from "../../kernels/mechanism-gemm.js";
import { linearGaussianLogpdf, linearMechanism, mlpGaussianLogpdf, mlpMechanism } from "../../kernels/ops.js";
import { assertClose, type Device, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("mechanism-gemm", {
  cpu: { dtype: "f64", tol: 1e-10 },
  webgpu: { dtype: "f32", tol: 2e-4 },
});

const rng = new HostRandom(17);
const normals = (n: number, scale = 1) => Array.from({ length: n }, () => scale * rng.normal());
const units = (n: number) => Array.from({ length: n }, () => rng.uniform());

type Case = {
  kind: "linear" | "mlp";
  density: "gaussian" | "none";
  M: number;
  N: number;
  d: number;
  H: number;
  chunkRows?: number;
  recompute?: boolean;
  graphGroup?: number;
};
const cases: Case[] = [
  { kind: "mlp", density: "gaussian", M: 3, N: 75, d: 6, H: 3 },
  { kind: "mlp", density: "gaussian", M: 2, N: 50, d: 9, H: 5, chunkRows: 16 },
  { kind: "mlp", density: "none", M: 2, N: 33, d: 9, H: 2, chunkRows: 32 },
  { kind: "linear", density: "gaussian", M: 3, N: 150, d: 4, H: 1 },
  { kind: "linear", density: "none", M: 2, N: 70, d: 23, H: 1, chunkRows: 32 },
  { kind: "mlp", density: "gaussian", M: 3, N: 75, d: 6, H: 3, recompute: true },
  { kind: "mlp", density: "gaussian", M: 5, N: 50, d: 9, H: 2, chunkRows: 16, graphGroup: 2 },
  { kind: "linear", density: "gaussian", M: 3, N: 40, d: 5, H: 1, graphGroup: 1, recompute: true },
];

function draw({ kind, density, M, N, d, H }: Case) {
  const weights = kind === "linear" ? [[d, d]] : [[d, d, H], [d, H], [d, H], [d]];
  const shapes = [[N, d], [M, d, d], ...weights, ...(density === "gaussian" ? [[d]] : [])];
  const values = shapes.map((s, k) => {
    const n = s.reduce((a, b) => a * b, 1);
    if (k === 1) return units(n);
    return normals(n, k === 0 ? 1 : density === "gaussian" && k === shapes.length - 1 ? 0.5 : 0.6);
  });
  return { values, shapes };
}

async function run(w: Device, c: Case, values: number[][], shapes: number[][], gemm: boolean) {
  const inputs = values.map((v, k) =>
    tensor(v, shapes[k], { backend: w.backend, dtype: w.dtype, requiresGrad: k > 0 }),
  );
  const [x, g, ...rest] = inputs;
  let out: Tensor;
  if (gemm) {
    const { kind, density, chunkRows, recompute, graphGroup } = c;
    out = apply(mechanismGemmOp, inputs, { kind, density, chunkRows, recompute, graphGroup });
  } else if (c.density === "gaussian") {
    const ell = rest[rest.length - 1];
    out =
      c.kind === "linear"
        ? linearGaussianLogpdf(x, g, rest[0], ell)
        : mlpGaussianLogpdf(x, g, rest[0], rest[1], rest[2], rest[3], ell);
  } else
    out = c.kind === "linear" ? linearMechanism(x, g, rest[0]) : mlpMechanism(x, g, rest[0], rest[1], rest[2], rest[3]);
  const seed = new HostRandom(9);
  const dy = Array.from({ length: out.size }, () => seed.normal());
  backward(out, tensor(dy, out.shape, { backend: w.backend, dtype: w.dtype }));
  const grads = await Promise.all(inputs.map((t) => (t.grad ? t.grad.toArray() : Promise.resolve(null))));
  return { value: await out.toArray(), grads };
}

for (const c of cases) {
  const name = `${c.kind} ${c.density} M=${c.M} N=${c.N} d=${c.d}${c.kind === "mlp" ? ` H=${c.H}` : ""}${c.chunkRows ? `, VJP chunks of ${c.chunkRows} rows` : ""}${c.graphGroup ? `, VJP groups of ${c.graphGroup} graphs` : ""}, A ${c.recompute ? "recomputed" : "saved"}: GEMM = per-row kernels`;
  devices.each(name, async (w) => {
    const { values, shapes } = draw(c);
    const gemm = await run(w, c, values, shapes, true);
    const rows = await run(w, c, values, shapes, false);
    assertClose(gemm.value, rows.value, w.tol, "value");
    assert.is(gemm.grads[0], null, "X is data: no X̄");
    rows.grads.forEach((g, k) => {
      if (k > 0) assertClose(gemm.grads[k]!, g!, w.tol, `input ${k} gradient`);
    });
  });
}

test("the forward keeps A [M,rows,H,dp] per VJP row chunk, only when a VJP will follow: recorded with an input needing a gradient, and not recompute", () => {
  const c: Case = { kind: "mlp", density: "gaussian", M: 2, N: 10, d: 5, H: 3 };
  const { values, shapes } = draw(c);
  const make = (grad: boolean) =>
    values.map((v, k) => tensor(v, shapes[k], { dtype: "f64", requiresGrad: grad && k > 0 }));
  const attrs = { kind: c.kind, density: c.density };
  const kept = mechanismGemmOp.forward(make(true), attrs).saved ?? [];
  assert.equal(
    kept.map((t) => t.shape),
    [[2, 10, 3, 8]],
    "A with dp = 8",
  );
  assert.equal(
    (mechanismGemmOp.forward(make(true), { ...attrs, chunkRows: 4 }).saved ?? []).map((t) => t.shape),
    [
      [2, 4, 3, 8],
      [2, 4, 3, 8],
      [2, 2, 3, 8],
    ],
    "one A per VJP row chunk",
  );
  assert.is((noGrad(() => mechanismGemmOp.forward(make(true), attrs)).saved ?? []).length, 0, "under noGrad");
  assert.is((mechanismGemmOp.forward(make(false), attrs).saved ?? []).length, 0, "no input needs a gradient");
  assert.is((mechanismGemmOp.forward(make(true), { ...attrs, recompute: true }).saved ?? []).length, 0, "recompute");
});

test("bad shapes: a clear error naming the op and the expected shapes", () => {
  const t = (s: number[]) => tensor(new Array(s.reduce((a, b) => a * b, 1)).fill(0), s, { dtype: "f64" });
  assert.throws(
    () => apply(mechanismGemmOp, [t([4, 3]), t([2, 3, 3]), t([3, 2])], { kind: "linear", density: "none" }),
    /mechanismGemm\(linear, none\).*expected X \[N,d\], G \[M,d,d\], Θ \[d,d\]; got/,
  );
});

test.run();
exitWhenDone();
