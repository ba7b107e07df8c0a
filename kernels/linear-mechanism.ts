/**
 * Linear mechanism (spec §3 eq 7): for every graph sample m, μ_m = X (G_m ⊙ Θ).
 *   X: [N, d] data, G: [M, d, d] graph samples (G[m,i,j] = 1 means i → j, so column j is the
 *   parent mask of j), Θ: [d, d] weights  →  μ: [M, N, d],  μ[m,n,j] = Σ_i X[n,i] G[m,i,j] Θ[i,j].
 * VJP: R_m = Xᵀ μ̄_m; Θ̄ = Σ_m R_m ⊙ G_m; Ḡ_m = R_m ⊙ Θ; X̄ = Σ_m μ̄_m (G_m ⊙ Θ)ᵀ. Saves nothing.
 *
 * Kernels: fwd and R (as per-chunk partials S [C, M, d, d]) are generated per d by
 * kernels/mechanism-wgsl.ts (one lane per row, the reused operand in registers). The rest is
 * hand-written here, WG = 64 lanes, params {N, d, M, C, rpl}:
 *   lin_params: 0 S, 1 G, 2 Θ read; 3 Θ̄ [d,d], 4 Ḡ [M,d,d] write (one dispatch for both):
 *               lanes t < d² give Θ̄[t] = Σ_m (Σ_c S[c,m,t]) G[m,t]; the next M·d² give Ḡ.
 *   lin_dx:     0 G, 1 Θ, 2 μ̄ read; 3 X̄ [N,d] write; one lane per (n, i), loops over m and j.
 *               Only needed when X itself needs a gradient (never in training), so kept simple.
 */
import { type Kernel, defineKernel, groupsFor, kernelCache } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";
import { LANES, blockWidth, fwdSource, rowsPerLane, wgradSource } from "./mechanism-wgsl.js";

const WG = 64;
const PARAMS = [
  ["N", "u32"],
  ["d", "u32"],
  ["M", "u32"],
  ["C", "u32"],
  ["rpl", "u32"],
] as const;
type Dims = { N: number; d: number; M: number; C: number; rpl: number };

const paramsKernel = defineKernel({
  name: "linear_mechanism.params",
  entry: "lin_params",
  inputs: ["S", "G", "TH"],
  outputs: ["DTH", "DG"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: common,
  body: `
  let dd = P.d * P.d;
  let u = flat_id(wid, nwg, lid, WG);
  if (u < dd) {
    var s = 0.0;
    for (var m = 0u; m < P.M; m++) {
      var r = 0.0;
      for (var c = 0u; c < P.C; c++) { r += S[(c * P.M + m) * dd + u]; }
      s += r * G[m * dd + u];
    }
    DTH[u] = s;
  } else if (u < dd + P.M * dd) {
    let t = u - dd;
    let m = t / dd;
    var r = 0.0;
    for (var c = 0u; c < P.C; c++) { r += S[(c * P.M + m) * dd + t % dd]; }
    DG[t] = r * TH[t % dd];
  }`,
  workgroups: (p) => groupsFor((p.M + 1) * p.d * p.d, WG),
  cpu: ([s, g, th], [dth, dg], { d, M, C }) => {
    const dd = d * d;
    dth.fill(0);
    for (let m = 0; m < M; m++)
      for (let t = 0; t < dd; t++) {
        let r = 0;
        for (let c = 0; c < C; c++) r += s[(c * M + m) * dd + t];
        dth[t] += r * g[m * dd + t];
        dg[m * dd + t] = r * th[t];
      }
  },
});

const dxKernel = defineKernel({
  name: "linear_mechanism.dx",
  entry: "lin_dx",
  inputs: ["G", "TH", "DMU"],
  outputs: ["DX"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: common,
  body: `
  let d = P.d;
  let u = flat_id(wid, nwg, lid, WG);
  if (u >= P.N * d) { return; }
  let n = u / d;
  let i = u % d;
  var s = 0.0;
  for (var m = 0u; m < P.M; m++) {
    for (var j = 0u; j < d; j++) { s += DMU[(m * P.N + n) * d + j] * G[(m * d + i) * d + j] * TH[i * d + j]; }
  }
  DX[u] = s;`,
  workgroups: (p) => groupsFor(p.N * p.d, WG),
  cpu: ([g, th, dmu], [dx], { N, d, M }) => {
    dx.fill(0);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++)
            dx[n * d + i] += dmu[(m * N + n) * d + j] * g[(m * d + i) * d + j] * th[i * d + j];
  },
});

const cached = kernelCache();
/** The generated fwd or R kernel for this d (grid: row chunks × M × column blocks). */
function generatedKernel(which: "fwd" | "wgrad", d: number): Kernel {
  const key = `${which} ${d}`;
  return cached(key, () => {
    const shape = { kind: "linear", d, H: 1 } as const;
    const blocks = Math.ceil(d / blockWidth(shape, which === "wgrad"));
    return defineKernel({
      name: `linear_mechanism.${which}.d${d}`,
      ...(which === "fwd" ? fwdSource(shape) : wgradSource(shape)),
      workgroups: (p) => [p.C, p.M, blocks],
      cpu: which === "fwd" ? linearCpu(d) : rCpu(d),
    });
  });
}

const linearCpu =
  (d: number): Kernel["cpu"] =>
  ([x, g, th], [mu], { N, M }) => {
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let i = 0; i < d; i++) s += x[n * d + i] * g[(m * d + i) * d + j] * th[i * d + j];
          mu[(m * N + n) * d + j] = s;
        }
  };

