/**
 * The interventional term of the hard-intervention likelihood (spec §4 eq 14, §5), fused:
 *   b[r, n] = Σ_j I[e_n, r, j] · L^i[r, n, j],  ψ[e, r, :] = (m, λ) [2d],
 *   L^i[r, n, j] = log N(x[n, j]; m, e^{2λ̃}),  λ̃ = c·tanh(λ/c) (c = 0: λ̃ = λ; spec §4, rev. §13)
 *               = −½ log 2π − λ̃ − ½ z²,  z = (x − m) e^{−λ̃}
 * for samples x [N, d] sorted by env (env [N], env e's rows are [start[e], start[e+1])) and
 * targets I [E, R, d]. It replaces slicing ψ into m and λ, the clamp's three elementwise ops, a
 * gather of the per-env parameters to [R, N, d], a log-density, a product and a reduction (and
 * all their VJPs).
 * VJP (x is data), per (e, r, j) over env e's rows:
 *   Ī = Σ_n b̄ L^i
 *   m̄ = I Σ_n b̄ z e^{−λ̃}
 *   λ̄ = I Σ_n b̄ (z² − 1) · (1 − tanh²(λ/c))
 * recomputing L^i (nothing saved beyond the inputs).
 *
 * WGSL hard_b_fwd: 0 X, 1 env, 2 I, 3 ψ read; 4 b [R, N] write; one invocation per (r, n),
 *   loops over j. hard_b_vjp: 0 X, 1 start [E+1], 2 I, 3 ψ, 4 b̄ read; 5 Ī [E, R, d],
 *   6 ψ̄ [E, R, 2d] write; one invocation per (e, r, j), looping over env e's rows in order
 *   (deterministic, no atomics). Params {N, R, d, E, c}; workgroup 64.
 * The op around the two kernels (interventionTermOp) and the kernels' shared prelude also serve
 * the hard-ZILN term (kernels/ziln-intervention.ts), which differs only in its density.
 */
import { type Kernel, defineKernel, groupsFor } from "../engine/kernel.js";
import { type CheckCase, type OpDef, apply, defineOp, launch } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";

export const WG = 64;
export const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
export const PARAMS = [
  ["N", "u32"],
  ["R", "u32"],
  ["d", "u32"],
  ["E", "u32"],
  ["c", "f32"],
] as [string, "u32" | "f32"][];
/** λ̃ = c·tanh(λ/c) in WGSL (c = 0: λ), shared with kernels/ziln-intervention.ts. */
export const CLAMP_LOG_STD_WGSL = `fn clamp_log_std(s: f32, c: f32) -> f32 { if (c > 0.0) { return c * tanh(s / c); } return s; }`;
/** Shared by both intervention terms' kernels: common.wgsl, ½ log 2π and clamp_log_std. */
export const PRELUDE = `${common}
const HALF_LOG_2PI: f32 = ${HALF_LOG_2PI};
${CLAMP_LOG_STD_WGSL}`;

/** λ̃ and dλ̃/dλ (the host twin of clamp_log_std). */
export function clampLogStd(s: number, c: number): [number, number] {
  if (c <= 0) return [s, 1];
  const t = Math.tanh(s / c);
  return [c * t, 1 - t * t];
}

const forwardKernel = defineKernel({
  name: "hard_intervention_b.fwd",
  entry: "hard_b_fwd",
  inputs: ["X", "Env", "I", "Psi"],
  outputs: ["B"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.R * P.N) { return; }
  let r = i / P.N;
  let n = i % P.N;
  let q = u32(Env[n]) * P.R + r;
  var acc = 0.0;
  for (var j = 0u; j < P.d; j++) {
    let t = I[q * P.d + j];
    if (t != 0.0) {
      let s = clamp_log_std(Psi[q * 2u * P.d + P.d + j], P.c);
      let z = (X[n * P.d + j] - Psi[q * 2u * P.d + j]) * exp(-s);
      acc += t * (-HALF_LOG_2PI - s - 0.5 * z * z);
    }
  }
  B[i] = acc;`,
  workgroups: (p) => groupsFor(p.R * p.N, WG),
  cpu: ([X, env, I, psi], [B], { N, R, d, c }) => {
    for (let r = 0; r < R; r++) {
      for (let n = 0; n < N; n++) {
        const q = env[n] * R + r;
        let acc = 0;
        for (let j = 0; j < d; j++) {
          const t = I[q * d + j];
          if (t === 0) continue;
          const [s] = clampLogStd(psi[q * 2 * d + d + j], c);
          const z = (X[n * d + j] - psi[q * 2 * d + j]) * Math.exp(-s);
          acc += t * (-HALF_LOG_2PI - s - 0.5 * z * z);
        }
        B[r * N + n] = acc;
      }
    }
  },
});

const vjpKernel = defineKernel({
  name: "hard_intervention_b.vjp",
  entry: "hard_b_vjp",
  inputs: ["X", "Start", "I", "Psi", "DB"],
  outputs: ["DI", "DPsi"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.E * P.R * P.d) { return; }
  let j = i % P.d;
  let q = i / P.d;
  let e = q / P.R;
  let r = q % P.R;
  let base = q * 2u * P.d;
  let m = Psi[base + j];
  let raw = Psi[base + P.d + j];
  let s = clamp_log_std(raw, P.c);
  var ds_draw = 1.0;
  if (P.c > 0.0) { let th = tanh(raw / P.c); ds_draw = 1.0 - th * th; }
  let inv = exp(-s);
  var di = 0.0;
  var dm = 0.0;
  var ds = 0.0;
  let first = u32(Start[e]);
  let last = u32(Start[e + 1u]);
  for (var n = first; n < last; n++) {
    let g = DB[r * P.N + n];
    let z = (X[n * P.d + j] - m) * inv;
    di += g * (-HALF_LOG_2PI - s - 0.5 * z * z);
    dm += g * z * inv;
    ds += g * (z * z - 1.0);
  }
  let t = I[i];
  DI[i] = di;
  DPsi[base + j] = t * dm;
  DPsi[base + P.d + j] = t * ds * ds_draw;`,
  workgroups: (p) => groupsFor(p.E * p.R * p.d, WG),
  cpu: ([X, start, I, psi, dB], [dI, dPsi], { N, R, d, E, c }) => {
    for (let i = 0; i < E * R * d; i++) {
      const j = i % d;
      const q = Math.floor(i / d);
      const e = Math.floor(q / R);
      const r = q % R;
      const base = q * 2 * d;
      const m = psi[base + j];
      const [s, dsDraw] = clampLogStd(psi[base + d + j], c);
      const inv = Math.exp(-s);
      let di = 0;
      let dm = 0;
      let ds = 0;
      for (let n = start[e]; n < start[e + 1]; n++) {
        const g = dB[r * N + n];
        const z = (X[n * d + j] - m) * inv;
        di += g * (-HALF_LOG_2PI - s - 0.5 * z * z);
        dm += g * z * inv;
        ds += g * (z * z - 1);
      }
      dI[i] = di;
      dPsi[base + j] = I[i] * dm;
      dPsi[base + d + j] = I[i] * ds * dsDraw;
    }
  },
});

