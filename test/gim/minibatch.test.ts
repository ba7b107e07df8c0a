/**
 * Minibatches over rows (gim/model/minibatch.ts, docs/minibatch.md):
 * - float64, cpu, per-sample, M = 1 (where ℓ̂ is linear in the per-row terms): the mean of the
 *   step's gradient over many row draws equals the full-batch gradient within 5 standard errors
 *   per coordinate, while the same draws weighted by N/B instead of n_e/b_e (the shares here are
 *   not exact) miss it — so the check can fail;
 * - the batch keeps b_e slots per env, each holding a row of its env, the observational env
 *   always present; the same seed gives the same batches, another step other rows;
 * - webgpu: ten replayed minibatch steps = ten generic ones (also chunked over the batch);
 * - the trainer's choice of B and its errors.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { WebGpuBackend } from "../../engine/backend-webgpu.js";
import { HostRandom } from "../../engine/host-random.js";
import { backward, tidy } from "../../engine/index.js";
import { affine } from "../../kernels/ops.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import type { DeviceData } from "../../gim/model/device-data.js";
import { drawBatch, resolveBatchSize, uploadMinibatch } from "../../gim/model/minibatch.js";
import { stepObjective, streamFor } from "../../gim/model/objective.js";
import { readParams } from "../../gim/model/params.js";
import { Trainer } from "../../gim/train/trainer.js";
import { exitWhenDone, gpuOrSkip, gpuTest } from "../helpers.js";
import { STEP_CONFIG, cpu, makeSet, stepInputs, stepScalars } from "./fixtures.js";

const gpu = (await gpuOrSkip("minibatch")) as WebGpuBackend | null;

/** The step's gradient (every parameter, concatenated) on `data`. */
async function gradient(inputs: ReturnType<typeof stepInputs>, data: DeviceData, config: GimConfig) {
  for (const t of inputs.params.tensors.values()) {
    t.grad?.dispose();
    t.grad = null;
  }
  tidy(() => {
    const terms = stepObjective({ ...inputs, data }, stepScalars(config));
    for (const part of terms.gradientParts) tidy(() => backward(part()));
  });
  const out: number[] = [];
  for (const t of inputs.params.tensors.values()) out.push(...(await t.grad!.toArray()));
  return out;
}

test("E[minibatch gradient] = full gradient (f64, per-sample, M = 1); N/B weights instead of n_e/b_e miss it", async () => {
  const rng = new HostRandom(5);
  const config: GimConfig = { ...DEFAULTS, ...STEP_CONFIG, mcSamples: 1, mechanism: "mlp", intervention: "hard" };
  const set = makeSet(rng, 3, [6, 3, 3]);
  const inputs = stepInputs(config, set);
  const full = await gradient(inputs, inputs.data, config);
  const mb = uploadMinibatch(set, cpu, "f64", false, 5);
  assert.equal(mb.counts, [3, 1, 1], "shares 2.5, 1.25, 1.25 round to 3, 1, 1: weights 2, 3, 3 ≠ N/B = 2.4");
  const uniform = affine(mb.layout.rowWeights!, 0, 12 / 5);
  const draws = 150;
  const sums = [full.map(() => 0), full.map(() => 0)];
  const squares = full.map(() => 0);
  for (let k = 0; k < draws; k++) {
    const batch = drawBatch(mb, 77, streamFor(k, "rows"));
    const g = await gradient(inputs, batch, config);
    const wrong = await gradient(inputs, { ...batch, rowWeights: uniform }, config);
    g.forEach((x, i) => {
      sums[0][i] += x;
      squares[i] += x * x;
      sums[1][i] += wrong[i];
    });
    batch.X.dispose();
  }
  let worst = 0;
  let missed = 0;
  full.forEach((f, i) => {
    const mean = sums[0][i] / draws;
    const se = Math.sqrt(Math.max(squares[i] / draws - mean * mean, 0) / draws);
    worst = Math.max(worst, Math.abs(mean - f) / (se + 1e-9 * (1 + Math.abs(f))));
    if (Math.abs(sums[1][i] / draws - f) > 5 * se + 1e-9 * (1 + Math.abs(f))) missed++;
  });
  console.log(`[info] worst ${worst.toFixed(2)} SE, ${missed} coordinates missed with N/B`);
  assert.ok(worst < 5, `a coordinate of the mean gradient is ${worst.toFixed(2)} standard errors from the full one`);
  assert.ok(missed > 0, "N/B weights should give a biased gradient the check detects");
});

