/**
 * The training worker of the browser build (dist/browser/gim-worker.js): trains with trainGim
 * off the page's thread, so the page never freezes, and posts the backend line, progress,
 * snapshots of the model and the result (browser/protocol.ts). WebGPU is navigator.gpu, which
 * dedicated workers have too.
 */
import { trainGim } from "../gim/train/train-gim.js";
import type { FromWorker, WorkerScope } from "./protocol.js";

const scope = globalThis as unknown as WorkerScope;
const post = (message: FromWorker) => scope.postMessage(message);
let stop = false;

scope.onmessage = async (event) => {
  const message = event.data;
  if (message.type === "stop") {
    stop = true;
    return;
  }
  stop = false;
  try {
    const model = await trainGim(message.data, {
      ...message.options,
      log: (line) => post({ type: "log", line }),
      onProgress: (progress) => post({ type: "progress", progress }),
      shouldStop: () => stop,
      onSnapshot: (snapshot) => post({ type: "snapshot", model: snapshot.file }),
    });
    post({ type: "done", model: model.file });
  } catch (error) {
    post({ type: "error", message: (error as Error).message });
  }
};
