/**
 * Masked MLP mechanism (spec §3 eq 8, §11 "masked MLP"), one tanh layer of width H per variable:
 *   μ[m,n,j] = Σ_h w2[j,h] T[m,n,j,h] + b2[j],   T = tanh(A),
 *   A[m,n,j,h] = Σ_i X[n,i] W̃[m,i,j,h] + b1[j,h],   W̃[m,i,j,h] = G[m,i,j] W1[j,i,h]  (mask folded in).
 * Shapes: X [N,d], G [M,d,d], W1 [d,d,H] indexed [j,i,h], b1 [d,H], w2 [d,H], b2 [d] → μ [M,N,d].
 * Columns c = j·H + h of W̃_m make the pre-activations one [N,d]×[d,dH] product per m.
 *
 * WGSL, module 1 (bindings 0 X, 1 G, 2 W1, 3 b1, 4 w2, 5 (b2 | μ̄) read; 6 out write; 7 params {N,d,M,H}):
 *   mlp_fwd:   out μ [M,N,d]; grid (⌈d/WG⌉, ⌈N/NB⌉, M). Lane j, for each h: column W̃[m,:,j,h] in
 *              a private array, NB rows read with uniform loads of X four at a time, Σ_h w2·tanh
 *              accumulated per row in a private array.
 *   mlp_wgrad: out S [M, d+3, dH]; grid (⌈dH/WG⌉, 1, M). Lane c recomputes A[m,n,c] over all n,
 *              Ā = μ̄ w2 (1−T²), and accumulates S[m,i,c] = W̃̄[m,i,c] = Σ_n X[n,i] Ā (rows 0..d−1),
 *              Σ_n μ̄ T (row d), Σ_n Ā (row d+1), Σ_n μ̄ (row d+2, at h = 0; 0 elsewhere).
 *   mlp_dx:    out X̄ [N,d]; grid ⌈N/64⌉. Lane n keeps X[n,:] and X̄[n,:] privately and loops over
 *              (m, c) with uniform weight loads: X̄[n,i] = Σ_{m,c} Ā[m,n,c] W̃[m,i,c].
 * Module 2 (0 S, 1 G, 2 W1 read; 3 W̄1 [d,d,H], 4 Ḡ [M,d,d], 5 w̄2 [d,H], 6 b̄1 [d,H], 7 b̄2 [d] write;
 *   8 params): mlp_finish, one lane per output element of all five (one dispatch instead of five):
 *   W̄1[j,i,h] = Σ_m S[m,i,c] G[m,i,j];  Ḡ[m,i,j] = Σ_h S[m,i,c] W1[j,i,h];  the rest Σ_m of rows d..d+2.
 * Lanes past the extent compute on clamped indices and skip stores (uniform control flow).
 * Limits: d ≤ 128 (private column), H ≤ 64.
 */
