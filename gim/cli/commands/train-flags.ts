/** Flags shared by `gim train` and `gim demo`, and their mapping onto GimConfig. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { UsageError, type FlagValues, defineFlags, explicitFlags } from "../args.js";
import { readJson } from "../../data/json-file.js";
import { DEFAULTS, type GimConfig, incompatibility } from "../../model/config.js";
import { AUTO_BATCH_SIZE, FULL_BATCH_UP_TO } from "../../model/minibatch.js";

export const TRAIN_FLAGS = defineFlags({
  mechanism: { type: "choice", choices: ["linear", "mlp"], default: DEFAULTS.mechanism, help: "causal mechanisms" },
  intervention: {
    type: "choice",
    choices: ["hard", "shift", "ziln"],
    default: DEFAULTS.intervention,
    help: "intervention type (ziln: hard zero-inflated log-normal, ψ = (ζ', m, λ); needs --noise ziln)",
  },
  noise: {
    type: "choice",
    choices: ["gaussian", "ziln"],
    default: "gaussian",
    help: "observational noise; ziln: zero-inflated log-normal around the linear/MLP mean, for count data x ≥ 0 (needs --intervention ziln) [recon: noise is a choice beside --mechanism]",
  },
  steps: { type: "number", integer: true, min: 1, default: DEFAULTS.steps, help: "training steps" },
  "mc-samples": {
    type: "number",
    integer: true,
    min: 1,
    default: DEFAULTS.mcSamples,
    help: "Monte Carlo samples M (graphs and targets)",
  },
  lr: { type: "number", min: 0, default: DEFAULTS.lr, help: "Adam learning rate" },
  "lr-end": {
    type: "number",
    min: 0,
    default: DEFAULTS.lrEnd ?? 1,
    help: "Adam's lr(t) moves by cosine from --lr to this multiple of it over --steps (1: constant, the spec) [not in the spec]",
  },
  "lambda-graph": { type: "number", min: 0, default: DEFAULTS.lambdaGraph, help: "edge sparsity λ_G" },
  "lambda-targets": {
    type: "number",
    min: 0,
    default: DEFAULTS.lambdaTargets,
    help: "target sparsity λ_I (see --lambda-targets-end)",
  },
  "lambda-targets-end": {
    type: "number",
    min: 0,
    default: DEFAULTS.lambdaTargetsEnd,
    help: "λ_I(t) moves by cosine from λ_I to this multiple of λ_I (1: constant; the spec's decay is 0.1)",
  },
  "target-logit-std": {
    type: "number",
    min: 0,
    default: DEFAULTS.targetLogitStd ?? 0,
    help: "σ_a of a Gaussian prior N(0, σ_a²) on the target logits, against their saturation (0: none) [not in the spec]",
  },
  "target-prior": {
    type: "choice",
    choices: ["sigmoid", "softplus"],
    default: DEFAULTS.targetPrior ?? "sigmoid",
    help: "target prior: sigmoid = −λ_I Σ σ(a) (spec); softplus = −λ_I Σ softplus(a), whose pull does not vanish on a saturated target [not in the spec]",
  },
  "psi-marginal-fit": {
    type: "boolean",
    default: DEFAULTS.psiMarginalFit ?? false,
    help: "also fit the intervention parameters ψ to every env's marginals, target or not, so a target can be switched on with ψ ready (hard and ziln interventions) [not in the spec]",
  },
  "ziln-mean-scale": {
    type: "choice",
    choices: ["log", "linear"],
    default: DEFAULTS.zilnMeanScale ?? "log",
    help: "hard-ZILN mean head: log = m (spec); linear = e^m = softplus(head), so a dose's effect extrapolates additively in the data's scale [not in the spec]",
  },
  "alpha-linear": { type: "number", min: 0, default: DEFAULTS.alphaLinear, help: "α_t = alpha-linear · t" },
  "al-every": {
    type: "number",
    integer: true,
    min: 1,
    default: DEFAULTS.alSteps,
    help: "augmented-Lagrangian check period T_AL (steps)",
  },
  "al-tolerance": {
    type: "number",
    min: 0,
    default: DEFAULTS.convergenceTol,
    help: "holdout converged when its relative gain over one period is below this",
  },
  "al-force-from": {
    type: "number",
    min: 0,
    max: 1,
    default: DEFAULTS.alForceFrom,
    help: "from this fraction of --steps on, every AL check counts as converged (1: never)",
  },
  "refit-steps": {
    type: "number",
    integer: true,
    min: 0,
    default: DEFAULTS.refitSteps ?? 0,
    help: "after --steps, train θ, ℓ and φ this many steps more with the graph fixed to the MAP DAG that prediction uses (Z frozen) [not in the spec]",
  },
  "al-rule": {
    type: "choice",
    choices: ["spec", "periodic"],
    default: DEFAULTS.alRule ?? "spec",
    help: "when α_AL, μ_AL move: spec = only at checks where the holdout converged; periodic = at every check while G_∞ is cyclic, once started",
  },
  "al-start-from": {
    type: "number",
    min: 0,
    max: 1,
    default: DEFAULTS.alStartFrom ?? 0,
    help: "--al-rule periodic: the updates start at the first converged check or at this fraction of --steps, whichever is first",
  },
  "al-penalty": {
    type: "choice",
    choices: ["total", "per-sample"],
    default: DEFAULTS.alPenalty ?? "total",
    help: "scale of α_AL·ĥ + μ_AL/2·ĥ²: total = added to the unnormalised J (spec); per-sample = ×N, against the per-sample likelihood",
  },
  marginalize: {
    type: "choice",
    choices: ["per-sample", "per-env"],
    default: DEFAULTS.marginalize,
    help: "where (I, ψ) is marginalised (spec §5)",
  },
  amortize: {
    type: "boolean",
    default: DEFAULTS.amortize,
    help: "false: BaCaDI* (free per-env targets; cannot predict unseen envs)",
  },
  seed: { type: "number", integer: true, min: 0, default: DEFAULTS.seed, help: "random seed" },
  backend: { type: "choice", choices: ["auto", "webgpu", "cpu"], default: "auto", help: "compute backend" },
  replay: { type: "boolean", default: true, help: "webgpu: record the step once and replay it" },
  "log-every": {
    type: "number",
    integer: true,
    min: 1,
    default: DEFAULTS.logEvery,
    help: "read loss back every N steps",
  },
  "chunk-rows": {
    type: "number",
    integer: true,
    min: 0,
    default: DEFAULTS.chunkRows,
    help: "rows per likelihood block (chunking over N); 0: as many as a 64 MiB budget per tensor allows",
  },
  "batch-size": {
    type: "number",
    integer: true,
    min: 0,
    default: DEFAULTS.batchSize ?? 0,
    help: `rows per step, stratified by environment and drawn anew each step (docs/minibatch.md); 0: the full batch up to ${FULL_BATCH_UP_TO.toLocaleString("en")} training rows, ${AUTO_BATCH_SIZE.toLocaleString("en")} above`,
  },
});

/** Takes the values of any command that declares TRAIN_FLAGS (train, demo). */
export function configFrom(v: FlagValues<typeof TRAIN_FLAGS>): GimConfig {
  const config: GimConfig = {
    ...DEFAULTS,
    mechanism: v.mechanism,
    intervention: v.intervention,
    noise: v.noise,
    steps: v.steps,
    mcSamples: v["mc-samples"],
    acyclicitySamples: v["mc-samples"],
    lr: v.lr,
    lrEnd: v["lr-end"],
    lambdaGraph: v["lambda-graph"],
    lambdaTargets: v["lambda-targets"],
    lambdaTargetsEnd: v["lambda-targets-end"],
    targetLogitStd: v["target-logit-std"],
    targetPrior: v["target-prior"],
    psiMarginalFit: v["psi-marginal-fit"],
    zilnMeanScale: v["ziln-mean-scale"],
    alphaLinear: v["alpha-linear"],
    alSteps: v["al-every"],
    convergenceTol: v["al-tolerance"],
    alForceFrom: v["al-force-from"],
    refitSteps: v["refit-steps"],
    alRule: v["al-rule"],
    alStartFrom: v["al-start-from"],
    alPenalty: v["al-penalty"],
    marginalize: v.marginalize,
    amortize: v.amortize,
    seed: v.seed,
    logEvery: v["log-every"],
    chunkRows: v["chunk-rows"],
    batchSize: v["batch-size"],
  };
  const problem = incompatibility(config);
  if (problem) throw new UsageError(problem);
  return config;
}

