/**
 * The trained model as a JSON file a person can read: variables, the MAP graph
 * (graph[i][j] = 1 iff i → j), edge probabilities σ(α S) at the final α, the configuration,
 * seed, backend, steps, throughput, the augmented-Lagrangian log, the training curve and every
 * weight by name.
 * gim/train/export-model.ts writes it from a trainer.
 */
import { readJson } from "../data/json-file.js";
import type { GimConfig } from "./config.js";
import type { TrainingHistory } from "./history.js";

export interface ModelFile {
  format: "gim-webgpu-model/1";
  variables: string[];
  featureNames: string[];
  graph: number[][];
  edgeProbabilities: number[][];
  cycleEdgesDropped: number;
  /** Env ids the model was trained on, in the order of the free parameters (BaCaDI*). */
  trainEnvs: string[];
  trainFeatures: number[][];
  config: GimConfig;
  seed: number;
  backend: string;
  adapter: string;
  steps: number;
  throughput: { stepsPerSecond: number; wallSeconds: number };
  augmentedLagrangian: { alpha: number; mu: number; checks: unknown[] };
  weights: Record<string, { shape: number[]; values: number[] }>;
  /** `gim train --restarts K` (gim/train/restarts.ts): every restart's score and which won. */
  restarts?: RestartRecord;
  /** `gim tune` (gim/eval/tune.ts): the held-out perturbation and the chosen trial. */
  tuning?: Record<string, unknown>;
  /** The training curve at every log step (absent in files written before it was recorded). */
  history?: TrainingHistory;
}

export interface RestartRecord {
  seeds: number[];
  /** Mean log-likelihood per holdout row, the same rows and draws for all; NaN: failed. */
  holdoutLogLikelihood: number[];
  finalAcyclicity: number[];
  /** −J/N at each restart's last step (the training objective; NaN: failed). */
  finalLoss?: number[];
  edges: (number | null)[];
  /** Each restart's MAP graph (null: failed). */
  graphs: (number[][] | null)[];
  /** Index of the kept restart (the best score; with a vote: the restart nearest to it). */
  chosen: number;
  chosenSeed: number;
  /** Entries of each MAP graph that differ from restart 0's (null: failed). */
  edgesDifferingFromSeed0: (number | null)[];
  distinctGraphs: number;
  graphsDiffer: boolean;
  winnerGraphDiffersFromSeed0: boolean;
  wallSeconds: number;
  /** Restarts in flight at once. */
  parallel: number;
  /** How the model was chosen (absent: "best", the best holdout score; gim/train/restart-vote.ts). */
  graphChoice?: "best" | "vote" | "vote-refit";
  /** With graphChoice "vote" or "vote-refit". */
  vote?: RestartVoteRecord;
}

export interface RestartVoteRecord {
  /** votes[i][j]: restarts whose MAP graph holds i → j. */
  votes: number[][];
  /** The majority graph after breaking cycles ("vote-refit": the model's graph). */
  graph: number[][];
  cycleEdgesDropped: number;
  /** Entries in which the nearest restart's MAP graph differs from the vote. */
  keptDiffersInEntries: number;
  /** "vote-refit": the nearest restart's state, pinned to the vote and refitted. */
  refit?: {
    seed: number;
    steps: number;
    /** Mean log-likelihood per holdout row after the refit (same rows and draws as the restarts'). */
    holdoutLogLikelihood: number;
  };
}

export function loadModel(path: string): ModelFile {
  const model = readJson<ModelFile>(path, "model file");
  if (model.format !== "gim-webgpu-model/1")
    throw new Error(`${path}: not a gim-webgpu model (format ${String(model.format)})`);
  for (const key of ["variables", "featureNames", "graph", "weights", "config"] as const) {
    if (!(key in model)) throw new Error(`${path}: model file has no '${key}'`);
  }
  return model;
}
