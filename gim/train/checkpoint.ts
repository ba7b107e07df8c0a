/**
 * The checkpoint format: everything a rerun needs to continue to the same result — parameters,
 * Adam moments and step, the augmented-Lagrangian state, the step counter (all Philox counters
 * are derived from (seed, step), so no separate PRNG state is needed) and the config. Parameters
 * are stored exactly (gim/data/json-file.ts encodeArray), so resuming is bitwise; writes are
 * atomic.
 */
import type { Backend, DType } from "../../engine/backend.js";
import type { Adam, AdamState } from "../../engine/optim.js";
import { type EncodedArray, decodeArray, encodeArray, readJson, writeJsonAtomic } from "../data/json-file.js";
import type { GimConfig } from "../model/config.js";
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
}

/** A resumed run must draw the same numbers from the same parameter shapes. */
const MUST_MATCH = ["mechanism", "intervention", "seed", "mcSamples", "amortize", "marginalize"] as const;

export async function saveCheckpoint(path: string, state: TrainingState): Promise<void> {
  const host = await readParams(state.params);
  const file: CheckpointFile = {
    format: FORMAT,
    step: state.step,
    config: state.config,
    backend: state.backend.name,
    params: Object.fromEntries(Object.entries(host).map(([k, v]) => [k, encodeArray(v, state.dtype)])),
    adam: await state.adam.exportState(),
    lagrangian: state.lagrangian.exportState(),
    refit: state.refit,
  };
  writeJsonAtomic(path, file);
}

/** Restores parameters, Adam, the Lagrangian and the step in place, after checking the file fits this run. */
export async function loadCheckpoint(path: string, state: TrainingState): Promise<void> {
  const file = readJson<CheckpointFile>(path, "checkpoint");
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
}
