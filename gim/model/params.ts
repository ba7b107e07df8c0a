/**
 * GIM parameters (spec §1, §4, §8) with their initialisation:
 *   Z = (U, V): [d, k] each, N(0, 1)                          — graph embedding
 *   θ: linear Θ [d, d] ~ N(0, 0.3²), or MLP W1 [d, d, H] indexed [j, i, h], b1 [d, H],
 *      w2 [d, H], b2 [d] (Glorot normal, zero biases); ℓ [d] = 0 (log-variances)
 *   ZILN noise (§3 eq 15): ζ [d], π_j = σ(ζ_j), at the logit of the training data's zero
 *      fraction clipped to [0.01, 0.99] [default]; it is a θ parameter (θ pass, Gaussian prior
 *      N(0, σ_ℓ²) like ℓ).
 *   φ: f_φ: p → 100 → 100 → d (target logits) and h_φ (intervention parameters: hard (m, λ)
 *      as two nets, shift δ as one, hard-ZILN (ζ', m, λ) as three), tanh, Glorot normal,
 *      zero biases, except hard-ZILN's output biases: the data's (ζ', m, λ) (psiOutputBias).
 *   BaCaDI* (amortize = false): free per-environment target logits [K, d] and parameters
 *      [K, c·d] replace φ.
 * Values are drawn on the host from the seed, so every backend starts from the same numbers.
 */
import type { Backend, DType } from "../../engine/backend.js";
import { HostRandom } from "../../engine/host-random.js";
import type { FloatArray } from "../../engine/kernel.js";
import { sizeOf } from "../../engine/shape.js";
import { Tensor } from "../../engine/tensor.js";
import { type GimConfig, incompatibility, noiseOf } from "./config.js";
import type { TrainingSet } from "../data/training-set.js";
import { zilnHeadFromMean } from "./ziln-mean-scale.js";

export interface Dimensions {
  d: number;
  /** Feature width p. */
  p: number;
  /** Interventional environments K. */
  K: number;
  /** Fraction of exact zeros per variable in the training data [d] (ZILN init of ζ). */
  zeroFraction?: number[];
  /** Mean and log-std of log x over the positive entries per variable [d] (ZILN init of ψ). */
  positiveLog?: { mean: number[]; logStd: number[] };
}

/**
 * The dimensions of a training set. With ZILN noise it also checks the data (x ≥ 0: the
 * log-normal part takes log x) and measures each variable's zero fraction for the ζ init.
 */
export function dimensionsOf(config: GimConfig, set: TrainingSet): Dimensions {
  const d = set.variables.length;
  const dims: Dimensions = { d, p: set.featureNames.length, K: set.envs.length - 1 };
  if (noiseOf(config) !== "ziln") return dims;
  const zeros = new Array<number>(d).fill(0);
  const logSum = new Array<number>(d).fill(0);
  const logSquares = new Array<number>(d).fill(0);
  let rows = 0;
  for (const env of set.envs) {
    for (let k = 0; k < env.n * d; k++) {
      const x = env.samples[k];
      if (x < 0)
        throw new Error(
          `--noise ziln needs non-negative data, but env '${env.id}' has ${set.variables[k % d]} = ${x} (row ${Math.floor(k / d) + 1})`,
        );
      if (x === 0) zeros[k % d]++;
      else {
        const log = Math.log(x);
        logSum[k % d] += log;
        logSquares[k % d] += log * log;
      }
    }
    rows += env.n;
  }
  const positives = zeros.map((z) => rows - z);
  const mean = logSum.map((s, j) => (positives[j] > 0 ? s / positives[j] : 0));
  const logStd = logSquares.map((s, j) => {
    const variance = positives[j] > 1 ? s / positives[j] - mean[j] ** 2 : 1;
    return 0.5 * Math.log(Math.max(variance, 1e-4));
  });
  return { ...dims, zeroFraction: zeros.map((z) => z / Math.max(rows, 1)), positiveLog: { mean, logStd } };
}

/** ζ_j = logit(clip(zero fraction, 0.01, 0.99)) (spec §3 [default]). */
function zeroLogitInit(fractions: number[] | undefined) {
  if (!fractions)
    throw new Error(
      "ZILN noise: initialising ζ needs the zero fraction of the training data (Dimensions.zeroFraction)",
    );
  return () =>
    fractions.map((f) => {
      const p = Math.min(0.99, Math.max(0.01, f));
      return Math.log(p / (1 - p));
    });
}

