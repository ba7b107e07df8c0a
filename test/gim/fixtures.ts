/**
 * Shared fixtures of the float64 GIM objective tests on cpu (objective, ZILN, chunking over N):
 * tiny training sets, the merged-step configuration, uploaded step inputs, a direct computation of
 * the mechanism mean, the finite-difference check of the merged step against each pass
 * objective, and the check of a fused intervention term against its composition.
 */
import { cpuBackend } from "../../engine/context.js";
import { HostRandom } from "../../engine/host-random.js";
import { backward, detach, noGrad, tidy } from "../../engine/index.js";
import { Tensor } from "../../engine/tensor.js";
import type { Dataset } from "../../gim/data/dataset.js";
import { generateBenchmark } from "../../gim/data/synthetic.js";
import type { TrainingSet } from "../../gim/data/training-set.js";
import type { GimConfig } from "../../gim/model/config.js";
import { type DeviceData, featureMatrix, uploadData } from "../../gim/model/device-data.js";
import {
  type StepInputs,
  type StepScalars,
  passObjectives,
  priorDecays,
  scalarsAt,
  stepObjective,
} from "../../gim/model/objective.js";
import { dimensionsOf, groupParams, initParams } from "../../gim/model/params.js";
import { mul, sum } from "../../kernels/ops.js";

export const cpu = cpuBackend();
export const LOG2PI = Math.log(2 * Math.PI);

/** The reference densities the objective tests compare against, written out from the spec. */
export const logNormal = (x: number, m: number, logVar: number) =>
  -0.5 * (LOG2PI + logVar + (x - m) ** 2 * Math.exp(-logVar));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** log ZILN(x; π = σ(ζ), μ, e^ℓ) (eq 15). */
export const logZiln = (x: number, mu: number, logVar: number, zeta: number) =>
  x === 0 ? Math.log(sigmoid(zeta)) : Math.log(1 - sigmoid(zeta)) - Math.log(x) + logNormal(Math.log(x), mu, logVar);

export const lse = (v: number[]) => {
  const c = Math.max(...v);
  return c + Math.log(v.reduce((s, x) => s + Math.exp(x - c), 0));
};

export const f64 = (values: ArrayLike<number>, shape: number[]) => new Tensor(cpu, cpu.upload(values, "f64"), shape);
export const draw = (rng: HostRandom, n: number, f: (r: HostRandom) => number) =>
  Array.from({ length: n }, () => f(rng));

/** Envs of `sizes` rows (the first observational), d variables, p features, samples from `sample`. */
export function makeSet(
  rng: HostRandom,
  d: number,
  sizes: number[],
  p = 2,
  sample = (r: HostRandom) => r.normal(),
): TrainingSet {
  return {
    variables: Array.from({ length: d }, (_, j) => `x${j}`),
    featureNames: Array.from({ length: p }, (_, j) => `f${j}`),
    envs: sizes.map((n, e) => ({
      id: `e${e}`,
      features: e === 0 ? new Array(p).fill(0) : Array.from({ length: p }, () => rng.normal()),
      samples: Float64Array.from({ length: n * d }, () => sample(rng)),
      n,
    })),
  };
}

/** makeSet with count-like samples (ZILN): 0 with probability 0.3, else log-normal. */
export function countSet(rng: HostRandom, d: number, sizes: number[], p = 2): TrainingSet {
  return makeSet(rng, d, sizes, p, (r) => (r.uniform() < 0.3 ? 0 : Math.exp(0.5 * r.normal())));
}

/** μ_j of row x under graph m of G [M, d, d], written out from the weights by name. */
export function naiveMean(
  config: GimConfig,
  x: number[],
  G: number[],
  m: number,
  j: number,
  d: number,
  w: Record<string, number[]>,
): number {
  if (config.mechanism === "linear") {
    let mu = 0;
    for (let i = 0; i < d; i++) mu += x[i] * G[(m * d + i) * d + j] * w.Theta[i * d + j];
    return mu;
  }
  const H = config.hidden;
  let mu = w.b2[j];
  for (let h = 0; h < H; h++) {
    let pre = w.b1[j * H + h];
    for (let i = 0; i < d; i++) pre += x[i] * G[(m * d + i) * d + j] * w.W1[(j * d + i) * H + h];
    mu += w.w2[j * H + h] * Math.tanh(pre);
  }
  return mu;
}

