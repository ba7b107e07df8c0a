/** Checkpoint files (Node): gim/train/checkpoint.ts's state as JSON, written atomically. */
import { readJson, writeJsonAtomic } from "../data/json-file.js";
import {
  type CheckpointFile,
  type Checkpointer,
  type TrainingState,
  checkpointOf,
  restoreCheckpoint,
} from "./checkpoint.js";

export async function saveCheckpoint(path: string, state: TrainingState): Promise<void> {
  writeJsonAtomic(path, await checkpointOf(state));
}

export async function loadCheckpoint(path: string, state: TrainingState): Promise<void> {
  restoreCheckpoint(readJson<CheckpointFile>(path, "checkpoint"), state, path);
}

/** For Trainer.train({ checkpoint }): a checkpoint file at `path`. */
export function fileCheckpointer(path: string): Checkpointer {
  return { where: path, save: (state) => saveCheckpoint(path, state) };
}
