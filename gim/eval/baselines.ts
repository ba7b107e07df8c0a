/**
 * Baselines of the paper's D.5, for any features vector:
 *   observational: predict the observational samples everywhere;
 *   mean shift:    an MLP (features → per-variable mean shift from the observational mean,
 *                  p → 64 → 64 → d, tanh) fitted by full-batch Adam in float64 on the training
 *                  envs' observed shifts; prediction = observational samples + predicted shift.
 * And the paper's naive baseline for dose responses (section 5, SciPlex3): predict the training
 * data's cells of the same perturbation at the next-lower dose.
 */
import type { Environment } from "../data/dataset.js";
import type { EnvPerturbation } from "../data/perturbations.js";
import { columnMeans } from "./metrics.js";
import { Random } from "../data/random.js";

export interface MeanShiftModel {
  shift(features: number[]): number[];
}

interface Layer {
  W: Float64Array;
  b: Float64Array;
  inW: number;
  outW: number;
}

function forward(layers: Layer[], x: number[]): { acts: number[][]; out: number[] } {
  const acts = [x];
  let h = x;
  layers.forEach((L, l) => {
    const out = Array.from(L.b);
    for (let i = 0; i < L.inW; i++) for (let o = 0; o < L.outW; o++) out[o] += h[i] * L.W[i * L.outW + o];
    h = l < layers.length - 1 ? out.map(Math.tanh) : out;
    acts.push(h);
  });
  return { acts, out: h };
}

export function fitMeanShiftBaseline(
  observational: Environment,
  train: Environment[],
  d: number,
  { seed = 0, steps = 1500, lr = 1e-2 } = {},
): MeanShiftModel {
  const rng = new Random(seed + 31);
  const p = train[0]?.features.length ?? 0;
  const base = columnMeans(observational.samples, d);
  const targets = train.map((e) => columnMeans(e.samples, d).map((v, j) => v - base[j]));
  const widths = [p, 64, 64, d];
  const layers: Layer[] = widths.slice(0, -1).map((inW, l) => {
    const outW = widths[l + 1];
    const std = Math.sqrt(2 / (inW + outW));
    return {
      W: Float64Array.from({ length: inW * outW }, () => std * rng.normal()),
      b: new Float64Array(outW),
      inW,
      outW,
    };
  });
  const m = layers.map((L) => ({ W: new Float64Array(L.W.length), b: new Float64Array(L.b.length) }));
  const v = layers.map((L) => ({ W: new Float64Array(L.W.length), b: new Float64Array(L.b.length) }));
  for (let t = 1; t <= steps && train.length > 0; t++) {
    const grads = layers.map((L) => ({ W: new Float64Array(L.W.length), b: new Float64Array(L.b.length) }));
    train.forEach((env, k) => {
      const { acts, out } = forward(layers, env.features);
      let delta = out.map((o, j) => (2 * (o - targets[k][j])) / (train.length * d));
      for (let l = layers.length - 1; l >= 0; l--) {
        const L = layers[l];
        const input = acts[l];
        for (let i = 0; i < L.inW; i++)
          for (let o = 0; o < L.outW; o++) grads[l].W[i * L.outW + o] += input[i] * delta[o];
        for (let o = 0; o < L.outW; o++) grads[l].b[o] += delta[o];
        if (l > 0) {
          const back = new Array<number>(L.inW).fill(0);
          for (let i = 0; i < L.inW; i++) for (let o = 0; o < L.outW; o++) back[i] += L.W[i * L.outW + o] * delta[o];
          delta = back.map((g, i) => g * (1 - input[i] * input[i]));
        }
      }
    });
    const c1 = 1 - 0.9 ** t;
    const c2 = 1 - 0.999 ** t;
    layers.forEach((L, l) => {
      for (const key of ["W", "b"] as const) {
        const w = L[key];
        const g = grads[l][key];
        for (let i = 0; i < w.length; i++) {
          m[l][key][i] = 0.9 * m[l][key][i] + 0.1 * g[i];
          v[l][key][i] = 0.999 * v[l][key][i] + 0.001 * g[i] * g[i];
          w[i] -= (lr * (m[l][key][i] / c1)) / (Math.sqrt(v[l][key][i] / c2) + 1e-8);
        }
      }
    });
  }
  return {
    shift: (features) =>
      features.every((x) => x === 0) ? new Array<number>(d).fill(0) : forward(layers, features).out,
  };
}

/** n samples: observational rows (cycled) plus a per-variable shift. */
export function shiftedObservational(observational: Environment, shift: number[], n: number, d: number): Float64Array {
  const out = new Float64Array(n * d);
  for (let s = 0; s < n; s++) {
    const r = s % observational.n;
    for (let j = 0; j < d; j++) out[s * d + j] = observational.samples[r * d + j] + shift[j];
  }
  return out;
}

/**
 * The training env of the same perturbation at the largest dose below the env's, or null when
 * there is none: then the next-lower dose is dose 0, the control (the caller predicts the
 * observational cells). Throws when the env is not in the perturbation table.
 */
export function nextLowerDoseEnv(
  env: Environment,
  train: Environment[],
  perturbations: Map<string, EnvPerturbation>,
): Environment | null {
  const p = perturbations.get(env.id);
  if (!p) throw new Error(`env '${env.id}' has no row in perturbations.csv (needed by the next-lower-dose baseline)`);
  let best: Environment | null = null;
  let bestDose = -Infinity;
  for (const e of train) {
    const q = perturbations.get(e.id);
    if (q && q.perturbation === p.perturbation && q.dose < p.dose && q.dose > bestDose) {
      best = e;
      bestDose = q.dose;
    }
  }
  return best;
}