import { type Kernel, defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "./common.wgsl";
import { MAX_D, lanesFor, perLaneCount } from "./linear-mechanism.js";

const NB = 64;
const WG1 = 64;

const HEAD = /* wgsl */ `${common}
override WG: u32 = 32u;
const NB: u32 = ${NB}u;
const MAX_D: u32 = ${MAX_D}u;
struct Params { N: u32, d: u32, M: u32, H: u32 }
fn tanh_stable(x: f32) -> f32 {
  let e = exp(2.0 * clamp(x, -20.0, 20.0));
  return 1.0 - 2.0 / (e + 1.0);
}
`;

const WGSL6 = /* wgsl */ `${HEAD}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> W1: array<f32>;
@group(0) @binding(3) var<storage, read> B1: array<f32>;
@group(0) @binding(4) var<storage, read> W2: array<f32>;
@group(0) @binding(5) var<storage, read> In5: array<f32>;
@group(0) @binding(6) var<storage, read_write> Out: array<f32>;
@group(0) @binding(7) var<uniform> P: Params;

// W̃[m,i,c] with c = j·H + h.
fn wt(m: u32, i: u32, j: u32, h: u32) -> f32 {
  return G[(m * P.d + i) * P.d + j] * W1[(j * P.d + i) * P.H + h];
}

// mlp_fwd: In5 = b2, Out = μ.
@compute @workgroup_size(WG)
fn mlp_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let H = P.H; let m = wid.z;
  let j = wid.x * WG + lid.x;
  let jc = min(j, d - 1u);
  let n0 = wid.y * NB;
  let rows = min(NB, N - n0);
  var w: array<f32, MAX_D>;
  var acc: array<f32, NB>;
  for (var h = 0u; h < H; h++) {
    for (var i = 0u; i < d; i++) { w[i] = wt(m, i, jc, h); }
    let bh = B1[jc * H + h]; let wh = W2[jc * H + h];
    for (var r = 0u; r < rows; r += 4u) {
      let x0 = (n0 + r) * d; let x1 = (n0 + min(r + 1u, rows - 1u)) * d;
      let x2 = (n0 + min(r + 2u, rows - 1u)) * d; let x3 = (n0 + min(r + 3u, rows - 1u)) * d;
      var a0 = bh; var a1 = bh; var a2 = bh; var a3 = bh;
      for (var i = 0u; i < d; i++) {
        let wi = w[i];
        a0 += X[x0 + i] * wi; a1 += X[x1 + i] * wi; a2 += X[x2 + i] * wi; a3 += X[x3 + i] * wi;
      }
      acc[r] += wh * tanh_stable(a0); acc[r + 1u] += wh * tanh_stable(a1);
      acc[r + 2u] += wh * tanh_stable(a2); acc[r + 3u] += wh * tanh_stable(a3);
    }
  }
  if (j < d) {
    let b2 = In5[j];
    for (var r = 0u; r < rows; r++) { Out[((m * N) + n0 + r) * d + j] = acc[r] + b2; }
  }
}

// mlp_wgrad: In5 = μ̄, Out = S.
@compute @workgroup_size(WG)
fn mlp_wgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let H = P.H; let m = wid.z;
  let DH = d * H;
  let c = wid.x * WG + lid.x;
  let cc = min(c, DH - 1u);
  let j = cc / H; let h = cc % H;
  var w: array<f32, MAX_D>;
  var acc: array<f32, MAX_D>;
  for (var i = 0u; i < d; i++) { w[i] = wt(m, i, j, h); }
  let bh = B1[cc]; let wh = W2[cc];
  var sw2 = 0.0; var sb1 = 0.0; var sb2 = 0.0;
  for (var n = 0u; n < N; n += 4u) {
    let x0 = n * d; let x1 = min(n + 1u, N - 1u) * d; let x2 = min(n + 2u, N - 1u) * d; let x3 = min(n + 3u, N - 1u) * d;
    var a0 = bh; var a1 = bh; var a2 = bh; var a3 = bh;
    for (var i = 0u; i < d; i++) {
      let wi = w[i];
      a0 += X[x0 + i] * wi; a1 += X[x1 + i] * wi; a2 += X[x2 + i] * wi; a3 += X[x3 + i] * wi;
    }
    // Rows past N get a zero cotangent, so they add nothing.
    let mu = (m * N) * d + j;
    let g0 = In5[mu + x0];
    let g1 = select(0.0, In5[mu + x1], n + 1u < N);
    let g2 = select(0.0, In5[mu + x2], n + 2u < N);
    let g3 = select(0.0, In5[mu + x3], n + 3u < N);
    let t0 = tanh_stable(a0); let t1 = tanh_stable(a1); let t2 = tanh_stable(a2); let t3 = tanh_stable(a3);
    let e0 = g0 * wh * (1.0 - t0 * t0); let e1 = g1 * wh * (1.0 - t1 * t1);
    let e2 = g2 * wh * (1.0 - t2 * t2); let e3 = g3 * wh * (1.0 - t3 * t3);
    for (var i = 0u; i < d; i++) {
      acc[i] += X[x0 + i] * e0 + X[x1 + i] * e1 + X[x2 + i] * e2 + X[x3 + i] * e3;
    }
    sw2 += g0 * t0 + g1 * t1 + g2 * t2 + g3 * t3;
    sb1 += e0 + e1 + e2 + e3;
    sb2 += g0 + g1 + g2 + g3;
  }
  if (c < DH) {
    let s = m * (d + 3u) * DH + c;
    for (var i = 0u; i < d; i++) { Out[s + i * DH] = acc[i]; }
    Out[s + d * DH] = sw2;
    Out[s + (d + 1u) * DH] = sb1;
    Out[s + (d + 2u) * DH] = select(0.0, sb2, h == 0u);
  }
}

// mlp_dx: In5 = μ̄, Out = X̄.
@compute @workgroup_size(64)
fn mlp_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let H = P.H;
  let n = flat_id(wid, nwg, lid, 64u);
  let nc = min(n, N - 1u);
  var x: array<f32, MAX_D>;
  var dx: array<f32, MAX_D>;
  for (var i = 0u; i < d; i++) { x[i] = X[nc * d + i]; }
  for (var m = 0u; m < P.M; m++) {
    for (var j = 0u; j < d; j++) {
      let g = In5[(m * N + nc) * d + j];
      for (var h = 0u; h < H; h++) {
        var a = B1[j * H + h];
        for (var i = 0u; i < d; i++) { a += x[i] * wt(m, i, j, h); }
        let t = tanh_stable(a);
        let e = g * W2[j * H + h] * (1.0 - t * t);
        for (var i = 0u; i < d; i++) { dx[i] += e * wt(m, i, j, h); }
      }
    }
  }
  if (n < N) {
    for (var i = 0u; i < d; i++) { Out[n * d + i] = dx[i]; }
  }
}
`;

const WGSL_FINISH = /* wgsl */ `${HEAD}
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> W1: array<f32>;
@group(0) @binding(3) var<storage, read_write> DW1: array<f32>;
@group(0) @binding(4) var<storage, read_write> DG: array<f32>;
@group(0) @binding(5) var<storage, read_write> DW2: array<f32>;
@group(0) @binding(6) var<storage, read_write> DB1: array<f32>;
@group(0) @binding(7) var<storage, read_write> DB2: array<f32>;
@group(0) @binding(8) var<uniform> P: Params;

@compute @workgroup_size(${WG1})
fn mlp_finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let H = P.H; let M = P.M; let DH = d * H;
  let stride = (d + 3u) * DH;
  var t = flat_id(wid, nwg, lid, ${WG1}u);
  if (t < d * DH) {                       // W̄1[j,i,h]
    let h = t % H; let i = (t / H) % d; let j = t / DH;
    var s = 0.0;
    for (var m = 0u; m < M; m++) { s += S[m * stride + i * DH + j * H + h] * G[(m * d + i) * d + j]; }
    DW1[t] = s;
    return;
  }
  t -= d * DH;
  if (t < M * d * d) {                    // Ḡ[m,i,j]
    let j = t % d; let i = (t / d) % d; let m = t / (d * d);
    var s = 0.0;
    for (var h = 0u; h < H; h++) { s += S[m * stride + i * DH + j * H + h] * W1[(j * d + i) * H + h]; }
    DG[t] = s;
    return;
  }
  t -= M * d * d;
  if (t < 3u * DH) {                      // w̄2, b̄1, b̄2 (b̄2 sits at the h = 0 columns)
    let row = d + t / DH; let c = t % DH;
    var s = 0.0;
    for (var m = 0u; m < M; m++) { s += S[m * stride + row * DH + c]; }
    if (t < DH) { DW2[c] = s; } else if (t < 2u * DH) { DB1[c] = s; } else if (c % H == 0u) { DB2[c / H] = s; }
  }
}
`;

const PARAMS = [["N", "u32"], ["d", "u32"], ["M", "u32"], ["H", "u32"]] as const;
type Dims = { N: number; d: number; M: number; H: number };

/** Reference pre-activation A[m,n,j,h] (the cpu loops below share it). */
function preact(x: ArrayLike<number>, g: ArrayLike<number>, w1: ArrayLike<number>, b1: ArrayLike<number>, { d, H }: Dims, m: number, n: number, j: number, h: number): number {
  let a = b1[j * H + h];
  for (let i = 0; i < d; i++) a += x[n * d + i] * g[(m * d + i) * d + j] * w1[(j * d + i) * H + h];
  return a;
}

const fwdKernel = perLaneCount((wg) =>
  defineKernel({
    name: `mlp_mechanism.fwd.wg${wg}`,
    wgsl: WGSL6,
    entry: "mlp_fwd",
    constants: { WG: wg },
    inputs: 6,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.N / NB), p.M],
    cpu: ([x, g, w1, b1, w2, b2], [mu], p) => {
      const { N, d, M, H } = p as Dims;
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let j = 0; j < d; j++) {
            let s = b2[j];
            for (let h = 0; h < H; h++) s += w2[j * H + h] * Math.tanh(preact(x, g, w1, b1, p as Dims, m, n, j, h));
            mu[(m * N + n) * d + j] = s;
          }
    },
  }),
);

