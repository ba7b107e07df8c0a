/**
 * Pair contraction + logsumexp over intervention samples (spec §5 "Efficient evaluation"):
 *   y[m,n] = LSE_r Λ[m,r,n] − log R,   Λ[m,r,n] = a[m,n] + b[r,n] + Σ_j P[m,n,j] Q[e_n, r, j],
 * a [M,N], b [R,N], P [M,N,d], Q [E,R,d], env [N] (e_n, float-coded integers in [0, E), no gradient).
 * Hard interventions: a = 0, b[r,n] = Σ_j I L^i, P = L^o, Q = 1 − I (gim/model/likelihood.ts). Shift: P = ρ/σ², Q = I δ,
 * b = −Σ_j I δ²/(2σ²). The observational env has Q = 0, b = 0, so y = a. The M×R×N tensor Λ is
 * never stored: each kernel recomputes its slice (O(M R N d)).
 *
 * VJP, with w[m,r,n] = softmax_r Λ = exp(Λ − y − log R) (the saved output y is the normaliser):
 *   ā = ȳ;  b̄[r,n] = Σ_m ȳ w;  P̄[m,n,j] = ȳ Σ_r w Q[e_n,r,j];  Q̄[e,r,j] = Σ_{m, n: e_n = e} ȳ w P[m,n,j].
 *
 * Kernels (WGSL generated per (R, d); pair-logsumexp-wgsl.ts has the layout and its reasons):
 *   table:  env → T: each env's sample range (one workgroup per env) and a copy of env, then
 *           scan: the workgroup chunks; saved for the VJP (3E + 1 + N floats).
 *   fwd:    a, b, P, Q, T → y. A workgroup = L samples of one env (chunkLanes), Q[e] in registers.
 *   prep:   a, y, ȳ → cd [M,N,2] = (a − y − log R, ȳ), so bwd fits in eight bindings.
 *   bwd:    cd, b, P, Q, T → P̄ [M,N,d], b̄ [R,N], G [N,R,d] = Σ_m ȳ w P (per-sample Q̄ terms).
 *   reduce: G, T → Q̄[e] = Σ_{n in e} G[n] (fixed order: deterministic, no atomics).
 * Samples must be grouped by env (what the trainer passes: whole data, row blocks and stratified
 * minibatches all are): the grid has ⌈N/L⌉ + E workgroups, enough for each env's chunks only when
 * its samples are contiguous — an env whose samples are spread over more chunks than that would
 * leave some unread. Only the gradients asked for are computed (compile-time flags).
 */
