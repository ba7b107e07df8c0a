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
 *           scan: the workgroup chunks (3E + 1 + N floats), an input of the op. pairLogsumexp
 *           runs these two only when the caller has no T (pairEnvTable makes the same numbers on
 *           the host, once per dataset: what the trainer passes).
 *   fwd:    a, b, P, Q, T → y. A workgroup = L samples of one env (chunkLanes), Q[e] in registers.
 *   prep:   a, y, ȳ → cd [M,N,2] = (a − y − log R, ȳ), so bwd fits in eight bindings.
 *           With sumRows (the op's output Σ_n y [M], y saved) it reads ȳ[m] for every n: the
 *           likelihood's sum over samples costs its VJP no broadcast copy.
 *   bwd:    cd, b, P, Q, T → P̄ [M,N,d], b̄ [R,N], G [N,R,d] = Σ_m ȳ w P (per-sample Q̄ terms).
 *   reduce: G, T → Q̄[e] = Σ_{n in e} G[n] (fixed order: deterministic, no atomics).
 * Samples must be grouped by env (what the trainer passes: whole data, row blocks and stratified
 * minibatches all are): the grid has ⌈N/L⌉ + E workgroups, enough for each env's chunks only when
 * its samples are contiguous — an env whose samples are spread over more chunks than that would
 * leave some unread. Only the gradients asked for are computed (compile-time flags).
 */
import { defineKernel, groupsFor, kernelCache } from "../engine/kernel.js";
import { type CheckCase, type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import { sumToShape } from "./elementwise-binary.js";
import { broadcastTo } from "./shape-ops.js";
import {
  BUDGET,
  type BwdFlags,
  LANES,
  bwdSource,
  fwdSource,
  prepSource,
  reduceSource,
  scanSource,
  tableSource,
} from "./pair-logsumexp-wgsl.js";
import { vectorWidth } from "./vector-rows.js";

type Dims = { M: number; N: number; R: number; d: number; E: number; logR: number; lanes: number };
const PARAMS = [
  ["M", "u32"],
  ["N", "u32"],
  ["E", "u32"],
  ["logR", "f32"],
] as const;

/** Λ[m,r,n] + shift, the reference every cpu loop below shares. */
function lambda(
  a: ArrayLike<number> | null,
  b: ArrayLike<number>,
  p: ArrayLike<number>,
  q: ArrayLike<number>,
  e: number,
  { N, R, d }: Dims,
  m: number,
  r: number,
  n: number,
): number {
  let l = (a ? a[m * N + n] : 0) + b[r * N + n];
  for (let j = 0; j < d; j++) l += p[(m * N + n) * d + j] * q[(e * R + r) * d + j];
  return l;
}

/** The env of sample n, from the table's copy. */
const envOf = (t: ArrayLike<number>, E: number, n: number) => t[3 * E + 1 + n];

const memo = kernelCache();

/** T's ranges lo_e, hi_e and its copy of env (what the table kernel writes). */
function writeRanges(env: ArrayLike<number>, t: { [k: number]: number }, N: number, E: number): void {
  for (let e = 0; e < E; e++) {
    let lo = N;
    let hi = 0;
    for (let n = 0; n < N; n++) if (env[n] === e) [lo, hi] = [Math.min(lo, n), n + 1];
    t[2 * e] = Math.min(lo, hi);
    t[2 * e + 1] = hi;
  }
  for (let n = 0; n < N; n++) t[3 * E + 1 + n] = env[n];
}

/** T's chunk starts cs_e and their total (what the scan kernel writes), from its ranges. */
function writeChunkStarts(t: { [k: number]: number }, E: number, lanes: number): void {
  let cs = 0;
  for (let e = 0; e < E; e++) {
    t[2 * E + e] = cs;
    cs += Math.ceil((t[2 * e + 1] - t[2 * e]) / lanes);
  }
  t[3 * E] = cs;
}

const tableKernel = defineKernel({
  name: "pair_logsumexp.table",
  entry: "pair_table",
  ...tableSource,
  params: PARAMS,
  workgroupSize: LANES,
  workgroups: (p) => p.E,
  cpu: ([env], [t], { N, E }) => writeRanges(env, t, N, E),
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
      cpu: (_, [t], { E }) => writeChunkStarts(t, E, lanes),
    }),
  );

/**
 * The env table T (pair-logsumexp-wgsl.ts) of env [N] for E envs, built on the host: what the
 * table and scan kernels write. Data that stays the same over training (whole rows, row blocks, a
 * minibatch's fixed layout) passes it to pairLogsumexp once uploaded, which then runs neither kernel.
 */
export function pairEnvTable(env: ArrayLike<number>, E: number): number[] {
  const N = env.length;
  const t = new Array<number>(3 * E + 1 + N).fill(0);
  writeRanges(env, t, N, E);
  writeChunkStarts(t, E, chunkLanes(N, E));
  return t;
}

/** The env table T (pair-logsumexp-wgsl.ts): ranges by the table kernel, then the chunk starts by the scan. */
function envTable(env: Tensor, dims: Dims): Tensor {
  const table = launch1(tableKernel, [env], [3 * dims.E + 1 + dims.N], dims);
  table.backend.run(scanKernel(dims.lanes), [], [table.storage], dims);
  return table;
}

const chunkGroups = (lanes: number) => (p: { N: number; E: number }) => groupsFor(p.N, lanes) + p.E;

const fwdKernel = (R: number, d: number, lanes: number, hasA: boolean, budget = BUDGET) =>
  memo(`fwd ${R} ${d} ${lanes} ${hasA} ${budget}`, () =>
    defineKernel({
      name: `pair_logsumexp.fwd.R${R}.d${d}.L${lanes}${hasA ? "" : ".a0"}${budget === BUDGET ? "" : `.q${budget}`}`,
      entry: "pair_fwd",
      ...fwdSource(R, d, hasA, budget),
      params: PARAMS,
      workgroupSize: lanes,
      workgroups: chunkGroups(lanes),
      cpu: (inputs, [y], params) => {
        const [a, b, p, q, t] = hasA ? inputs : [null, ...inputs];
        if (!b || !p || !q || !t) throw new Error("pair_logsumexp.fwd: missing inputs");
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

const prepKernel = (hasA: boolean, sumRows: boolean) =>
  memo(`prep ${hasA} ${sumRows}`, () =>
    defineKernel({
      name: `pair_logsumexp.prep${hasA ? "" : ".a0"}${sumRows ? ".rows" : ""}`,
      entry: "pair_prep",
      ...prepSource(hasA, sumRows),
      params: PARAMS,
      workgroupSize: LANES,
      workgroups: (p) => groupsFor(p.M * p.N, LANES),
      cpu: (inputs, [cd], { M, N, logR }) => {
        const [a, y, dy] = hasA ? inputs : [null, ...inputs];
        if (!y || !dy) throw new Error("pair_logsumexp.prep: missing inputs");
        for (let t = 0; t < M * N; t++) {
          cd[2 * t] = (a ? a[t] : 0) - y[t] - logR;
          cd[2 * t + 1] = dy[sumRows ? Math.floor(t / N) : t];
        }
      },
    }),
  );

const bwdKernel = (R: number, d: number, want: BwdFlags, lanes: number, budget = BUDGET) =>
  memo(`bwd ${R} ${d} ${want.p} ${want.b} ${want.q} ${lanes} ${budget}`, () =>
    defineKernel({
      name: `pair_logsumexp.bwd.R${R}.d${d}.L${lanes}${budget === BUDGET ? "" : `.q${budget}`}`,
      entry: "pair_bwd",
      ...bwdSource(R, d, want, budget),
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
      ...reduceSource(R * d, d),
      params: PARAMS,
      workgroupSize: LANES,
      workgroups: (p) => [Math.ceil((R * d) / vectorWidth(d) / LANES), p.E, 1],
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

function dimsOf(b: Tensor, p: Tensor, q: Tensor, env: Tensor, table: Tensor, a?: Tensor): Dims {
  const [M, N, d] = p.shape;
  const [E, R] = q.shape;
  const ok =
    p.rank === 3 &&
    b.rank === 2 &&
    b.shape[0] === R &&
    b.shape[1] === N &&
    q.rank === 3 &&
    q.shape[2] === d &&
    env.rank === 1 &&
    env.shape[0] === N &&
    (!a || (a.rank === 2 && a.shape[0] === M && a.shape[1] === N));
  if (!ok) {
    const got = [a, b, p, q, env].map((t) => (t ? fmt(t.shape) : "none")).join(", ");
    throw new ShapeError(
      "pairLogsumexp",
      `expected a [M,N] (or none), b [R,N], P [M,N,d], Q [E,R,d], env [N]; got ${got}`,
    );
  }
  if (R === 0 || E === 0 || d === 0) throw new ShapeError("pairLogsumexp", `needs R, E, d ≥ 1; got Q ${fmt(q.shape)}`);
  if (table.rank !== 1 || table.shape[0] !== 3 * E + 1 + N)
    throw new ShapeError(
      "pairLogsumexp",
      `the env table of ${N} samples in ${E} envs is [${3 * E + 1 + N}]; got ${fmt(table.shape)}`,
    );
  return { M, N, R, d, E, logR: Math.log(R), lanes: chunkLanes(N, E) };
}

/**
 * hasA: a is an input; sumRows: the output is Σ_n y[m, n] [M] instead of y [M, N]; budget: cached
 * Q floats per r-block instead of BUDGET (check cases: several r-blocks at a small R·d).
 */
type Attrs = { hasA: boolean; sumRows?: boolean; budget?: number };

/** env [Σ counts], grouped: counts[e] samples of env e in turn. */
const sortedEnvs = (counts: number[]) => counts.flatMap((c, e) => new Array<number>(c).fill(e));

/** A check case of b, P, Q, env, its table and (hasA) a, for these sizes and envs. */
function checkCase(
  label: string,
  { M, R, d, E }: { M: number; R: number; d: number; E: number },
  env: number[],
  pq: "real" | "unit" = "real",
  hasA = true,
  sumRows = false,
  budget?: number,
): CheckCase<Attrs> {
  const N = env.length;
  return {
    label,
    shapes: [[R, N], [M, N, d], [E, R, d], [N], [3 * E + 1 + N], ...(hasA ? [[M, N]] : [])],
    attrs: { hasA, sumRows, ...(budget ? { budget } : {}) },
    domains: ["real", pq, pq, { fixed: env }, { fixed: pairEnvTable(env, E) }, ...(hasA ? ["real" as const] : [])],
  };
}

export const pairLogsumexpOp: OpDef<Attrs> = defineOp<Attrs>({
  name: "pairLogsumexp",
  derivation:
    "y[m,n] = LSE_r(a[m,n] + b[r,n] + Σ_j P[m,n,j] Q[e_n,r,j]) − log R. With w = softmax_r Λ = exp(Λ − y − log R): " +
    "ā = ȳ, b̄[r,n] = Σ_m ȳ w, P̄[m,n,:] = ȳ Σ_r w Q[e_n,r,:], Q̄[e,r,:] = Σ_{m, n∈e} ȳ w P[m,n,:]. " +
    "Saves y (the output); w is recomputed in the backward kernel, never stored (it is M×R×N). Inputs b, P, Q, env, " +
    "the env table T, and a when present (absent: a = 0, neither bound nor read).",
  forward: ([b, p, q, env, table, a], { hasA, sumRows, budget }) => {
    const dims = dimsOf(b, p, q, env, table, a);
    const inputs = hasA ? [a, b, p, q, table] : [b, p, q, table];
    const y = launch1(fwdKernel(dims.R, dims.d, dims.lanes, hasA, budget), inputs, [dims.M, dims.N], dims);
    if (!sumRows) return { out: y };
    const rows = sumToShape(y, [dims.M, 1]);
    return { out: new Tensor(rows.backend, rows.storage, [dims.M]), saved: [y] };
  },
  vjp: ({ inputs: [b, p, q, env, table, a], out, saved, needsGrad, attrs: { hasA, sumRows, budget } }, dy) => {
    const dims = dimsOf(b, p, q, env, table, a);
    const { M, N, R, d } = dims;
    const y = sumRows ? saved[0] : out;
    const want = { b: needsGrad[0], p: needsGrad[1], q: needsGrad[2] };
    const dyFull = () => (sumRows ? broadcastTo(new Tensor(dy.backend, dy.storage, [M, 1]), [M, N]) : dy);
    const da = hasA && needsGrad[5] ? [dyFull()] : hasA ? [null] : [];
    if (!want.b && !want.p && !want.q) return [null, null, null, null, null, ...da];
    const cd = launch1(prepKernel(hasA, sumRows ?? false), hasA ? [a, y, dy] : [y, dy], [M, N, 2], dims);
    // An output not asked for is a placeholder, one vector of its binding wide.
    const w = vectorWidth(d);
    const shapes = [want.p ? p.shape : [w], want.b ? b.shape : [1], want.q ? [N, R, d] : [w]];
    const [dp, db, g] = launch(bwdKernel(R, d, want, dims.lanes, budget), [cd, b, p, q, table], shapes, dims);
    cd.dispose();
    const dq = want.q ? launch1(reduceKernel(R, d), [g, table], q.shape, dims) : null;
    g.dispose();
    if (!want.p) dp.dispose();
    if (!want.b) db.dispose();
    return [want.b ? db : null, want.p ? dp : null, dq, null, null, ...da];
  },
  check: {
    nondiff: [3, 4],
    cases: [
      checkCase("two envs, interleaved", { M: 3, R: 4, d: 3, E: 2 }, [1, 0, 0, 1, 1, 0]),
      checkCase("three envs, ragged", { M: 2, R: 5, d: 2, E: 3 }, [2, 0, 2, 1, 0, 0, 2]),
      checkCase("several r blocks", { M: 2, R: 12, d: 60, E: 2 }, [0, 1, 1, 0, 1], "unit", true, false, 640),
      checkCase("16-lane chunks, an env of 20 samples over two", { M: 2, R: 3, d: 3, E: 2 }, sortedEnvs([20, 4])),
      checkCase("32-lane chunks, an env over several chunks", { M: 2, R: 3, d: 2, E: 2 }, sortedEnvs([90, 60])),
      checkCase("one intervention sample, one env", { M: 2, R: 1, d: 3, E: 1 }, [0, 0, 0, 0]),
      checkCase("no a (a = 0)", { M: 2, R: 5, d: 2, E: 3 }, [2, 0, 2, 1, 0, 0, 2], "real", false),
      checkCase("no a, 32-lane chunks", { M: 2, R: 3, d: 2, E: 2 }, sortedEnvs([90, 60]), "real", false),
      checkCase("summed over samples", { M: 3, R: 4, d: 3, E: 2 }, [0, 0, 1, 1, 1, 0], "real", true, true),
      checkCase("no a, summed, 16-lane chunks", { M: 2, R: 3, d: 3, E: 2 }, sortedEnvs([20, 4]), "real", false, true),
    ],
  },
});

/**
 * y[m,n] = LSE_r(a[m,n] + b[r,n] + Σ_j P[m,n,j] Q[env[n],r,j]) − log R without materialising Λ;
 * a = null means a = 0. env holds each sample's environment index as a float, the samples grouped
 * by env (each env's samples contiguous; the GPU kernels' grid assumes it — see the file header).
 * `table`, when given, is pairEnvTable(env, E) uploaded; otherwise the table and scan kernels
 * make it here. `sumRows`: Σ_n y[m, n] [M] instead (one reduction after the forward; its VJP
 * reads ȳ[m] in the prep kernel rather than a broadcast [M, N] copy of it).
 */
export function pairLogsumexp(
  a: Tensor | null,
  b: Tensor,
  p: Tensor,
  q: Tensor,
  env: Tensor,
  table?: Tensor,
  { sumRows = false }: { sumRows?: boolean } = {},
): Tensor {
  const [E, R] = q.shape;
  const N = env.shape[0];
  const T =
    table ?? envTable(env, { M: p.shape[0], N, R, d: q.shape[2], E, logR: Math.log(R), lanes: chunkLanes(N, E) });
  return apply(pairLogsumexpOp, a ? [b, p, q, env, T, a] : [b, p, q, env, T], { hasA: a !== null, sumRows });
}

export const pairLogsumexpOps = { pairLogsumexp: pairLogsumexpOp };
