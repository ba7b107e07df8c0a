/**
 * The library API in one call: train a GIM on data already in memory (gim/data/in-memory.ts) and
 * get a model that answers for any feature vector γ*: target probabilities σ(f_φ(γ*)), samples
 * and means of the predicted distribution (gim/model/sampler.ts), the MAP graph and the edge
 * probabilities. No file I/O, so the browser build (browser/) uses it as is; Node callers who
 * want checkpoints use gim/train/fit.ts.
 */
import type { Backend } from "../../engine/backend.js";
import { type BackendChoice, createBackend } from "../../engine/context.js";
import { HostRandom } from "../../engine/host-random.js";
import { type GimData, trainingSetFrom } from "../data/in-memory.js";
import { DEFAULTS, type GimConfig } from "../model/config.js";
import type { ModelFile } from "../model/model-file.js";
import { HostModel } from "../model/sampler.js";
import { modelFromTrainer } from "./export-model.js";
import { type Progress, Trainer } from "./trainer.js";

export interface TrainGimOptions extends Partial<GimConfig> {
  /** A backend, or how to pick one (default "auto": webgpu when an adapter exists, else cpu). */
  backend?: Backend | BackendChoice;
  /** Every `logEvery` steps: step, steps, loss, acyclicity ĥ, steps/s (the CLI's progress bar uses the same). */
  onProgress?: (p: Progress) => void;
  /** Polled after every step; true ends training early with the model so far. */
  shouldStop?: () => boolean;
  /** Where the backend choice is reported (default stderr, console.warn in browsers). */
  log?: (line: string) => void;
  /** Every `snapshotEvery` steps and at the end: the model so far (the browser example draws it live). */
  onSnapshot?: (model: GimModel) => void;
  snapshotEvery?: number;
  /** webgpu: record the step once and replay it (gim/train/step-replay.ts), as `gim train` does; no effect on cpu. */
  replay?: boolean;
}

/** A trained GIM: the model file plus prediction on the host (float64). */
export class GimModel {
  private readonly host: HostModel;
  constructor(readonly file: ModelFile) {
    this.host = new HostModel(file);
  }
  get variables(): string[] {
    return this.file.variables;
  }
  /** G_MAP [d, d]: graph[i][j] = 1 iff variables[i] → variables[j]. */
  get graph(): number[][] {
    return this.file.graph;
  }
  /** σ(α S_ij) [d, d] at the final α. */
  get edgeProbabilities(): number[][] {
    return this.file.edgeProbabilities;
  }
  /** P(variable j is a target) [d] for features γ* (all 0 for the observational γ = 0). */
  targetProbabilities(features: number[]): number[] {
    return this.host.targetProbabilities(features);
  }
  /** n samples [n, d] (row-major) of the predicted environment with features γ*. */
  sample(features: number[], n: number, seed = 0): Float64Array {
    return this.host.sample(features, n, new HostRandom(seed));
  }
  /** The predicted environment's mean [d], from n samples. */
  predictMean(features: number[], n = 1000, seed = 0): number[] {
    const x = this.sample(features, n, seed);
    const d = this.variables.length;
    const mean = new Array<number>(d).fill(0);
    for (let k = 0; k < x.length; k++) mean[k % d] += x[k] / n;
    return mean;
  }
}

export async function trainGim(data: GimData, options: TrainGimOptions = {}): Promise<GimModel> {
  const {
    backend: choice = "auto",
    onProgress,
    shouldStop,
    log,
    onSnapshot,
    snapshotEvery,
    replay,
    ...overrides
  } = options;
  const set = trainingSetFrom(data);
  const backend = typeof choice === "string" ? await createBackend(choice, log) : choice;
  const config: GimConfig = { ...DEFAULTS, ...overrides };
  const trainer = new Trainer(config, set, backend);
  if (replay) trainer.enableReplay();
  const started = performance.now();
  const snapshot = async (stepsPerSecond: number) => {
    const wallSeconds = (performance.now() - started) / 1000;
    return new GimModel(await modelFromTrainer(trainer, { stepsPerSecond, wallSeconds }));
  };
  // Snapshots: train in segments; the trainer continues from its step, so the run is the same.
  const every = onSnapshot && snapshotEvery ? snapshotEvery : config.steps;
  let stopped = false;
  let rate = 0;
  while (trainer.step < config.steps && !stopped) {
    const end = Math.min(trainer.step + every, config.steps);
    const result = await trainer.train({
      onProgress,
      shouldStop: () => (stopped = shouldStop?.() ?? false) || trainer.step >= end,
    });
    rate = result.stepsPerSecond;
    if (onSnapshot && trainer.step < config.steps && !stopped) onSnapshot(await snapshot(rate));
  }
  const model = await snapshot(rate);
  onSnapshot?.(model);
  return model;
}