const wgradKernel = perLaneCount((wg) =>
  defineKernel({
    name: `mlp_mechanism.wgrad.wg${wg}`,
    wgsl: WGSL6,
    entry: "mlp_wgrad",
    constants: { WG: wg },
    inputs: 6,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => [Math.ceil((p.d * p.H) / wg), 1, p.M],
    cpu: ([x, g, w1, b1, w2, dmu], [s], p) => {
      const { N, d, M, H } = p as Dims;
      const DH = d * H;
      s.fill(0);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let j = 0; j < d; j++) {
            const gm = dmu[(m * N + n) * d + j];
            for (let h = 0; h < H; h++) {
              const c = j * H + h;
              const t = Math.tanh(preact(x, g, w1, b1, p as Dims, m, n, j, h));
              const e = gm * w2[c] * (1 - t * t);
              const base = m * (d + 3) * DH + c;
              for (let i = 0; i < d; i++) s[base + i * DH] += x[n * d + i] * e;
              s[base + d * DH] += gm * t;
              s[base + (d + 1) * DH] += e;
              if (h === 0) s[base + (d + 2) * DH] += gm;
            }
          }
    },
  }),
);

const dxKernel = defineKernel({
  name: "mlp_mechanism.dx",
  wgsl: WGSL6,
  entry: "mlp_dx",
  inputs: 6,
  outputs: 1,
  params: PARAMS,
  workgroups: (p) => groupsFor(p.N, 64),
  cpu: ([x, g, w1, b1, w2, dmu], [dx], p) => {
    const { N, d, M, H } = p as Dims;
    dx.fill(0);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < d; j++)
          for (let h = 0; h < H; h++) {
            const t = Math.tanh(preact(x, g, w1, b1, p as Dims, m, n, j, h));
            const e = dmu[(m * N + n) * d + j] * w2[j * H + h] * (1 - t * t);
            for (let i = 0; i < d; i++) dx[n * d + i] += e * g[(m * d + i) * d + j] * w1[(j * d + i) * H + h];
          }
  },
});

