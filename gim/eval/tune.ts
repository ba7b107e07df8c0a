/**
 * `gim tune`: the paper's model selection (appendix D.6). One training perturbation — all its
 * doses (gim/data/perturbation-groups.ts) — is held out as the validation set; each trial trains
 * on the other training envs with hyperparameters from gim/eval/tune-space.ts and is scored by
 * the validation envs' mean KDE-NLL of its predictions (spec §10, gim/eval/metrics.ts); the best
 * trial's hyperparameters are then retrained on all training envs.
 *
 * Trials run several at a time on one device (gim/train/concurrent.ts). All trials use the same
 * seed and the same prediction draws, so their differences are the hyperparameters'.
 */
import type { Backend } from "../../engine/backend.js";
import { HostRandom } from "../../engine/host-random.js";
import { type Dataset, type Environment, subsetEnvs, trainingSubset } from "../data/dataset.js";
import { type GroupRule, perturbationGroups } from "../data/perturbation-groups.js";
import type { GimConfig } from "../model/config.js";
import type { ModelFile } from "../model/model-file.js";
import { HostModel } from "../model/sampler.js";
import { runPool } from "../train/concurrent.js";
import { modelFromTrainer } from "../train/export-model.js";
import { fit } from "../train/fit.js";
import { Trainer } from "../train/trainer.js";
import { kdeNll } from "./metrics.js";
import { type ParamSpace, type Trial, drawTrials, varying } from "./tune-space.js";

export type ValidationScore = (model: ModelFile, envs: Environment[], trial: number) => number;

export interface TuneOptions {
  space: ParamSpace[];
  search: "random" | "grid";
  trials: number;
  /** Seconds after which no further trial starts (those running finish); Infinity: no limit. */
  budgetSeconds: number;
  gridPoints: number;
  parallel: number;
  groupBy: GroupRule;
  groups?: Map<string, string>;
  /** The perturbation to hold out; default: one drawn with the base seed. */
  holdoutGroup?: string;
  /** Predicted samples per validation env. */
  nPredict: number;
  replay?: boolean;
  log?: (line: string) => void;
  /** Test seam: replaces the validation KDE-NLL. */
  score?: ValidationScore;
}

export interface TrialRow {
  trial: number;
  params: Trial;
  /** NaN when the trial failed. */
  validationKdeNll: number;
  wallSeconds: number;
  finalAcyclicity: number;
  edges: number;
  /** The envs it trained on (observational first). */
  trainEnvs: string[];
  error?: string;
  chosen: boolean;
}

export interface TuneResult {
  heldOutGroup: string;
  heldOutEnvs: string[];
  groups: number;
  rows: TrialRow[];
  chosen: number;
  model: ModelFile;
  /** Trials phase and the whole run (with the final retraining). */
  trialSeconds: number;
  wallSeconds: number;
  parallel: number;
}

