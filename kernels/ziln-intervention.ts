/**
 * The interventional term of the hard-ZILN likelihood (spec §4 c = 3, §5), fused:
 *   b[r, n] = Σ_j I[e_n, r, j] · L^i[r, n, j],  ψ[e, r, :] = (ζ', m, λ) [3d],
 *   L^i = log ZILN(x; π = σ(ζ'), μ = m, ℓ = 2λ̃),  λ̃ = c·tanh(λ/c) (c = 0: λ̃ = λ)
 *       = −softplus(−ζ')                                        x = 0
 *       = −softplus(ζ') − log x − ½ log 2π − λ̃ − ½ z²,  z = (log x − m) e^{−λ̃}   x > 0
 * for samples x [N, d] sorted by env (env [N]; env e's rows are [start[e], start[e+1])) and
 * targets I [E, R, d]. It replaces a gather of ψ to [R, N, 3d] (whose VJP scans all N rows per
 * parameter), the ZILN log-density, a product and a reduction.
 * VJP (x is data), per (e, r, j) over env e's rows:
 *   Ī   = Σ_n b̄ L^i
 *   ζ̄'  = I Σ_n b̄ (σ(−ζ') if x = 0, −σ(ζ') if x > 0)
 *   m̄   = I Σ_{n: x>0} b̄ z e^{−λ̃}
 *   λ̄   = I Σ_{n: x>0} b̄ (z² − 1) · (1 − tanh²(λ/c))
 * recomputing L^i (nothing saved beyond the inputs).
 *
 * WGSL ziln_b_fwd: 0 X, 1 env, 2 I, 3 ψ read; 4 b [R, N] write; one invocation per (r, n),
 *   loops over j. ziln_b_vjp: 0 X, 1 start [E+1], 2 I, 3 ψ, 4 b̄ read; 5 Ī [E, R, d],
 *   6 ψ̄ [E, R, 3d] write; one invocation per (e, r, j), looping over env e's rows in order
 *   (deterministic, no atomics). Params {N, R, d, E, c}; workgroup 64.
 */
import { softplus, sigmoid } from "../engine/cpu-math.js";
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { apply } from "../engine/op.js";
import type { Tensor } from "../engine/tensor.js";
import { HALF_LOG_2PI, PARAMS, PRELUDE, WG, clampLogStd, interventionTermOp } from "./intervention-logpdf.js";

function cpuLogpdf(x: number, zeta: number, m: number, s: number): number {
  if (x === 0) return -softplus(-zeta);
  const z = (Math.log(x) - m) * Math.exp(-s);
  return -softplus(zeta) - Math.log(x) - HALF_LOG_2PI - s - 0.5 * z * z;
}

const forwardKernel = defineKernel({
  name: "ziln_intervention_b.fwd",
  entry: "ziln_b_fwd",
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
      let x = X[n * P.d + j];
      let zeta = Psi[q * 3u * P.d + j];
      if (x == 0.0) {
        acc += t * -softplus_stable(-zeta);
      } else {
        let s = clamp_log_std(Psi[q * 3u * P.d + 2u * P.d + j], P.c);
        let z = (log(x) - Psi[q * 3u * P.d + P.d + j]) * exp(-s);
        acc += t * (-softplus_stable(zeta) - log(x) - HALF_LOG_2PI - s - 0.5 * z * z);
      }
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
          const base = q * 3 * d;
          acc +=
            t * cpuLogpdf(X[n * d + j], psi[base + j], psi[base + d + j], clampLogStd(psi[base + 2 * d + j], c)[0]);
        }
        B[r * N + n] = acc;
      }
    }
  },
});