const finishKernel: Kernel = defineKernel({
  name: "mlp_mechanism.finish",
  wgsl: WGSL_FINISH,
  entry: "mlp_finish",
  inputs: 3,
  outputs: 5,
  params: PARAMS,
  workgroups: (p) => groupsFor(p.d * p.d * p.H + p.M * p.d * p.d + 3 * p.d * p.H, WG1),
  cpu: ([s, g, w1], [dw1, dg, dw2, db1, db2], p) => {
    const { d, M, H } = p as Dims;
    const DH = d * H;
    const stride = (d + 3) * DH;
    dw1.fill(0);
    dg.fill(0);
    dw2.fill(0);
    db1.fill(0);
    db2.fill(0);
    for (let m = 0; m < M; m++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++)
          for (let h = 0; h < H; h++) {
            const sv = s[m * stride + i * DH + j * H + h];
            dw1[(j * d + i) * H + h] += sv * g[(m * d + i) * d + j];
            dg[(m * d + i) * d + j] += sv * w1[(j * d + i) * H + h];
          }
    for (let m = 0; m < M; m++)
      for (let c = 0; c < DH; c++) {
        dw2[c] += s[m * stride + d * DH + c];
        db1[c] += s[m * stride + (d + 1) * DH + c];
        if (c % H === 0) db2[c / H] += s[m * stride + (d + 2) * DH + c];
      }
  },
});

