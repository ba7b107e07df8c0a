/**
 * The interventional term of the hard-intervention likelihood (spec §4 eq 14, §5), fused:
 *   b[r, n] = Σ_j I[e_n, r, j] · L^i[r, n, j],
 *   L^i[r, n, j] = log N(x[n, j]; m[e_n, r, j], e^{2λ[e_n, r, j]})
 *               = −½ log 2π − λ − ½ z²,  z = (x − m) e^{−λ}
 * for samples x [N, d] sorted by env (env [N], env e's rows are [start[e], start[e+1])),
 * targets I [E, R, d], means m [E, R, d] and log-stds λ [E, R, d]. It replaces a gather of the
 * per-env parameters to [R, N, d], a log-density, a product and a reduction (and their VJPs).
 * VJP (x is data):
 *   Ī[e, r, j] = Σ_{n ∈ e} b̄[r, n] L^i[r, n, j]
 *   m̄[e, r, j] = Σ_{n ∈ e} b̄[r, n] I (x − m) e^{−2λ}
 *   λ̄[e, r, j] = Σ_{n ∈ e} b̄[r, n] I (z² − 1)
 * recomputing L^i (nothing saved beyond the inputs).
 *
 * WGSL hard_b_fwd: 0 X, 1 env, 2 I, 3 m, 4 λ read; 5 b [R, N] write; one invocation per (r, n),
 *   loops over j; params {N, R, d, E}. hard_b_vjp: 0 X, 1 start [E+1], 2 I, 3 m, 4 λ, 5 b̄ read;
 *   6 Ī, 7 m̄, 8 λ̄ [E, R, d] write; one invocation per (e, r, j), looping over env e's rows in
 *   order (deterministic, no atomics). Workgroup 64.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { apply, defineOp, launch } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";

const WG = 64;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
const PARAMS = [
  ["N", "u32"],
  ["R", "u32"],
  ["d", "u32"],
  ["E", "u32"],
] as [string, "u32"][];
const PRELUDE = `${common}
const HALF_LOG_2PI: f32 = ${HALF_LOG_2PI};`;

const forwardKernel = defineKernel({
  name: "hard_intervention_b.fwd",
  entry: "hard_b_fwd",
  inputs: ["X", "Env", "I", "Mean", "LogStd"],
  outputs: ["B"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.R * P.N) { return; }
  let r = i / P.N;
  let n = i % P.N;
  let e = u32(Env[n]);
  let q = (e * P.R + r) * P.d;
  var acc = 0.0;
  for (var j = 0u; j < P.d; j++) {
    let t = I[q + j];
    if (t != 0.0) {
      let s = LogStd[q + j];
      let z = (X[n * P.d + j] - Mean[q + j]) * exp(-s);
      acc += t * (-HALF_LOG_2PI - s - 0.5 * z * z);
    }
  }
  B[i] = acc;`,
  workgroups: (p) => groupsFor(p.R * p.N, WG),
  cpu: ([X, env, I, mean, logStd], [B], { N, R, d }) => {
    for (let r = 0; r < R; r++) {
      for (let n = 0; n < N; n++) {
        const q = (env[n] * R + r) * d;
        let acc = 0;
        for (let j = 0; j < d; j++) {
          const t = I[q + j];
          if (t === 0) continue;
          const s = logStd[q + j];
          const z = (X[n * d + j] - mean[q + j]) * Math.exp(-s);
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
  inputs: ["X", "Start", "I", "Mean", "LogStd", "DB"],
  outputs: ["DI", "DM", "DS"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.E * P.R * P.d) { return; }
  let j = i % P.d;
  let r = (i / P.d) % P.R;
  let e = i / (P.d * P.R);
  let t = I[i];
  let m = Mean[i];
  let s = LogStd[i];
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
  DI[i] = di;
  DM[i] = t * dm;
  DS[i] = t * ds;`,
  workgroups: (p) => groupsFor(p.E * p.R * p.d, WG),
  cpu: ([X, start, I, mean, logStd, dB], [dI, dM, dS], { N, R, d, E }) => {
    for (let i = 0; i < E * R * d; i++) {
      const j = i % d;
      const r = Math.floor(i / d) % R;
      const e = Math.floor(i / (d * R));
      const inv = Math.exp(-logStd[i]);
      let di = 0;
      let dm = 0;
      let ds = 0;
      for (let n = start[e]; n < start[e + 1]; n++) {
        const g = dB[r * N + n];
        const z = (X[n * d + j] - mean[i]) * inv;
        di += g * (-HALF_LOG_2PI - logStd[i] - 0.5 * z * z);
        dm += g * z * inv;
        ds += g * (z * z - 1);
      }
      dI[i] = di;
      dM[i] = I[i] * dm;
      dS[i] = I[i] * ds;
    }
  },
});

function dims(X: Tensor, env: Tensor, start: Tensor, I: Tensor, mean: Tensor, logStd: Tensor) {
  const [N, d] = X.shape;
  const [E, R, dI] = I.shape;
  const ok =
    X.rank === 2 &&
    env.size === N &&
    start.size === E + 1 &&
    I.rank === 3 &&
    dI === d &&
    [mean, logStd].every((t) => t.shape.join() === I.shape.join());
  if (!ok) {
    throw new ShapeError(
      "hardInterventionB",
      `expected X [N, d], env [N], start [E+1], I/m/λ [E, R, d]; got ${[X, env, start, I, mean, logStd].map((t) => fmt(t.shape)).join(", ")}`,
    );
  }
  return { N, R, d, E };
}

type NoAttrs = Record<string, never>;

export const hardInterventionBOp = defineOp<NoAttrs>({
  name: "hardInterventionB",
  derivation:
    "b[r,n] = Σ_j I[e_n,r,j]·log N(x[n,j]; m[e_n,r,j], e^{2λ}); Ī = Σ_{n∈e} b̄ L^i, m̄ = Σ_{n∈e} b̄ I (x−m)e^{−2λ}, λ̄ = Σ_{n∈e} b̄ I (z²−1), z = (x−m)e^{−λ}. Nothing saved.",
  forward: ([X, env, start, I, mean, logStd]) => {
    const p = dims(X, env, start, I, mean, logStd);
    return { out: launch(forwardKernel, [X, env, I, mean, logStd], [[p.R, p.N]], p)[0] };
  },
  vjp: ({ inputs: [X, env, start, I, mean, logStd] }, dB) => {
    const p = dims(X, env, start, I, mean, logStd);
    const [dI, dM, dS] = launch(vjpKernel, [X, start, I, mean, logStd, dB], [I.shape, I.shape, I.shape], p);
    return [null, null, null, dI, dM, dS];
  },
  check: {
    nondiff: [0, 1, 2],
    cases: [
      {
        label: "3 envs, sorted rows",
        shapes: [[6, 3], [6], [4], [3, 2, 3], [3, 2, 3], [3, 2, 3]],
        attrs: {},
        domains: ["real", { fixed: [0, 0, 1, 1, 1, 2] }, { fixed: [0, 2, 5, 6] }, "unit", "real", "real"],
      },
    ],
  },
});

export const interventionLogpdfOps = { hardInterventionB: hardInterventionBOp };

/** b [R, N] of the hard-intervention likelihood; see the file comment. */
export const hardInterventionB = (X: Tensor, env: Tensor, start: Tensor, I: Tensor, mean: Tensor, logStd: Tensor) =>
  apply(hardInterventionBOp, [X, env, start, I, mean, logStd], {});
