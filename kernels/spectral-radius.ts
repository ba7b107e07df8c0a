/**
 * Spectral radius by power iteration (NO-BEARS, spec §7), batched over M matrices A [M, d, d]:
 *   u₀, v₀ ~ U(0,1)^d   (Philox draw (seed, stream, m·2d + i) for u_i, (…, m·2d + d + i) for v_i:
 *                        engine/prng.wgsl and engine/prng.ts give the same numbers)
 *   u ← Aᵀu / (‖Aᵀu‖ + 1e-12),  v ← A v / (‖A v‖ + 1e-12)   for T iterations
 *   ρ̂ = uᵀA v / (uᵀv)
 * VJP: Ā = ρ̄ · u vᵀ / (uᵀv), u and v held constant (stop-gradient, as NO-BEARS does).
 * Assumption behind that derivative: A ≥ 0 has a simple Perron root ρ with left and right
 * eigenvectors u, v (uᵀA = ρuᵀ, Av = ρv); first-order perturbation of a simple eigenvalue gives
 * dρ = uᵀ dA v / (uᵀv). It is exact once the iteration has converged to those vectors; with the
 * default T = 10 it is the NO-BEARS surrogate, not the derivative of the unrolled iteration.
 * Guard: when uᵀv ≤ 1e-30 (the zero matrix, or a saturated DAG where A^T v = 0 or the supports
 * of u and v separate) ρ̂ := 0 and Ā := 0, never 0/0.
 * Saves u [M, d], v [M, d] and uᵀv [M] (outputs of the forward kernel), never A's iterates.
 *
 * WGSL power_iter (two variants of one template):
 *   binding 0 A [M,d,d] read; 1 ρ [M], 2 U [M,d], 3 V [M,d], 4 den [M] read_write;
 *   "workgroup" (d ≤ 1024): u, v and the new iterates live in workgroup memory (16 KiB); params 5.
 *   "storage"   (d > 1024): the iterates live in U, V and scratch outputs 5 NU, 6 NV [M,d]
 *                           (storageBarrier between phases); params 7.
 *   params {M, d, iterations, seed, stream}. One workgroup per matrix (m from workgroup_id, so
 *   the loop bounds and the reads of u[k], v[k] are uniform) of WG = 64 lanes, 256 above
 *   d = 256; lane i computes rows i, i+WG, … of Aᵀu and Av and its part of ‖Aᵀu‖², ‖Av‖² (and at
 *   the end of uᵀAv, uᵀv), which a tree in workgroup memory sums in log₂ WG rounds. At GIM sizes
 *   (M = 32, d ≤ 100) one dispatch does all T iterations of every matrix.
 * WGSL power_vjp: 0 U, 1 V, 2 den, 3 ρ̄ read; 4 Ā [M,d,d] write; one element per invocation,
 *   workgroup 256, params {n, d}.
 */