import { type Kernel, defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import {
  type BwdFlags,
  LANES,
  bwdSource,
  fwdSource,
  prepSource,
  reduceSource,
  scanSource,
  tableSource,
} from "./pair-logsumexp-wgsl.js";

type Dims = { M: number; N: number; R: number; d: number; E: number; logR: number; lanes: number };
const PARAMS = [
  ["M", "u32"],
  ["N", "u32"],
  ["E", "u32"],
  ["logR", "f32"],
] as const;

/** Λ[m,r,n] + shift, the reference every cpu loop below shares. */
function lambda(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  e: number,
  { N, R, d }: Dims,
  m: number,
  r: number,
  n: number,
): number {
  let l = a[m * N + n] + b[r * N + n];
  for (let j = 0; j < d; j++) l += p[(m * N + n) * d + j] * q[(e * R + r) * d + j];
  return l;
}

/** The env of sample n, from the table's copy. */
const envOf = (t: ArrayLike<number>, E: number, n: number) => t[3 * E + 1 + n];

const cache = new Map<string, Kernel>();
function memo(key: string, make: () => Kernel): Kernel {
  let k = cache.get(key);
  if (!k) cache.set(key, (k = make()));
  return k;
}

const tableKernel = defineKernel({
  name: "pair_logsumexp.table",
  entry: "pair_table",
  ...tableSource,
  params: PARAMS,
  workgroupSize: LANES,
  workgroups: (p) => p.E,
  cpu: ([env], [t], { N, E }) => {
    for (let e = 0; e < E; e++) {
      let lo = N;
      let hi = 0;
      for (let n = 0; n < N; n++) if (env[n] === e) [lo, hi] = [Math.min(lo, n), n + 1];
      t[2 * e] = Math.min(lo, hi);
      t[2 * e + 1] = hi;
    }
    for (let n = 0; n < N; n++) t[3 * E + 1 + n] = env[n];
  },
});

/**
 * The chunk width L of fwd and bwd: the smallest power of two from 8 to 32 that holds an env's
 * samples on average. A chunk belongs to one env, so at 64 lanes a minibatch of ~12 rows per env
 * (B = 1,024 over 81 envs) left 80 % of the lanes idle; 8 lanes are one SIMD vector on lavapipe.
 * Full batches of ~100 rows per env measured 4–10 % faster at 32 lanes than at 64 (bench/RESULTS.md).
 */
const MAX_CHUNK_LANES = 32;
export function chunkLanes(N: number, E: number): number {
  const perEnv = Math.ceil(N / Math.max(1, E));
  let lanes = 8;
  while (lanes < perEnv && lanes < MAX_CHUNK_LANES) lanes *= 2;
  return lanes;
}

const scanKernel = (lanes: number) =>
  memo(`scan ${lanes}`, () =>
    defineKernel({
      name: `pair_logsumexp.table_scan.L${lanes}`,
      entry: "pair_table_scan",
      ...scanSource(lanes),
      params: PARAMS,
      workgroupSize: LANES,
      workgroups: () => 1,
      cpu: (_, [t], { E }) => {
        let cs = 0;
        for (let e = 0; e < E; e++) {
          t[2 * E + e] = cs;
          cs += Math.ceil((t[2 * e + 1] - t[2 * e]) / lanes);
        }
        t[3 * E] = cs;
      },
    }),
  );

/** The env table T (pair-logsumexp-wgsl.ts): ranges by the table kernel, then the chunk starts by the scan. */
function envTable(env: Tensor, dims: Dims): Tensor {
  const table = launch1(tableKernel, [env], [3 * dims.E + 1 + dims.N], dims);
  table.backend.run(scanKernel(dims.lanes), [], [table.storage], dims);
  return table;
}

const chunkGroups = (lanes: number) => (p: { N: number; E: number }) => groupsFor(p.N, lanes) + p.E;

const fwdKernel = (R: number, d: number, lanes: number) =>
  memo(`fwd ${R} ${d} ${lanes}`, () =>
    defineKernel({
      name: `pair_logsumexp.fwd.R${R}.d${d}.L${lanes}`,
      entry: "pair_fwd",
      ...fwdSource(R, d),
      params: PARAMS,
      workgroupSize: lanes,
      workgroups: chunkGroups(lanes),
      cpu: ([a, b, p, q, t], [y], params) => {
        const dims = { ...(params as Dims), R, d };
        const { M, N, E, logR } = dims;
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            const l = Array.from({ length: R }, (_, r) => lambda(a, b, p, q, envOf(t, E, n), dims, m, r, n));
            const top = Math.max(...l);
            y[m * N + n] = top + Math.log(l.reduce((s, v) => s + Math.exp(v - top), 0)) - logR;
          }
      },
    }),
  );

const prepKernel = defineKernel({
  name: "pair_logsumexp.prep",
  entry: "pair_prep",
  ...prepSource,
  params: PARAMS,
  workgroupSize: LANES,
  workgroups: (p) => groupsFor(p.M * p.N, LANES),
  cpu: ([a, y, dy], [cd], { M, N, logR }) => {
    for (let t = 0; t < M * N; t++) {
      cd[2 * t] = a[t] - y[t] - logR;
      cd[2 * t + 1] = dy[t];
    }
  },
});

