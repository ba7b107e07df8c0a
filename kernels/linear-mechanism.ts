/**
 * Linear mechanism (spec §3 eq 7): for every graph sample m, μ_m = X (G_m ⊙ Θ).
 *   X: [N, d] data, G: [M, d, d] graph samples (G[m,i,j] = 1 means i → j, so column j is the
 *   parent mask of j), Θ: [d, d] weights  →  μ: [M, N, d],  μ[m,n,j] = Σ_i X[n,i] G[m,i,j] Θ[i,j].
 *
 * WGSL (two modules by binding count, five entry points; WG lanes per workgroup, an override constant
 * picked from d so that few lanes idle):
 *   lin_fwd:    0 X [N,d], 1 G [M,d,d], 2 Θ [d,d] read; 3 μ [M,N,d] write; 4 params {N, d, M}
 *               grid (⌈d/WG⌉, ⌈N/NB⌉, M). Lane j keeps column j of W_m = G_m ⊙ Θ in a private
 *               array; the workgroup's NB rows are read with uniform loads of X, four rows at a
 *               time, so each private load of W feeds four FMAs.
 *   lin_r:      0 X, 1 μ̄ [M,N,d] read; 2 R [M,d,d] write; R_m = Xᵀ μ̄_m
 *               grid (⌈d/WG⌉, ⌈d/8⌉, M). Lane j loads μ̄[m,n,j] once per n and reuses it for 8
 *               rows i of R (uniform loads of X[n, i..i+7]).
 *   lin_dtheta: 0 R, 1 G read; 2 Θ̄ [d,d] write; Θ̄ = Σ_m R_m ⊙ G_m           (1-D, d² lanes)
 *   lin_dg:     0 R, 1 Θ read; 2 Ḡ [M,d,d] write; Ḡ_m = R_m ⊙ Θ              (1-D, M d² lanes)
 *   lin_dx:     0 G, 1 Θ, 2 μ̄ read; 3 X̄ [N,d] write; X̄ = Σ_m μ̄_m W_mᵀ
 *               grid (⌈d/WG⌉, ⌈N/NB⌉). Lane i keeps row i of W_m (private), rows n uniform.
 * Lanes past d compute on a clamped column and skip the store, so control flow stays uniform
 * (lavapipe scalarises loads under a divergent mask). Needs d ≤ 128 (the private row).
 */
