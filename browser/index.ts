/**
 * gim-webgpu for browsers (package export "./browser", dist/browser/gim.js): the engine and every
 * op, the in-memory parts of GIM (trainGim, GimModel, csvData, the synthetic benchmark, metrics)
 * and trainInWorker, which trains in dist/browser/gim-worker.js. No Node built-ins: the backend
 * is navigator.gpu when present, else cpu. examples/browser/ is a page built on it.
 */
import type { GimData } from "../gim/data/in-memory.js";
import type { ModelFile } from "../gim/model/model-file.js";
import { GimModel } from "../gim/train/train-gim.js";
import type { Progress } from "../gim/train/trainer.js";
import type { ToWorker, WorkerLike, WorkerOptions } from "./protocol.js";

export * from "../kernels/library.js";
export { DEFAULTS as GIM_DEFAULTS, type GimConfig } from "../gim/model/config.js";
export { GimModel, type TrainGimOptions, trainGim } from "../gim/train/train-gim.js";
export { type GimData, type GimEnv, csvData } from "../gim/data/in-memory.js";
export { type BenchmarkOptions, generateBenchmark } from "../gim/data/synthetic.js";
export type { Progress } from "../gim/train/trainer.js";
export { progressLine } from "../gim/train/progress.js";
export type { ModelFile } from "../gim/model/model-file.js";
export { HostModel } from "../gim/model/sampler.js";
export * as metrics from "../gim/eval/metrics.js";
export type { WorkerLike, WorkerOptions } from "./protocol.js";

export interface WorkerCallbacks {
  /** The backend line ("backend: webgpu (adapter: …)" or "backend: cpu — why"). */
  onLog?: (line: string) => void;
  onProgress?: (p: Progress) => void;
  onSnapshot?: (model: GimModel) => void;
}

/**
 * Trains in `worker` (a module Worker on gim-worker.js: `new Worker(new URL("gim-worker.js",
 * import.meta.url), { type: "module" })`). `stop()` ends training early with the model so far.
 */
export function trainInWorker(
  worker: WorkerLike,
  data: GimData,
  options: WorkerOptions = {},
  callbacks: WorkerCallbacks = {},
): { result: Promise<GimModel>; stop: () => void } {
  const result = new Promise<GimModel>((resolve, reject) => {
    worker.onmessage = (event) => {
      const m = event.data;
      if (m.type === "log") callbacks.onLog?.(m.line);
      else if (m.type === "progress") callbacks.onProgress?.(m.progress);
      else if (m.type === "snapshot") callbacks.onSnapshot?.(new GimModel(m.model as ModelFile));
      else if (m.type === "done") resolve(new GimModel(m.model));
      else reject(new Error(m.message));
    };
    worker.onerror = (event) => reject(new Error(`training worker: ${event.message}`));
  });
  const send = (m: ToWorker) => worker.postMessage(m);
  send({ type: "train", data, options });
  return { result, stop: () => send({ type: "stop" }) };
}
