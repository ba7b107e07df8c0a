/**
 * `gim eval`: every metric of spec §10 per split, for GIM and the two baselines of D.5, plus the
 * next-lower-dose baseline when the dataset says which perturbation and dose each env is
 * (perturbations.csv).
 * Per environment, each method predicts samples for the env's features: KDE-NLL uses 1,000
 * predicted samples (spec §10); W_ε compares the true samples with as many predicted ones (the
 * Sinkhorn cost grows with n·m); mean distance and Pearson use all 1,000. GIM's row predicts
 * with Bernoulli-sampled targets (spec §8); with `mapTargets` it also carries the same scores for
 * prediction with the MAP targets (gim/model/sampler.ts), printed as the row "GIM (MAP targets)".
 */
import { HostRandom } from "../../engine/host-random.js";
import { fitMeanShiftBaseline, nextLowerDoseEnv, shiftedObservational } from "./baselines.js";
import type { EnvPerturbation } from "../data/perturbations.js";
import { type Dataset, type Environment, SCORED_SPLITS, type Split, splitOf } from "../data/dataset.js";
import { edgeF1, entropicWasserstein, kdeNll, meanDistance, pearsonOfShifts, sid, targetF1 } from "./metrics.js";
import type { ModelFile } from "../model/model-file.js";
import { HostModel, type TargetMode } from "../model/sampler.js";

export interface SplitScores {
  method: string;
  split: Split;
  envs: number;
  meanDistance: number;
  wasserstein: number;
  kdeNll: number;
  pearson: number;
  targetF1: number | null;
  /** GIM only: the scores when predicting with the MAP targets instead of sampled ones. */
  mapTargets?: Pick<SplitScores, "meanDistance" | "wasserstein" | "kdeNll" | "pearson">;
}

export interface EvaluationReport {
  graph: { edgeF1: number; sid: number; edges: number; trueEdges: number } | null;
  splits: SplitScores[];
}

/** Predicted samples per environment that every score is computed from (gim report draws as many). */
export const PREDICTED = 1000;

export interface EvaluateOptions {
  /** Drug and dose per env: enables the next-lower-dose baseline. */
  perturbations?: Map<string, EnvPerturbation> | null;
  /** Only these splits (default: every split present). */
  splits?: Split[];
  /** W_ε (Sinkhorn; the slowest metric at large d); default true. */
  wasserstein?: boolean;
  /** Also score GIM predicting with its MAP targets (`mapTargets` of GIM's rows); default true. */
  mapTargets?: boolean;
}

type Predictor = (env: Environment, n: number, rng: HostRandom) => Float64Array;

function average(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / values.length;
}

function scoreSplit(
  method: string,
  split: Split,
  envs: Environment[],
  predict: Predictor,
  observational: Environment,
  d: number,
  seed: number,
  wasserstein: boolean,
): SplitScores {
  const rows = envs.map((env, k) => {
    const rng = new HostRandom(seed * 7919 + k);
    const predicted = predict(env, PREDICTED, rng);
    const forOt = predicted.subarray(0, Math.min(env.n, PREDICTED) * d);
    return {
      meanDistance: meanDistance(predicted, env.samples, d),
      wasserstein: wasserstein ? entropicWasserstein(forOt, env.samples, d) : Number.NaN,
      kdeNll: kdeNll(predicted, env.samples, d),
      pearson: pearsonOfShifts(predicted, env.samples, observational.samples, d),
    };
  });
  return {
    method,
    split,
    envs: envs.length,
    meanDistance: average(rows.map((r) => r.meanDistance)),
    wasserstein: average(rows.map((r) => r.wasserstein)),
    kdeNll: average(rows.map((r) => r.kdeNll)),
    pearson: average(rows.map((r) => r.pearson)),
    targetF1: null,
  };
}