const bwdKernel = (R: number, d: number, want: BwdFlags, lanes: number) =>
  memo(`bwd ${R} ${d} ${want.p} ${want.b} ${want.q} ${lanes}`, () =>
    defineKernel({
      name: `pair_logsumexp.bwd.R${R}.d${d}.L${lanes}`,
      entry: "pair_bwd",
      ...bwdSource(R, d, want),
      params: PARAMS,
      workgroupSize: lanes,
      workgroups: chunkGroups(lanes),
      // cd = (a − y − log R, ȳ), so lambda(c, …) = Λ − y − log R = log w.
      cpu: ([cd, b, p, q, t], [dp, db, g], params) => {
        const dims = { ...(params as Dims), R, d };
        const { M, N, E } = dims;
        if (want.p) dp.fill(0);
        if (want.b) db.fill(0);
        if (want.q) g.fill(0);
        const c = Float64Array.from({ length: M * N }, (_, k) => cd[2 * k]);
        for (let m = 0; m < M; m++)
          for (let n = 0; n < N; n++) {
            const e = envOf(t, E, n);
            for (let r = 0; r < R; r++) {
              const v = cd[2 * (m * N + n) + 1] * Math.exp(lambda(c, b, p, q, e, dims, m, r, n));
              if (want.b) db[r * N + n] += v;
              for (let j = 0; j < d; j++) {
                if (want.p) dp[(m * N + n) * d + j] += v * q[(e * R + r) * d + j];
                if (want.q) g[(n * R + r) * d + j] += v * p[(m * N + n) * d + j];
              }
            }
          }
      },
    }),
  );

const reduceKernel = (R: number, d: number) =>
  memo(`reduce ${R} ${d}`, () =>
    defineKernel({
      name: `pair_logsumexp.reduce.R${R}.d${d}`,
      entry: "pair_reduce",
      ...reduceSource(R * d),
      params: PARAMS,
      workgroupSize: LANES,
      workgroups: (p) => [Math.ceil((R * d) / LANES), p.E, 1],
      cpu: ([g, t], [dq], { E }) => {
        const rd = R * d;
        for (let e = 0; e < E; e++)
          for (let k = 0; k < rd; k++) {
            let s = 0;
            for (let n = t[2 * e]; n < t[2 * e + 1]; n++) if (envOf(t, E, n) === e) s += g[n * rd + k];
            dq[e * rd + k] = s;
          }
      },
    }),
  );

function dimsOf(a: Tensor, b: Tensor, p: Tensor, q: Tensor, env: Tensor): Dims {
  const [M, N] = a.shape;
  const [E, R, d] = q.shape;
  const ok =
    a.rank === 2 &&
    b.rank === 2 &&
    b.shape[0] === R &&
    b.shape[1] === N &&
    p.rank === 3 &&
    p.shape[0] === M &&
    p.shape[1] === N &&
    p.shape[2] === d &&
    q.rank === 3 &&
    env.rank === 1 &&
    env.shape[0] === N;
  if (!ok) {
    const got = [a, b, p, q, env].map((t) => fmt(t.shape)).join(", ");
    throw new ShapeError("pairLogsumexp", `expected a [M,N], b [R,N], P [M,N,d], Q [E,R,d], env [N]; got ${got}`);
  }
  if (R === 0 || E === 0 || d === 0) throw new ShapeError("pairLogsumexp", `needs R, E, d ≥ 1; got Q ${fmt(q.shape)}`);
  return { M, N, R, d, E, logR: Math.log(R), lanes: chunkLanes(N, E) };
}

type NoAttrs = Record<string, never>;

/** env [Σ counts], grouped: counts[e] samples of env e in turn. */
const sortedEnvs = (counts: number[]) => counts.flatMap((c, e) => new Array<number>(c).fill(e));

