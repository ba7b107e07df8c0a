/**
 * `--lr-end` (gim/model/config.ts lrAt): Adam's lr follows a cosine from lr to lrEnd·lr over the
 * step budget and keeps the end value after it; without a schedule the trainer leaves lr alone.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpuBackend } from "../../engine/context.js";
import { DEFAULTS, type GimConfig, lrAt } from "../../gim/model/config.js";
import { Trainer } from "../../gim/train/trainer.js";
import { shiftedEnvs } from "./fixtures.js";

const small = (overrides: Partial<GimConfig>): GimConfig => ({
  ...DEFAULTS,
  mcSamples: 2,
  acyclicitySamples: 2,
  gimHidden: 4,
  hidden: 2,
  steps: 4,
  holdoutFraction: 0,
  ...overrides,
});

test("lrAt: lr at step 0, the cosine midpoint halfway, lrEnd·lr at the budget and after it", () => {
  const config = small({ lr: 0.02, lrEnd: 0.1, steps: 100 });
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12;
  assert.ok(close(lrAt(config, 0), 0.02));
  assert.ok(close(lrAt(config, 50), 0.011), `halfway: ${lrAt(config, 50)}`);
  assert.ok(close(lrAt(config, 100), 0.002));
  assert.ok(close(lrAt(config, 150), 0.002), "refit steps keep the end value");
  assert.ok(close(lrAt(small({ lr: 0.02 }), 70), 0.02), "no lrEnd: constant");
});

test("the trainer sets Adam's lr from the schedule before each step, and leaves it alone without one", async () => {
  const config = small({ lr: 0.02, lrEnd: 0.1 });
  const trainer = new Trainer(config, shiftedEnvs(3), cpuBackend(), "f64");
  const seen: number[] = [];
  for (let s = 0; s < 6; s++) {
    const { loss, acyclicity } = trainer.queueStep();
    seen.push(trainer.adam.lr);
    await loss.item();
    loss.dispose();
    acyclicity.dispose();
  }
  seen.forEach((lr, s) => assert.ok(Math.abs(lr - lrAt(config, s)) <= 1e-15, `step ${s}: lr ${lr}`));
  assert.ok(seen[5] < seen[1] && seen[1] < seen[0], `decaying: ${seen.join(", ")}`);
  const plain = new Trainer(small({ lr: 0.02 }), shiftedEnvs(3), cpuBackend(), "f64");
  plain.adam.lr = 0.005;
  const { loss, acyclicity } = plain.queueStep();
  loss.dispose();
  acyclicity.dispose();
  assert.is(plain.adam.lr, 0.005, "a caller's lr stands without --lr-end");
});

test.run();
