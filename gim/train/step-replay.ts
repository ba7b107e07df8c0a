/**
 * Step replay (webgpu): the training step — three likelihood terms, priors, acyclicity,
 * backward, Adam, clamp — is captured once as a fixed list of dispatches over fixed buffers and
 * replayed every step. No tensors, allocations, pipelines or bind groups are made per step; the
 * only per-step host work is copying each dispatch's 256-byte uniform slot into the ring and
 * patching the few numbers that change with t.
 *
 * Which numbers change, and where: the per-step keys (KEYS) are the StepScalars of
 * gim/model/objective.ts (α_t, −λ_I(t), −α_AL, −μ_AL/2, the Philox streams step·16 + purpose) and
 * Adam's lr, c1, c2 (Adam.stepParams). The step is recorded twice with two made-up sets of
 * values (PROBES) and the two command lists must be the same dispatches over the same buffers
 * (the step's own temporaries may be other buffers, used in the same pattern). A uniform word
 * equal in both recordings is a constant, whatever its value, and is never patched; a word that
 * differs must be one key's value in both (an f32 field: the float; a u32 field: a stream), and
 * is patched with that key's value of step t. A word that differs otherwise — a key in derived
 * form such as 2α or 1/α, or anything else that varies between builds — makes the recording
 * throw, as does a key found nowhere, so a replayed step never carries a stale number.
 * test/gim/step-replay.test.ts checks replay against the generic path.
 */
import type { RecordedCommand, Recording, WebGpuBackend } from "../../engine/backend-webgpu.js";
import type { Adam, AdamStepParams } from "../../engine/optim.js";
import type { PhaseProfile } from "../../engine/phase.js";
import type { Tensor } from "../../engine/tensor.js";
import { STREAMS, type StepScalars, streamFor } from "../model/objective.js";

export interface StepOutputs {
  loss: Tensor;
  acyclicity: Tensor;
}

/** What replay needs from the trainer. */
export interface ReplaySource {
  readonly adam: Adam;
  /**
   * Builds and queues one step with these values, Adam's update with `update` (not counting a
   * step); returns the kept loss and ĥ.
   */
  build(scalars: StepScalars, update: AdamStepParams): StepOutputs;
  /** The per-step scalars of step t, asked for when step t is queued. */
  scalarsAt(step: number): StepScalars;
  /**
   * Philox streams the step never draws from, whose absence from the uniforms is no error;
   * default: rows, which only a minibatched step (gim/model/minibatch.ts) draws.
   */
  unusedStreams?: readonly (keyof typeof STREAMS)[];
}

interface StepValues {
  scalars: StepScalars;
  update: AdamStepParams;
}

interface Key {
  name: string;
  type: "f32" | "u32";
  of: (values: StepValues) => number;
}

const scalarKey = (name: Exclude<keyof StepScalars, "step">): Key => ({
  name,
  type: "f32",
  of: (v) => v.scalars[name],
});
const adamKey = (name: "lr" | "c1" | "c2"): Key => ({ name, type: "f32", of: (v) => v.update[name] });
const streamKey = (purpose: keyof typeof STREAMS): Key => ({
  name: `stream ${purpose}`,
  type: "u32",
  of: (v) => streamFor(v.scalars.step, purpose),
});

const KEYS: readonly Key[] = [
  ...(["alpha", "targetPriorScale", "alLinear", "alQuadratic"] as const).map(scalarKey),
  ...(["lr", "c1", "c2"] as const).map(adamKey),
  ...(Object.keys(STREAMS) as (keyof typeof STREAMS)[]).map(streamKey),
];

/**
 * The values of the two recordings. Any do as long as every key differs between them and no two
 * keys share a pair; the signs are training's (α_t > 0, the others < 0), since only what differs
 * between the two is seen. The second recording is the one replayed; its step, 60, makes the
 * graph stream 960 = M·N of test/gim/step-replay.test.ts's data, a collision that test checks.
 */
export const PROBES: readonly { scalars: StepScalars; adamStep: number; lr: number }[] = [
  {
    scalars: { step: 0x5a5a5, alpha: 1234.5, targetPriorScale: -2345.25, alLinear: -3456.125, alQuadratic: -4567.375 },
    adamStep: 7,
    lr: 0.0123,
  },
  {
    scalars: { step: 60, alpha: 2718.5, targetPriorScale: -3141.25, alLinear: -1618.125, alQuadratic: -1414.375 },
    adamStep: 11,
    lr: 0.0321,
  },
];

const f32Word = new Uint32Array(1);
const f32View = new Float32Array(f32Word.buffer);

/** A key's value as the kernel receives it: the bits of an f32, or a u32. */
function wordOf(key: Key, values: StepValues): number {
  const value = key.of(values);
  if (key.type === "u32") return value >>> 0;
  f32View[0] = value;
  return f32Word[0];
}

/** One uniform word to rewrite every step: dispatch `index`'s word `word` carries KEYS[key]. */
interface Patch {
  index: number;
  word: number;
  key: number;
}

/** A uniform word as its field's type reads it. */
function shown(word: number, type: string): string {
  f32Word[0] = word;
  return type === "f32" ? `${f32View[0]}` : type === "i32" ? `${word | 0}` : `${word}`;
}

function describe(command: RecordedCommand): string {
  return "copy" in command
    ? `a copy of ${command.copy.bytes} bytes`
    : `${command.dispatch.kernel.name} [${command.dispatch.groups}]`;
}

/**
 * The patches that turn the second recording into the step of any values, from the differences
 * between the two recordings; throws where they are not the same step or a word differs for a
 * reason other than one key.
 */
