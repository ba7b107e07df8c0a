/**
 * One training step's objective (spec §0), as a single scalar whose one backward pass yields the
 * three gradients of the spec's split:
 *   J = ℓ̂(G̃, I, sg ψ)|θ,ℓ const   → g_Z   (soft graph, hard targets)
 *     + ℓ̂(G, Ĩ, ψ)|θ,ℓ const      → g_φ   (hard graph, soft targets)
 *     + ℓ̂(G, I, sg ψ)             → g_θ   (hard graph, hard targets)
 *     + log p̂(Z, θ) + log p(φ)
 * Hard samples carry no gradient, so each ℓ̂ term reaches exactly one parameter group. The
 * draws L_G, L_I, ε are shared by the three terms (one draw per step, §2 [default]).
 * Returned loss: −J/N (same Adam steps as −J, better conditioned; §6).
 */
import { detach, noGrad, randn, tidy } from "../../engine/index.js";
import {
  add,
  affine,
  concat,
  denseLayer,
  prependZeros,
  exp,
  gumbelSigmoid,
  hardBernoulli,
  logsumexp,
  matmul,
  mul,
  reshape,
  sigmoid,
  softplus,
  spectralRadius,
  sub,
  slice,
  sum,
} from "../../kernels/ops.js";
import { inPhase } from "../../engine/phase.js";
import type { Tensor } from "../../engine/tensor.js";
import { zilnMeanFromHead, zilnMeanScaleOf } from "./ziln-mean-scale.js";
import { type GimConfig, alphaAt, lambdaTargetsAt, targetLogitStdOf, targetPriorOf } from "./config.js";
import { withPsiMarginalFit } from "./psi-marginal-fit.js";
import { type DeviceData, rowBlocks } from "./device-data.js";
import {
  contraction,
  gaussianPrior,
  interventionTerms,
  likelihood,
  likelihoodSums,
  logMeanExp,
  perGraphSums,
  type ParameterPrior,
} from "./likelihood.js";
import {
  type GimParams,
  type MechanismParams,
  gimNets,
  groupParams,
  mapMechanism,
  meanWeights,
  mechanismParams,
  noiseParams,
  param,
  psiWidth,
} from "./params.js";

/** Philox streams: one block of 16 per step, one stream per purpose, so counters never collide. */
export const STREAMS = { graph: 0, targets: 1, psi: 2, acyclicity: 3, power: 4, rows: 5 } as const;
export function streamFor(step: number, purpose: keyof typeof STREAMS): number {
  return step * 16 + STREAMS[purpose];
}

export interface LagrangianState {
  alpha: number;
  mu: number;
  /** Factor on the whole penalty in J (absent: 1); see gim/train/lagrangian.ts. */
  scale?: number;
}

/**
 * Every number of a step that changes with t, exactly as the kernels receive it. A replayed step
 * (gim/train/step-replay.ts) finds them as the uniforms that differ between two recordings with
 * different values, and rewrites them each step; a kernel must get them raw, not derived.
 */
export interface StepScalars {
  step: number;
  /** α_t (§2). */
  alpha: number;
  /** −λ_I(t) (§6). */
  targetPriorScale: number;
  /** −α_AL and −μ_AL/2 (§6). */
  alLinear: number;
  alQuadratic: number;
}

export function scalarsAt(config: GimConfig, step: number, al: LagrangianState): StepScalars {
  return {
    step,
    alpha: alphaAt(config, step),
    targetPriorScale: -lambdaTargetsAt(config, step),
    alLinear: -al.alpha * (al.scale ?? 1),
    alQuadratic: (-al.mu / 2) * (al.scale ?? 1),
  };
}

export interface StepTerms {
  /** −J/N, for logging; back-propagate `gradientParts`, not this. */
  loss: Tensor;
  /** ℓ̂ of the θ pass (hard graph, hard targets), for logging. */
  logLikelihood: Tensor;
  /** ĥ: mean spectral radius of M_h soft samples. */
  acyclicity: Tensor;
  /** Scalars whose gradients add up to ∇loss, to back-propagate one after the other. */
  gradientParts: (() => Tensor)[];
}

