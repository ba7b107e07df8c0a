/**
 * `gim train --restarts K`: K trainings from seeds s, s+1, …, s+K−1 (interleaved on the device,
 * gim/train/concurrent.ts), keeping the one with the best holdout log-likelihood.
 *
 * The restarts differ in their initialisation and Monte Carlo draws only: all use the holdout
 * split of seed s (GimConfig.holdoutSeed), so each is scored on the same rows, none of which any
 * of them trained on, and restart 0 is exactly `gim train --seed s`. The score is the mean
 * log-likelihood per holdout row (spec §6's s_t, hard samples) with the same random numbers for
 * every restart, so differences are the models', not the draws'.
 */
import type { Backend } from "../../engine/backend.js";
import { noGrad, tidy } from "../../engine/index.js";
import { type Dataset, trainingSubset } from "../data/dataset.js";
import { type TrainingSet, splitHoldout } from "../data/training-set.js";
import { type GimConfig, alphaAt, refitStepsOf } from "../model/config.js";
import { type DeviceData, featureMatrix, uploadData } from "../model/device-data.js";
import { likelihood } from "../model/likelihood.js";
import type { ModelFile, RestartRecord, RestartVoteRecord } from "../model/model-file.js";
import { type Matrix } from "../graph/dag.js";
import { edgeProbabilities, mapGraph } from "../model/map-estimate.js";
import { type CheckpointFile, checkpointOf, restoreCheckpoint } from "./checkpoint.js";
import { graphDistance, nearestRestart, voteGraph } from "./restart-vote.js";
import { drawStep } from "../model/objective.js";
import { mechanismParams, param } from "../model/params.js";
import { runPool } from "./concurrent.js";
import { modelFromTrainer } from "./export-model.js";
import { Trainer, autoChunkRows } from "./trainer.js";

/** Salt of the scoring draws: fixed, shared by all restarts. */
const SCORE_SEED_SALT = 611953;

/** Rows a model is scored on: uploaded once, shared by every model scored. */
export interface ScoringData {
  data: DeviceData;
  gamma: ReturnType<typeof featureMatrix>;
  seed: number;
}

/** The holdout rows of `set` under `config` (its holdoutSeed), on the device. */
export function holdoutScoringData(set: TrainingSet, config: GimConfig, backend: Backend): ScoringData {
  const split = config.holdoutSeed ?? config.seed;
  const dtype = backend.supports("f32") ? "f32" : "f64";
  const { holdout } = splitHoldout(set, config.holdoutFraction, split);
  const rows = config.holdoutFraction > 0 ? holdout : set;
  const chunkRows = config.chunkRows > 0 ? config.chunkRows : autoChunkRows(config, set.variables.length);
  return {
    data: uploadData(rows, backend, dtype, config.marginalize === "per-env", chunkRows),
    gamma: featureMatrix(set, backend, dtype),
    seed: split + SCORE_SEED_SALT,
  };
}

/** Mean log-likelihood per row of `scoring` under the trainer's current parameters. */
export async function scoreTrainer(trainer: Trainer, scoring: ScoringData): Promise<number> {
  const config = { ...trainer.config, seed: scoring.seed };
  const value = noGrad(() =>
    tidy(() => {
      const inputs = { params: trainer.params, config, data: scoring.data, gamma: scoring.gamma };
      const draws = drawStep(inputs, trainer.step, alphaAt(trainer.config, trainer.step));
      return likelihood(config, scoring.data, {
        graphs: draws.hardGraph,
        mech: mechanismParams(trainer.params, trainer.config),
        ell: param(trainer.params, "ell"),
        targets: draws.hardTargets,
        psi: draws.psi,
      });
    }),
  );
  const result = (await value.item()) / scoring.data.N;
  value.dispose();
  return result;
}

const edgeCount = (g: number[][]) => g.flat().reduce((a, b) => a + b, 0);

