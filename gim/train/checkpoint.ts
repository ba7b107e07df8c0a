/**
 * The checkpoint format: everything a rerun needs to continue to the same result — parameters,
 * Adam moments and step, the augmented-Lagrangian state, the step counter (all Philox counters
 * are derived from (seed, step), so no separate PRNG state is needed), the config and the
 * training curve so far. Parameters are stored exactly (gim/data/encoded-array.ts), so resuming is
 * bitwise. No file I/O here (the browser build trains too): gim/train/checkpoint-file.ts writes
 * and reads the files, atomically.
 */
import type { Backend, DType } from "../../engine/backend.js";
import type { Adam, AdamState } from "../../engine/optim.js";
import { type EncodedArray, decodeArray, encodeArray } from "../data/encoded-array.js";
import type { GimConfig } from "../model/config.js";
import { type TrainingHistory, emptyHistory } from "../model/history.js";
import { type GimParams, readParams, writeParams } from "../model/params.js";
import type { Lagrangian } from "./lagrangian.js";
import type { RefitState } from "./refit.js";

const FORMAT = "gim-webgpu-checkpoint/1";

export interface CheckpointFile {
  format: typeof FORMAT;
  step: number;
  config: GimConfig;
  backend: string;
  params: Record<string, EncodedArray>;
  adam: AdamState;
  lagrangian: ReturnType<Lagrangian["exportState"]>;
  /** Present once the refit phase has pinned the graph (older files: absent). */
  refit?: RefitState | null;
  /** The training curve so far (older files: absent; a run resumed from one records from there on). */
  history?: TrainingHistory;
}

/** The state of a training run that a checkpoint saves and restores (a Trainer is one). */
export interface TrainingState {
  step: number;
  readonly config: GimConfig;
  readonly backend: Backend;
  readonly dtype: DType;
  readonly params: GimParams;
  readonly adam: Adam;
  readonly lagrangian: Lagrangian;
  refit: RefitState | null;
  history: TrainingHistory;
}

/** A resumed run must draw the same numbers from the same parameter shapes. */
const MUST_MATCH = ["mechanism", "intervention", "seed", "mcSamples", "amortize", "marginalize"] as const;

/** Writes a checkpoint somewhere (a file in Node: checkpoint-file.ts); `where` names it in errors. */
export interface Checkpointer {
  readonly where: string;
  save(state: TrainingState): Promise<void>;
}

export async function checkpointOf(state: TrainingState): Promise<CheckpointFile> {
  const host = await readParams(state.params);
  return {
    format: FORMAT,
    step: state.step,
    config: state.config,
    backend: state.backend.name,
    params: Object.fromEntries(Object.entries(host).map(([k, v]) => [k, encodeArray(v, state.dtype)])),
    adam: await state.adam.exportState(),
    lagrangian: state.lagrangian.exportState(),
    refit: state.refit,
    history: state.history,
  };
}

/**
 * Restores parameters, Adam, the Lagrangian and the step in place, after checking the checkpoint
 * fits this run; `path` names its source in errors.
 */
export function restoreCheckpoint(file: CheckpointFile, state: TrainingState, path: string): void {
  if (file.format !== FORMAT) throw new Error(`${path}: not a gim-webgpu checkpoint`);
  for (const key of MUST_MATCH) {
    if (file.config[key] !== state.config[key]) {
      throw new Error(
        `${path}: checkpoint was made with ${key} = ${file.config[key]}, this run has ${state.config[key]}`,
      );
    }
  }
  writeParams(state.params, Object.fromEntries(Object.entries(file.params).map(([k, v]) => [k, decodeArray(v)])));
  state.adam.importState(file.adam);
  state.lagrangian.importState(file.lagrangian);
  state.step = file.step;
  state.refit = file.refit ?? null;
  state.history = file.history ?? emptyHistory();
}