/** What a step is computed from: the parameters, the configuration, the uploaded rows and Γ [K, p]. */
export interface StepInputs {
  params: GimParams;
  config: GimConfig;
  data: DeviceData;
  gamma: Tensor;
  /**
   * The Gaussian priors on parameters are in the loss as values only: their gradients are Adam's
   * δ p (priorDecays), which saves a VJP and a gradient accumulation per tensor and step.
   */
  priorsInOptimizer?: boolean;
}

/** Edge logits α·U Vᵀ: [d, d]. */
export function edgeLogits(params: GimParams, alpha: number): Tensor {
  return affine(matmul(param(params, "U"), param(params, "V"), { transposeB: true }), alpha);
}

/**
 * The networks `names` (each p → 100 → 100 → out, tanh, linear output) on Γ [K, p], side by
 * side: [K, n·out], net t's output in columns t·out … (t+1)·out − 1. One denseLayer dispatch per
 * layer for all of them (kernels/dense-layer.ts).
 */
export function gimNetOutputs(params: GimParams, names: readonly string[], gamma: Tensor): Tensor {
  const layer = (l: number) => ({
    weights: names.map((name) => param(params, `${name}.W${l}`)),
    biases: names.map((name) => param(params, `${name}.b${l}`)),
  });
  let h = gamma;
  for (let l = 0; l < 2; l++) h = denseLayer(h, layer(l).weights, layer(l).biases, { activation: "tanh" });
  const last = layer(2);
  const out = denseLayer(h, last.weights, last.biases, { activation: "identity", rowMajor: true }); // [K, n, out]
  return reshape(out, [gamma.shape[0], -1]);
}

/** Target logits a = f_φ(Γ): [K, d]. */
export function targetLogits(params: GimParams, config: GimConfig, gamma: Tensor): Tensor {
  return config.amortize ? gimNetOutputs(params, ["f"], gamma) : param(params, "targetLogits");
}

/** Mean intervention parameters h_φ(Γ): [K, c·d], the heads' outputs side by side (ψ's blocks). */
export function psiMean(params: GimParams, config: GimConfig, gamma: Tensor): Tensor {
  if (!config.amortize) return param(params, "psiFree");
  const heads = gimNets(config).slice(1);
  const all = gimNetOutputs(params, heads, gamma);
  const meanAt = heads.indexOf("hMean");
  if (config.intervention !== "ziln" || zilnMeanScaleOf(config) !== "linear") return all;
  // The linear-scale ZILN mean head: m = log softplus(head) on its block only.
  const d = all.shape[1] / heads.length;
  const blocks = heads.map((_, t) => slice(all, 1, t * d, (t + 1) * d));
  blocks[meanAt] = zilnMeanFromHead(config, blocks[meanAt]);
  return concat(blocks, 1);
}

/**
 * Prepends the observational env (zeros) to a per-interventional-env tensor [K, R, w], or with
 * `perm` = [1, 0, 2] to one drawn as [R, K, w]: one dispatch.
 */
function withObservational(t: Tensor, perm?: readonly number[]): Tensor {
  return prependZeros(t, 1, perm);
}

export interface Draws {
  softGraph: Tensor;
  hardGraph: Tensor;
  softTargets: Tensor; // [E, R, d]
  hardTargets: Tensor; // [E, R, d]
  psi: Tensor; // [E, R, c·d]
  logits: Tensor; // a [K, d]
}

/**
 * One noise draw per step, shared by the three terms. `logits`: the step's edgeLogits when the
 * caller has them (one α·U Vᵀ per step: at d = 1,000 it is a GFLOP, and its VJP two more).
 */
