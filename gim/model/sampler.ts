/**
 * Prediction for any features vector γ* (spec §8), on the host in float64: per output sample,
 * I ~ Bern(σ(f_φ(γ*))) and ψ ~ N(h_φ(γ*), σ_ψ²); then the variables in topological order of
 * G_MAP: x_j = μ_j(G_MAP[:, j] ⊙ x) + e^{ℓ_j/2} ε (not targeted), m_j + e^{λ_j} ε (hard),
 * μ_j + δ_j + e^{ℓ_j/2} ε (shift). With ZILN noise (§3, §8): x_j = 0 with probability
 * π_j = σ(ζ_j), else exp(μ_j + e^{ℓ_j/2} ε); targeted (hard-ZILN, ψ = (ζ', m, λ)): 0 with
 * probability σ(ζ'_j), else exp(m_j + e^{λ_j} ε), λ clamped as in training.
 * γ = 0 is the observational environment: I = 0.
 *
 * Targets "map" replaces the Bernoulli draw by the MAP targets 1[σ(f_φ(γ*)) > 0.5], the same in
 * every sample: a model unsure of a target (probability near ½) otherwise predicts a mixture of
 * the intervened and the unintervened system, whose mean is neither (issue #13, item (d)).
 */
import { HostRandom } from "../../engine/host-random.js";
import { noiseOf } from "./config.js";
import type { ModelFile } from "./model-file.js";
import { topologicalOrder } from "../graph/dag.js";
import { gimNets, psiWidth } from "./params.js";
import { zilnMeanFromHeadHost } from "./ziln-mean-scale.js";

type Weights = ModelFile["weights"];

/** How prediction picks the targets per sample: Bernoulli draws (spec §8) or the MAP targets. */
export type TargetMode = "sampled" | "map";

function w(weights: Weights, name: string): number[] {
  const entry = weights[name];
  if (!entry) throw new Error(`model has no weight '${name}'`);
  return entry.values;
}

/** p → 100 → 100 → out on the host. */
function net(weights: Weights, name: string, input: number[]): number[] {
  let h = input;
  for (let l = 0; l < 3; l++) {
    const W = weights[`${name}.W${l}`];
    const b = w(weights, `${name}.b${l}`);
    const [inW, outW] = W.shape;
    const out = b.slice();
    for (let i = 0; i < inW; i++) {
      const hi = h[i];
      if (hi === 0) continue;
      for (let o = 0; o < outW; o++) out[o] += hi * W.values[i * outW + o];
    }
    h = l < 2 ? out.map(Math.tanh) : out;
  }
  return h;
}

export class HostModel {
  readonly d: number;
  readonly order: number[];
  constructor(readonly model: ModelFile) {
    this.d = model.variables.length;
    const order = topologicalOrder(model.graph);
    if (!order) throw new Error("model graph is cyclic (the MAP graph must be a DAG)");
    this.order = order;
  }

  isObservational(features: number[]): boolean {
    return features.every((v) => v === 0);
  }

  private trainIndex(features: number[]): number {
    const k = this.model.trainFeatures.findIndex(
      (f) => f.length === features.length && f.every((v, i) => v === features[i]),
    );
    if (k < 0) {
      throw new Error(
        "this model was trained without amortization (BaCaDI*: free per-environment targets) and cannot predict unseen environments; only the training environments' features are known to it",
      );
    }
    return k;
  }

  /** Target logits a = f_φ(γ) [d]. */
  targetLogits(features: number[]): number[] {
    if (this.model.config.amortize) return net(this.model.weights, "f", features);
    const k = this.trainIndex(features);
    return w(this.model.weights, "targetLogits").slice(k * this.d, (k + 1) * this.d);
  }

  targetProbabilities(features: number[]): number[] {
    if (this.isObservational(features)) return new Array<number>(this.d).fill(0);
    return this.targetLogits(features).map((a) => 1 / (1 + Math.exp(-a)));
  }

  /** h_φ(γ): hard (m, λ) [2d], shift δ [d] or hard-ZILN (ζ', m, λ) [3d]. */
  psiMean(features: number[]): number[] {
    const { config, weights } = this.model;
    if (!config.amortize) {
      const width = psiWidth(config, this.d);
      const k = this.trainIndex(features);
      return w(weights, "psiFree").slice(k * width, (k + 1) * width);
    }
    return gimNets(config)
      .slice(1)
      .flatMap((name) => {
        const head = net(weights, name, features);
        return name === "hMean" && config.intervention === "ziln" ? zilnMeanFromHeadHost(config, head) : head;
      });
  }

