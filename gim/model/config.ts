/**
 * Training configuration: the spec's constants (gim-objective.md), with the source of each.
 * [default] values are guesses the spec makes; docs/tuning.md records what was tried.
 */
export type Mechanism = "linear" | "mlp";
/** "ziln": hard-ZILN interventions (spec §4, c = 3); needs noise "ziln". */
export type Intervention = "hard" | "shift" | "ziln";
/**
 * Observational noise (spec §3). "ziln": zero-inflated log-normal (eq 15) around the linear or
 * MLP mean. [recon] The spec lists ZILN beside the linear and MLP mechanisms; the paper uses
 * "zero-inflated log-normal MLP mechanisms" on count data, so the noise model is a separate
 * choice orthogonal to the mean (`--noise ziln` with `--mechanism linear|mlp`).
 */
export type Noise = "gaussian" | "ziln";
export type Marginalize = "per-sample" | "per-env";
export type AlRule = "spec" | "periodic";
export type AlPenalty = "total" | "per-sample";
export type TargetPrior = "sigmoid" | "softplus";
/** The scale of the hard-ZILN mean head (gim/model/ziln-mean-scale.ts). */
export type ZilnMeanScale = "log" | "linear";

export interface GimConfig {
  mechanism: Mechanism;
  intervention: Intervention;
  /** Absent in files written before ZILN: read it through noiseOf(). */
  noise?: Noise;
  steps: number;
  seed: number;
  /** MC graph samples M and target samples R = M (§5); M_h soft samples for ĥ (§6). */
  mcSamples: number;
  acyclicitySamples: number;
  /** Latent rank k (default d). */
  rank: number | null;
  /** α_t = alphaLinear·t (§2), or a constant when alphaConstant is set. */
  alphaLinear: number;
  alphaConstant: number | null;
  tau: number;
  sigmaPsi: number;
  lambdaGraph: number;
  lambdaTargets: number;
  /**
   * λ_I(t) moves by cosine from λ_I to lambdaTargetsEnd·λ_I (§6). The spec's [default] decays to
   * 0.1·λ_I with λ_I = 5; the default here is a constant λ_I = 50 (lambdaTargetsEnd = 1), because
   * an edge reversed against the truth costs one extra target per env that hits its parent, and
   * only λ_I charges for that: docs/tuning.md, session 3. A prior rising from 5 to 50 (5, 10)
   * helped on one outside generator and hurt on the other (session 7).
   */
  lambdaTargetsEnd: number;
  /**
   * Adam's lr(t) moves by cosine from lr to lrEnd·lr over the step budget [not in the spec]; absent
   * or 1: constant (the spec). A decaying lr lets minibatch training settle instead of ending in
   * its gradient noise (docs/single-cell.md, session 10). Read it through lrAt().
   */
  lrEnd?: number;
  sigmaTheta: number;
  /**
   * A Gaussian prior N(0, σ_a²) on the target logits a = f_φ(γ_e) of the training envs, added to
   * log p(φ) [not in the spec]; 0 or absent: none. It keeps the logits from saturating, where the
   * Gumbel-sigmoid gradient vanishes and a target, once named, can no longer be withdrawn when the
   * graph changes (docs/tuning.md, session 7). Read it through targetLogitStdOf().
   */
  targetLogitStd?: number;
  /**
   * The target prior's form [not in the spec when "softplus"]. "sigmoid" (absent): −λ_I Σ σ(a), the
   * spec's expected number of targets; its gradient λ_I σ(1 − σ) vanishes once a logit saturates, so
   * a target that costs no likelihood (ψ at the observational fit) stays on. "softplus":
   * −λ_I Σ softplus(a) = λ_I Σ log(1 − σ(a)), the log-probability of "not a target" under each
   * Bernoulli; its gradient −λ_I σ(a) keeps pulling a named target off however saturated it is
   * (docs/single-cell.md, session 10). Read it through targetPriorOf().
   */
  targetPrior?: TargetPrior;
  /**
   * Also fit ψ to every interventional env's marginals, target or not (gim/model/psi-marginal-fit.ts)
   * [not in the spec]; hard and hard-ZILN interventions only. Absent: false.
   */
  psiMarginalFit?: boolean;
  /**
   * The scale of the hard-ZILN mean head (gim/model/ziln-mean-scale.ts) [not in the spec when
   * "linear"]: "log" (absent) outputs m, "linear" outputs u with e^m = softplus(u).
   */
  zilnMeanScale?: ZilnMeanScale;
  sigmaEll: number;
  sigmaPhi: number;
  lr: number;
  /** Augmented Lagrangian (§6). */
  alSteps: number;
  alEta: number;
  alMuMax: number;
  powerIterations: number;
  holdoutFraction: number;
  /**
   * Seed of the holdout split; absent: `seed`. Restarts (gim/train/restarts.ts) vary `seed` and
   * fix this, so every restart is scored on the same rows it did not train on.
   */
  holdoutSeed?: number;
  convergenceTol: number;
  /**
   * From this fraction of the step budget on, every AL check counts as converged (the update
   * then waits only for G_∞ to be cyclic). 1 = never: the spec's rule alone.
   */
  alForceFrom: number;
  /**
   * When α_AL and μ_AL move (gim/train/lagrangian.ts): "spec" after holdout convergence only;
   * "periodic" at every check while G_∞ is cyclic, from the first converged check or from
   * alStartFrom·steps on, whichever comes first. Absent in older files: read through alRuleOf().
   */
  alRule?: AlRule;
  alStartFrom?: number;
  /**
   * "total": the penalty as the spec adds it to J; "per-sample": ×N, against the per-sample
   * likelihood. The defaults (periodic, from 25 % of the steps, per-sample) and the spec's
   * (`--al-rule spec --al-penalty total`) are compared in docs/tuning.md, session 4.
   */
  alPenalty?: AlPenalty;
  logVarClamp: number;
  logStdClamp: number;
  hidden: number;
  gimHidden: number;
  thetaStd: number;
  marginalize: Marginalize;
  /** false: BaCaDI* ablation, free per-environment target logits and parameters instead of φ. */
  amortize: boolean;
  /**
   * Steps after `steps` that keep training θ, ℓ and φ with the graph fixed to the MAP DAG (Z
   * frozen), so that the model prediction samples from is the one the mechanisms and targets were
   * fitted to (gim/train/refit.ts; docs/tuning.md, session 4). 0: the spec's training only.
   * Absent in older model files: read it through refitStepsOf().
   */
  refitSteps?: number;
  /** Read loss/acyclicity back every this many steps. */
  logEvery: number;
  /** Rows per block when chunking the likelihood over N; 0 = from the memory budget (gim/train.ts). */
  chunkRows: number;
  /**
   * Rows per step (minibatches, gim/model/minibatch.ts); 0 = auto: the full batch up to
   * FULL_BATCH_UP_TO training rows, AUTO_BATCH_SIZE above. Absent in files written before
   * minibatches (read as 0).
   */
  batchSize?: number;
}