export function drawStep(
  { params, config, data, gamma }: StepInputs,
  step: number,
  alpha: number,
  logits: Tensor = edgeLogits(params, alpha),
): Draws {
  const M = config.mcSamples;
  const seed = config.seed;
  const graphNoise = { samples: M, tau: config.tau, seed, stream: streamFor(step, "graph"), zeroDiagonal: true };
  const softGraph = gumbelSigmoid(logits, graphNoise);
  const hardGraph = hardBernoulli(detach(logits), graphNoise);
  const a = targetLogits(params, config, gamma);
  const targetNoise = { samples: M, tau: config.tau, seed, stream: streamFor(step, "targets"), zeroDiagonal: false };
  const soft = gumbelSigmoid(a, targetNoise); // [R, K, d]
  const hard = hardBernoulli(detach(a), targetNoise);
  const K = gamma.shape[0];
  const width = psiWidth(config, data.d);
  const eps = randn([K, M, width], {
    seed,
    stream: streamFor(step, "psi"),
    backend: gamma.backend,
    dtype: gamma.dtype,
  });
  const psi = add(reshape(psiMean(params, config, gamma), [K, 1, width]), affine(eps, config.sigmaPsi));
  return {
    softGraph,
    hardGraph,
    softTargets: withObservational(soft, [1, 0, 2]),
    hardTargets: withObservational(hard, [1, 0, 2]),
    psi: withObservational(psi),
    logits: a,
  };
}

/** ĥ = mean_m ρ(G̃'_m) over M_h fresh soft samples (spec §6, §7). */
export function acyclicity(
  params: GimParams,
  config: GimConfig,
  step: number,
  alpha: number,
  logits: Tensor = edgeLogits(params, alpha),
): Tensor {
  const samples = gumbelSigmoid(logits, {
    samples: config.acyclicitySamples,
    tau: config.tau,
    seed: config.seed,
    stream: streamFor(step, "acyclicity"),
    zeroDiagonal: true,
  });
  const rho = spectralRadius(samples, {
    iterations: config.powerIterations,
    seed: config.seed,
    stream: streamFor(step, "power"),
  });
  return affine(sum(rho), 1 / config.acyclicitySamples);
}

/** The ĥ terms of log p̂(Z, θ) (eq 12) with the AL state: −α_AL ĥ − (μ_AL/2) ĥ². */
function lagrangianPenalty(h: Tensor, scalars: StepScalars): Tensor {
  return add(affine(h, scalars.alLinear), affine(mul(h, h), scalars.alQuadratic));
}

/** Z ~ N(0, 1/k), θ's mean weights ~ N(0, σ_θ²), ℓ (and ζ) ~ N(0, σ_ℓ²); φ ~ N(0, σ_φ²). */
function parameterPriors(
  params: GimParams,
  config: GimConfig,
  d: number,
): { model: ParameterPrior[]; gim: ParameterPrior[] } {
  return {
    model: [
      { tensors: groupParams(params, "z"), std: Math.sqrt(1 / (config.rank ?? d)) },
      { tensors: meanWeights(mechanismParams(params, config)), std: config.sigmaTheta },
      { tensors: noiseParams(params, config), std: config.sigmaEll },
    ],
    gim: [{ tensors: groupParams(params, "phi"), std: config.sigmaPhi }],
  };
}

/**
 * δ per tensor of `params.tensors` (in its order) for Adam to add the parameter priors' gradient
 * itself (engine/adam.ts; StepInputs.priorsInOptimizer): the loss −J/N holds ‖w‖²/(2σ²N) for a
 * tensor w under N(0, σ²), whose gradient is w/(σ²N), so δ = 1/(σ²N). 0 for a tensor without one.
 */
export function priorDecays(params: GimParams, config: GimConfig, d: number, N: number): number[] {
  const decay = new Map<Tensor, number>();
  const { model, gim } = parameterPriors(params, config, d);
  for (const { tensors, std } of [...model, ...gim]) for (const t of tensors) decay.set(t, 1 / (std * std * N));
  return [...params.tensors.values()].map((t) => decay.get(t) ?? 0);
}

/** Σ over priors of −‖w‖²/(2σ²): with gradients, or as a value only when Adam applies them. */
function priorTerm(priors: ParameterPrior[], inOptimizer: boolean): Tensor {
  const value = () => gaussianPrior(priors);
  return inOptimizer ? noGrad(value) : value();
}

/** log p̂(Z, θ) of eq 12, without the ĥ terms (lagrangianPenalty). */
function modelPrior(
  { params, config, data, priorsInOptimizer }: StepInputs,
  alpha: number,
  logits: Tensor = edgeLogits(params, alpha),
): Tensor {
  const probs = sum(mul(sigmoid(logits), data.offDiagonal));
  const { model } = parameterPriors(params, config, data.d);
  return add(affine(probs, -config.lambdaGraph), priorTerm(model, priorsInOptimizer ?? false));
}

