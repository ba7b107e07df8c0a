/**
 * GIM parameters (spec §1, §4, §8) with their initialisation:
 *   Z = (U, V): [d, k] each, N(0, 1)                          — graph embedding
 *   θ: linear Θ [d, d] ~ N(0, 0.3²), or MLP W1 [d, d, H] indexed [j, i, h], b1 [d, H],
 *      w2 [d, H], b2 [d] (Glorot normal, zero biases); ℓ [d] = 0 (log-variances)
 *   φ: f_φ: p → 100 → 100 → d (target logits) and h_φ (intervention parameters: hard (m, λ)
 *      as two nets, shift δ as one), tanh, Glorot normal, zero biases.
 *   BaCaDI* (amortize = false): free per-environment target logits [K, d] and parameters
 *      [K, c·d] replace φ.
 * Values are drawn on the host from the seed, so every backend starts from the same numbers.
 */
import type { Backend, DType } from "../engine/backend.js";
import { HostRandom } from "../engine/host-random.js";
import type { FloatArray } from "../engine/kernel.js";
import { sizeOf } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import type { GimConfig } from "./config.js";

export interface Dimensions {
  d: number;
  /** Feature width p. */
  p: number;
  /** Interventional environments K. */
  K: number;
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

/** Width c·d of ψ: hard (m, λ) → 2d, shift δ → d. */
export function psiWidth(config: GimConfig, d: number): number {
  return config.intervention === "hard" ? 2 * d : d;
}

/** Names of the GIM networks: f (targets) and the heads of h. */
export function gimNets(config: GimConfig): string[] {
  return config.intervention === "hard" ? ["f", "hMean", "hLogStd"] : ["f", "hShift"];
}

function netSpecs(name: string, p: number, hidden: number, out: number): ParamSpec[] {
  const widths = [p, hidden, hidden, out];
  const specs: ParamSpec[] = [];
  for (let l = 0; l < 3; l++) {
    specs.push({ name: `${name}.W${l}`, shape: [widths[l], widths[l + 1]], group: "phi", init: glorot(widths[l], widths[l + 1]) });
    specs.push({ name: `${name}.b${l}`, shape: [widths[l + 1]], group: "phi", init: zerosInit });
  }
  return specs;
}

export function paramSpecs(config: GimConfig, dims: Dimensions): ParamSpec[] {
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
  if (config.amortize) {
    for (const net of gimNets(config)) specs.push(...netSpecs(net, p, config.gimHidden, d));
  } else {
    specs.push(
      { name: "targetLogits", shape: [K, d], group: "phi", init: zerosInit },
      { name: "psiFree", shape: [K, psiWidth(config, d)], group: "phi", init: zerosInit },
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

export function mechanismParams(params: GimParams, config: GimConfig): Tensor[] {
  return config.mechanism === "linear" ? [param(params, "Theta")] : ["W1", "b1", "w2", "b2"].map((n) => param(params, n));
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
    if (v.length !== sizeOf(spec.shape)) throw new Error(`checkpoint parameter '${spec.name}' has ${v.length} values, expected ${sizeOf(spec.shape)}`);
    const t = param(params, spec.name);
    const staged = t.backend.upload(v, t.dtype);
    t.backend.copy(staged, 0, t.storage, 0, v.length);
    t.backend.release(staged);
  }
}
