/**
 * Minibatches over rows (docs/minibatch.md). Each step draws B rows, stratified by environment:
 * env e keeps b_e ≈ B·n_e/N slots (at least one for every env with rows, so the observational
 * env is always present), and each slot is a row of its env drawn uniformly, with replacement,
 * on the device from the step's Philox stream (kernels/sample-rows.ts). Row k of env e then
 * carries the weight w_e = n_e/b_e in the likelihood's sum over rows, so for any per-row term f
 *   E[Σ_k w_{e(k)} f(x_k)] = Σ_e (n_e/b_e)·b_e·mean_{n∈e} f(x_n) = Σ_n f(x_n):
 * the minibatch sum is an unbiased estimate of the full one (w_e = N/B when the shares are exact).
 * The batch's layout (which slots belong to which env, the weights) is fixed, so only X changes
 * from step to step and a replayed step draws its rows itself.
 */
import type { Backend, DType } from "../../engine/backend.js";
import { Tensor } from "../../engine/tensor.js";
import { pairEnvTable, sampleRows, slice } from "../../kernels/ops.js";
import type { TrainingSet } from "../data/training-set.js";
import type { DeviceData } from "./device-data.js";

/** `--batch-size 0` (auto) trains on the full batch up to this many training rows… */
export const FULL_BATCH_UP_TO = 32768;
/** …and above it on minibatches of this many rows. */
export const AUTO_BATCH_SIZE = 8192;

/** B for N training rows: the flag's value (0 = auto), N when it is N or more (full batch). */
export function resolveBatchSize(batchSize: number, N: number): number {
  if (batchSize === 0) return N <= FULL_BATCH_UP_TO ? N : AUTO_BATCH_SIZE;
  return Math.min(batchSize, N);
}

/**
 * b_e for env sizes n_e and batch size B: the largest-remainder rounding of B·n_e/N, then at
 * least 1 for every env with rows (taken from the largest shares). Throws when B is below the
 * number of envs with rows.
 */
export function allocateBatch(counts: readonly number[], B: number): number[] {
  const N = counts.reduce((a, b) => a + b, 0);
  const present = counts.filter((n) => n > 0).length;
  if (!Number.isInteger(B) || B < present)
    throw new Error(
      `--batch-size ${B}: a minibatch needs at least one row of each of the ${present} environments with rows`,
    );
  const exact = counts.map((n) => (B * n) / N);
  const share = exact.map(Math.floor);
  const byRemainder = counts.map((_, e) => e).sort((a, b) => exact[b] - share[b] - (exact[a] - share[a]) || a - b);
  for (let left = B - share.reduce((a, b) => a + b, 0), k = 0; left > 0; left--, k++) share[byRemainder[k]]++;
  for (let e = 0; e < counts.length; e++) {
    if (counts[e] === 0 || share[e] > 0) continue;
    const donor = share.reduce((best, s, i) => (s > share[best] ? i : best), 0);
    share[donor]--;
    share[e] = 1;
  }
  return share;
}

/** A block of the batch without its rows: slots rows[0] … rows[1] − 1. */
type Layout = Omit<DeviceData, "X"> & { rows: [number, number] };

/** The full rows on the device and the fixed layout of every step's batch. */
export interface Minibatch {
  /** All training rows X: [N, d], sorted by env. */
  X: Tensor;
  /** envStart of the full rows: [E + 1], float-coded. */
  fullEnvStart: Tensor;
  /** b_e per env. */
  counts: number[];
  /** The batch without its rows: env, envStart, weights, one-hot of the B slots; N is the full N. */
  layout: Layout;
  /** Its blocks when the likelihood is chunked over the batch (empty: one block). */
  blocks: Layout[];
}

/**
 * Uploads the rows once, and the batch layout: per-row weights n_e/b_e (per-sample), or a
 * one-hot [E, B] holding the weights (per-env, where Σ_{n∈e} becomes (n_e/b_e) Σ over the slots).
 * With `chunkRows` < B the batch is evaluated in blocks of that many slots, as uploadData's rows are.
 */
export function uploadMinibatch(
  set: TrainingSet,
  backend: Backend,
  dtype: DType,
  withOneHot: boolean,
  B: number,
  chunkRows = Number.POSITIVE_INFINITY,
): Minibatch {
  const d = set.variables.length;
  const sizes = set.envs.map((e) => e.n);
  const N = sizes.reduce((a, b) => a + b, 0);
  const E = sizes.length;
  const counts = allocateBatch(sizes, B);
  if (withOneHot && chunkRows < B)
    throw new Error(
      `per-env marginalisation needs the ${B} rows of a minibatch in one block, but the memory budget allows ${chunkRows} (use a smaller --batch-size, or per-sample)`,
    );
  const X = new Float64Array(N * d);
  const fullStart = [0];
  set.envs.forEach((e, k) => {
    X.set(e.samples, fullStart[k] * d);
    fullStart.push(fullStart[k] + e.n);
  });
  const envStart = [0];
  counts.forEach((b, e) => envStart.push(envStart[e] + b));
  const env = new Float64Array(B);
  const weights = new Float64Array(B);
  counts.forEach((b, e) => {
    env.fill(e, envStart[e], envStart[e + 1]);
    weights.fill(b > 0 ? sizes[e] / b : 0, envStart[e], envStart[e + 1]);
  });
  const up = (values: ArrayLike<number>, shape: number[]) => new Tensor(backend, backend.upload(values, dtype), shape);
  const offDiagonal = new Float64Array(d * d).fill(1);
  for (let i = 0; i < d; i++) offDiagonal[i * d + i] = 0;
  const offDiagonalTensor = up(offDiagonal, [d, d]);
  const block = (r0: number, r1: number): Layout => {
    const starts = envStart.map((s) => Math.min(Math.max(s - r0, 0), r1 - r0));
    let envOneHot: Tensor | null = null;
    if (withOneHot) {
      const oneHot = new Float64Array(E * B);
      for (let k = 0; k < B; k++) oneHot[env[k] * B + k] = weights[k];
      envOneHot = up(oneHot, [E, B]);
    }
    return {
      rows: [r0, r1],
      env: up(env.subarray(r0, r1), [r1 - r0]),
      envStart: starts,
      envStartTensor: up(starts, [E + 1]),
      pairTable: up(pairEnvTable(env.subarray(r0, r1), E), [3 * E + 1 + r1 - r0]),
      envOneHot,
      rowWeights: withOneHot ? null : up(weights.subarray(r0, r1), [r1 - r0]),
      offDiagonal: offDiagonalTensor,
      N: r1 - r0,
      E,
      d,
      chunks: [],
    };
  };
  const blocks: Layout[] = [];
  if (chunkRows < B) for (let r0 = 0; r0 < B; r0 += chunkRows) blocks.push(block(r0, Math.min(B, r0 + chunkRows)));
  return {
    X: up(X, [N, d]),
    fullEnvStart: up(fullStart, [E + 1]),
    counts,
    layout: { ...block(0, B), N },
    blocks,
  };
}

/** The step's batch: B rows drawn by (seed, stream) into the fixed layout (and its blocks). */
export function drawBatch(mb: Minibatch, seed: number, stream: number): DeviceData {
  const X = sampleRows(mb.X, mb.layout.env, mb.fullEnvStart, { seed, stream });
  const chunks = mb.blocks.map(({ rows: [r0, r1], ...rest }) => ({ ...rest, X: slice(X, 0, r0, r1) }));
  const { rows: _, ...layout } = mb.layout;
  return { ...layout, X, chunks };
}
