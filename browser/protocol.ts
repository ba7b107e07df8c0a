/** Messages between the page (browser/index.ts trainInWorker) and the training worker (browser/worker.ts). */
import type { GimData } from "../gim/data/in-memory.js";
import type { ModelFile } from "../gim/model/model-file.js";
import type { Progress } from "../gim/train/trainer.js";
import type { TrainGimOptions } from "../gim/train/train-gim.js";

/** What can cross postMessage: the options without callbacks or a backend object. */
export type WorkerOptions = Omit<TrainGimOptions, "backend" | "onProgress" | "shouldStop" | "log" | "onSnapshot"> & {
  backend?: "auto" | "cpu" | "webgpu";
};

export type ToWorker = { type: "train"; data: GimData; options: WorkerOptions } | { type: "stop" };

export type FromWorker =
  | { type: "log"; line: string }
  | { type: "progress"; progress: Progress }
  | { type: "snapshot"; model: ModelFile }
  | { type: "done"; model: ModelFile }
  | { type: "error"; message: string };

/** The parts of a DOM Worker we use (the project compiles without the DOM library). */
export interface WorkerLike {
  postMessage(message: ToWorker): void;
  onmessage: ((event: { data: FromWorker }) => void) | null;
  onerror: ((event: { message: string }) => void) | null;
}

/** The worker's global scope, likewise. */
export interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: { data: ToWorker }) => void) | null;
}
