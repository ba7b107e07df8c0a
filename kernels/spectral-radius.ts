/**
 * Spectral radius by power iteration (NO-BEARS, spec §7), batched over M matrices A [M, d, d]:
 *   u₀, v₀ ~ U(0,1)^d   (Philox: index m·2d + i for u, m·2d + d + i for v; same on both backends)
 *   u ← Aᵀu / (‖Aᵀu‖ + 1e-12),  v ← A v / (‖A v‖ + 1e-12)   for T iterations
 *   ρ̂ = uᵀA v / (uᵀv)
 * VJP: Ā = ρ̄ · u vᵀ / (uᵀv), with u and v held constant (stop-gradient, as NO-BEARS does).
 * Why that is the derivative: for a nonnegative A whose Perron root ρ is simple, the left and
 * right Perron vectors u, v satisfy uᵀA = ρuᵀ, Av = ρv, and first-order perturbation theory gives
 * dρ = uᵀ dA v / (uᵀv). It is exact when the iteration has converged to those vectors; with
 * T = 10 rounds it is the usual (biased) NO-BEARS surrogate. Guard: when uᵀv ≤ 1e-30 (the zero
 * matrix, or a saturated DAG where A^d v = 0) ρ̂ := 0 with zero gradient, never 0/0.
 * Saves u [M, d], v [M, d] and uᵀv [M] (outputs of the forward kernel), never A's iterates.
 *
 * WGSL power_iter: binding 0 A [M,d,d] read; 1 ρ [M], 2 U [M,d], 3 V [M,d], 4 den [M] write;
 *   5 params {M, d, iterations, seed, stream}. One workgroup (64 lanes) per matrix (m from
 *   workgroup_id, so it is uniform); u, v and the new iterates live in workgroup memory; lane i
 *   computes rows i, i+64, … of Aᵀu and Av; lane 0 forms the norms. d ≤ 1024.
 * WGSL power_vjp: 0 U, 1 V, 2 den, 3 ρ̄ read; 4 Ā [M,d,d] write; one element per invocation.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import { uniformNoise } from "../engine/prng.js";
import type { Tensor } from "../engine/tensor.js";
import common from "./common.wgsl";
import prng from "./prng.wgsl";

const WG = 64;
const MAX_D = 1024;
const GUARD = 1e-30;

const forwardKernel = defineKernel({
  name: "spectral_radius.fwd",
  wgsl: `${common}
${prng}
struct Params { M: u32, d: u32, iterations: u32, seed: u32, stream: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> Rho: array<f32>;
@group(0) @binding(2) var<storage, read_write> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> Den: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;
var<workgroup> u: array<f32, ${MAX_D}>;
var<workgroup> v: array<f32, ${MAX_D}>;
var<workgroup> nu: array<f32, ${MAX_D}>;
var<workgroup> nv: array<f32, ${MAX_D}>;
var<workgroup> scale: vec2<f32>;
@compute @workgroup_size(${WG})
fn power_iter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = flat_group(wid, nwg);
  if (m >= P.M) { return; }
  let d = P.d;
  let base = m * d * d;
  for (var i = lid.x; i < d; i += ${WG}u) {
    u[i] = uniform_noise(P.seed, P.stream, m * 2u * d + i);
    v[i] = uniform_noise(P.seed, P.stream, m * 2u * d + d + i);
  }
  workgroupBarrier();
  for (var t = 0u; t < P.iterations; t++) {
    for (var i = lid.x; i < d; i += ${WG}u) {
      var au = 0.0;
      var av = 0.0;
      for (var k = 0u; k < d; k++) {
        au += A[base + k * d + i] * u[k];
        av += A[base + i * d + k] * v[k];
      }
      nu[i] = au;
      nv[i] = av;
    }
    workgroupBarrier();
    if (lid.x == 0u) {
      var su = 0.0;
      var sv = 0.0;
      for (var k = 0u; k < d; k++) { su += nu[k] * nu[k]; sv += nv[k] * nv[k]; }
      scale = vec2<f32>(1.0 / (sqrt(su) + 1e-12), 1.0 / (sqrt(sv) + 1e-12));
    }
    workgroupBarrier();
    for (var i = lid.x; i < d; i += ${WG}u) {
      u[i] = nu[i] * scale.x;
      v[i] = nv[i] * scale.y;
    }
    workgroupBarrier();
  }
  for (var i = lid.x; i < d; i += ${WG}u) {
    var av = 0.0;
    for (var k = 0u; k < d; k++) { av += A[base + i * d + k] * v[k]; }
    nv[i] = av;
    U[m * d + i] = u[i];
    V[m * d + i] = v[i];
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    var num = 0.0;
    var den = 0.0;
    for (var k = 0u; k < d; k++) { num += u[k] * nv[k]; den += u[k] * v[k]; }
    Den[m] = den;
    Rho[m] = select(0.0, num / den, den > ${GUARD});
  }
}`,
  entry: "power_iter",
  inputs: 1,
  outputs: 4,
  params: [["M", "u32"], ["d", "u32"], ["iterations", "u32"], ["seed", "u32"], ["stream", "u32"]],
  workgroups: (p) => p.M,
  cpu: ([A], [rho, U, V, Den], p) => {
    const { M, d } = p;
    for (let m = 0; m < M; m++) {
      const base = m * d * d;
      let u = Array.from({ length: d }, (_, i) => uniformNoise(p.seed, p.stream, m * 2 * d + i));
      let v = Array.from({ length: d }, (_, i) => uniformNoise(p.seed, p.stream, m * 2 * d + d + i));
      for (let t = 0; t < p.iterations; t++) {
        const nu = u.map((_, i) => u.reduce((s, uk, k) => s + A[base + k * d + i] * uk, 0));
        const nv = v.map((_, i) => v.reduce((s, vk, k) => s + A[base + i * d + k] * vk, 0));
        const su = 1 / (Math.hypot(...nu) + 1e-12);
        const sv = 1 / (Math.hypot(...nv) + 1e-12);
        u = nu.map((x) => x * su);
        v = nv.map((x) => x * sv);
      }
      let num = 0;
      let den = 0;
      for (let i = 0; i < d; i++) {
        let av = 0;
        for (let k = 0; k < d; k++) av += A[base + i * d + k] * v[k];
        num += u[i] * av;
        den += u[i] * v[i];
        U[m * d + i] = u[i];
        V[m * d + i] = v[i];
      }
      Den[m] = den;
      rho[m] = den > GUARD ? num / den : 0;
    }
  },
});

const VJP_WG = 256;
const vjpKernel = defineKernel({
  name: "spectral_radius.vjp",
  wgsl: `${common}
struct Params { n: u32, d: u32 }
@group(0) @binding(0) var<storage, read> U: array<f32>;
@group(0) @binding(1) var<storage, read> V: array<f32>;
@group(0) @binding(2) var<storage, read> Den: array<f32>;
@group(0) @binding(3) var<storage, read> DRho: array<f32>;
@group(0) @binding(4) var<storage, read_write> DA: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;
@compute @workgroup_size(${VJP_WG})
fn power_vjp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = flat_id(wid, nwg, lid, ${VJP_WG}u);
  if (e >= P.n) { return; }
  let dd = P.d * P.d;
  let m = e / dd;
  let i = (e % dd) / P.d;
  let j = e % P.d;
  let den = Den[m];
  DA[e] = select(0.0, DRho[m] * U[m * P.d + i] * V[m * P.d + j] / den, den > ${GUARD});
}`,
  entry: "power_vjp",
  inputs: 4,
  outputs: 1,
  params: [["n", "u32"], ["d", "u32"]],
  workgroups: (p) => groupsFor(p.n, VJP_WG),
  cpu: ([U, V, Den, dRho], [dA], p) => {
    const { d } = p;
    for (let e = 0; e < p.n; e++) {
      const m = Math.floor(e / (d * d));
      const i = Math.floor((e % (d * d)) / d);
      const j = e % d;
      dA[e] = Den[m] > GUARD ? (dRho[m] * U[m * d + i] * V[m * d + j]) / Den[m] : 0;
    }
  },
});

interface PowerAttrs {
  [key: string]: unknown;
  iterations: number;
  seed: number;
  stream: number;
}

export const spectralRadiusOp: OpDef<PowerAttrs> = defineOp<PowerAttrs>({
  name: "spectralRadius",
  derivation:
    "ρ̂ = uᵀAv/(uᵀv) after T power iterations on A and Aᵀ; Ā = ρ̄·u vᵀ/(uᵀv) with u, v constant (the Perron-root derivative at convergence); ρ̂ := 0, Ā := 0 when uᵀv ≤ 1e-30.",
  forward: ([A], a) => {
    if (A.rank !== 3 || A.shape[1] !== A.shape[2]) throw new ShapeError("spectralRadius", `expected A [M, d, d], got ${fmt(A.shape)}`);
    const [M, d] = A.shape;
    if (d > MAX_D) throw new ShapeError("spectralRadius", `d = ${d} exceeds ${MAX_D} (vectors live in workgroup memory)`);
    const [rho, U, V, den] = launch(forwardKernel, [A], [[M], [M, d], [M, d], [M]], { M, d, iterations: a.iterations, seed: a.seed, stream: a.stream });
    return { out: rho, saved: [U, V, den] };
  },
  vjp: ({ inputs: [A], saved: [U, V, den] }, dRho) => {
    const [M, d] = A.shape;
    return launch(vjpKernel, [U, V, den, dRho], [[M, d, d]], { n: M * d * d, d });
  },
  check: {
    cases: [
      { label: "positive 4×4, converged", shapes: [[2, 4, 4]], attrs: { iterations: 200, seed: 3, stream: 0 }, domains: ["positive"] },
      { label: "positive 7×7, converged", shapes: [[1, 7, 7]], attrs: { iterations: 300, seed: 5, stream: 1 }, domains: ["positive"] },
    ],
    gradTol: 1e-5,
  },
});

export const spectralRadiusOps = { spectralRadius: spectralRadiusOp };

/** NO-BEARS ρ̂ for a batch A [M, d, d] ≥ 0 → [M]. */
export const spectralRadius = (A: Tensor, { iterations = 10, seed, stream = 0 }: { iterations?: number; seed: number; stream?: number }) =>
  apply(spectralRadiusOp, [A], { iterations, seed, stream });