export type ParamGroup = "z" | "theta" | "phi";

export interface ParamSpec {
  name: string;
  shape: number[];
  group: ParamGroup;
  init: (rng: HostRandom, n: number) => number[];
}

export interface GimParams {
  specs: ParamSpec[];
  tensors: Map<string, Tensor>;
}

const normal = (std: number) => (rng: HostRandom, n: number) => Array.from({ length: n }, () => std * rng.normal());
const zerosInit = (_rng: HostRandom, n: number) => new Array<number>(n).fill(0);
const glorot = (fanIn: number, fanOut: number) => normal(Math.sqrt(2 / (fanIn + fanOut)));

/** Width c·d of ψ: hard (m, λ) → 2d, shift δ → d, hard-ZILN (ζ', m, λ) → 3d. */
export function psiWidth(config: GimConfig, d: number): number {
  return config.intervention === "hard" ? 2 * d : config.intervention === "ziln" ? 3 * d : d;
}

/** Names of the GIM networks: f (targets) and the heads of h, in the order of ψ's blocks. */
export function gimNets(config: GimConfig): string[] {
  if (config.intervention === "ziln") return ["f", "hZeroLogit", "hMean", "hLogStd"];
  return config.intervention === "hard" ? ["f", "hMean", "hLogStd"] : ["f", "hShift"];
}

function netSpecs(name: string, p: number, hidden: number, out: number, outputBias?: number[]): ParamSpec[] {
  const widths = [p, hidden, hidden, out];
  const specs: ParamSpec[] = [];
  for (let l = 0; l < 3; l++) {
    specs.push({
      name: `${name}.W${l}`,
      shape: [widths[l], widths[l + 1]],
      group: "phi",
      init: glorot(widths[l], widths[l + 1]),
    });
    const bias = l === 2 && outputBias ? () => [...outputBias] : zerosInit;
    specs.push({ name: `${name}.b${l}`, shape: [widths[l + 1]], group: "phi", init: bias });
  }
  return specs;
}

/**
 * Hard-ZILN ψ = (ζ', m, λ) starts at the training data's own ZILN fit per variable (zero logit,
 * mean and log-std of log x over positives), so that turning a target on does not first cost the
 * likelihood of a unit log-normal: otherwise λ_I switches targets off before ψ has learnt, and an
 * off target gives ψ no gradient to ever learn from (docs/tuning.md, single-cell). Other
 * interventions start at zero output bias as before.
 */
function psiOutputBias(config: GimConfig, dims: Dimensions): number[][] | null {
  if (config.intervention !== "ziln" || !dims.positiveLog) return null;
  return [zeroLogitInit(dims.zeroFraction)(), zilnHeadFromMean(config, dims.positiveLog.mean), dims.positiveLog.logStd];
}

export function paramSpecs(config: GimConfig, dims: Dimensions): ParamSpec[] {
  const problem = incompatibility(config);
  if (problem) throw new Error(problem);
  const { d, p, K } = dims;
  const k = config.rank ?? d;
  const H = config.hidden;
  const specs: ParamSpec[] = [
    { name: "U", shape: [d, k], group: "z", init: normal(1) },
    { name: "V", shape: [d, k], group: "z", init: normal(1) },
  ];
  if (config.mechanism === "linear") {
    specs.push({ name: "Theta", shape: [d, d], group: "theta", init: normal(config.thetaStd) });
  } else {
    specs.push(
      { name: "W1", shape: [d, d, H], group: "theta", init: glorot(d, H) },
      { name: "b1", shape: [d, H], group: "theta", init: zerosInit },
      { name: "w2", shape: [d, H], group: "theta", init: glorot(H, 1) },
      { name: "b2", shape: [d], group: "theta", init: zerosInit },
    );
  }
  specs.push({ name: "ell", shape: [d], group: "theta", init: zerosInit });
  if (noiseOf(config) === "ziln")
    specs.push({ name: "zeta", shape: [d], group: "theta", init: zeroLogitInit(dims.zeroFraction) });
  const psiBias = psiOutputBias(config, dims);
  if (config.amortize) {
    gimNets(config).forEach((net, k) =>
      specs.push(...netSpecs(net, p, config.gimHidden, d, k > 0 ? psiBias?.[k - 1] : undefined)),
    );
  } else {
    const psiRow = psiBias?.flat();
    specs.push(
      { name: "targetLogits", shape: [K, d], group: "phi", init: zerosInit },
      {
        name: "psiFree",
        shape: [K, psiWidth(config, d)],
        group: "phi",
        init: psiRow ? () => Array.from({ length: K }, () => psiRow).flat() : zerosInit,
      },
    );
  }
  return specs;
}