export const pairLogsumexpOp: OpDef<NoAttrs> = defineOp<NoAttrs>({
  name: "pairLogsumexp",
  derivation:
    "y[m,n] = LSE_r(a[m,n] + b[r,n] + Σ_j P[m,n,j] Q[e_n,r,j]) − log R. With w = softmax_r Λ = exp(Λ − y − log R): " +
    "ā = ȳ, b̄[r,n] = Σ_m ȳ w, P̄[m,n,:] = ȳ Σ_r w Q[e_n,r,:], Q̄[e,r,:] = Σ_{m, n∈e} ȳ w P[m,n,:]. " +
    "Saves y (the output) and the env table; w is recomputed in the backward kernel, never stored (it is M×R×N).",
  forward: ([a, b, p, q, env]) => {
    const dims = dimsOf(a, b, p, q, env);
    const table = envTable(env, dims);
    const out = launch1(fwdKernel(dims.R, dims.d, dims.lanes), [a, b, p, q, table], [dims.M, dims.N], dims);
    return { out, saved: [table] };
  },
  vjp: ({ inputs: [a, b, p, q, env], out, saved: [table], needsGrad }, dy) => {
    const dims = dimsOf(a, b, p, q, env);
    const { M, N, R, d } = dims;
    const want = { b: needsGrad[1], p: needsGrad[2], q: needsGrad[3] };
    if (!want.b && !want.p && !want.q) return [needsGrad[0] ? dy : null, null, null, null, null];
    const cd = launch1(prepKernel, [a, out, dy], [M, N, 2], dims);
    const shapes = [want.p ? p.shape : [1], want.b ? b.shape : [1], want.q ? [N, R, d] : [1]];
    const [dp, db, g] = launch(bwdKernel(R, d, want, dims.lanes), [cd, b, p, q, table], shapes, dims);
    cd.dispose();
    const dq = want.q ? launch1(reduceKernel(R, d), [g, table], q.shape, dims) : null;
    g.dispose();
    if (!want.p) dp.dispose();
    if (!want.b) db.dispose();
    return [needsGrad[0] ? dy : null, want.b ? db : null, want.p ? dp : null, dq, null];
  },
  check: {
    nondiff: [4],
    cases: [
      {
        label: "two envs",
        shapes: [[3, 6], [4, 6], [3, 6, 3], [2, 4, 3], [6]],
        attrs: {},
        domains: ["real", "real", "real", "real", { ints: 2 }],
      },
      {
        label: "three envs, ragged",
        shapes: [[2, 7], [5, 7], [2, 7, 2], [3, 5, 2], [7]],
        attrs: {},
        domains: ["real", "real", "real", "real", { ints: 3 }],
      },
      {
        label: "several r blocks",
        shapes: [[2, 5], [12, 5], [2, 5, 60], [2, 12, 60], [5]],
        attrs: {},
        domains: ["real", "real", "unit", "unit", { ints: 2 }],
      },
      {
        label: "16-lane chunks, an env of 20 samples over two",
        shapes: [[2, 24], [3, 24], [2, 24, 3], [2, 3, 3], [24]],
        attrs: {},
        domains: ["real", "real", "real", "real", { fixed: sortedEnvs([20, 4]) }],
      },
      {
        label: "32-lane chunks, an env over several chunks",
        shapes: [[2, 150], [3, 150], [2, 150, 2], [2, 3, 2], [150]],
        attrs: {},
        domains: ["real", "real", "real", "real", { fixed: sortedEnvs([90, 60]) }],
      },
      {
        label: "one intervention sample, one env",
        shapes: [[2, 4], [1, 4], [2, 4, 3], [1, 1, 3], [4]],
        attrs: {},
        domains: ["real", "real", "real", "real", { ints: 1 }],
      },
    ],
  },
});

/**
 * y[m,n] = LSE_r(a[m,n] + b[r,n] + Σ_j P[m,n,j] Q[env[n],r,j]) − log R without materialising Λ.
 * env holds each sample's environment index as a float, the samples grouped by env (each env's
 * samples contiguous; the GPU kernels' grid assumes it — see the file header).
 */
export const pairLogsumexp = (a: Tensor, b: Tensor, p: Tensor, q: Tensor, env: Tensor) =>
  apply(pairLogsumexpOp, [a, b, p, q, env], {});

export const pairLogsumexpOps = { pairLogsumexp: pairLogsumexpOp };