/**
 * The flags of `v`, with those not given on the command line taken from DIR/prep.json's
 * `trainDefaults` when the dataset was made by `gim prep` (count data: ZILN noise, MLP mechanisms,
 * hard-ZILN interventions). Prints what it took, on stderr.
 */
export function withDataDefaults<V extends FlagValues<typeof TRAIN_FLAGS>>(v: V, dir: string): V {
  const path = join(dir, "prep.json");
  if (!existsSync(path)) return v;
  const defaults = readJson<{ trainDefaults?: Record<string, unknown> }>(path, "prep record").trainDefaults ?? {};
  const given = explicitFlags(v);
  const taken: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(defaults)) {
    const spec = (TRAIN_FLAGS as Record<string, (typeof TRAIN_FLAGS)[keyof typeof TRAIN_FLAGS]>)[name];
    if (!spec) throw new Error(`${path}: trainDefaults names '${name}', which is not a gim train flag`);
    const ok = spec.type === "choice" ? spec.choices.includes(value as never) : typeof value === typeof spec.default;
    if (!ok) throw new Error(`${path}: trainDefaults '${name}' = ${JSON.stringify(value)} is not a valid --${name}`);
    if (!given.has(name)) taken[name] = value;
  }
  if (Object.keys(taken).length > 0)
    console.error(
      `defaults from ${path}: ${Object.entries(taken)
        .map(([k, x]) => `--${k} ${x}`)
        .join(" ")}`,
    );
  return { ...v, ...taken };
}