export interface Attrs {
  [key: string]: number;
  clamp: number;
}

/**
 * The op of an intervention term b [R, N] from X [N, d], env [N], start [E+1], I [E, R, d] and
 * ψ [E, R, width·d] (clamp in the attrs): the forward kernel reads X, env, I, ψ; the VJP kernel
 * X, start, I, ψ, b̄ and writes Ī and ψ̄. Declared once for the hard and the hard-ZILN term.
 */
export function interventionTermOp(spec: {
  name: string;
  derivation: string;
  width: number;
  forward: Kernel;
  vjp: Kernel;
  cases: readonly [CheckCase<Attrs>, ...CheckCase<Attrs>[]];
}): OpDef<Attrs> {
  const dims = (X: Tensor, env: Tensor, start: Tensor, I: Tensor, psi: Tensor, c: number) => {
    const [N, d] = X.shape;
    const [E, R, dI] = I.shape;
    const ok =
      X.rank === 2 &&
      env.size === N &&
      start.size === E + 1 &&
      I.rank === 3 &&
      dI === d &&
      psi.shape.join() === [E, R, spec.width * d].join();
    if (!ok) {
      const got = [X, env, start, I, psi].map((t) => fmt(t.shape)).join(", ");
      throw new ShapeError(
        spec.name,
        `expected X [N, d], env [N], start [E+1], I [E, R, d], ψ [E, R, ${spec.width}d]; got ${got}`,
      );
    }
    return { N, R, d, E, c };
  };
  return defineOp<Attrs>({
    name: spec.name,
    derivation: spec.derivation,
    forward: ([X, env, start, I, psi], { clamp }) => {
      const p = dims(X, env, start, I, psi, clamp);
      return { out: launch(spec.forward, [X, env, I, psi], [[p.R, p.N]], p)[0] };
    },
    vjp: ({ inputs: [X, env, start, I, psi], attrs }, dB) => {
      const p = dims(X, env, start, I, psi, attrs.clamp);
      const [dI, dPsi] = launch(spec.vjp, [X, start, I, psi, dB], [I.shape, psi.shape], p);
      return [null, null, null, dI, dPsi];
    },
    check: { nondiff: [0, 1, 2], cases: spec.cases },
  });
}

export const hardInterventionBOp = interventionTermOp({
  name: "hardInterventionB",
  derivation:
    "b[r,n] = Σ_j I[e_n,r,j]·log N(x[n,j]; m, e^{2λ̃}), ψ = (m, λ), λ̃ = c·tanh(λ/c); Ī = Σ_{n∈e} b̄ L^i, m̄ = I Σ_{n∈e} b̄ z e^{−λ̃}, λ̄ = I Σ_{n∈e} b̄ (z²−1)(1 − tanh²(λ/c)), z = (x−m)e^{−λ̃}. Nothing saved.",
  width: 2,
  forward: forwardKernel,
  vjp: vjpKernel,
  cases: [
    {
      label: "3 envs, sorted rows, clamp 2",
      shapes: [[6, 3], [6], [4], [3, 2, 3], [3, 2, 6]],
      attrs: { clamp: 2 },
      domains: ["real", { fixed: [0, 0, 1, 1, 1, 2] }, { fixed: [0, 2, 5, 6] }, "unit", "real"],
    },
    {
      label: "no clamp",
      shapes: [[4, 2], [4], [3], [2, 3, 2], [2, 3, 4]],
      attrs: { clamp: 0 },
      domains: ["real", { fixed: [0, 1, 1, 1] }, { fixed: [0, 1, 4] }, "unit", "real"],
    },
  ],
});

export const interventionLogpdfOps = { hardInterventionB: hardInterventionBOp };

/** b [R, N] of the hard-intervention likelihood, ψ = (m, λ) unclamped; see the file comment. */
export const hardInterventionB = (X: Tensor, env: Tensor, start: Tensor, I: Tensor, psi: Tensor, clamp: number) =>
  apply(hardInterventionBOp, [X, env, start, I, psi], { clamp });
