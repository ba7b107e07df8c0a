/**
 * Gaussian log-densities (spec §3), with NumPy broadcasting among (x, mean, scale):
 *   log-variance form:  y = −½[log 2π + ℓ + (x−m)² e^{−ℓ}]
 *   log-std form (λ):   y = −½ log 2π − λ − ½ (x−m)² e^{−2λ}
 * Derivatives (z = (x−m)·e^{−ℓ/2}, resp. (x−m)·e^{−λ}):
 *   ∂y/∂m = (x−m) e^{−ℓ}           ∂y/∂ℓ = ½((x−m)² e^{−ℓ} − 1)        ∂y/∂x = −∂y/∂m
 *   ∂y/∂m = (x−m) e^{−2λ}          ∂y/∂λ = (x−m)² e^{−2λ} − 1
 * VJP: one fused kernel writes m̄ and s̄ (s = ℓ or λ) at the broadcast shape; each input's
 * cotangent is then reduced to its own shape (sumToShape); x̄ = −Σ_bcast m̄. Saves nothing:
 * the VJP kernel recomputes from the inputs (cheaper than storing z).
 *
 * WGSL (generated per form F ∈ {var, std}):
 *   logpdf_F_fwd: 0 x, 1 m, 2 s read; 3 y [n] write; 4 params {n, s0..5 (out shape), a/b/c strides}
 *   logpdf_F_vjp: 0 x, 1 m, 2 s, 3 ȳ [n] read; 4 m̄ [n], 5 s̄ [n] write; same params
 *   workgroup WG = 256, one output element per invocation, folded 2-D grid.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { broadcastShapes } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { broadcastParams, offsetTable, paramNames, readShape, wgslIndex } from "./broadcast.js";
import common from "../engine/common.wgsl";
import { sumToShape } from "./elementwise-binary.js";
import { unaryOps } from "./elementwise-unary.js";

const WG = 256;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
type Form = "var" | "std";

interface FormMath {
  /** WGSL statements defining y (fwd) or dm, ds (vjp) from x, m, s, dy. */
  fwd: string;
  vjp: string;
  cpu(x: number, m: number, s: number): number;
  cpuVjp(x: number, m: number, s: number, dy: number): [number, number];
}

const FORMS: Record<Form, FormMath> = {
  var: {
    fwd: "let r = x - m; let y = -0.5 * (LOG2PI + s + r * r * exp(-s));",
    vjp: "let r = x - m; let p = exp(-s); let dm = dy * r * p; let ds = 0.5 * dy * (r * r * p - 1.0);",
    cpu: (x, m, s) => -0.5 * (2 * HALF_LOG_2PI + s + (x - m) ** 2 * Math.exp(-s)),
    cpuVjp: (x, m, s, dy) => {
      const r = x - m;
      const p = Math.exp(-s);
      return [dy * r * p, 0.5 * dy * (r * r * p - 1)];
    },
  },
  std: {
    fwd: "let z = (x - m) * exp(-s); let y = -0.5 * LOG2PI - s - 0.5 * z * z;",
    vjp: "let r = x - m; let p = exp(-2.0 * s); let dm = dy * r * p; let ds = dy * (r * r * p - 1.0);",
    cpu: (x, m, s) => -HALF_LOG_2PI - s - 0.5 * ((x - m) * Math.exp(-s)) ** 2,
    cpuVjp: (x, m, s, dy) => {
      const r = x - m;
      const p = Math.exp(-2 * s);
      return [dy * r * p, dy * (r * r * p - 1)];
    },
  },
};

const PARAMS = [["n", "u32"], ...paramNames("s"), ...paramNames("a"), ...paramNames("b"), ...paramNames("c")] as [
  string,
  "u32",
][];

const PRELUDE = `${common}
const LOG2PI: f32 = ${Math.log(2 * Math.PI)};
${wgslIndex("a")}
${wgslIndex("b")}
${wgslIndex("c")}`;