/** Sizes of the merged-step tests: small enough for finite differences, every term present. */
export const STEP_CONFIG = {
  mcSamples: 4,
  acyclicitySamples: 3,
  hidden: 2,
  gimHidden: 6,
  alphaLinear: 0.5,
} satisfies Partial<GimConfig>;

/** The step the tests take: t = 3 with a fixed AL state. */
export const stepScalars = (config: GimConfig): StepScalars => scalarsAt(config, 3, { alpha: 0.7, mu: 2 });

/** The set uploaded in float64 (one-hot for per-env, rows in blocks of `chunkRows`), Γ and fresh parameters. */
export function stepInputs(config: GimConfig, set: TrainingSet, chunkRows = Number.POSITIVE_INFINITY): StepInputs {
  const data = uploadData(set, cpu, "f64", config.marginalize === "per-env", chunkRows);
  const gamma = featureMatrix(set, cpu, "f64");
  const params = initParams(config, dimensionsOf(config, set), cpu, "f64");
  return { params, config, data, gamma };
}

/** Random direction over a parameter group, ⟨v, g⟩ and the central difference of f along v. */
export async function directional(
  group: Tensor[],
  grads: Float64Array[],
  f: () => Promise<number>,
  rng: HostRandom,
  h = 1e-6,
) {
  const base = await Promise.all(group.map((t) => t.toArray()));
  const v = group.map((t) => Float64Array.from({ length: t.size }, () => rng.normal()));
  const set = (sign: number) =>
    group.forEach((t, k) =>
      t.backend.copy(
        t.backend.upload(
          base[k].map((x, i) => x + sign * h * v[k][i]),
          "f64",
        ),
        0,
        t.storage,
        0,
        t.size,
      ),
    );
  set(1);
  const plus = await f();
  set(-1);
  const minus = await f();
  set(0);
  const analytic = v.reduce((s, vk, k) => s + vk.reduce((a, x, i) => a + x * grads[k][i], 0), 0);
  return { analytic, numeric: (plus - minus) / (2 * h) };
}

/**
 * With the merged step's gradients in the parameters (backward done), checks them per group
 * (Z, φ, θ) against central differences of that group's pass objective along a random direction.
 */
export async function checkPassGradients(inputs: StepInputs, scalars: StepScalars, rng: HostRandom): Promise<void> {
  const { params } = inputs;
  const groups = { z: groupParams(params, "z"), phi: groupParams(params, "phi"), theta: groupParams(params, "theta") };
  for (const [name, group] of Object.entries(groups) as [keyof typeof groups, Tensor[]][]) {
    const grads = await Promise.all(group.map(async (t) => Float64Array.from(await t.grad!.toArray())));
    const f = async () => {
      const value = noGrad(() => tidy(() => passObjectives(inputs, scalars)[name]));
      const out = await value.item();
      value.dispose();
      return out;
    };
    const { analytic, numeric } = await directional(group, grads, f, rng);
    const err = Math.abs(analytic - numeric) / Math.max(1e-6, Math.abs(numeric));
    if (!(err < 1e-5))
      throw new Error(
        `${name} pass: merged-step gradient ${analytic}, finite difference ${numeric} (rel. error ${err})`,
      );
  }
}

export interface StepGradients {
  /** Row blocks the data was split into (0: one block). */
  blocks: number;
  loss: number;
  grads: Record<string, Float64Array>;
  /** The parameters' values and Adam's δ for each (priorDecays), by name. */
  values: Record<string, Float64Array>;
  decay: Record<string, number>;
}