import { type Kernel, defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "./common.wgsl";

export const MAX_D = 128;
const NB = 64;
const WG1 = 64;

/** Lanes per workgroup for a lane-per-column kernel: a multiple of 8 (lavapipe's SIMD width), ≤ 64. */
export function lanesFor(n: number): number {
  return Math.min(64, Math.max(8, Math.ceil(n / 8) * 8));
}

/** One kernel object per workgroup size, so pipelines are compiled once per size. */
export function perLaneCount(make: (wg: number) => Kernel): (wg: number) => Kernel {
  const cache = new Map<number, Kernel>();
  return (wg) => {
    let k = cache.get(wg);
    if (!k) cache.set(wg, (k = make(wg)));
    return k;
  };
}

const PRELUDE = /* wgsl */ `${common}
override WG: u32 = 32u;
const NB: u32 = ${NB}u;
const MAX_D: u32 = ${MAX_D}u;
struct Params { N: u32, d: u32, M: u32 }
@group(0) @binding(0) var<storage, read> In0: array<f32>;
@group(0) @binding(1) var<storage, read> In1: array<f32>;
`;

/** Entry points with three inputs and one output. */
const WGSL3 = /* wgsl */ `${PRELUDE}
@group(0) @binding(2) var<storage, read> In2: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out3: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;

// lin_fwd: In0 = X, In1 = G, In2 = Θ, Out3 = μ.
@compute @workgroup_size(WG)
fn lin_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let m = wid.z;
  let j = wid.x * WG + lid.x;
  let jc = min(j, d - 1u);
  var w: array<f32, MAX_D>;
  for (var i = 0u; i < d; i++) { w[i] = In1[(m * d + i) * d + jc] * In2[i * d + jc]; }
  let n1 = min(wid.y * NB + NB, N);
  for (var n = wid.y * NB; n < n1; n += 4u) {
    let x0 = n * d; let x1 = min(n + 1u, N - 1u) * d; let x2 = min(n + 2u, N - 1u) * d; let x3 = min(n + 3u, N - 1u) * d;
    var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0;
    for (var i = 0u; i < d; i++) {
      let wi = w[i];
      a0 += In0[x0 + i] * wi; a1 += In0[x1 + i] * wi; a2 += In0[x2 + i] * wi; a3 += In0[x3 + i] * wi;
    }
    let o = (m * N + n) * d + j;
    if (j < d) {
      Out3[o] = a0;
      if (n + 1u < n1) { Out3[o + d] = a1; }
      if (n + 2u < n1) { Out3[o + 2u * d] = a2; }
      if (n + 3u < n1) { Out3[o + 3u * d] = a3; }
    }
  }
}

// lin_dx: In0 = G, In1 = Θ, In2 = μ̄, Out3 = X̄.
@compute @workgroup_size(WG)
fn lin_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N;
  let i = wid.x * WG + lid.x;
  let ic = min(i, d - 1u);
  let n0 = wid.y * NB;
  let rows = min(NB, N - n0);
  var w: array<f32, MAX_D>;
  var acc: array<f32, NB>;
  for (var m = 0u; m < P.M; m++) {
    for (var j = 0u; j < d; j++) { w[j] = In0[(m * d + ic) * d + j] * In1[ic * d + j]; }
    for (var r = 0u; r < rows; r++) {
      let g = ((m * N) + n0 + r) * d;
      var s = 0.0;
      for (var j = 0u; j < d; j++) { s += In2[g + j] * w[j]; }
      acc[r] += s;
    }
  }
  if (i < d) {
    for (var r = 0u; r < rows; r++) { Out3[(n0 + r) * d + i] = acc[r]; }
  }
}

`;

/** Entry points with two inputs and one output. */
const WGSL2 = /* wgsl */ `${PRELUDE}
@group(0) @binding(2) var<storage, read_write> Out2: array<f32>;
@group(0) @binding(3) var<uniform> P3: Params;

// lin_r: In0 = X, In1 = μ̄, Out2 = R.
@compute @workgroup_size(WG)
fn lin_r(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P3.d; let N = P3.N; let m = wid.z;
  let j = wid.x * WG + lid.x;
  let jc = min(j, d - 1u);
  let i0 = wid.y * 8u;
  var c: array<u32, 8>;
  for (var k = 0u; k < 8u; k++) { c[k] = min(i0 + k, d - 1u); }
  let c0 = c[0]; let c1 = c[1]; let c2 = c[2]; let c3 = c[3]; let c4 = c[4]; let c5 = c[5]; let c6 = c[6]; let c7 = c[7];
  var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0; var a4 = 0.0; var a5 = 0.0; var a6 = 0.0; var a7 = 0.0;
  for (var n = 0u; n < N; n++) {
    let g = In1[(m * N + n) * d + jc];
    let x = n * d;
    a0 += In0[x + c0] * g; a1 += In0[x + c1] * g; a2 += In0[x + c2] * g; a3 += In0[x + c3] * g;
    a4 += In0[x + c4] * g; a5 += In0[x + c5] * g; a6 += In0[x + c6] * g; a7 += In0[x + c7] * g;
  }
  if (j < d) {
    let a = array<f32, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
    for (var k = 0u; k < 8u; k++) {
      if (i0 + k < d) { Out2[(m * d + i0 + k) * d + j] = a[k]; }
    }
  }
}

// lin_dtheta: In0 = R, In1 = G, Out2 = Θ̄.   lin_dg: In0 = R, In1 = Θ, Out2 = Ḡ.
@compute @workgroup_size(${WG1})
fn lin_dtheta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = flat_id(wid, nwg, lid, ${WG1}u);
  let dd = P3.d * P3.d;
  if (t >= dd) { return; }
  var s = 0.0;
  for (var m = 0u; m < P3.M; m++) { s += In0[m * dd + t] * In1[m * dd + t]; }
  Out2[t] = s;
}

@compute @workgroup_size(${WG1})
fn lin_dg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = flat_id(wid, nwg, lid, ${WG1}u);
  let dd = P3.d * P3.d;
  if (t >= P3.M * dd) { return; }
  Out2[t] = In0[t] * In1[t % dd];
}
`;

const PARAMS = [["N", "u32"], ["d", "u32"], ["M", "u32"]] as const;
type Dims = { N: number; d: number; M: number };

const fwdKernel = perLaneCount((wg) =>
  defineKernel({
    name: `linear_mechanism.fwd.wg${wg}`,
    wgsl: WGSL3,
    entry: "lin_fwd",
    constants: { WG: wg },
    inputs: 3,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.N / NB), p.M],
    cpu: ([x, g, th], [mu], { N, d, M }) => {
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let j = 0; j < d; j++) {
            let s = 0;
            for (let i = 0; i < d; i++) s += x[n * d + i] * g[(m * d + i) * d + j] * th[i * d + j];
            mu[(m * N + n) * d + j] = s;
          }
    },
  }),
);

const rKernel = perLaneCount((wg) =>
  defineKernel({
    name: `linear_mechanism.r.wg${wg}`,
    wgsl: WGSL2,
    entry: "lin_r",
    constants: { WG: wg },
    inputs: 2,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.d / 8), p.M],
    cpu: ([x, dmu], [r], { N, d, M }) => {
      r.fill(0);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let i = 0; i < d; i++)
            for (let j = 0; j < d; j++) r[(m * d + i) * d + j] += x[n * d + i] * dmu[(m * N + n) * d + j];
    },
  }),
);