/** The record of the restarts, given each one's MAP graph and score (NaN: failed); `kept` overrides the best score's. */
export function restartRecord(
  seeds: number[],
  graphs: (number[][] | null)[],
  scores: number[],
  extra: { finalAcyclicity: number[]; finalLoss?: number[]; wallSeconds: number; parallel: number },
  kept?: number,
): RestartRecord {
  let chosen = kept ?? -1;
  if (kept === undefined)
    scores.forEach((s, k) => {
      if (Number.isFinite(s) && (chosen < 0 || s > scores[chosen])) chosen = k;
    });
  if (chosen < 0) throw new Error(`all ${seeds.length} restarts failed`);
  const reference = graphs[0];
  const differences = graphs.map((g) => (g && reference ? graphDistance(g, reference) : null));
  const distinct = new Set(graphs.filter((g) => g !== null).map((g) => JSON.stringify(g))).size;
  return {
    seeds,
    holdoutLogLikelihood: scores,
    finalAcyclicity: extra.finalAcyclicity,
    ...(extra.finalLoss ? { finalLoss: extra.finalLoss } : {}),
    edges: graphs.map((g) => (g ? edgeCount(g) : null)),
    graphs,
    chosen,
    chosenSeed: seeds[chosen],
    edgesDifferingFromSeed0: differences,
    distinctGraphs: distinct,
    graphsDiffer: distinct > 1,
    winnerGraphDiffersFromSeed0: (differences[chosen] ?? 0) > 0,
    wallSeconds: extra.wallSeconds,
    parallel: extra.parallel,
  };
}

/** How the model is chosen among the restarts (gim/train/restart-vote.ts for the two votes). */
export type RestartGraph = "best" | "vote" | "vote-refit";

export interface RestartOptions {
  restarts: number;
  /** Trainings in flight at once. */
  parallel: number;
  /**
   * "best" (default): the restart with the best holdout score; "vote": the restart whose MAP graph
   * is nearest to the majority vote of all K; "vote-refit": the vote itself, pinned and refitted.
   */
  graph?: RestartGraph;
  replay?: boolean;
  log?: (line: string) => void;
  shouldStop?: () => boolean;
}

/** Refit steps under the voted graph when the config asks for none (docs/tuning.md, session 4: 500). */
export const VOTE_REFIT_STEPS = 500;

interface RestartRun {
  model: ModelFile | null;
  graph: Matrix;
  probabilities: Matrix;
  score: number;
  h: number;
  loss: number;
  /** vote-refit: the state at the end of the main phase, for the refit under the vote. */
  state: CheckpointFile | null;
}

/** A finished set of restarts, or null when stopped (restarts write no checkpoints). */
export type RestartsResult = { model: ModelFile; stoppedEarly: false } | { model: null; stoppedEarly: true };

