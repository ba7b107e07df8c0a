/**
 * Robustness on purpose: a non-finite loss stops training with a clear message and keeps the
 * last good checkpoint; the BaCaDI* ablation (no amortization) refuses to predict unseen
 * environments, saying why; unknown backends are refused by name.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { cpuBackend, createBackend } from "../../engine/context.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { trainingSubset } from "../../gim/data/dataset.js";
import { modelFromTrainer } from "../../gim/train/export-model.js";
import { HostModel } from "../../gim/model/sampler.js";
import { Trainer } from "../../gim/train/trainer.js";
import { fileCheckpointer, loadCheckpoint } from "../../gim/train/checkpoint-file.js";
import { tinyBenchmark } from "./fixtures.js";
import { scratchDir } from "../helpers.js";

const data = trainingSubset(tinyBenchmark(2));
const small: GimConfig = { ...DEFAULTS, mcSamples: 4, acyclicitySamples: 4, gimHidden: 8, logEvery: 5 };

test("a non-finite loss stops training with a clear error; the last good checkpoint is kept", async () => {
  const dir = scratchDir("gim-nan-");
  const checkpoint = join(dir, "ckpt.json");
  const trainer = new Trainer({ ...small, steps: 10 }, data, cpuBackend());
  await trainer.train({ checkpoint: fileCheckpointer(checkpoint), checkpointEvery: 5 });
  assert.ok(existsSync(checkpoint));
  const good = readFileSync(checkpoint, "utf8");
  // Blow the parameters up: an absurd learning rate drives the loss to Inf/NaN.
  const blown = new Trainer({ ...small, steps: 40, lr: 1e30 }, data, cpuBackend());
  await loadCheckpoint(checkpoint, blown);
  blown.adam.lr = 1e30;
  try {
    await blown.train({ checkpoint: fileCheckpointer(checkpoint), checkpointEvery: 5 });
    assert.unreachable("training should have stopped");
  } catch (error) {
    assert.match(
      (error as Error).message,
      /non-finite loss .* at step \d+; training stopped; the last good checkpoint is kept at/,
    );
  }
  const kept = JSON.parse(readFileSync(checkpoint, "utf8"));
  assert.ok(Object.values(kept.params).every((p) => typeof (p as { base64: string }).base64 === "string"));
  assert.ok(kept.step >= JSON.parse(good).step, "the checkpoint holds a step before the failure");
  const restored = new Trainer({ ...small, steps: 40 }, data, cpuBackend());
  await loadCheckpoint(checkpoint, restored);
  const loss = await restored.queueStep().loss.item();
  assert.ok(Number.isFinite(loss), `the kept checkpoint trains on (loss ${loss})`);
});

test("BaCaDI* (amortize = false) predicts its training envs but refuses unseen ones, saying why", async () => {
  const trainer = new Trainer({ ...small, steps: 5, amortize: false }, data, cpuBackend());
  await trainer.train();
  const host = new HostModel(await modelFromTrainer(trainer, { stepsPerSecond: 0, wallSeconds: 0 }));
  const seen = data.envs[1].features;
  assert.is(host.sample(seen, 3, new HostRandom(1)).length, 9);
  assert.throws(
    () =>
      host.sample(
        seen.map((v) => v + 1),
        3,
        new HostRandom(1),
      ),
    /without amortization .* cannot predict unseen environments/,
  );
});

test("an unknown backend is refused, listing the choices", async () => {
  try {
    await createBackend("tpu", () => {});
    assert.unreachable();
  } catch (error) {
    assert.match((error as Error).message, /unknown backend 'tpu' \(choose one of: auto, webgpu, cpu\)/);
  }
});

test.run();
