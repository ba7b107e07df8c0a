/**
 * Training from a dataset to a model file: the training split, the trainer, checkpoints
 * (written atomically, resumable bit-for-bit on cpu), Ctrl-C (checkpoint, then exit), the
 * progress bar, and a clear stop on a non-finite loss with the last good checkpoint kept.
 */
import { existsSync } from "node:fs";
import type { Backend } from "../../engine/backend.js";
import type { GimConfig } from "../model/config.js";
import { type Dataset, trainingSubset } from "../data/dataset.js";
import type { ModelFile } from "../model/model-file.js";
import { modelFromTrainer } from "./export-model.js";
import { progressPrinter } from "./progress.js";
import { type Progress, Trainer } from "./trainer.js";
import { fileCheckpointer, loadCheckpoint } from "./checkpoint-file.js";
import { writeJsonAtomic } from "../data/json-file.js";

export interface FitOptions {
  checkpointPath?: string;
  checkpointEvery?: number;
  resume?: boolean;
  replay?: boolean;
  quiet?: boolean;
  /** Progress every `logEvery` steps; default: the progress bar on stderr (none when quiet). */
  onProgress?: (p: Progress) => void;
  log?: (line: string) => void;
}

export async function fit(
  dataset: Dataset,
  config: GimConfig,
  backend: Backend,
  options: FitOptions = {},
): Promise<{ model: ModelFile; stoppedEarly: boolean }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const train = trainingSubset(dataset);
  if (train.envs.length < 2) throw new Error(`${dataset.dir}: no training environments besides the observational one`);
  const trainer = new Trainer(config, train, backend);
  if (options.resume) {
    if (!options.checkpointPath || !existsSync(options.checkpointPath))
      throw new Error(`--resume: no checkpoint at ${options.checkpointPath ?? "(none given)"}`);
    await loadCheckpoint(options.checkpointPath, trainer);
    log(`resumed from ${options.checkpointPath} at step ${trainer.step}`);
  }
  if (trainer.batchSize < trainer.trainingRows)
    log(
      `minibatches: ${trainer.batchSize} of ${trainer.trainingRows} rows per step, stratified by env (observational ${trainer.batchCounts[0]}; docs/minibatch.md)`,
    );
  if (options.replay && trainer.enableReplay()) log("step replay: on (the step is recorded once and replayed)");
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    log("\ninterrupted: writing a checkpoint, then stopping");
  };
  process.once("SIGINT", onSigint);
  const started = performance.now();
  try {
    const result = await trainer.train({
      checkpoint: options.checkpointPath ? fileCheckpointer(options.checkpointPath) : undefined,
      checkpointEvery: options.checkpointEvery,
      onProgress: options.onProgress ?? (options.quiet ? undefined : progressPrinter()),
      shouldStop: () => interrupted,
    });
    const wallSeconds = (performance.now() - started) / 1000;
    const model = await modelFromTrainer(trainer, { stepsPerSecond: result.stepsPerSecond, wallSeconds });
    return { model, stoppedEarly: result.stoppedEarly };
  } finally {
    process.removeListener("SIGINT", onSigint);
  }
}

export function saveModel(path: string, model: ModelFile): void {
  writeJsonAtomic(path, model);
}