/**
 * log p(φ) = −λ_I(t) Σ σ(a) − ‖φ‖²/(2σ_φ²) (or −λ_I(t) Σ softplus(a) with --target-prior softplus),
 * and −‖a‖²/(2σ_a²) with a target-logit prior.
 */
function gimPrior(
  { params, config, data, priorsInOptimizer }: StepInputs,
  targetPriorScale: number,
  logits: Tensor,
): Tensor {
  const { gim } = parameterPriors(params, config, data.d);
  const perTarget = targetPriorOf(config) === "softplus" ? softplus(logits) : sigmoid(logits);
  const prior = add(affine(sum(perTarget), targetPriorScale), priorTerm(gim, priorsInOptimizer ?? false));
  const logitStd = targetLogitStdOf(config);
  return logitStd > 0 ? gaussianPrior([{ tensors: [logits], std: logitStd }], prior) : prior;
}

/** The step's draws and θ_mech, ℓ, live and frozen (sg: the Z pass's θ, ℓ, ψ; the φ pass's θ, ℓ). */
interface StepPass {
  draws: Draws;
  mech: MechanismParams;
  ell: Tensor;
  frozen: { mech: MechanismParams; ell: Tensor; psi: Tensor };
}

/** A_m [M] of the three likelihood terms of J for one row block (see the file comment). */
function blockTerms(
  config: GimConfig,
  data: DeviceData,
  { draws, mech, ell, frozen }: StepPass,
): { z: Tensor; theta: Tensor; phi: Tensor } {
  const hard = { targets: draws.hardTargets, psi: frozen.psi };
  // Hard(-ZILN) interventions: b, Q of the Z and θ terms coincide (same targets, frozen ψ, no ℓ in b).
  const shared =
    config.intervention !== "shift" ? interventionTerms(config, data, { ...hard, ell: frozen.ell }) : undefined;
  const z = likelihoodSums(
    config,
    data,
    { ...hard, graphs: draws.softGraph, mech: frozen.mech, ell: frozen.ell },
    shared,
  ).perGraph;
  const theta = likelihoodSums(config, data, { ...hard, graphs: draws.hardGraph, mech, ell }, shared);
  const phiTerms = interventionTerms(config, data, { ell: frozen.ell, targets: draws.softTargets, psi: draws.psi });
  const phiSums = perGraphSums(
    data,
    contraction(config, { Lo: detach(theta.Lo), rho: theta.rho && detach(theta.rho) }, frozen.ell, phiTerms),
    config,
  );
  return { z, theta: theta.perGraph, phi: withPsiMarginalFit(config, data, phiSums, draws.psi, frozen.ell) };
}

/**
 * The merged objective of one step; see the file comment.
 *
 * Chunking over N (data.chunks): J's likelihood terms are ℓ̂_k = LSE_m[A_k,m] − log M with
 * A_k = Σ_blocks A_k(block), and ∂ℓ̂_k/∂A_k = w_k = softmax_m(A_k). So a first pass sums the
 * A_k(block) without a tape, one block at a time; then each block's part Σ_k ⟨w_k, A_k(block)⟩
 * (w_k detached) is built and back-propagated on its own, and the priors' part once: the
 * gradients add up to ∇J exactly, and only one block's intermediates are alive at a time, for
 * twice the forward work. Without chunks the one part is the loss itself.
 *
 * Each block of work carries one phase label (engine/phase.ts) for the profiled step: the draws
 * and everything row-dependent (the three terms, the loss, the block weights and parts) are
 * likelihood; ĥ and its Lagrangian terms acyclicity; log p̂(Z, θ) and log p(φ) priors.
 */