export async function fitRestarts(
  dataset: Dataset,
  config: GimConfig,
  backend: Backend,
  options: RestartOptions,
): Promise<RestartsResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const K = options.restarts;
  const choice = options.graph ?? "best";
  const refitting = choice === "vote-refit";
  if (!Number.isInteger(K) || K < 1) throw new Error(`--restarts must be a positive integer (got ${K})`);
  const train = trainingSubset(dataset);
  if (train.envs.length < 2) throw new Error(`${dataset.dir}: no training environments besides the observational one`);
  const holdoutSeed = config.holdoutSeed ?? config.seed;
  const seeds = Array.from({ length: K }, (_, k) => config.seed + k);
  const scoring = holdoutScoringData(train, { ...config, holdoutSeed }, backend);
  const started = performance.now();
  let stopped = false;
  const runOne = async (k: number): Promise<RestartRun> => {
    const trainer = new Trainer({ ...config, seed: seeds[k], holdoutSeed }, train, backend);
    try {
      if (options.replay) trainer.enableReplay();
      const t0 = performance.now();
      // vote-refit: the main phase only; the restart refitted under the vote does the refit.
      const stopAt = refitting ? config.steps : undefined;
      const result = await trainer.train({ shouldStop: options.shouldStop, stopAt });
      if (result.stoppedEarly) stopped = true;
      const wallSeconds = (performance.now() - t0) / 1000;
      const score = await scoreTrainer(trainer, scoring);
      const throughput = { stepsPerSecond: result.stepsPerSecond, wallSeconds };
      // The model file has the MAP graph and σ(αS) (from before any refit of this restart's own).
      const model = refitting ? null : await modelFromTrainer(trainer, throughput);
      const scores = model ? null : await trainer.scores();
      const graph = model?.graph ?? mapGraph(scores!).graph;
      const probabilities = model?.edgeProbabilities ?? edgeProbabilities(scores!, trainer.alpha());
      log(
        `restart ${k + 1}/${K} (seed ${seeds[k]}): holdout log-likelihood ${score.toFixed(4)}, ĥ ${trainer.lastAcyclicity.toExponential(2)}, ${edgeCount(graph)} edges, ${wallSeconds.toFixed(1)} s`,
      );
      return {
        model,
        graph,
        probabilities,
        score,
        h: trainer.lastAcyclicity,
        loss: result.finalLoss,
        state: refitting && !result.stoppedEarly ? await checkpointOf(trainer) : null,
      };
    } finally {
      trainer.dispose();
    }
  };
  try {
    const results = await runPool(K, Math.min(options.parallel, K), runOne);
    if (stopped) return { model: null, stoppedEarly: true };
    results.forEach((r, k) => {
      if (r?.status === "rejected") log(`restart ${k + 1}/${K} (seed ${seeds[k]}) failed: ${String(r.reason)}`);
    });
    const done = results.map((r) => (r?.status === "fulfilled" ? r.value : null));
    const graphs = done.map((r) => r?.graph ?? null);
    const scores = done.map((r) => r?.score ?? Number.NaN);
    const extra = {
      finalAcyclicity: done.map((r) => r?.h ?? Number.NaN),
      finalLoss: done.map((r) => r?.loss ?? Number.NaN),
      parallel: Math.min(options.parallel, K),
    };
    if (choice === "best") {
      const record = restartRecord(seeds, graphs, scores, { ...extra, wallSeconds: secondsSince(started) });
      return { model: { ...done[record.chosen]!.model!, restarts: record }, stoppedEarly: false };
    }
    const counted = done.filter((r): r is RestartRun => r !== null && Number.isFinite(r.score));
    const vote = voteGraph(
      counted.map((r) => r.graph),
      counted.map((r) => r.probabilities),
    );
    const kept = nearestRestart(graphs, scores, vote.graph);
    const voted: RestartVoteRecord = {
      votes: vote.votes,
      graph: vote.graph,
      cycleEdgesDropped: vote.cycleEdgesDropped,
      keptDiffersInEntries: graphDistance(graphs[kept]!, vote.graph),
    };
    if (choice === "vote") {
      const record = restartRecord(seeds, graphs, scores, { ...extra, wallSeconds: secondsSince(started) }, kept);
      const restarts: RestartRecord = { ...record, graphChoice: "vote", vote: voted };
      return { model: { ...done[kept]!.model!, restarts }, stoppedEarly: false };
    }
    const refitSteps = refitStepsOf(config) > 0 ? refitStepsOf(config) : VOTE_REFIT_STEPS;
    log(
      `vote of ${counted.length} MAP graphs: ${edgeCount(vote.graph)} edges (${vote.cycleEdgesDropped} dropped to break cycles); refitting seed ${seeds[kept]} under it for ${refitSteps} steps`,
    );
    const refitConfig = { ...config, seed: seeds[kept], holdoutSeed, refitSteps };
    const trainer = new Trainer(refitConfig, train, backend);
    try {
      restoreCheckpoint(done[kept]!.state!, trainer, `restart ${kept + 1} (seed ${seeds[kept]})`);
      if (options.replay) trainer.enableReplay();
      // The model reports the vote's provenance, not the refitted restart's own Z.
      await trainer.pinGraph(vote.graph, vote);
      const t0 = performance.now();
      const result = await trainer.train({ shouldStop: options.shouldStop });
      if (result.stoppedEarly) return { model: null, stoppedEarly: true };
      const voteScore = await scoreTrainer(trainer, scoring);
      log(`refitted under the vote: holdout log-likelihood ${voteScore.toFixed(4)}`);
      const model = await modelFromTrainer(trainer, {
        stepsPerSecond: result.stepsPerSecond,
        wallSeconds: secondsSince(t0),
      });
      const record = restartRecord(seeds, graphs, scores, { ...extra, wallSeconds: secondsSince(started) }, kept);
      const refit = { seed: seeds[kept], steps: refitSteps, holdoutLogLikelihood: voteScore };
      const restarts: RestartRecord = { ...record, graphChoice: "vote-refit", vote: { ...voted, refit } };
      return { model: { ...model, restarts }, stoppedEarly: false };
    } finally {
      trainer.dispose();
    }
  } finally {
    disposeScoring(scoring);
  }
}

