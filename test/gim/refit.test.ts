/**
 * The refit phase (gim/train/refit.ts) and MAP-target prediction (gim/model/sampler.ts): the
 * pinned embedding reproduces the graph at any sign, the refit trains θ, ℓ, φ but not Z, keeps
 * the graph and the pre-refit edge report, and resumes through the switch bit for bit on cpu;
 * MAP-target prediction intervenes on exactly the MAP targets in every sample.
 */
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { cpuBackend } from "../../engine/context.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { trainingSubset } from "../../gim/data/dataset.js";
import { modelFromTrainer } from "../../gim/train/export-model.js";
import { mapGraph } from "../../gim/model/map-estimate.js";
import { readParams } from "../../gim/model/params.js";
import { HostModel } from "../../gim/model/sampler.js";
import { PINNED_LOGIT, pinnedEmbedding } from "../../gim/train/refit.js";
import { fileCheckpointer, loadCheckpoint } from "../../gim/train/checkpoint-file.js";
import { Trainer } from "../../gim/train/trainer.js";
import { tinyBenchmark } from "./fixtures.js";
import { scratchDir } from "../helpers.js";

const data = trainingSubset(tinyBenchmark(4));
const small: GimConfig = { ...DEFAULTS, mcSamples: 4, acyclicitySamples: 4, gimHidden: 8, logEvery: 3, alSteps: 4 };
const throughput = { stepsPerSecond: 0, wallSeconds: 0 };

test("pinnedEmbedding: α·UVᵀ is +PINNED_LOGIT on the graph's edges and −PINNED_LOGIT elsewhere", () => {
  const graph = [
    [0, 1, 1, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 1],
    [0, 0, 0, 0],
  ];
  for (const k of [4, 6]) {
    const alpha = 7.5;
    const { U, V } = pinnedEmbedding(graph, k, alpha);
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let s = 0;
        for (let c = 0; c < k; c++) s += U[i * k + c] * V[j * k + c];
        if (i !== j) assert.ok(Math.abs(alpha * s - (graph[i][j] ? PINNED_LOGIT : -PINNED_LOGIT)) < 1e-9);
      }
    }
  }
  assert.throws(() => pinnedEmbedding(graph, 3, 1), /latent rank k ≥ d \(k = 3, d = 4\)/);
  assert.throws(() => pinnedEmbedding(graph, 4, 0), /α > 0/);
  assert.throws(
    () =>
      pinnedEmbedding(
        [
          [0, 1],
          [1, 0],
        ],
        2,
        1,
      ),
    /must be a DAG/,
  );
});

test("the refit keeps Z pinned to the MAP graph of the main phase and trains θ, ℓ and φ", async () => {
  const main = new Trainer({ ...small, steps: 8 }, data, cpuBackend());
  await main.train();
  const before = await modelFromTrainer(main, throughput);

  const refit = new Trainer({ ...small, steps: 8, refitSteps: 6 }, data, cpuBackend());
  await refit.train();
  assert.is(refit.step, 14);
  assert.ok(refit.refit, "the graph was pinned");
  assert.is(refit.refit!.fromStep, 8);
  const after = await modelFromTrainer(refit, throughput);
  assert.equal(after.graph, before.graph, "the refit's graph is the main phase's MAP graph");
  assert.equal(after.edgeProbabilities, before.edgeProbabilities, "the edge report is from before the pinning");
  assert.is(after.cycleEdgesDropped, before.cycleEdgesDropped);
  assert.equal(mapGraph(await refit.scores()).graph, before.graph, "Z still encodes the graph");
  const { U, V } = pinnedEmbedding(before.graph, 3, main.alpha());
  // Stored in float32 (the trainer's dtype on cpu is f32).
  assert.equal(after.weights.U.values, U.map(Math.fround), "Z did not move during the refit");
  assert.equal(after.weights.V.values, V.map(Math.fround));
  for (const name of ["Theta", "ell", "f.W2", "hMean.W2"])
    assert.not.equal(after.weights[name].values, before.weights[name].values, `${name} trained on`);
});

