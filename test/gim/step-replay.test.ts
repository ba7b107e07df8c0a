/**
 * Step replay (webgpu): ten replayed steps give the same parameters as ten steps built through
 * the generic autograd path from the same seed (float32 tolerance), with the same loss at step 10,
 * also when the likelihood is chunked over N, and the capture finds every per-step scalar it must
 * patch.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { readParams } from "../../gim/model/params.js";
import { Trainer } from "../../gim/train/trainer.js";
import type { TrainingSet } from "../../gim/data/training-set.js";
import { exitWhenDone, gpuOrSkip, gpuTest } from "../helpers.js";

const gpu = await gpuOrSkip("step replay");
const run = gpuTest(gpu);

function dataset(d: number): TrainingSet {
  const rng = new HostRandom(8);
  const envs = [{ id: "obs", features: [0, 0, 0], samples: Float64Array.from({ length: 60 * d }, () => rng.normal()), n: 60 }];
  for (let k = 0; k < 4; k++) envs.push({ id: `e${k}`, features: [k + 1, (k % 2) - 0.5, 0.3], samples: Float64Array.from({ length: 25 * d }, () => rng.normal() + k), n: 25 });
  return { variables: Array.from({ length: d }, (_, j) => `x${j}`), featureNames: ["a", "b", "c"], envs };
}

async function trainTen(config: GimConfig, replay: boolean): Promise<{ params: Record<string, number[]>; loss: number; blocks: number }> {
  const trainer = new Trainer(config, dataset(4), gpu!);
  if (replay) assert.ok(trainer.enableReplay(), "replay should be available on webgpu");
  let last = Number.NaN;
  for (let s = 0; s < 10; s++) {
    const { loss, acyclicity } = trainer.queueStep();
    if (s === 9) last = await loss.item();
    if (!replay) {
      loss.dispose();
      acyclicity.dispose();
    }
  }
  return { params: await readParams(trainer.params), loss: last, blocks: trainer.likelihoodBlocks };
}

const cases = [
  { mechanism: "linear", intervention: "hard", chunkRows: 0 },
  { mechanism: "mlp", intervention: "shift", chunkRows: 0 },
  { mechanism: "linear", intervention: "hard", chunkRows: 37 },
  { mechanism: "mlp", intervention: "hard", chunkRows: 37 },
] as const;

for (const { mechanism, intervention, chunkRows } of cases) {
  run(`replayed step = generic path after 10 steps (${mechanism}, ${intervention}${chunkRows ? `, chunked over N in blocks of ${chunkRows} rows` : ""})`, async () => {
    const config: GimConfig = { ...DEFAULTS, mechanism, intervention, mcSamples: 6, acyclicitySamples: 4, gimHidden: 16, hidden: 3, alphaLinear: 0.05, steps: 100, holdoutFraction: 0, chunkRows };
    const generic = await trainTen(config, false);
    const replayed = await trainTen(config, true);
    // 160 rows in blocks of 37: five blocks, boundaries (rows 37, 74, 111, 148) inside the
    // observational env and inside envs 1, 3 and 4 (rows 60–84, 110–134, 135–159).
    assert.is(generic.blocks, chunkRows ? 5 : 1, "likelihood row blocks");
    // The loss of step 10 is read before the step's update, from the same parameters up to f32.
    assert.ok(Math.abs(generic.loss - replayed.loss) <= 1e-4 * Math.max(1, Math.abs(generic.loss)), `loss: generic ${generic.loss}, replayed ${replayed.loss}`);
    assert.ok(Object.keys(generic.params).length >= 5, "parameters to compare");
    for (const name of Object.keys(generic.params)) {
      const a = generic.params[name];
      const b = replayed.params[name];
      const scale = Math.max(1, ...a.map(Math.abs));
      const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
      assert.ok(worst <= 1e-4 * scale, `${name}: replay differs from the generic path by ${worst}`);
    }
  });
}

exitWhenDone();
test.run();
