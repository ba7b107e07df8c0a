/**
 * The trained model as a JSON file a person can read: variables, the MAP graph
 * (graph[i][j] = 1 iff i → j), edge probabilities σ(α S) at the final α, the configuration,
 * seed, backend, steps, throughput, the augmented-Lagrangian log and every weight by name.
 */
import { readJson } from "../data/json-file.js";
import type { GimConfig } from "./config.js";
import { mapGraph } from "./map-estimate.js";
import { readParams } from "./params.js";
import type { Trainer } from "../train/trainer.js";

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
}

export async function modelFromTrainer(trainer: Trainer, throughput: ModelFile["throughput"]): Promise<ModelFile> {
  const scores = await trainer.scores();
  const { graph, dropped } = mapGraph(scores);
  const alpha = trainer.alpha();
  const edgeProbabilities = scores.map((row, i) => row.map((s, j) => (i === j ? 0 : 1 / (1 + Math.exp(-alpha * s)))));
  const host = await readParams(trainer.params);
  const weights = Object.fromEntries(trainer.params.specs.map((s) => [s.name, { shape: s.shape, values: host[s.name].map(Number) }]));
  const lagrangian = trainer.lagrangian.exportState();
  return {
    format: "gim-webgpu-model/1",
    variables: trainer.set.variables,
    featureNames: trainer.set.featureNames,
    graph,
    edgeProbabilities,
    cycleEdgesDropped: dropped,
    trainEnvs: trainer.set.envs.slice(1).map((e) => e.id),
    trainFeatures: trainer.set.envs.slice(1).map((e) => e.features),
    config: trainer.config,
    seed: trainer.config.seed,
    backend: trainer.backend.name,
    adapter: trainer.backend.description,
    steps: trainer.step,
    throughput,
    augmentedLagrangian: { alpha: lagrangian.alpha, mu: lagrangian.mu, checks: lagrangian.checks },
    weights,
  };
}

export function loadModel(path: string): ModelFile {
  const model = readJson<ModelFile>(path, "model file");
  if (model.format !== "gim-webgpu-model/1") throw new Error(`${path}: not a gim-webgpu model (format ${String(model.format)})`);
  for (const key of ["variables", "featureNames", "graph", "weights", "config"] as const) {
    if (!(key in model)) throw new Error(`${path}: model file has no '${key}'`);
  }
  return model;
}