  /** μ_j(G_MAP[:, j] ⊙ x). */
  mechanism(j: number, x: Float64Array | number[]): number {
    const { config, weights, graph } = this.model;
    const d = this.d;
    if (config.mechanism === "linear") {
      const theta = w(weights, "Theta");
      let mu = 0;
      for (let i = 0; i < d; i++) if (graph[i][j]) mu += x[i] * theta[i * d + j];
      return mu;
    }
    const H = config.hidden;
    const W1 = w(weights, "W1");
    const b1 = w(weights, "b1");
    const w2 = w(weights, "w2");
    let mu = w(weights, "b2")[j];
    for (let h = 0; h < H; h++) {
      let pre = b1[j * H + h];
      for (let i = 0; i < d; i++) if (graph[i][j]) pre += x[i] * W1[(j * d + i) * H + h];
      mu += w2[j * H + h] * Math.tanh(pre);
    }
    return mu;
  }

  /** The targets of one sample: fresh Bernoulli draws, or the MAP targets (no draw). */
  private targetDraw(probs: number[], mode: TargetMode, rng: HostRandom): boolean[] {
    return mode === "map" ? probs.map((p) => p > 0.5) : probs.map((p) => rng.uniform() < p);
  }

  /** n samples [n·d] for features γ. */
  sample(features: number[], n: number, rng: HostRandom, targets: TargetMode = "sampled"): Float64Array {
    const { config, weights } = this.model;
    const d = this.d;
    const ell = w(weights, "ell");
    const observational = this.isObservational(features);
    const probs = this.targetProbabilities(features);
    const psiMean = observational ? [] : this.psiMean(features);
    const clampC = config.logStdClamp;
    const clampLogStd = (v: number) => (clampC > 0 ? clampC * Math.tanh(v / clampC) : v);
    if (noiseOf(config) === "ziln") return this.sampleZiln(n, rng, probs, psiMean, clampLogStd, targets);
    const out = new Float64Array(n * d);
    for (let s = 0; s < n; s++) {
      const targeted = this.targetDraw(probs, targets, rng);
      const psi = psiMean.map((m) => m + config.sigmaPsi * rng.normal());
      const x = out.subarray(s * d, (s + 1) * d);
      for (const j of this.order) {
        const eps = rng.normal();
        const mu = this.mechanism(j, x);
        const obsStd = Math.exp(0.5 * ell[j]);
        if (!targeted[j]) x[j] = mu + obsStd * eps;
        else if (config.intervention === "hard") {
          const logStd = clampLogStd(psi[d + j]);
          x[j] = psi[j] + Math.exp(logStd) * eps;
        } else x[j] = mu + psi[j] + obsStd * eps;
      }
    }
    return out;
  }

  /** ZILN noise, hard-ZILN interventions; ψ = (ζ', m, λ) [3d]. */
  private sampleZiln(
    n: number,
    rng: HostRandom,
    probs: number[],
    psiMean: number[],
    clampLogStd: (v: number) => number,
    mode: TargetMode,
  ): Float64Array {
    const { config, weights } = this.model;
    const d = this.d;
    const ell = w(weights, "ell");
    const zeroProb = w(weights, "zeta").map((z) => 1 / (1 + Math.exp(-z)));
    const out = new Float64Array(n * d);
    for (let s = 0; s < n; s++) {
      const targeted = this.targetDraw(probs, mode, rng);
      const psi = psiMean.map((m) => m + config.sigmaPsi * rng.normal());
      const x = out.subarray(s * d, (s + 1) * d);
      for (const j of this.order) {
        const u = rng.uniform();
        const eps = rng.normal();
        if (!targeted[j]) x[j] = u < zeroProb[j] ? 0 : Math.exp(this.mechanism(j, x) + Math.exp(0.5 * ell[j]) * eps);
        else
          x[j] =
            u < 1 / (1 + Math.exp(-psi[j])) ? 0 : Math.exp(psi[d + j] + Math.exp(clampLogStd(psi[2 * d + j])) * eps);
      }
    }
    return out;
  }
}