/** The step at stepScalars with rows in blocks of `chunkRows`, gradient parts back-propagated in turn. */
export async function stepGradients(
  config: GimConfig,
  set: TrainingSet,
  chunkRows: number,
  priorsInOptimizer = false,
): Promise<StepGradients> {
  const inputs = { ...stepInputs(config, set, chunkRows), priorsInOptimizer };
  const loss = tidy(() => {
    const terms = stepObjective(inputs, stepScalars(config));
    for (const part of terms.gradientParts) tidy(() => backward(part()));
    return detach(terms.loss);
  });
  const deltas = priorDecays(inputs.params, config, inputs.data.d, inputs.data.N);
  const [grads, values, decay]: [Record<string, Float64Array>, Record<string, Float64Array>, Record<string, number>] = [
    {},
    {},
    {},
  ];
  let k = 0;
  for (const [name, t] of inputs.params.tensors) {
    grads[name] = Float64Array.from(await t.grad!.toArray());
    values[name] = Float64Array.from(await t.toArray());
    decay[name] = deltas[k++];
  }
  return { blocks: inputs.data.chunks.length, loss: await loss.item(), grads, values, decay };
}

/** A tiny spec §9 benchmark (d = 3, ER-1, linear, hard) as a dataset; tests vary the sizes and seed. */
export function tinyBenchmark(
  seed: number,
  { perturbations = 2, nPerEnv = 20, nObs = 60, q = 3 } = {},
): ReturnType<typeof generateBenchmark> & Pick<Dataset, "dir"> {
  const generated = generateBenchmark({
    d: 3,
    graph: "er",
    edgesPerNode: 1,
    mechanism: "linear",
    intervention: "hard",
    perturbations,
    nPerEnv,
    nObs,
    q,
    seed,
  });
  return { ...generated, dir: "synthetic" };
}

/** Four mean-shifted envs (25 rows) and an observational one (60 rows) over d variables: the replay tests' data. */
export function shiftedEnvs(d: number): TrainingSet {
  const rng = new HostRandom(8);
  const envs = [
    { id: "obs", features: [0, 0, 0], samples: Float64Array.from({ length: 60 * d }, () => rng.normal()), n: 60 },
  ];
  for (let k = 0; k < 4; k++)
    envs.push({
      id: `e${k}`,
      features: [k + 1, (k % 2) - 0.5, 0.3],
      samples: Float64Array.from({ length: 25 * d }, () => rng.normal() + k),
      n: 25,
    });
  return { variables: Array.from({ length: d }, (_, j) => `x${j}`), featureNames: ["a", "b", "c"], envs };
}

/** An intervention term b [R, N] of `data` for targets [E, R, d] and ψ [E, R, width·d]. */
export type InterventionTerm = (data: DeviceData, targets: Tensor, psi: Tensor, config: GimConfig) => Tensor;

/**
 * A fused intervention term against its composition from existing ops, f64 on cpu: b and the VJPs
 * of the targets and ψ (through Σ w ⊙ b with random weights) agree to 1e-10 relative. Draws the
 * targets (uniform), ψ (psiScale · normal) and the weights from `rng`, in that order.
 */
export async function checkTermAgainstComposition(
  rng: HostRandom,
  set: TrainingSet,
  config: GimConfig,
  { R, width, psiScale }: { R: number; width: number; psiScale: number },
  fused: InterventionTerm,
  composed: InterventionTerm,
): Promise<void> {
  const data = uploadData(set, cpu, "f64", false);
  const [d, E] = [data.d, data.E];
  const I = f64(
    draw(rng, E * R * d, (r) => r.uniform()),
    [E, R, d],
  );
  const psi = f64(
    draw(rng, E * R * width * d, (r) => psiScale * r.normal()),
    [E, R, width * d],
  );
  const weights = f64(
    draw(rng, R * data.N, (r) => r.normal()),
    [R, data.N],
  );
  const run = async (f: InterventionTerm) => {
    const [it, pt] = [I, psi].map((t) => new Tensor(cpu, t.storage, t.shape, true));
    const b = f(data, it, pt, config);
    const values = await b.toArray();
    backward(sum(mul(b, weights)));
    return [values, await it.grad!.toArray(), await pt.grad!.toArray()];
  };
  const got = await run(fused);
  const want = await run(composed);
  ["b", "Ī", "ψ̄"].forEach((what, k) =>
    got[k].forEach((v, i) => {
      const w = want[k][i];
      if (!(Math.abs(v - w) <= 1e-10 * Math.max(1, Math.abs(w))))
        throw new Error(`${what}[${i}]: fused ${v}, composed ${w}`);
    }),
  );
}