function dimsOf(x: Tensor, g: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Dims {
  const [N, d] = x.shape;
  const M = g.shape[0];
  const H = w1.shape[2];
  const is = (t: Tensor, s: number[]) => t.rank === s.length && t.shape.every((v, k) => v === s[k]);
  const ok = x.rank === 2 && is(g, [M, d, d]) && is(w1, [d, d, H]) && is(b1, [d, H]) && is(w2, [d, H]) && is(b2, [d]);
  if (!ok) {
    const got = [x, g, w1, b1, w2, b2].map((t) => fmt(t.shape)).join(", ");
    throw new ShapeError("mlpMechanism", `expected X [N,d], G [M,d,d], W1 [d,d,H], b1 [d,H], w2 [d,H], b2 [d]; got ${got}`);
  }
  if (d > MAX_D || H > 64) throw new ShapeError("mlpMechanism", `d = ${d}, H = ${H}: needs d ≤ ${MAX_D} and H ≤ 64`);
  return { N, d, M, H };
}

type NoAttrs = Record<string, never>;

export const mlpMechanismOp: OpDef<NoAttrs> = defineOp<NoAttrs>({
  name: "mlpMechanism",
  derivation:
    "μ = Σ_h w2 T + b2, T = tanh(A), A = X W̃_m + b1, W̃[m,i,j,h] = G[m,i,j] W1[j,i,h]. " +
    "Ā = μ̄ w2 (1 − T²); W̃̄_m = Xᵀ Ā_m; W̄1[j,i,h] = Σ_m W̃̄ G; Ḡ[m,i,j] = Σ_h W̃̄ W1; w̄2 = Σ μ̄ T; b̄1 = Σ Ā; " +
    "b̄2 = Σ μ̄; X̄ = Σ_m Ā_m W̃_mᵀ. Saves nothing: T is [M,N,d,H] (115 MB at M=32, N=9000, d=20, H=5), " +
    "so the VJP recomputes A from the inputs (one extra forward's worth of FLOPs).",
  forward: (inputs) => {
    const dims = dimsOf(...(inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
    return { out: launch1(fwdKernel(lanesFor(dims.d)), inputs, [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs, needsGrad }, dmu) => {
    const [x, g, w1, b1, w2] = inputs;
    const dims = dimsOf(...(inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
    const { d, M, H } = dims;
    const args = [x, g, w1, b1, w2, dmu];
    const dx = needsGrad[0] ? launch1(dxKernel, args, x.shape, dims) : null;
    if (!needsGrad.slice(1).some(Boolean)) return [dx, null, null, null, null, null];
    const s = launch1(wgradKernel(lanesFor(d * H)), args, [M, d + 3, d * H], dims);
    const outs = launch(finishKernel, [s, g, w1], [w1.shape, g.shape, w2.shape, b1.shape, inputs[5].shape], dims);
    s.dispose();
    // finish writes all five in one dispatch; keep the ones asked for (order: G, W1, b1, w2, b2).
    const [dw1, dg, dw2, db1, db2] = outs;
    const grads = [dx, dg, dw1, db1, dw2, db2];
    return grads.map((t, k) => {
      if (k === 0 || needsGrad[k]) return t;
      t?.dispose();
      return null;
    });
  },
  check: {
    cases: [
      { label: "small", shapes: [[5, 3], [2, 3, 3], [3, 3, 2], [3, 2], [3, 2], [3]], attrs: {}, domains: ["real", "unit"] },
      { label: "rows past one block, ragged", shapes: [[70, 2], [1, 2, 2], [2, 2, 5], [2, 5], [2, 5], [2]], attrs: {}, domains: ["real", "unit"] },
      { label: "dH above one workgroup", shapes: [[3, 14], [2, 14, 14], [14, 14, 5], [14, 5], [14, 5], [14]], attrs: {}, domains: ["real", "unit"] },
    ],
  },
});

/** Masked MLP mechanism for every graph sample: see the file header for shapes. */
export const mlpMechanism = (x: Tensor, g: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
  apply(mlpMechanismOp, [x, g, w1, b1, w2, b2], {});

export const mlpMechanismOps = { mlpMechanism: mlpMechanismOp };
