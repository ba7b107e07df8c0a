/**
 * What the trainer consumes: environments with features and samples, the observational one
 * first, and the 10% holdout split of §6 (per env, seeded). gim/model/device-data.ts uploads them.
 */
import { HostRandom } from "../../engine/host-random.js";

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
export function splitHoldout(
  set: TrainingSet,
  fraction: number,
  seed: number,
): { train: TrainingSet; holdout: TrainingSet } {
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