function kernels(form: Form) {
  const math = FORMS[form];
  const fwd = defineKernel({
    name: `normal_logpdf_${form}.fwd`,
    entry: `logpdf_${form}_fwd`,
    inputs: ["X", "Mn", "S"],
    outputs: ["Y"],
    params: PARAMS,
    workgroupSize: WG,
    prelude: PRELUDE,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let x = X[index_a(i)]; let m = Mn[index_b(i)]; let s = S[index_c(i)];
  ${math.fwd}
  Y[i] = y;`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([x, m, s], [y], p) => {
      const sh = readShape("s", p);
      const [sa, sb, sc] = ["a", "b", "c"].map((k) => readShape(k, p));
      const [oa, ob, oc] = [sa, sb, sc].map((st) => offsetTable(p.n, sh, st));
      for (let i = 0; i < p.n; i++) y[i] = math.cpu(x[oa ? oa[i] : i], m[ob ? ob[i] : i], s[oc ? oc[i] : i]);
    },
  });
  const vjp = defineKernel({
    name: `normal_logpdf_${form}.vjp`,
    entry: `logpdf_${form}_vjp`,
    inputs: ["X", "Mn", "S", "DY"],
    outputs: ["DM", "DS"],
    params: PARAMS,
    workgroupSize: WG,
    prelude: PRELUDE,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let x = X[index_a(i)]; let m = Mn[index_b(i)]; let s = S[index_c(i)]; let dy = DY[i];
  ${math.vjp}
  DM[i] = dm;
  DS[i] = ds;`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([x, m, s, dy], [dm, ds], p) => {
      const sh = readShape("s", p);
      const [sa, sb, sc] = ["a", "b", "c"].map((k) => readShape(k, p));
      const [oa, ob, oc] = [sa, sb, sc].map((st) => offsetTable(p.n, sh, st));
      for (let i = 0; i < p.n; i++) {
        const [gm, gs] = math.cpuVjp(x[oa ? oa[i] : i], m[ob ? ob[i] : i], s[oc ? oc[i] : i], dy[i]);
        dm[i] = gm;
        ds[i] = gs;
      }
    },
  });
  return { fwd, vjp };
}

type NoAttrs = Record<string, never>;

function logpdfOp(form: Form, derivation: string): OpDef<NoAttrs> {
  const k = kernels(form);
  const params = (x: Tensor, m: Tensor, s: Tensor) => {
    const out = broadcastShapes(
      `normalLogpdf(${form})`,
      broadcastShapes(`normalLogpdf(${form})`, x.shape, m.shape),
      s.shape,
    );
    return { out, params: broadcastParams("normalLogpdf", out, { a: x.shape, b: m.shape, c: s.shape }) };
  };
  return defineOp<NoAttrs>({
    name: form === "var" ? "normalLogpdf" : "normalLogpdfStd",
    derivation,
    forward: ([x, m, s]) => {
      const { out, params: p } = params(x, m, s);
      return { out: launch1(k.fwd, [x, m, s], out, p) };
    },
    vjp: ({ inputs: [x, m, s], needsGrad }, dy) => {
      const { out, params: p } = params(x, m, s);
      const [dm, ds] = launch(k.vjp, [x, m, s, dy], [out, out], p);
      const dx = needsGrad[0] ? unaryOps.neg.forward([sumToShape(dm, x.shape)], { p0: 0, p1: 0 }).out : null;
      return [dx, needsGrad[1] ? sumToShape(dm, m.shape) : null, needsGrad[2] ? sumToShape(ds, s.shape) : null];
    },
    check: {
      cases: [
        {
          label: "same shape",
          shapes: [
            [4, 3],
            [4, 3],
            [4, 3],
          ],
          attrs: {},
        },
        { label: "GIM broadcast x[N,d], m[M,N,d], s[d]", shapes: [[5, 3], [2, 5, 3], [3]], attrs: {} },
        { label: "scale per row", shapes: [[2, 4], [4], [2, 1]], attrs: {} },
      ],
    },
  });
}

export const normalLogpdfOps = {
  normalLogpdf: logpdfOp(
    "var",
    "y = −½[log 2π + ℓ + (x−m)² e^{−ℓ}]; m̄ = ȳ(x−m)e^{−ℓ}, ℓ̄ = ½ȳ((x−m)²e^{−ℓ} − 1), x̄ = −m̄, each summed over broadcast axes.",
  ),
  normalLogpdfStd: logpdfOp(
    "std",
    "y = −½ log 2π − λ − ½(x−m)² e^{−2λ}; m̄ = ȳ(x−m)e^{−2λ}, λ̄ = ȳ((x−m)²e^{−2λ} − 1), x̄ = −m̄, each summed over broadcast axes.",
  ),
};

/** log N(x; mean, e^{logVar}) elementwise with broadcasting. */
export const normalLogpdf = (x: Tensor, mean: Tensor, logVar: Tensor) =>
  apply(normalLogpdfOps.normalLogpdf, [x, mean, logVar], {});
/** log N(x; mean, e^{2·logStd}) elementwise with broadcasting. */
export const normalLogpdfStd = (x: Tensor, mean: Tensor, logStd: Tensor) =>
  apply(normalLogpdfOps.normalLogpdfStd, [x, mean, logStd], {});