export function stepObjective(inputs: StepInputs, scalars: StepScalars): StepTerms {
  const { params, config, data } = inputs;
  // The edge logits once, for the draws, ĥ and the edge prior (their gradients meet on the tape).
  const edges = inPhase("likelihood", () => edgeLogits(params, scalars.alpha));
  const draws = inPhase("likelihood", () => drawStep(inputs, scalars.step, scalars.alpha, edges));
  const mech = mechanismParams(params, config);
  const ell = param(params, "ell");
  const pass: StepPass = {
    draws,
    mech,
    ell,
    frozen: { mech: mapMechanism(mech, detach), ell: detach(ell), psi: detach(draws.psi) },
  };
  const { h, penalty } = inPhase("acyclicity", () => {
    const h = acyclicity(params, config, scalars.step, scalars.alpha, edges);
    return { h, penalty: lagrangianPenalty(h, scalars) };
  });
  const rest = inPhase("priors", () =>
    [
      modelPrior(inputs, scalars.alpha, edges),
      penalty,
      gimPrior(inputs, scalars.targetPriorScale, draws.logits),
    ].reduce((acc, t) => add(acc, t)),
  );
  const scale = -1 / data.N;
  const blocks = rowBlocks(data);
  const { loss, thetaTerm, weights } = inPhase("likelihood", () => {
    const sums =
      blocks.length === 1
        ? blockTerms(config, data, pass)
        : noGrad(() =>
            blocks
              .map((block) => tidy(() => blockTerms(config, block, pass)))
              .reduce((acc, t) => ({ z: add(acc.z, t.z), theta: add(acc.theta, t.theta), phi: add(acc.phi, t.phi) })),
          );
    const [zTerm, thetaTerm, phiTerm] = [sums.z, sums.theta, sums.phi].map(logMeanExp);
    const loss = affine(
      [zTerm, phiTerm, thetaTerm, rest].reduce((acc, t) => add(acc, t)),
      scale,
    );
    if (blocks.length === 1) return { loss, thetaTerm, weights: null };
    const weights = noGrad(() =>
      [sums.z, sums.theta, sums.phi].map((a) => affine(exp(sub(a, logsumexp(a, 0))), scale)),
    );
    return { loss, thetaTerm, weights };
  });
  if (!weights) return { loss, logLikelihood: thetaTerm, acyclicity: h, gradientParts: [() => loss] };
  const dot = (w: Tensor, a: Tensor) => sum(mul(w, a));
  const blockPart = (block: DeviceData) => () =>
    inPhase("likelihood", () => {
      const t = blockTerms(config, block, pass);
      return add(add(dot(weights[0], t.z), dot(weights[1], t.theta)), dot(weights[2], t.phi));
    });
  const restPart = () => inPhase("priors", () => affine(rest, scale));
  return { loss, logLikelihood: thetaTerm, acyclicity: h, gradientParts: [restPart, ...blocks.map(blockPart)] };
}

/**
 * The three objectives of §0 with every parameter live (no stop-gradients): the merged step's
 * gradient restricted to Z, φ and θ must equal ∇_Z J_Z, ∇_φ J_φ and ∇_θ J_θ. Tests only.
 */
export function passObjectives(inputs: StepInputs, scalars: StepScalars): { z: Tensor; phi: Tensor; theta: Tensor } {
  const { params, config, data } = inputs;
  const { step, alpha } = scalars;
  const draws = drawStep(inputs, step, alpha);
  const mech = mechanismParams(params, config);
  const ell = param(params, "ell");
  const h = acyclicity(params, config, step, alpha);
  const modelTerms = add(modelPrior(inputs, alpha), lagrangianPenalty(h, scalars));
  const at = (graphs: Tensor, targets: Tensor) => ({ graphs, mech, ell, targets, psi: draws.psi });
  const z = add(likelihood(config, data, at(draws.softGraph, draws.hardTargets)), modelTerms);
  const phiLikelihood = likelihood(config, data, at(draws.hardGraph, draws.softTargets));
  const phi = add(
    withPsiMarginalFit(config, data, phiLikelihood, draws.psi, ell),
    gimPrior(inputs, scalars.targetPriorScale, draws.logits),
  );
  const theta = add(likelihood(config, data, at(draws.hardGraph, draws.hardTargets)), modelTerms);
  const scale = -1 / data.N;
  return { z: affine(z, scale), phi: affine(phi, scale), theta: affine(theta, scale) };
}