export function evaluate(
  model: ModelFile,
  dataset: Dataset,
  seed = 0,
  options: EvaluateOptions = {},
): EvaluationReport {
  const { perturbations = null, wasserstein = true, mapTargets = true } = options;
  if (JSON.stringify(model.variables) !== JSON.stringify(dataset.variables)) {
    throw new Error(
      `the model's variables (${model.variables.join(", ")}) differ from the dataset's (${dataset.variables.join(", ")})`,
    );
  }
  const d = dataset.variables.length;
  const host = new HostModel(model);
  const observational = dataset.envs.find((e) => e.observational)!;
  const split = splitOf(dataset);
  const envsOf = (s: Split) =>
    dataset.envs.filter((e) => !e.observational && (split ? split[e.id] === s : s === "train"));
  const trainEnvs = envsOf("train");
  const meanShift = fitMeanShiftBaseline(observational, trainEnvs, d, { seed });
  const gimWith =
    (mode: TargetMode): Predictor =>
    (env, n, rng) =>
      host.sample(env.features, n, rng, mode);
  const methods: [string, Predictor][] = [
    ["GIM", gimWith("sampled")],
    ["observational", (_env, n) => shiftedObservational(observational, new Array(d).fill(0), n, d)],
    ["mean-shift MLP", (env, n) => shiftedObservational(observational, meanShift.shift(env.features), n, d)],
  ];
  if (perturbations) {
    const zero = new Array<number>(d).fill(0);
    methods.push([
      "next-lower dose",
      (env, n) => shiftedObservational(nextLowerDoseEnv(env, trainEnvs, perturbations) ?? observational, zero, n, d),
    ]);
  }
  const splits: SplitScores[] = [];
  for (const s of options.splits ?? SCORED_SPLITS) {
    const envs = envsOf(s);
    if (envs.length === 0) continue;
    if (s !== "train" && s !== "train-fresh" && !model.config.amortize) {
      // BaCaDI* has no features-to-targets map: it cannot predict perturbations it did not see.
      for (const [name, predict] of methods.slice(1))
        splits.push(scoreSplit(name, s, envs, predict, observational, d, seed, wasserstein));
      continue;
    }
    for (const [name, predict] of methods) {
      const scores = scoreSplit(name, s, envs, predict, observational, d, seed, wasserstein);
      // truth.json's targets are optional per env (none for real data with a held-out split).
      const known = envs.filter((e) => dataset.truth?.targets[e.id] !== undefined);
      if (name === "GIM" && known.length > 0) {
        const truth = known.map((e) => dataset.truth!.targets[e.id]);
        const estimate = known.map((e) => host.targetProbabilities(e.features).map((p) => (p > 0.5 ? 1 : 0)));
        scores.targetF1 = targetF1(truth, estimate);
      }
      if (name === "GIM" && mapTargets) {
        const map = scoreSplit(name, s, envs, gimWith("map"), observational, d, seed, wasserstein);
        scores.mapTargets = {
          meanDistance: map.meanDistance,
          wasserstein: map.wasserstein,
          kdeNll: map.kdeNll,
          pearson: map.pearson,
        };
      }
      splits.push(scores);
    }
  }
  const graph = dataset.truth
    ? {
        edgeF1: edgeF1(dataset.truth.graph, model.graph),
        sid: sid(dataset.truth.graph, model.graph),
        edges: model.graph.flat().reduce((a, b) => a + b, 0),
        trueEdges: dataset.truth.graph.flat().reduce((a, b) => a + b, 0),
      }
    : null;
  return { graph, splits };
}

const fmt = (v: number | null, digits = 3) => (v === null || Number.isNaN(v) ? "—" : v.toFixed(digits));

export function formatReport(report: EvaluationReport): string {
  const lines: string[] = [];
  if (report.graph) {
    const g = report.graph;
    lines.push(`graph: Edge-F1 ${fmt(g.edgeF1)}, SID ${g.sid}, ${g.edges} edges estimated (${g.trueEdges} true)`, "");
  }
  const header = ["split", "method", "envs", "mean dist ↓", "W_ε ↓", "KDE-NLL ↓", "Pearson ↑", "Target-F1 ↑"];
  const row = (s: SplitScores, method: string, v: NonNullable<SplitScores["mapTargets"]>, targetF1: number | null) => [
    s.split,
    method,
    String(s.envs),
    fmt(v.meanDistance),
    fmt(v.wasserstein),
    fmt(v.kdeNll),
    fmt(v.pearson),
    fmt(targetF1),
  ];
  const rows = report.splits.flatMap((s) => [
    row(s, s.method, s, s.targetF1),
    ...(s.mapTargets ? [row(s, `${s.method} (MAP targets)`, s.mapTargets, s.targetF1)] : []),
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: string[]) => cells.map((c, k) => c.padEnd(widths[k])).join("  ");
  lines.push(line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line));
  return lines.join("\n");
}