test("pinGraph(dag) pins Z to the given DAG from step 0 (α held constant) and training keeps it there", async () => {
  const dag = [
    [0, 0, 1],
    [1, 0, 0],
    [0, 0, 0],
  ];
  const trainer = new Trainer({ ...small, steps: 5, alphaConstant: 10 }, data, cpuBackend());
  await trainer.pinGraph(dag);
  assert.is(trainer.refit!.fromStep, 0);
  assert.is(trainer.refit!.cycleEdgesDropped, 0);
  await trainer.train();
  assert.equal(mapGraph(await trainer.scores()).graph, dag);
  const { U } = pinnedEmbedding(dag, 3, 10);
  assert.equal((await modelFromTrainer(trainer, throughput)).weights.U.values, U.map(Math.fround));
});

test("a run interrupted in the refit phase resumes to the same parameters (cpu, bitwise)", async () => {
  const config = { ...small, steps: 6, refitSteps: 6 };
  const straight = new Trainer(config, data, cpuBackend());
  await straight.train();
  const checkpoint = join(scratchDir("gim-refit-"), "ckpt.json");
  const first = new Trainer(config, data, cpuBackend());
  const stopped = await first.train({ checkpoint: fileCheckpointer(checkpoint), shouldStop: () => first.step === 9 });
  assert.ok(stopped.stoppedEarly);
  const resumed = new Trainer(config, data, cpuBackend());
  await loadCheckpoint(checkpoint, resumed);
  assert.is(resumed.step, 9);
  assert.ok(resumed.refit, "the checkpoint carries the refit state");
  await resumed.train();
  assert.equal(await readParams(resumed.params), await readParams(straight.params));
  assert.equal(resumed.refit, straight.refit);
});

test("MAP-target prediction intervenes on exactly the MAP targets, in every sample", async () => {
  const trainer = new Trainer({ ...small, steps: 2 }, data, cpuBackend());
  await trainer.train();
  const model = await modelFromTrainer(trainer, throughput);
  const d = 3;
  // Logits independent of γ: a = (0.3, −0.3, −0.3), σ = (0.57, 0.43, 0.43); MAP targets {x0}.
  // Hard-intervention means m = (100, −100, −100) with log-std −5 make a targeted value unmistakable.
  const set = (name: string, values: number[]) => (model.weights[name].values = values);
  set(
    "f.W2",
    model.weights["f.W2"].values.map(() => 0),
  );
  set("f.b2", [0.3, -0.3, -0.3]);
  set(
    "hMean.W2",
    model.weights["hMean.W2"].values.map(() => 0),
  );
  set("hMean.b2", [100, -100, -100]);
  set(
    "hLogStd.W2",
    model.weights["hLogStd.W2"].values.map(() => 0),
  );
  set("hLogStd.b2", [-5, -5, -5]);
  const host = new HostModel(model);
  const features = data.envs[1].features;
  const n = 400;
  const targeted = (x: Float64Array, j: number) =>
    Array.from({ length: n }, (_, s) => Math.abs(Math.abs(x[s * d + j]) - 100) < 1);
  const map = host.sample(features, n, new HostRandom(3), "map");
  assert.ok(targeted(map, 0).every(Boolean), "x0 is intervened on in every sample");
  for (const j of [1, 2]) assert.ok(!targeted(map, j).some(Boolean), `x${j} is never intervened on`);
  const sampled = host.sample(features, n, new HostRandom(3), "sampled");
  const hits = targeted(sampled, 0).filter(Boolean).length;
  assert.ok(hits > 150 && hits < 300, `sampled targets hit x0 in about 57% of samples (${hits} of ${n})`);
  assert.ok(targeted(sampled, 1).some(Boolean), "sampled targets sometimes hit x1 (p = 0.43)");
});

test.run();