import { type FloatArray, type Kernel, type KernelSource, defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import { uniformNoise } from "../engine/prng.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";
import prng from "../engine/prng.wgsl";

const WG = 64;
/** Largest d whose four vectors fit in workgroup memory. */
export const WORKGROUP_MAX_D = 1024;
const GUARD = 1e-30;
type Variant = "workgroup" | "storage";

/** The WGSL of one variant: its outputs (the storage variant adds scratch NU, NV), prelude and body. */
function forwardWgsl(variant: Variant): Pick<KernelSource, "outputs" | "prelude" | "body"> {
  const shared = variant === "workgroup";
  // Where element `i` of each iterate lives: workgroup arrays, or row m of the storage buffers.
  const at = (name: "u" | "v" | "nu" | "nv", i: string) =>
    shared ? `${name}[${i}]` : `${name.toUpperCase()}[vb + ${i}]`;
  const barrier = shared ? "workgroupBarrier();" : "storageBarrier(); workgroupBarrier();";
  const iterates = shared
    ? ["u", "v", "nu", "nv"].map((name) => `var<workgroup> ${name}: array<f32, ${WORKGROUP_MAX_D}>;`)
    : [];
  return {
    outputs: ["Rho", "U", "V", "Den", ...(shared ? [] : ["NU", "NV"])],
    prelude: [common, prng, ...iterates, "var<workgroup> red: array<vec2<f32>, WG>;", TREE_SUM].join("\n"),
    body: `
  let m = flat_group(wid, nwg);
  if (m >= P.M) { return; }
  let d = P.d;
  let base = m * d * d;
  let vb = m * d;
  for (var i = lid.x; i < d; i += WG) {
    ${at("u", "i")} = uniform_noise(P.seed, P.stream, m * 2u * d + i);
    ${at("v", "i")} = uniform_noise(P.seed, P.stream, m * 2u * d + d + i);
  }
  ${barrier}
  for (var t = 0u; t < P.iterations; t++) {
    var part = vec2<f32>(0.0);
    for (var i = lid.x; i < d; i += WG) {
      var au = 0.0;
      var av = 0.0;
      for (var k = 0u; k < d; k++) {
        au += A[base + k * d + i] * ${at("u", "k")};
        av += A[base + i * d + k] * ${at("v", "k")};
      }
      ${at("nu", "i")} = au;
      ${at("nv", "i")} = av;
      part += vec2<f32>(au * au, av * av);
    }
    let norms = sqrt(tree_sum(part, lid.x));
    let scale = 1.0 / (norms + vec2<f32>(1e-12));
    for (var i = lid.x; i < d; i += WG) {
      ${at("u", "i")} = ${at("nu", "i")} * scale.x;
      ${at("v", "i")} = ${at("nv", "i")} * scale.y;
    }
    ${barrier}
  }
  var part = vec2<f32>(0.0);
  for (var i = lid.x; i < d; i += WG) {
    var av = 0.0;
    for (var k = 0u; k < d; k++) { av += A[base + i * d + k] * ${at("v", "k")}; }
    part += vec2<f32>(${at("u", "i")} * av, ${at("u", "i")} * ${at("v", "i")});
    ${shared ? "U[vb + i] = u[i]; V[vb + i] = v[i];" : "NV[vb + i] = av;"}
  }
  let sums = tree_sum(part, lid.x);
  if (lid.x == 0u) {
    Den[m] = sums.y;
    Rho[m] = select(0.0, sums.x / sums.y, sums.y > ${GUARD});
  }`,
  };
}

/**
 * Sum over the workgroup's lanes of one vec2 each, by a tree in workgroup memory (log₂ WG
 * rounds; WG is a power of two), returned to every lane. Its first barrier also orders the
 * caller's writes of the iterates before any lane reads them.
 */
const TREE_SUM = `
fn tree_sum(x: vec2<f32>, lane: u32) -> vec2<f32> {
  red[lane] = x;
  storageBarrier();
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lane < half) { red[lane] += red[lane + half]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}`;

/** The reference loop of both variants; the storage variant's scratch outputs NU, NV get the last iterates. */
function powerIterCpu(A: FloatArray, outs: readonly FloatArray[], p: Readonly<Record<string, number>>): void {
  const [rho, U, V, Den, NU, NV] = outs;
  const { M, d } = p;
  const u = new Float64Array(d);
  const v = new Float64Array(d);
  const nu = new Float64Array(d);
  const nv = new Float64Array(d);
  for (let m = 0; m < M; m++) {
    const base = m * d * d;
    for (let i = 0; i < d; i++) {
      u[i] = uniformNoise(p.seed, p.stream, m * 2 * d + i);
      v[i] = uniformNoise(p.seed, p.stream, m * 2 * d + d + i);
    }
    for (let t = 0; t < p.iterations; t++) {
      let su = 0;
      let sv = 0;
      for (let i = 0; i < d; i++) {
        let au = 0;
        let av = 0;
        for (let k = 0; k < d; k++) {
          au += A[base + k * d + i] * u[k];
          av += A[base + i * d + k] * v[k];
        }
        nu[i] = au;
        nv[i] = av;
        su += au * au;
        sv += av * av;
      }
      const scaleU = 1 / (Math.sqrt(su) + 1e-12);
      const scaleV = 1 / (Math.sqrt(sv) + 1e-12);
      for (let i = 0; i < d; i++) {
        u[i] = nu[i] * scaleU;
        v[i] = nv[i] * scaleV;
      }
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
      if (NU) NU[m * d + i] = nu[i];
      if (NV) NV[m * d + i] = av;
    }
    Den[m] = den;
    rho[m] = den > GUARD ? num / den : 0;
  }
}

const POWER_PARAMS = [
  ["M", "u32"],
  ["d", "u32"],
  ["iterations", "u32"],
  ["seed", "u32"],
  ["stream", "u32"],
] as [string, "u32"][];
const forwardKernel = (name: string, variant: Variant, lanes: number) =>
  defineKernel({
    name,
    entry: "power_iter",
    inputs: ["A"],
    ...forwardWgsl(variant),
    params: POWER_PARAMS,
    workgroupSize: WG,
    ...(lanes !== WG ? { constants: { WG: lanes } } : {}),
    workgroups: (p) => p.M,
    cpu: ([A], outs, p) => powerIterCpu(A, outs, p),
  });
/**
 * Lanes per matrix: 64 up to d = WIDE_FROM, 256 above, where one workgroup per matrix (M_h = 16
 * of them) would leave each lane ⌈d/64⌉ rows of 2d multiply-adds per iteration (16 at d = 1,000).
 */
const WIDE_FROM = 256;
const WIDE_WG = 256;
const forwardKernels: Record<Variant, Record<"narrow" | "wide", Kernel>> = {
  workgroup: {
    narrow: forwardKernel("spectral_radius.fwd", "workgroup", WG),
    wide: forwardKernel("spectral_radius.fwd_wide", "workgroup", WIDE_WG),
  },
  storage: {
    narrow: forwardKernel("spectral_radius.fwd_large", "storage", WIDE_WG),
    wide: forwardKernel("spectral_radius.fwd_large", "storage", WIDE_WG),
  },
};

const VJP_WG = 256;
const vjpKernel = defineKernel({
  name: "spectral_radius.vjp",
  entry: "power_vjp",
  inputs: ["U", "V", "Den", "DRho"],
  outputs: ["DA"],
  params: [
    ["n", "u32"],
    ["d", "u32"],
  ],
  workgroupSize: VJP_WG,
  prelude: common,
  body: `
  let e = flat_id(wid, nwg, lid, WG);
  if (e >= P.n) { return; }
  let dd = P.d * P.d;
  let m = e / dd;
  let i = (e % dd) / P.d;
  let j = e % P.d;
  let den = Den[m];
  DA[e] = select(0.0, DRho[m] * U[m * P.d + i] * V[m * P.d + j] / den, den > ${GUARD});`,
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

export interface PowerAttrs {
  [key: string]: unknown;
  iterations: number;
  seed: number;
  stream: number;
}

export const spectralRadiusOp: OpDef<PowerAttrs> = defineOp<PowerAttrs>({
  name: "spectralRadius",
  derivation:
    "ρ̂ = uᵀAv/(uᵀv) after T power iterations on A and Aᵀ from Philox U(0,1) starts; Ā = ρ̄·u vᵀ/(uᵀv) with u, v constant (the derivative of a simple Perron root, exact at convergence); ρ̂ := 0, Ā := 0 when uᵀv ≤ 1e-30. Saves u, v, uᵀv.",
  forward: ([A], a) => {
    if (A.rank !== 3 || A.shape[1] !== A.shape[2])
      throw new ShapeError("spectralRadius", `expected A [M, d, d], got ${fmt(A.shape)}`);
    const [M, d] = A.shape;
    const params = { M, d, iterations: a.iterations, seed: a.seed, stream: a.stream };
    const width = d > WIDE_FROM ? "wide" : "narrow";
    if (d <= WORKGROUP_MAX_D) {
      const [rho, U, V, den] = launch(forwardKernels.workgroup[width], [A], [[M], [M, d], [M, d], [M]], params);
      return { out: rho, saved: [U, V, den] };
    }
    const [rho, U, V, den, nu, nv] = launch(
      forwardKernels.storage[width],
      [A],
      [[M], [M, d], [M, d], [M], [M, d], [M, d]],
      params,
    );
    nu.dispose();
    nv.dispose();
    return { out: rho, saved: [U, V, den] };
  },
  vjp: ({ inputs: [A], saved: [U, V, den] }, dRho) => {
    const [M, d] = A.shape;
    return launch(vjpKernel, [U, V, den, dRho], [[M, d, d]], { n: M * d * d, d });
  },
  check: {
    cases: [
      {
        label: "positive 4×4, converged",
        shapes: [[2, 4, 4]],
        attrs: { iterations: 200, seed: 3, stream: 0 },
        domains: ["positive"],
      },
      {
        label: "positive 7×7, converged",
        shapes: [[1, 7, 7]],
        attrs: { iterations: 300, seed: 5, stream: 1 },
        domains: ["positive"],
      },
      {
        label: "positive 300×300 (256 lanes), converged",
        shapes: [[2, 300, 300]],
        attrs: { iterations: 20, seed: 2, stream: 3 },
        domains: ["positive"],
      },
    ],
    gradTol: 1e-5,
  },
});

export const spectralRadiusOps = { spectralRadius: spectralRadiusOp };

/** NO-BEARS ρ̂ for a batch A [M, d, d] ≥ 0 → [M]; u₀, v₀ from Philox (seed, stream). */
export const spectralRadius = (
  A: Tensor,
  { iterations = 10, seed, stream = 0 }: { iterations?: number; seed: number; stream?: number },
) => apply(spectralRadiusOp, [A], { iterations, seed, stream });
