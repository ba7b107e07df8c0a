/**
 * Phase labels and the profiled step (webgpu): every dispatch of a recorded training step carries
 * one of the four phases, also when the likelihood is chunked over N; an op's backward dispatches
 * carry its forward's phase; a profiled step splits its GPU time over the four phases, and the
 * per-phase and per-kernel splits add up to about the whole profiled time.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { WebGpuBackend } from "../../engine/backend-webgpu.js";
import { backward, randn } from "../../engine/index.js";
import { exp, mul, sum } from "../../kernels/ops.js";
import { inPhase } from "../../engine/phase.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { scalarsAt } from "../../gim/model/objective.js";
import { Trainer } from "../../gim/train/trainer.js";
import { exitWhenDone, gpuOrSkip, gpuTest } from "../helpers.js";
import { shiftedEnvs } from "./fixtures.js";

const gpu = (await gpuOrSkip("phases")) as WebGpuBackend | null;
const run = gpuTest(gpu);
const PHASES = ["likelihood", "acyclicity", "priors", "optimizer"];

const config = (chunkRows: number): GimConfig => ({
  ...DEFAULTS,
  mcSamples: 6,
  acyclicitySamples: 4,
  gimHidden: 16,
  steps: 100,
  holdoutFraction: 0,
  chunkRows,
});

/** Phase → number of dispatches in one recorded step. */
function recordedPhases(trainer: Trainer): Map<string, number> {
  const counts = new Map<string, number>();
  const recording = gpu!.record(() => {
    trainer.buildStep(scalarsAt(trainer.config, 0, trainer.lagrangian));
  });
  for (const command of recording.commands) {
    if ("dispatch" in command) counts.set(command.dispatch.phase, (counts.get(command.dispatch.phase) ?? 0) + 1);
  }
  gpu!.discardRecording(recording);
  return counts;
}

for (const chunkRows of [0, 37]) {
  run(`every dispatch of a recorded step has one of the four phases${chunkRows ? " (chunked over N)" : ""}`, () => {
    const counts = recordedPhases(new Trainer(config(chunkRows), shiftedEnvs(4), gpu!));
    assert.equal([...counts.keys()].sort(), [...PHASES].sort(), `phases seen: ${JSON.stringify([...counts])}`);
  });
}

run("an op's backward dispatches carry the phase of its forward", () => {
  const x = randn([4, 8], { backend: gpu!, seed: 1, requiresGrad: true });
  const phasesOf = (fn: () => void) => {
    const recording = gpu!.record(fn);
    const phases = recording.commands.flatMap((c) => ("dispatch" in c ? [c.dispatch.phase] : []));
    gpu!.discardRecording(recording);
    return phases;
  };
  let loss = x;
  const forward = phasesOf(() => {
    const y = inPhase("a", () => exp(x));
    loss = inPhase("b", () => sum(mul(y, y)));
  });
  assert.ok(forward.includes("a") && forward.includes("b"), `forward phases ${forward}`);
  const backwardPhases = phasesOf(() => inPhase("elsewhere", () => backward(loss)));
  assert.ok(backwardPhases.length > 0, "backward queued no dispatch");
  assert.ok(
    backwardPhases.every((p) => p === "a" || p === "b"),
    `backward phases ${backwardPhases}`,
  );
  assert.ok(backwardPhases.includes("a") && backwardPhases.includes("b"), `backward phases ${backwardPhases}`);
});

run("a profiled step splits its GPU time over the four phases", async () => {
  if (!gpu!.hasTimestamps) {
    console.log(`[info] ${gpu!.description} has no timestamp queries; profile not checked`);
    return;
  }
  const trainer = new Trainer(config(0), shiftedEnvs(4), gpu!);
  assert.ok(trainer.enableReplay());
  await trainer.queueStep().loss.item();
  const profile = (await trainer.profileStep())!;
  for (const phase of PHASES) assert.ok(profile.phases[phase] > 0, `${phase}: ${profile.phases[phase]} ms`);
  assert.equal(Object.keys(profile.phases).sort(), [...PHASES].sort());
  const summed = Object.values(profile.phases).reduce((a, b) => a + b, 0);
  assert.ok(
    summed <= profile.totalMs * 1.001 && summed >= 0.3 * profile.totalMs,
    `phases sum to ${summed} ms of ${profile.totalMs} ms`,
  );
  const perKernel = (await trainer.profileStep({ perKernel: true }))!;
  const kernels = Object.values(perKernel.kernels ?? {}).reduce((a, b) => a + b, 0);
  assert.ok(
    kernels > 0 && kernels <= perKernel.totalMs * 1.001,
    `kernels sum to ${kernels} ms of ${perKernel.totalMs} ms`,
  );
  const byPhase = Object.values(perKernel.phases).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(byPhase - kernels) <= 1e-6 * kernels, "per-kernel mode: phases and kernels sum to the same time");
  assert.equal(trainer.step, 3);
});

exitWhenDone();
test.run();
