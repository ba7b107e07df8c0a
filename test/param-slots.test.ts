/**
 * Eager params in static uniform slots (engine/param-slots.ts): the same words share a slot,
 * different words do not, and a run of dispatches with more distinct params than there are slots
 * (the backend then submits and reuses them mid-stream) still gives every dispatch its own values.
 * A recording's params live in a buffer of its own: two replays queued back to back, each patched
 * differently, each read their own words.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { WebGpuBackend } from "../engine/backend-webgpu.js";
import { tensor } from "../engine/create.js";
import type { Tensor } from "../engine/tensor.js";
import { ParamSlots } from "../engine/param-slots.js";
import { affine } from "../kernels/ops.js";
import { exitWhenDone, gpuOrSkip, gpuTest } from "./helpers.js";

const gpu = await gpuOrSkip("param-slots");
const gtest = gpuTest(gpu);

gtest("a slot per distinct params words; full → −1; reset frees them all", () => {
  const slots = new ParamSlots((gpu as WebGpuBackend).device, 3);
  const words = (...v: number[]) => Uint32Array.from([...v, 99, 99]);
  assert.is(slots.slotFor(words(1, 2), 2), 0);
  assert.is(slots.slotFor(words(1, 3), 2), 1);
  assert.is(slots.slotFor(words(1, 2), 2), 0, "the same words, the same slot");
  assert.is(slots.slotFor(words(1, 2, 5), 3), 2, "a longer prefix is other params");
  assert.is(slots.slotFor(words(7), 1), -1, "full");
  slots.reset();
  assert.is(slots.slotFor(words(7), 1), 0);
  slots.buffer.destroy();
});

gtest("more distinct params than slots in one stream: every dispatch keeps its own values", async () => {
  // 4,096 eager slots: 5,000 affine ops with distinct shifts force a submit and a reuse midway,
  // after 100 ops that share one slot, so the reuse does not fall on an automatic submit (every
  // 256 dispatches) and queued dispatches still read the slots it rewrites.
  // Integers below 2^24 with scales ±1 are exact in f32, so any dispatch reading another's
  // params shows in the result.
  const x = tensor([1, 2, 3], [3], { backend: gpu! });
  let acc = x;
  let expected = [1, 2, 3];
  for (let k = 0; k < 100; k++) {
    const next = affine(acc, 1, 0);
    if (acc !== x) acc.dispose();
    acc = next;
  }
  for (let k = 0; k < 5000; k++) {
    const scale = k % 3 === 0 ? -1 : 1;
    const next = affine(acc, scale, k);
    if (acc !== x) acc.dispose();
    acc = next;
    expected = expected.map((v) => v * scale + k);
  }
  assert.equal(Array.from(await acc.toArray()), expected);
});

gtest("two replays queued without a submit between them read their own patched params", async () => {
  const backend = gpu as WebGpuBackend;
  const a = tensor([1, 2, 3], [3], { backend });
  await a.toArray();
  let y: Tensor | null = null;
  // a ← a + p1: the affine writes y, a copy brings it back, so each replay adds its own shift.
  const recording = backend.record(() => {
    y = affine(a, 1, 0);
    backend.copy(y.storage, 0, a.storage, 0, 3);
  });
  const first = recording.commands[0];
  const word = "dispatch" in first ? first.dispatch.kernel.params.findIndex(([name]) => name === "p1") : -1;
  assert.ok(word >= 0, "the affine's shift p1 is a uniform word");
  for (const shift of [1, 10])
    backend.replay(recording, (index, words) => {
      if (index === 0) words[word] = new Uint32Array(Float32Array.of(shift).buffer)[0];
    });
  assert.equal(Array.from(await a.toArray()), [12, 13, 14]);
  y!.dispose();
  backend.discardRecording(recording);
});

test.run();
exitWhenDone();
