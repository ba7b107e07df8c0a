/**
 * What the trainer consumes: environments with features and samples, the observational one
 * first, and the 10% holdout split of §6 (per env, seeded), uploaded as sorted device tensors.
 */
import type { Backend, DType } from "../engine/backend.js";
import { HostRandom } from "../engine/host-random.js";
import { Tensor } from "../engine/tensor.js";
import type { DeviceData } from "./likelihood.js";

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

export function uploadData(set: TrainingSet, backend: Backend, dtype: DType, withOneHot: boolean): DeviceData {
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
  let envOneHot: Tensor | null = null;
  if (withOneHot) {
    const oneHot = new Float64Array(E * N);
    for (let n = 0; n < N; n++) oneHot[env[n] * N + n] = 1;
    envOneHot = new Tensor(backend, backend.upload(oneHot, dtype), [E, N]);
  }
  const offDiagonal = new Float64Array(d * d).fill(1);
  for (let i = 0; i < d; i++) offDiagonal[i * d + i] = 0;
  return {
    X: new Tensor(backend, backend.upload(X, dtype), [N, d]),
    env: new Tensor(backend, backend.upload(env, dtype), [N]),
    envStart,
    envStartTensor: new Tensor(backend, backend.upload(envStart, dtype), [E + 1]),
    envOneHot,
    offDiagonal: new Tensor(backend, backend.upload(offDiagonal, dtype), [d, d]),
    N,
    E,
    d,
  };
}