export function initParams(config: GimConfig, dims: Dimensions, backend: Backend, dtype: DType): GimParams {
  const rng = new HostRandom(config.seed * 7919 + 17);
  const specs = paramSpecs(config, dims);
  const tensors = new Map<string, Tensor>();
  for (const spec of specs) {
    const values = spec.init(rng, sizeOf(spec.shape));
    tensors.set(spec.name, new Tensor(backend, backend.upload(values, dtype), spec.shape, true));
  }
  return { specs, tensors };
}

export function param(params: GimParams, name: string): Tensor {
  const t = params.tensors.get(name);
  if (!t) throw new Error(`GIM parameter '${name}' does not exist for this configuration`);
  return t;
}

export function groupParams(params: GimParams, group: ParamGroup): Tensor[] {
  return params.specs.filter((s) => s.group === group).map((s) => param(params, s.name));
}

/**
 * θ_mech as the objective passes it around, by the spec's names (§1): Θ [d, d] (linear), or
 * W1 [d, d, H] indexed [j, i, h], b1 [d, H], w2 [d, H], b2 [d] (MLP); and ζ [d] with ZILN noise
 * (null with Gaussian noise), so ζ is live in the θ pass and frozen in the Z pass exactly like the
 * mean's weights.
 */
export type MechanismParams =
  | { kind: "linear"; Theta: Tensor; zeta: Tensor | null }
  | { kind: "mlp"; W1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor; zeta: Tensor | null };

export function mechanismParams(params: GimParams, config: GimConfig): MechanismParams {
  const zeta = noiseOf(config) === "ziln" ? param(params, "zeta") : null;
  if (config.mechanism === "linear") return { kind: "linear", Theta: param(params, "Theta"), zeta };
  return {
    kind: "mlp",
    W1: param(params, "W1"),
    b1: param(params, "b1"),
    w2: param(params, "w2"),
    b2: param(params, "b2"),
    zeta,
  };
}

/** The mean's weights, in the order above: Θ, or W1, b1, w2, b2 (the θ prior's tensors). */
export function meanWeights(mech: MechanismParams): Tensor[] {
  return mech.kind === "linear" ? [mech.Theta] : [mech.W1, mech.b1, mech.w2, mech.b2];
}

/** The same parameters with `f` applied to each tensor (detach: the frozen copies). */
export function mapMechanism(mech: MechanismParams, f: (t: Tensor) => Tensor): MechanismParams {
  const zeta = mech.zeta && f(mech.zeta);
  if (mech.kind === "linear") return { kind: "linear", Theta: f(mech.Theta), zeta };
  return { kind: "mlp", W1: f(mech.W1), b1: f(mech.b1), w2: f(mech.w2), b2: f(mech.b2), zeta };
}

/** The noise parameters under the N(0, σ_ℓ²) prior: ℓ, and ζ with ZILN noise. */
export function noiseParams(params: GimParams, config: GimConfig): Tensor[] {
  return noiseOf(config) === "ziln" ? [param(params, "ell"), param(params, "zeta")] : [param(params, "ell")];
}

/** Host copies of every parameter, by name (for checkpoints and model files). */
export async function readParams(params: GimParams): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const spec of params.specs) {
    const values: FloatArray = await param(params, spec.name).toArray();
    out[spec.name] = Array.from(values);
  }
  return out;
}

/** Overwrites parameters in place from host values (shapes must match). */
export function writeParams(params: GimParams, values: Record<string, ArrayLike<number>>): void {
  for (const spec of params.specs) {
    const v = values[spec.name];
    if (!v) throw new Error(`checkpoint has no parameter '${spec.name}'`);
    if (v.length !== sizeOf(spec.shape))
      throw new Error(`checkpoint parameter '${spec.name}' has ${v.length} values, expected ${sizeOf(spec.shape)}`);
    const t = param(params, spec.name);
    const staged = t.backend.upload(v, t.dtype);
    t.backend.copy(staged, 0, t.storage, 0, v.length);
    t.backend.release(staged);
  }
}