/** Mean KDE-NLL of `nPredict` predictions per env against the env's samples (fixed draws). */
export function validationKdeNll(model: ModelFile, envs: Environment[], nPredict: number, seed: number): number {
  const host = new HostModel(model);
  const d = model.variables.length;
  const values = envs.map((env, k) =>
    kdeNll(host.sample(env.features, nPredict, new HostRandom(seed * 7919 + k)), env.samples, d),
  );
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** The held-out perturbation: the named one, or one drawn with `seed`. */
export function chooseHoldout(
  dataset: Dataset,
  rule: GroupRule,
  explicit: Map<string, string> | undefined,
  seed: number,
  requested?: string,
): { group: string; envs: string[]; groups: Map<string, string[]> } {
  const train = trainingSubset(dataset);
  const ids = train.envs.filter((e) => !e.observational).map((e) => e.id);
  const groups = perturbationGroups(dataset, ids, rule, explicit);
  const names = [...groups.keys()];
  if (groups.size < 2) {
    throw new Error(
      `the ${ids.length} training envs form ${groups.size} perturbation group${groups.size === 1 ? ` ('${names[0]}')` : "s"} by --group-by ${explicit ? "(--groups file)" : rule}: holding one out would leave nothing to train on (try --group-by env, or --groups FILE)`,
    );
  }
  if (requested !== undefined) {
    const envs = groups.get(requested);
    if (!envs)
      throw new Error(
        `--holdout-group '${requested}' is not a training perturbation; the groups are: ${names.slice(0, 20).join(", ")}${names.length > 20 ? ", …" : ""}`,
      );
    return { group: requested, envs, groups };
  }
  const group = names[Math.floor(new HostRandom(seed * 104729 + 3).uniform() * names.length)];
  return { group, envs: groups.get(group)!, groups };
}

export async function tune(
  dataset: Dataset,
  base: GimConfig,
  backend: Backend,
  options: TuneOptions,
): Promise<TuneResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const holdout = chooseHoldout(dataset, options.groupBy, options.groups, base.seed, options.holdoutGroup);
  const heldOut = new Set(holdout.envs);
  const train = trainingSubset(dataset);
  const trialSet = subsetEnvs(
    train,
    train.envs.filter((e) => !e.observational && !heldOut.has(e.id)).map((e) => e.id),
  );
  const validation = train.envs.filter((e) => heldOut.has(e.id));
  log(
    `tune: holding out '${holdout.group}' (${holdout.envs.join(", ")}) of ${holdout.groups.size} training perturbations; ${trialSet.envs.length - 1} envs left to train on`,
  );
  const trials = drawTrials(options.space, options.search, options.trials, base.seed, options.gridPoints);
  const parallel = Math.max(1, Math.min(options.parallel, trials.length));
  const score = options.score ?? ((model, envs) => validationKdeNll(model, envs, options.nPredict, base.seed));
  const shown = varying(options.space).map((p) => p.key);
  const results = await runPool(
    trials.length,
    parallel,
    async (k): Promise<TrialRow> => {
      const config: GimConfig = { ...base, ...trials[k] };
      const t0 = performance.now();
      const trainer = new Trainer(config, trialSet, backend);
      try {
        if (options.replay) trainer.enableReplay();
        await trainer.train();
        const wallSeconds = (performance.now() - t0) / 1000;
        const model = await modelFromTrainer(trainer, { stepsPerSecond: config.steps / wallSeconds, wallSeconds });
        const value = score(model, validation, k);
        const row: TrialRow = {
          trial: k,
          params: trials[k],
          validationKdeNll: value,
          wallSeconds,
          finalAcyclicity: trainer.lastAcyclicity,
          edges: model.graph.flat().reduce((a, b) => a + b, 0),
          trainEnvs: trainer.set.envs.map((e) => e.id),
          chosen: false,
        };
        log(
          `trial ${k + 1}/${trials.length}: ${shown.map((key) => `${key} ${trials[k][key]}`).join(", ")} → validation KDE-NLL ${value.toFixed(4)} (${wallSeconds.toFixed(1)} s)`,
        );
        return row;
      } finally {
        trainer.dispose();
      }
    },
    () => elapsed() < options.budgetSeconds,
  );
  const trialSeconds = elapsed();
  const rows: TrialRow[] = [];
  results.forEach((r, k) => {
    if (r?.status === "fulfilled") rows.push(r.value);
    else if (r?.status === "rejected") {
      const error = r.reason instanceof Error ? r.reason.message : String(r.reason);
      log(`trial ${k + 1}/${trials.length} failed: ${error}`);
      const row = { trial: k, params: trials[k], validationKdeNll: Number.NaN, wallSeconds: Number.NaN };
      rows.push({ ...row, finalAcyclicity: Number.NaN, edges: 0, trainEnvs: [], error, chosen: false });
    }
  });
  if (rows.length < trials.length)
    log(`the budget of ${options.budgetSeconds} s ran out: ${rows.length} of ${trials.length} trials ran`);
  const chosen = bestTrial(rows);
  rows[chosen].chosen = true;
  const best: GimConfig = { ...base, ...rows[chosen].params };
  log(`chosen: trial ${rows[chosen].trial + 1}; retraining on all ${train.envs.length - 1} training envs`);
  const { model } = await fit(dataset, best, backend, { replay: options.replay, quiet: true, log });
  const wallSeconds = elapsed();
  model.tuning = {
    heldOutGroup: holdout.group,
    heldOutEnvs: holdout.envs,
    search: options.search,
    trials: rows.length,
    chosenTrial: rows[chosen].trial,
    validationKdeNll: rows[chosen].validationKdeNll,
    params: rows[chosen].params,
    wallSeconds,
  };
  return {
    heldOutGroup: holdout.group,
    heldOutEnvs: holdout.envs,
    groups: holdout.groups.size,
    rows,
    chosen,
    model,
    trialSeconds,
    wallSeconds,
    parallel,
  };
}

/** Index of the row with the lowest finite validation KDE-NLL (the first such on ties). */
export function bestTrial(rows: TrialRow[]): number {
  let best = -1;
  rows.forEach((r, k) => {
    if (Number.isFinite(r.validationKdeNll) && (best < 0 || r.validationKdeNll < rows[best].validationKdeNll)) best = k;
  });
  if (best < 0) throw new Error(`none of the ${rows.length} trials finished with a finite validation score`);
  return best;
}