/** S[c, m, i, j] = Σ_{n in chunk c} X[n,i] μ̄[m,n,j]. */
const rCpu =
  (d: number): Kernel["cpu"] =>
  ([x, dmu], [s], { N, M, rpl }) => {
    s.fill(0);
    const rows = LANES * rpl;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const c = Math.floor(n / rows);
        for (let i = 0; i < d; i++)
          for (let j = 0; j < d; j++) s[((c * M + m) * d + i) * d + j] += x[n * d + i] * dmu[(m * N + n) * d + j];
      }
  };

function dimsOf(x: Tensor, g: Tensor, theta: Tensor): Dims {
  const [N, d] = x.shape;
  const M = g.shape[0];
  const ok =
    x.rank === 2 &&
    g.rank === 3 &&
    g.shape[1] === d &&
    g.shape[2] === d &&
    theta.rank === 2 &&
    theta.shape[0] === d &&
    theta.shape[1] === d;
  if (!ok)
    throw new ShapeError(
      "linearMechanism",
      `expected X [N, d], G [M, d, d], Θ [d, d]; got ${fmt(x.shape)}, ${fmt(g.shape)}, ${fmt(theta.shape)}`,
    );
  const rpl = rowsPerLane(N, M);
  return { N, d, M, rpl, C: Math.ceil(N / (LANES * rpl)) };
}

type NoAttrs = Record<string, never>;

export const linearMechanismOp: OpDef<NoAttrs> = defineOp<NoAttrs>({
  name: "linearMechanism",
  derivation:
    "μ[m,n,j] = Σ_i X[n,i] G[m,i,j] Θ[i,j]. With R_m = Xᵀ μ̄_m (one kernel for all m, per-chunk partials): " +
    "Θ̄ = Σ_m R_m ⊙ G_m, Ḡ_m = R_m ⊙ Θ, X̄ = Σ_m μ̄_m (G_m ⊙ Θ)ᵀ. Saves nothing beyond the inputs.",
  forward: ([x, g, theta]) => {
    const dims = dimsOf(x, g, theta);
    return { out: launch1(generatedKernel("fwd", dims.d), [x, g, theta], [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs: [x, g, theta], needsGrad }, dmu) => {
    const dims = dimsOf(x, g, theta);
    const { d, M, C } = dims;
    const dx = needsGrad[0] ? launch1(dxKernel, [g, theta, dmu], x.shape, dims) : null;
    if (!needsGrad[1] && !needsGrad[2]) return [dx, null, null];
    const s = launch1(generatedKernel("wgrad", d), [x, dmu], [C, M, d, d], dims);
    const [dtheta, dg] = launch(paramsKernel, [s, g, theta], [theta.shape, g.shape], dims);
    s.dispose();
    if (!needsGrad[1]) dg.dispose();
    if (!needsGrad[2]) dtheta.dispose();
    return [dx, needsGrad[1] ? dg : null, needsGrad[2] ? dtheta : null];
  },
  check: {
    cases: [
      {
        label: "small",
        shapes: [
          [5, 3],
          [2, 3, 3],
          [3, 3],
        ],
        attrs: {},
        domains: ["real", "unit", "real"],
      },
      {
        label: "rows past one chunk, ragged",
        shapes: [
          [150, 4],
          [1, 4, 4],
          [4, 4],
        ],
        attrs: {},
        domains: ["real", "unit", "real"],
      },
      {
        label: "several column blocks",
        shapes: [
          [3, 23],
          [2, 23, 23],
          [23, 23],
        ],
        attrs: {},
        domains: ["real", "unit", "real"],
      },
    ],
  },
});

/** μ_m = X (G_m ⊙ Θ) for every graph sample m: X [N, d], G [M, d, d], Θ [d, d] → [M, N, d]. */
export const linearMechanism = (x: Tensor, g: Tensor, theta: Tensor) => apply(linearMechanismOp, [x, g, theta], {});

export const linearMechanismOps = { linearMechanism: linearMechanismOp };