function findPatches(
  first: Recording,
  second: Recording,
  values: readonly [StepValues, StepValues],
  optional: ReadonlySet<string>,
): Patch[] {
  const differ = (index: number, why: string) =>
    new Error(
      `step replay: the two recordings differ at command ${index} (${why}): the step's commands depend on its per-step values; cannot replay`,
    );
  if (first.commands.length !== second.commands.length)
    throw differ(
      Math.min(first.commands.length, second.commands.length),
      `${first.commands.length} vs ${second.commands.length} commands`,
    );
  // Buffers made before the recording (parameters, moments, data) must be the same ones; the
  // step's own may be others, one for one.
  const forward = new Map<GPUBuffer, GPUBuffer>();
  const backward = new Map<GPUBuffer, GPUBuffer>();
  const same = (a: GPUBuffer, b: GPUBuffer): boolean => {
    if (!first.allocated.has(a) || !second.allocated.has(b)) return a === b;
    if (!forward.has(a) && !backward.has(b)) {
      forward.set(a, b);
      backward.set(b, a);
    }
    return forward.get(a) === b && backward.get(b) === a;
  };
  const keyWords = values.map((v) => KEYS.map((k) => wordOf(k, v)));
  const patches: Patch[] = [];
  first.commands.forEach((one, index) => {
    const two = second.commands[index];
    if ("copy" in one || "copy" in two) {
      if (!("copy" in one && "copy" in two)) throw differ(index, `${describe(one)} vs ${describe(two)}`);
      const [a, b] = [one.copy, two.copy];
      if (
        a.srcOffset !== b.srcOffset ||
        a.dstOffset !== b.dstOffset ||
        a.bytes !== b.bytes ||
        !same(a.src, b.src) ||
        !same(a.dst, b.dst)
      ) {
        throw differ(index, "copies between other buffers or ranges");
      }
      return;
    }
    const [a, b] = [one.dispatch, two.dispatch];
    if (a.kernel !== b.kernel || a.groups.some((g, i) => g !== b.groups[i]))
      throw differ(index, `${describe(one)} vs ${describe(two)}`);
    if (a.buffers.length !== b.buffers.length || a.buffers.some((buffer, i) => !same(buffer, b.buffers[i])))
      throw differ(index, `${a.kernel.name} bound to other buffers`);
    a.kernel.params.forEach(([field, type], word) => {
      if (a.params[word] === b.params[word]) return;
      const key = KEYS.findIndex(
        (k, i) => k.type === type && keyWords[0][i] === a.params[word] && keyWords[1][i] === b.params[word],
      );
      if (key < 0) {
        throw new Error(
          `step replay: ${a.kernel.name}.${field} (${type}, command ${index}) is ${shown(a.params[word], type)} and ${shown(b.params[word], type)} in the two recordings, ` +
            "which is no per-step value as the kernel receives it (a value derived from one, such as 2α or 1/α, must be passed raw or made a key of its own); cannot replay",
        );
      }
      patches.push({ index, word, key });
    });
  });
  const missing = KEYS.filter((k, i) => !optional.has(k.name) && !patches.some((p) => p.key === i)).map((k) => k.name);
  if (missing.length > 0)
    throw new Error(
      `step replay: the recorded step does not carry ${missing.join(", ")} in any uniform; cannot replay`,
    );
  return patches;
}

export class ReplayedStep {
  private readonly byIndex = new Map<number, Patch[]>();
  private readonly words = new Uint32Array(KEYS.length);

  private constructor(
    private readonly source: ReplaySource,
    private readonly backend: WebGpuBackend,
    readonly recording: Recording,
    readonly patches: readonly Patch[],
    readonly outputs: StepOutputs,
  ) {
    for (const p of patches) this.byIndex.set(p.index, [...(this.byIndex.get(p.index) ?? []), p]);
  }

  /** Records the step twice (see the file comment); changes no state of the source. */
  static record(source: ReplaySource, backend: WebGpuBackend): ReplayedStep {
    const values = PROBES.map((p) => ({
      scalars: p.scalars,
      update: { ...source.adam.stepParams(p.adamStep), lr: p.lr },
    }));
    const capture = (v: StepValues) => {
      let outputs: StepOutputs | null = null;
      const recording = backend.record(() => {
        outputs = source.build(v.scalars, v.update);
      });
      return { recording, outputs: outputs! };
    };
    // The outputs go first: discardRecording does not give back buffers that are still live.
    const discard = (c: ReturnType<typeof capture>) => {
      c.outputs.loss.dispose();
      c.outputs.acyclicity.dispose();
      backend.discardRecording(c.recording);
    };
    const first = capture(values[0]);
    // Given back before the second capture, so recording twice takes no more memory than once.
    discard(first);
    const second = capture(values[1]);
    try {
      const optional = new Set((source.unusedStreams ?? ["rows"]).map((purpose) => streamKey(purpose).name));
      const patches = findPatches(first.recording, second.recording, [values[0], values[1]], optional);
      return new ReplayedStep(source, backend, second.recording, patches, second.outputs);
    } catch (error) {
      discard(second);
      throw error;
    }
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

  /** Counts Adam's step and returns the uniform patch of step t. */
  private patchFor(step: number): (index: number, words: Uint32Array) => void {
    const values = { scalars: this.source.scalarsAt(step), update: this.source.adam.advance() };
    KEYS.forEach((k, i) => (this.words[i] = wordOf(k, values)));
    return (index, words) => {
      const patches = this.byIndex.get(index);
      if (!patches) return;
      for (const p of patches) words[p.word] = this.words[p.key];
    };
  }

  dispose(): void {
    this.backend.discardRecording(this.recording);
  }
}
