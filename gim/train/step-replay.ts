/**
 * Step replay (webgpu): the training step — three likelihood terms, priors, acyclicity,
 * backward, Adam, clamp — is captured once as a fixed list of dispatches over fixed buffers and
 * replayed every step. No tensors, allocations, pipelines or bind groups are made per step; the
 * only per-step host work is copying each dispatch's 256-byte uniform slot into the ring and
 * patching the few numbers that change with t.
 *
 * Which numbers change: the StepScalars of gim/objective.ts (α_t, −λ_I(t), −α_AL, −μ_AL/2 and
 * the Philox streams step·16 + purpose) and Adam's bias corrections. The step is captured with
 * sentinel values for the scalars; every uniform field holding a sentinel is recorded as a patch
 * site. Adam's corrections are patched by field name in the Adam kernel's uniforms. Capture
 * fails loudly if a sentinel is not found, so a change in the objective cannot silently replay
 * stale values; test/gim/step-replay.test.ts checks replay against the generic path.
 */
import type { RecordedDispatch, Recording, WebGpuBackend } from "../../engine/backend-webgpu.js";
import type { PhaseProfile } from "../../engine/phase.js";
import { adamKernel } from "../../engine/adam.js";
import type { Tensor } from "../../engine/tensor.js";
import { STREAMS, type StepScalars, scalarsAt } from "../model/objective.js";
import type { Trainer } from "./trainer.js";

const SENTINEL: StepScalars = { step: 0xabcde, alpha: 1234.5, targetPriorScale: -2345.25, alLinear: -3456.125, alQuadratic: -4567.375 };
type ScalarKey = Exclude<keyof StepScalars, "step">;
const FLOAT_KEYS: ScalarKey[] = ["alpha", "targetPriorScale", "alLinear", "alQuadratic"];

type Patch =
  | { index: number; word: number; kind: "float"; key: ScalarKey }
  | { index: number; word: number; kind: "stream"; purpose: number }
  | { index: number; word: number; kind: "adam"; which: "c1" | "c2" };

function findPatches(commands: Recording["commands"]): Patch[] {
  const patches: Patch[] = [];
  const floatOf = new Map(FLOAT_KEYS.map((k) => [Math.fround(SENTINEL[k]), k]));
  const streamBase = SENTINEL.step * 16;
  commands.forEach((command, index) => {
    if (!("dispatch" in command)) return;
    const d: RecordedDispatch = command.dispatch;
    const floats = new Float32Array(d.params.buffer);
    d.kernel.params.forEach(([name, type], word) => {
      if (d.kernel === adamKernel && (name === "c1" || name === "c2")) patches.push({ index, word, kind: "adam", which: name });
      else if (type === "f32" && floatOf.has(floats[word])) patches.push({ index, word, kind: "float", key: floatOf.get(floats[word])! });
      else if (type === "u32" && d.params[word] >= streamBase && d.params[word] < streamBase + 16) {
        patches.push({ index, word, kind: "stream", purpose: d.params[word] - streamBase });
      }
    });
  });
  return patches;
}

export class ReplayedStep {
  private readonly byIndex = new Map<number, Patch[]>();

  private constructor(
    private readonly trainer: Trainer,
    private readonly backend: WebGpuBackend,
    private readonly recording: Recording,
    patches: Patch[],
    readonly outputs: { loss: Tensor; acyclicity: Tensor },
  ) {
    for (const p of patches) this.byIndex.set(p.index, [...(this.byIndex.get(p.index) ?? []), p]);
  }

  static record(trainer: Trainer, backend: WebGpuBackend): ReplayedStep {
    let outputs: { loss: Tensor; acyclicity: Tensor } | null = null;
    const adamSteps = trainer.adam.stepCount;
    const recording = backend.record(() => {
      outputs = trainer.buildStep(SENTINEL);
    });
    trainer.adam.stepCount = adamSteps;
    const patches = findPatches(recording.commands);
    const found = new Set(patches.map((p) => (p.kind === "float" ? p.key : p.kind === "stream" ? `stream${p.purpose}` : p.kind)));
    const needed = [...FLOAT_KEYS, "adam", ...Object.values(STREAMS).map((s) => `stream${s}`)];
    const missing = needed.filter((k) => !found.has(k));
    if (missing.length > 0) {
      backend.discardRecording(recording);
      throw new Error(`step replay: the captured step does not carry ${missing.join(", ")} in any uniform; cannot replay`);
    }
    return new ReplayedStep(trainer, backend, recording, patches, outputs!);
  }

  get dispatches(): number {
    return this.recording.commands.length;
  }

  /** Queues step t. */
  queue(step: number): void {
    this.backend.replay(this.recording, this.patchFor(step));
  }

  /**
   * Runs step t timed by phase (engine/phase.ts) with timestamp queries, waits for it and returns
   * the GPU milliseconds per phase: likelihood, acyclicity, priors, optimizer. A real step: the
   * parameters and Adam's state advance as with `queue`.
   */
  profile(step: number, options: { perKernel?: boolean } = {}): Promise<PhaseProfile> {
    return this.backend.profileReplay(this.recording, this.patchFor(step), options);
  }

  /** Advances Adam's step count and returns the uniform patch of step t. */
  private patchFor(step: number): (index: number, words: Uint32Array) => void {
    const scalars = scalarsAt(this.trainer.config, step, this.trainer.lagrangian);
    const adam = this.trainer.adam;
    adam.stepCount++;
    const t = adam.stepCount;
    const corrections = { c1: 1 - adam.beta1 ** t, c2: 1 - adam.beta2 ** t };
    const scratch = new Float32Array(1);
    const asWord = (value: number) => {
      scratch[0] = value;
      return new Uint32Array(scratch.buffer)[0];
    };
    const floatWords = Object.fromEntries(FLOAT_KEYS.map((k) => [k, asWord(scalars[k])])) as Record<ScalarKey, number>;
    const adamWords = { c1: asWord(corrections.c1), c2: asWord(corrections.c2) };
    return (index, words) => {
      const patches = this.byIndex.get(index);
      if (!patches) return;
      for (const p of patches) {
        if (p.kind === "float") words[p.word] = floatWords[p.key];
        else if (p.kind === "stream") words[p.word] = (step * 16 + p.purpose) >>> 0;
        else words[p.word] = adamWords[p.which];
      }
    };
  }

  dispose(): void {
    this.backend.discardRecording(this.recording);
  }
}