const dthetaKernel = defineKernel({
  name: "linear_mechanism.dtheta",
  wgsl: WGSL2,
  entry: "lin_dtheta",
  inputs: 2,
  outputs: 1,
  params: PARAMS,
  workgroups: (p) => groupsFor(p.d * p.d, WG1),
  cpu: ([r, g], [dth], { d, M }) => {
    dth.fill(0);
    for (let m = 0; m < M; m++) for (let t = 0; t < d * d; t++) dth[t] += r[m * d * d + t] * g[m * d * d + t];
  },
});

const dgKernel = defineKernel({
  name: "linear_mechanism.dg",
  wgsl: WGSL2,
  entry: "lin_dg",
  inputs: 2,
  outputs: 1,
  params: PARAMS,
  workgroups: (p) => groupsFor(p.M * p.d * p.d, WG1),
  cpu: ([r, th], [dg], { d, M }) => {
    for (let t = 0; t < M * d * d; t++) dg[t] = r[t] * th[t % (d * d)];
  },
});

const dxKernel = perLaneCount((wg) =>
  defineKernel({
    name: `linear_mechanism.dx.wg${wg}`,
    wgsl: WGSL3,
    entry: "lin_dx",
    constants: { WG: wg },
    inputs: 3,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.N / NB), 1],
    cpu: ([g, th, dmu], [dx], { N, d, M }) => {
      dx.fill(0);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let i = 0; i < d; i++) {
            let s = 0;
            for (let j = 0; j < d; j++) s += dmu[(m * N + n) * d + j] * g[(m * d + i) * d + j] * th[i * d + j];
            dx[n * d + i] += s;
          }
    },
  }),
);

function dimsOf(op: string, x: Tensor, g: Tensor, theta: Tensor): Dims {
  const [N, d] = x.shape;
  const M = g.shape[0];
  const ok = x.rank === 2 && g.rank === 3 && g.shape[1] === d && g.shape[2] === d && theta.rank === 2 && theta.shape[0] === d && theta.shape[1] === d;
  if (!ok) throw new ShapeError(op, `expected X [N, d], G [M, d, d], Θ [d, d]; got ${fmt(x.shape)}, ${fmt(g.shape)}, ${fmt(theta.shape)}`);
  if (d > MAX_D) throw new ShapeError(op, `d = ${d} exceeds ${MAX_D} (the per-lane private row)`);
  return { N, d, M };
}

type NoAttrs = Record<string, never>;

export const linearMechanismOp: OpDef<NoAttrs> = defineOp<NoAttrs>({
  name: "linearMechanism",
  derivation:
    "μ[m,n,j] = Σ_i X[n,i] G[m,i,j] Θ[i,j]. With R_m = Xᵀ μ̄_m (one fused kernel for all m): " +
    "Θ̄ = Σ_m R_m ⊙ G_m, Ḡ_m = R_m ⊙ Θ, X̄ = Σ_m μ̄_m (G_m ⊙ Θ)ᵀ. Saves nothing beyond the inputs.",
  forward: ([x, g, theta]) => {
    const dims = dimsOf("linearMechanism", x, g, theta);
    return { out: launch1(fwdKernel(lanesFor(dims.d)), [x, g, theta], [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs: [x, g, theta], needsGrad }, dmu) => {
    const dims = dimsOf("linearMechanism", x, g, theta);
    const { d, M } = dims;
    const wg = lanesFor(d);
    const r = needsGrad[1] || needsGrad[2] ? launch1(rKernel(wg), [x, dmu], [M, d, d], dims) : null;
    const grads = [
      needsGrad[0] ? launch1(dxKernel(wg), [g, theta, dmu], x.shape, dims) : null,
      needsGrad[1] ? launch1(dgKernel, [r!, theta], g.shape, dims) : null,
      needsGrad[2] ? launch1(dthetaKernel, [r!, g], theta.shape, dims) : null,
    ];
    r?.dispose();
    return grads;
  },
  check: {
    cases: [
      { label: "small", shapes: [[5, 3], [2, 3, 3], [3, 3]], attrs: {}, domains: ["real", "unit", "real"] },
      { label: "rows past one block, ragged", shapes: [[70, 4], [1, 4, 4], [4, 4]], attrs: {}, domains: ["real", "unit", "real"] },
      { label: "d above one workgroup", shapes: [[3, 66], [2, 66, 66], [66, 66]], attrs: {}, domains: ["real", "unit", "real"] },
    ],
  },
});

/** μ_m = X (G_m ⊙ Θ) for every graph sample m: X [N, d], G [M, d, d], Θ [d, d] → [M, N, d]. */
export const linearMechanism = (x: Tensor, g: Tensor, theta: Tensor) => apply(linearMechanismOp, [x, g, theta], {});

export const linearMechanismOps = { linearMechanism: linearMechanismOp };
