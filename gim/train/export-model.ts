/** The model file (gim/model/model-file.ts) of a trained Trainer. */
import { edgeProbabilities, mapGraph } from "../model/map-estimate.js";
import type { ModelFile } from "../model/model-file.js";
import { readParams } from "../model/params.js";
import type { Trainer } from "./trainer.js";

export async function modelFromTrainer(trainer: Trainer, throughput: ModelFile["throughput"]): Promise<ModelFile> {
  const scores = await trainer.scores();
  const { graph, dropped } = mapGraph(scores);
  // After a refit Z is pinned to G_MAP (σ(αS) is 0/1): report the probabilities from before.
  const probabilities = trainer.refit?.edgeProbabilities ?? edgeProbabilities(scores, trainer.alpha());
  const host = await readParams(trainer.params);
  const weights = Object.fromEntries(
    trainer.params.specs.map((s) => [s.name, { shape: s.shape, values: host[s.name].map(Number) }]),
  );
  const lagrangian = trainer.lagrangian.exportState();
  return {
    format: "gim-webgpu-model/1",
    variables: trainer.set.variables,
    featureNames: trainer.set.featureNames,
    graph,
    edgeProbabilities: probabilities,
    cycleEdgesDropped: trainer.refit?.cycleEdgesDropped ?? dropped,
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
    history: trainer.history,
  };
}