test("a batch keeps b_e slots per env, rows of its own env, observational present; seeded", async () => {
  const rng = new HostRandom(2);
  const set = makeSet(rng, 2, [40, 10, 25, 5]);
  // Column 0 holds the row's index in the env-sorted data.
  let row = 0;
  for (const env of set.envs) for (let n = 0; n < env.n; n++) env.samples[n * 2] = row++;
  const mb = uploadMinibatch(set, cpu, "f64", false, 16);
  assert.equal(mb.counts, [8, 2, 5, 1]);
  assert.equal(mb.layout.envStart, [0, 8, 10, 15, 16]);
  const rowsOf = async (stream: number) => {
    const X = drawBatch(mb, 3, stream).X;
    return Array.from(await X.toArray()).filter((_, i) => i % 2 === 0);
  };
  const starts = [0, 40, 50, 75, 80];
  const a = await rowsOf(streamFor(4, "rows"));
  a.forEach((r, k) => {
    const e = mb.layout.envStart.findIndex((s, i) => k >= s && k < mb.layout.envStart[i + 1]);
    assert.ok(r >= starts[e] && r < starts[e + 1], `slot ${k} of env ${e} holds row ${r}`);
  });
  assert.equal(await rowsOf(streamFor(4, "rows")), a, "same seed and step: same rows");
  assert.not.equal(await rowsOf(streamFor(5, "rows")), a, "another step: other rows");
});

test("B: 0 = full batch up to 32,768 rows, 8,192 above; ≥ N = full batch; too small refused", () => {
  assert.is(resolveBatchSize(0, 4050), 4050);
  assert.is(resolveBatchSize(0, 100000), 8192);
  assert.is(resolveBatchSize(5000, 4050), 4050);
  assert.is(resolveBatchSize(512, 4050), 512);
  const set = makeSet(new HostRandom(1), 2, [10, 10, 10]);
  assert.throws(
    () => new Trainer({ ...DEFAULTS, batchSize: 2, holdoutFraction: 0 }, set, cpu),
    /--batch-size 2: a minibatch needs at least one row of each of the 3 environments/,
  );
});

const run = gpuTest(gpu);

for (const chunkRows of [0, 7]) {
  run(
    `webgpu: replayed minibatch steps = generic ones after 10 steps${chunkRows ? ", batch in blocks of 7" : ""}`,
    async () => {
      const rng = new HostRandom(8);
      const set = makeSet(rng, 4, [60, 25, 25, 25, 25], 3);
      const config: GimConfig = {
        ...DEFAULTS,
        mcSamples: 6,
        acyclicitySamples: 4,
        gimHidden: 16,
        hidden: 3,
        alphaLinear: 0.05,
        holdoutFraction: 0.1,
        batchSize: 24,
        chunkRows,
      };
      const train = async (replay: boolean) => {
        const trainer = new Trainer(config, set, gpu!);
        if (replay) assert.ok(trainer.enableReplay());
        let loss = Number.NaN;
        for (let s = 0; s < 10; s++) {
          const out = trainer.queueStep();
          if (s === 9) loss = await out.loss.item();
          if (!replay) {
            out.loss.dispose();
            out.acyclicity.dispose();
          }
        }
        assert.is(trainer.batchSize, 24);
        assert.is(trainer.likelihoodBlocks, chunkRows ? 4 : 1);
        return { loss, params: await readParams(trainer.params) };
      };
      const generic = await train(false);
      const replayed = await train(true);
      assert.ok(Math.abs(generic.loss - replayed.loss) <= 1e-4 * Math.max(1, Math.abs(generic.loss)));
      for (const name of Object.keys(generic.params)) {
        const a = generic.params[name];
        const b = replayed.params[name];
        const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
        assert.ok(worst <= 1e-4 * Math.max(1, ...a.map(Math.abs)), `${name}: replay differs by ${worst}`);
      }
    },
  );
}

exitWhenDone();
test.run();