export const DEFAULTS: GimConfig = {
  mechanism: "linear",
  intervention: "hard",
  noise: "gaussian",
  steps: 2000,
  seed: 0,
  mcSamples: 16,
  acyclicitySamples: 16,
  rank: null,
  alphaLinear: 5e-3,
  alphaConstant: null,
  tau: 1,
  sigmaPsi: 0.1,
  lambdaGraph: 5,
  lambdaTargets: 50,
  lambdaTargetsEnd: 1,
  sigmaTheta: 1,
  sigmaEll: 1,
  sigmaPhi: 1,
  lr: 1e-2,
  alSteps: 200,
  alEta: 10,
  alMuMax: 1e10,
  powerIterations: 10,
  holdoutFraction: 0.1,
  convergenceTol: 1e-3,
  alForceFrom: 1,
  alRule: "periodic",
  alStartFrom: 0.25,
  alPenalty: "per-sample",
  logVarClamp: 10,
  logStdClamp: 5,
  hidden: 5,
  gimHidden: 100,
  thetaStd: 0.3,
  marginalize: "per-sample",
  amortize: true,
  refitSteps: 0,
  logEvery: 50,
  chunkRows: 0,
  batchSize: 0,
};

/** α_t of §2. */
export function alphaAt(config: GimConfig, step: number): number {
  return config.alphaConstant ?? config.alphaLinear * step;
}

/**
 * λ_I(t) of §6: cosine from λ_I to lambdaTargetsEnd·λ_I over the step budget (constant when it is
 * 1); the refit steps after the budget keep the end value.
 */
export function lambdaTargetsAt(config: GimConfig, step: number): number {
  return cosineAt(config.lambdaTargets, config.lambdaTargetsEnd, config.steps, step);
}

/** Adam's lr(t): cosine from lr to lrEnd·lr over the step budget; the refit steps keep the end value. */
export function lrAt(config: GimConfig, step: number): number {
  return cosineAt(config.lr, config.lrEnd ?? 1, config.steps, step);
}

/** start·(cosine from 1 to endFactor) over `steps`, then endFactor·start. */
function cosineAt(start: number, endFactor: number, steps: number, step: number): number {
  const end = endFactor * start;
  const t = Math.min(step, steps);
  return end + 0.5 * (start - end) * (1 + Math.cos((Math.PI * t) / Math.max(steps, 1)));
}

export function targetPriorOf(config: GimConfig): TargetPrior {
  return config.targetPrior ?? "sigmoid";
}

export function targetLogitStdOf(config: GimConfig): number {
  return config.targetLogitStd ?? 0;
}

export function refitStepsOf(config: GimConfig): number {
  return config.refitSteps ?? 0;
}

/** The AL settings of a config; files written before they existed used the spec's. */
export function alRuleOf(config: GimConfig): { rule: AlRule; startFrom: number; penalty: AlPenalty } {
  return { rule: config.alRule ?? "spec", startFrom: config.alStartFrom ?? 0, penalty: config.alPenalty ?? "total" };
}

export function noiseOf(config: GimConfig): Noise {
  return config.noise ?? "gaussian";
}

/**
 * The combinations that make sense: ZILN noise needs ZILN interventions and vice versa (a
 * Gaussian density and a ZILN one are densities w.r.t. different base measures, so mixing them
 * per variable in Λ would be meaningless; the shift form of §5 assumes Gaussian residuals).
 * Returns a message naming the flags, or null.
 */
export function incompatibility(config: GimConfig): string | null {
  const noise = noiseOf(config);
  if (noise === "ziln" && config.intervention !== "ziln") {
    return `--noise ziln needs --intervention ziln (got --intervention ${config.intervention}): a ZILN model takes hard-ZILN interventions only`;
  }
  if (noise !== "ziln" && config.intervention === "ziln")
    return "--intervention ziln needs --noise ziln (got --noise gaussian)";
  if ((config.zilnMeanScale ?? "log") !== "log" && !(config.intervention === "ziln" && config.amortize))
    return "--ziln-mean-scale linear reparametrises h_φ's hard-ZILN mean head: it needs --intervention ziln and --amortize true";
  if (config.psiMarginalFit && config.intervention === "shift")
    return "--psi-marginal-fit fits hard (or hard-ZILN) interventions to the env marginals; a shift δ has no such fit (got --intervention shift)";
  return null;
}
