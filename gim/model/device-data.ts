/**
 * The device side of a TrainingSet (gim/data/training-set.ts): its rows uploaded sorted by env,
 * Γ, and the row blocks the likelihood runs over.
 */
import type { Backend, DType } from "../../engine/backend.js";
import { Tensor } from "../../engine/tensor.js";
import type { TrainingSet } from "../data/training-set.js";
import { pairEnvTable } from "../../kernels/ops.js";

/**
 * Training data on the device. When the likelihood's per-row tensors would not fit the memory
 * budget, the rows are also uploaded as `chunks` (row blocks in the same order, each a DeviceData
 * of its own with the global env indices and env starts relative to the block) and every
 * row-dependent term is evaluated block by block (gim/model/objective.ts).
 */
export interface DeviceData {
  /** X: [N, d], rows sorted by environment, observational first. */
  X: Tensor;
  /** env index of each row as float-coded integers: [N]. */
  env: Tensor;
  /** envStart[e] = first row of env e; envStart[E] = N. */
  envStart: number[];
  /** The same as a float-coded tensor [E + 1]. */
  envStartTensor: Tensor;
  /** env's table for the pair kernels (kernels/pair-logsumexp.ts pairEnvTable): [3E + 1 + N]. */
  pairTable: Tensor;
  /** One-hot [E, N] (per-env variant only); a minibatch's holds the weights n_e/b_e instead of ones. */
  envOneHot: Tensor | null;
  /**
   * Weight of each row in the likelihood's sum over rows (per-sample): n_e/b_e for a minibatch
   * (gim/model/minibatch.ts), null for 1.
   */
  rowWeights: Tensor | null;
  /** O = 11ᵀ − I: [d, d]. */
  offDiagonal: Tensor;
  /** Rows the objective sums over: X's rows, or those the blocks or the minibatch stand for. */
  N: number;
  E: number;
  d: number;
  /** Row blocks when chunked over N; empty when the rows are evaluated in one block. */
  chunks: DeviceData[];
}

/** The row blocks to evaluate: the chunks, or the data itself. */
export function rowBlocks(data: DeviceData): DeviceData[] {
  return data.chunks.length > 0 ? data.chunks : [data];
}

/** Features of the interventional envs, Γ: [K, p]. */
export function featureMatrix(set: TrainingSet, backend: Backend, dtype: DType): Tensor {
  const K = set.envs.length - 1;
  const p = set.featureNames.length;
  const values = set.envs.slice(1).flatMap((e) => e.features);
  return new Tensor(backend, backend.upload(values, dtype), [K, p]);
}

/**
 * Uploads the rows sorted by env. With `chunkRows` < N the rows are also uploaded as blocks of at
 * most `chunkRows` rows (DeviceData above): blocks may split an env (the per-sample
 * likelihood is a sum over rows), which the per-env variant cannot allow. The whole-data object
 * then holds no rows itself (X is [0, d]): everything row-dependent goes through its chunks.
 */
export function uploadData(
  set: TrainingSet,
  backend: Backend,
  dtype: DType,
  withOneHot: boolean,
  chunkRows = Number.POSITIVE_INFINITY,
): DeviceData {
  const d = set.variables.length;
  const N = set.envs.reduce((acc, e) => acc + e.n, 0);
  const E = set.envs.length;
  const X = new Float64Array(N * d);
  const env = new Float64Array(N);
  const envStart: number[] = [];
  let row = 0;
  set.envs.forEach((e, k) => {
    envStart.push(row);
    X.set(e.samples, row * d);
    env.fill(k, row, row + e.n);
    row += e.n;
  });
  envStart.push(N);
  const chunked = chunkRows < N;
  if (chunked && withOneHot) {
    throw new Error(
      `per-env marginalisation needs all ${N} rows in one block, but the memory budget allows ${chunkRows} (use per-sample, or a larger --chunk-rows)`,
    );
  }
  const offDiagonal = new Float64Array(d * d).fill(1);
  for (let i = 0; i < d; i++) offDiagonal[i * d + i] = 0;
  const offDiagonalTensor = new Tensor(backend, backend.upload(offDiagonal, dtype), [d, d]);
  const block = (r0: number, r1: number, withChunks: DeviceData[]): DeviceData => {
    if (withChunks.length > 0) return { ...block(0, 0, []), envStart, N, chunks: withChunks };
    const starts = envStart.map((s) => Math.min(Math.max(s - r0, 0), r1 - r0));
    let envOneHot: Tensor | null = null;
    if (withOneHot) {
      const oneHot = new Float64Array(E * N);
      for (let n = 0; n < N; n++) oneHot[env[n] * N + n] = 1;
      envOneHot = new Tensor(backend, backend.upload(oneHot, dtype), [E, N]);
    }
    return {
      X: new Tensor(backend, backend.upload(X.subarray(r0 * d, r1 * d), dtype), [r1 - r0, d]),
      env: new Tensor(backend, backend.upload(env.subarray(r0, r1), dtype), [r1 - r0]),
      envStart: starts,
      envStartTensor: new Tensor(backend, backend.upload(starts, dtype), [E + 1]),
      pairTable: new Tensor(backend, backend.upload(pairEnvTable(env.subarray(r0, r1), E), dtype), [
        3 * E + 1 + r1 - r0,
      ]),
      envOneHot,
      rowWeights: null,
      offDiagonal: offDiagonalTensor,
      N: r1 - r0,
      E,
      d,
      chunks: withChunks,
    };
  };
  const chunks: DeviceData[] = [];
  if (chunked) for (let r0 = 0; r0 < N; r0 += chunkRows) chunks.push(block(r0, Math.min(N, r0 + chunkRows), []));
  return block(0, N, chunks);
}
