/**
 * What the trainer consumes: environments with features and samples, the observational one
 * first, and the 10% holdout split of §6 (per env, seeded), uploaded as sorted device tensors.
 */
import type { Backend, DType } from "../../engine/backend.js";
import { HostRandom } from "../../engine/host-random.js";
import { Tensor } from "../../engine/tensor.js";
import type { DeviceData } from "../model/likelihood.js";

export interface EnvironmentData {
  id: string;
  features: number[];
  /** Row-major [n, d]. */
  samples: Float64Array;
  n: number;
}

export interface TrainingSet {
  variables: string[];
  featureNames: string[];
  /** The observational environment (all-zero features) comes first. */
  envs: EnvironmentData[];
}

/** Splits each env's rows at random into (train, holdout) with `fraction` in the holdout. */
export function splitHoldout(set: TrainingSet, fraction: number, seed: number): { train: TrainingSet; holdout: TrainingSet } {
  const rng = new HostRandom(seed + 7919);
  const d = set.variables.length;
  const train: EnvironmentData[] = [];
  const holdout: EnvironmentData[] = [];
  for (const env of set.envs) {
    const order = Array.from({ length: env.n }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const nHold = fraction > 0 ? Math.min(env.n - 1, Math.round(fraction * env.n)) : 0;
    const pick = (rows: number[]) => {
      const out = new Float64Array(rows.length * d);
      rows.forEach((r, k) => out.set(env.samples.subarray(r * d, (r + 1) * d), k * d));
      return { ...env, samples: out, n: rows.length };
    };
    holdout.push(pick(order.slice(0, nHold)));
    train.push(pick(order.slice(nHold)));
  }
  return { train: { ...set, envs: train }, holdout: { ...set, envs: holdout } };
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
 * most `chunkRows` rows (gim/likelihood.ts DeviceData): blocks may split an env (the per-sample
 * likelihood is a sum over rows), which the per-env variant cannot allow. The whole-data object
 * then holds no rows itself (X is [0, d]): everything row-dependent goes through its chunks.
 */
export function uploadData(set: TrainingSet, backend: Backend, dtype: DType, withOneHot: boolean, chunkRows = Number.POSITIVE_INFINITY): DeviceData {
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
    throw new Error(`per-env marginalisation needs all ${N} rows in one block, but the memory budget allows ${chunkRows} (use per-sample, or a larger --chunk-rows)`);
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
      envOneHot,
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