const vjpKernel = defineKernel({
  name: "ziln_intervention_b.vjp",
  entry: "ziln_b_vjp",
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
  let base = q * 3u * P.d;
  let zeta = Psi[base + j];
  let m = Psi[base + P.d + j];
  let raw = Psi[base + 2u * P.d + j];
  let s = clamp_log_std(raw, P.c);
  var ds_draw = 1.0;
  if (P.c > 0.0) { let th = tanh(raw / P.c); ds_draw = 1.0 - th * th; }
  let inv = exp(-s);
  let lz = -softplus_stable(-zeta);
  let lnz = -softplus_stable(zeta);
  let pz = sigmoid_stable(-zeta);
  let pnz = sigmoid_stable(zeta);
  var di = 0.0;
  var dz = 0.0;
  var dm = 0.0;
  var ds = 0.0;
  let first = u32(Start[e]);
  let last = u32(Start[e + 1u]);
  let r = q % P.R;
  for (var n = first; n < last; n++) {
    let g = DB[r * P.N + n];
    let x = X[n * P.d + j];
    if (x == 0.0) {
      di += g * lz;
      dz += g * pz;
    } else {
      let lx = log(x);
      let z = (lx - m) * inv;
      di += g * (lnz - lx - HALF_LOG_2PI - s - 0.5 * z * z);
      dz -= g * pnz;
      dm += g * z * inv;
      ds += g * (z * z - 1.0);
    }
  }
  let t = I[i];
  DI[i] = di;
  DPsi[base + j] = t * dz;
  DPsi[base + P.d + j] = t * dm;
  DPsi[base + 2u * P.d + j] = t * ds * ds_draw;`,
  workgroups: (p) => groupsFor(p.E * p.R * p.d, WG),
  cpu: ([X, start, I, psi, dB], [dI, dPsi], { N, R, d, E, c }) => {
    for (let i = 0; i < E * R * d; i++) {
      const j = i % d;
      const q = Math.floor(i / d);
      const e = Math.floor(q / R);
      const r = q % R;
      const base = q * 3 * d;
      const zeta = psi[base + j];
      const m = psi[base + d + j];
      const [s, dsDraw] = clampLogStd(psi[base + 2 * d + j], c);
      const inv = Math.exp(-s);
      let di = 0;
      let dz = 0;
      let dm = 0;
      let ds = 0;
      for (let n = start[e]; n < start[e + 1]; n++) {
        const g = dB[r * N + n];
        const x = X[n * d + j];
        di += g * cpuLogpdf(x, zeta, m, s);
        if (x === 0) {
          dz += g * sigmoid(-zeta);
          continue;
        }
        const z = (Math.log(x) - m) * inv;
        dz -= g * sigmoid(zeta);
        dm += g * z * inv;
        ds += g * (z * z - 1);
      }
      dI[i] = di;
      dPsi[base + j] = I[i] * dz;
      dPsi[base + d + j] = I[i] * dm;
      dPsi[base + 2 * d + j] = I[i] * ds * dsDraw;
    }
  },
});

export const zilnInterventionBOp = interventionTermOp({
  name: "zilnInterventionB",
  derivation:
    "b[r,n] = Σ_j I[e_n,r,j]·log ZILN(x[n,j]; σ(ζ'), m, e^{2λ̃}), ψ = (ζ', m, λ), λ̃ = c·tanh(λ/c); Ī = Σ_{n∈e} b̄ L^i, ζ̄' = I Σ b̄ (σ(−ζ') at x = 0, −σ(ζ') at x > 0), m̄ = I Σ_{x>0} b̄ z e^{−λ̃}, λ̄ = I Σ_{x>0} b̄ (z²−1)(1 − tanh²(λ/c)), z = (log x − m)e^{−λ̃}. Nothing saved.",
  width: 3,
  forward: forwardKernel,
  vjp: vjpKernel,
  cases: [
    {
      label: "3 envs, sorted rows, zeros in x, clamp 2",
      shapes: [[6, 3], [6], [4], [3, 2, 3], [3, 2, 9]],
      attrs: { clamp: 2 },
      domains: [{ values: [0, 0.4, 1.7, 3.1] }, { fixed: [0, 0, 1, 1, 1, 2] }, { fixed: [0, 2, 5, 6] }, "unit", "real"],
    },
    {
      label: "no clamp",
      shapes: [[4, 2], [4], [3], [2, 3, 2], [2, 3, 6]],
      attrs: { clamp: 0 },
      domains: [{ values: [0, 0.6, 2.2] }, { fixed: [0, 1, 1, 1] }, { fixed: [0, 1, 4] }, "unit", "real"],
    },
  ],
});

export const zilnInterventionOps = { zilnInterventionB: zilnInterventionBOp };

/** b [R, N] of the hard-ZILN likelihood, ψ = (ζ', m, λ) unclamped; see the file comment. */
export const zilnInterventionB = (X: Tensor, env: Tensor, start: Tensor, I: Tensor, psi: Tensor, clamp: number) =>
  apply(zilnInterventionBOp, [X, env, start, I, psi], { clamp });