const secondsSince = (t0: number) => (performance.now() - t0) / 1000;

function disposeScoring(scoring: ScoringData): void {
  for (const t of [
    scoring.gamma,
    scoring.data.X,
    scoring.data.env,
    scoring.data.envStartTensor,
    scoring.data.offDiagonal,
  ])
    t.dispose();
  scoring.data.envOneHot?.dispose();
  for (const c of scoring.data.chunks) for (const t of [c.X, c.env, c.envStartTensor]) t.dispose();
}

/** One paragraph for the CLI: the scores, the winner, and whether the graphs differ. */
export function describeRestarts(r: RestartRecord): string {
  const scores = r.seeds
    .map(
      (s, k) =>
        `seed ${s}: ${Number.isFinite(r.holdoutLogLikelihood[k]) ? r.holdoutLogLikelihood[k].toFixed(4) : "failed"}${r.finalLoss && Number.isFinite(r.finalLoss[k]) ? ` (final loss ${r.finalLoss[k].toFixed(4)})` : ""}`,
    )
    .join(", ");
  const graphs = r.graphsDiffer
    ? `the MAP graphs differ across restarts (${r.distinctGraphs} distinct; edges differing from seed ${r.seeds[0]}'s: ${r.edgesDifferingFromSeed0.map((v) => v ?? "—").join(", ")})`
    : "every restart found the same MAP graph";
  const winner = r.winnerGraphDiffersFromSeed0
    ? `the winner's graph differs from seed ${r.seeds[0]}'s in ${r.edgesDifferingFromSeed0[r.chosen]} entries`
    : `the winner's graph is seed ${r.seeds[0]}'s`;
  const timing = `(${r.wallSeconds.toFixed(1)} s, ${r.parallel} at once)`;
  const v = r.vote;
  const edges = v && `${edgeCount(v.graph)} edges (${v.cycleEdgesDropped} dropped to break cycles)`;
  if (v?.refit)
    return `restarts: holdout log-likelihood ${scores}; ${graphs}; the model's graph is their majority vote, with ${edges}, refitted from seed ${v.refit.seed}'s state (the nearest graph) for ${v.refit.steps} steps: holdout log-likelihood ${v.refit.holdoutLogLikelihood.toFixed(4)} ${timing}`;
  if (v)
    return `restarts: holdout log-likelihood ${scores}; ${graphs}; their majority vote has ${edges}; kept seed ${r.chosenSeed}, whose MAP graph is nearest to it (${v.keptDiffersInEntries} entries differ) ${timing}`;
  return `restarts: holdout log-likelihood ${scores}; kept seed ${r.chosenSeed}; ${graphs}; ${winner} ${timing}`;
}
