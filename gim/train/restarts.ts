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
import { type GimConfig, alphaAt } from "../model/config.js";
import { type DeviceData, featureMatrix, uploadData } from "../model/device-data.js";
import { likelihood } from "../model/likelihood.js";
import type { ModelFile, RestartRecord } from "../model/model-file.js";
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
const hamming = (a: number[][], b: number[][]) => a.flat().reduce((s, v, k) => s + (v !== b.flat()[k] ? 1 : 0), 0);

/** The record of the restarts, given each one's MAP graph and score (NaN: failed). */
export function restartRecord(
  seeds: number[],
  graphs: (number[][] | null)[],
  scores: number[],
  extra: { finalAcyclicity: number[]; finalLoss?: number[]; wallSeconds: number; parallel: number },
): RestartRecord {
  let chosen = -1;
  scores.forEach((s, k) => {
    if (Number.isFinite(s) && (chosen < 0 || s > scores[chosen])) chosen = k;
  });
  if (chosen < 0) throw new Error(`all ${seeds.length} restarts failed`);
  const reference = graphs[0];
  const differences = graphs.map((g) => (g && reference ? hamming(g, reference) : null));
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

export interface RestartOptions {
  restarts: number;
  /** Trainings in flight at once. */
  parallel: number;
  replay?: boolean;
  log?: (line: string) => void;
  shouldStop?: () => boolean;
}

export async function fitRestarts(
  dataset: Dataset,
  config: GimConfig,
  backend: Backend,
  options: RestartOptions,
): Promise<{ model: ModelFile; stoppedEarly: boolean }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const K = options.restarts;
  if (!Number.isInteger(K) || K < 1) throw new Error(`--restarts must be a positive integer (got ${K})`);
  const train = trainingSubset(dataset);
  if (train.envs.length < 2) throw new Error(`${dataset.dir}: no training environments besides the observational one`);
  const holdoutSeed = config.holdoutSeed ?? config.seed;
  const seeds = Array.from({ length: K }, (_, k) => config.seed + k);
  const scoring = holdoutScoringData(train, { ...config, holdoutSeed }, backend);
  const started = performance.now();
  let stopped = false;
  const results = await runPool(K, Math.min(options.parallel, K), async (k) => {
    const trainer = new Trainer({ ...config, seed: seeds[k], holdoutSeed }, train, backend);
    try {
      if (options.replay) trainer.enableReplay();
      const t0 = performance.now();
      const result = await trainer.train({ shouldStop: options.shouldStop });
      if (result.stoppedEarly) stopped = true;
      const wallSeconds = (performance.now() - t0) / 1000;
      const score = await scoreTrainer(trainer, scoring);
      const model = await modelFromTrainer(trainer, { stepsPerSecond: result.stepsPerSecond, wallSeconds });
      log(
        `restart ${k + 1}/${K} (seed ${seeds[k]}): holdout log-likelihood ${score.toFixed(4)}, ĥ ${trainer.lastAcyclicity.toExponential(2)}, ${edgeCount(model.graph)} edges, ${wallSeconds.toFixed(1)} s`,
      );
      return { model, score, h: trainer.lastAcyclicity, loss: result.finalLoss };
    } finally {
      trainer.dispose();
    }
  });
  const wallSeconds = (performance.now() - started) / 1000;
  results.forEach((r, k) => {
    if (r?.status === "rejected") log(`restart ${k + 1}/${K} (seed ${seeds[k]}) failed: ${String(r.reason)}`);
  });
  const done = results.map((r) => (r?.status === "fulfilled" ? r.value : null));
  const record = restartRecord(
    seeds,
    done.map((r) => r?.model.graph ?? null),
    done.map((r) => r?.score ?? Number.NaN),
    {
      finalAcyclicity: done.map((r) => r?.h ?? Number.NaN),
      finalLoss: done.map((r) => r?.loss ?? Number.NaN),
      wallSeconds,
      parallel: Math.min(options.parallel, K),
    },
  );
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
  const model = { ...done[record.chosen]!.model, restarts: record };
  return { model, stoppedEarly: stopped };
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
  return `restarts: holdout log-likelihood ${scores}; kept seed ${r.chosenSeed}; ${graphs}; ${winner} (${r.wallSeconds.toFixed(1)} s, ${r.parallel} at once)`;
}
