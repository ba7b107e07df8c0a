/**
 * Training recovers a small causal graph and its targets: d = 3 (a complete DAG, ER-1 with
 * d = 3 draws all three edges), hard interventions, 3 perturbations × 4 dosages, on the cpu
 * backend in under a minute; the same run on webgpu reaches the same graph.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend } from "../../engine/backend.js";
import { cpuBackend } from "../../engine/context.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { trainingSubset } from "../../gim/data/dataset.js";
import { edgeF1, targetF1 } from "../../gim/eval/metrics.js";
import { modelFromTrainer } from "../../gim/train/export-model.js";
import { HostModel } from "../../gim/model/sampler.js";
import { Trainer } from "../../gim/train/trainer.js";
import { exitWhenDone, gpuOrSkip, gpuTest } from "../helpers.js";
import { tinyBenchmark } from "./fixtures.js";

const data = tinyBenchmark(1, { perturbations: 3, nPerEnv: 40, nObs: 200, q: 4 });
const config: GimConfig = {
  ...DEFAULTS,
  steps: 600,
  mcSamples: 8,
  acyclicitySamples: 8,
  gimHidden: 32,
  alSteps: 100,
  alphaLinear: 0.02,
  logEvery: 100,
};

async function trainOn(backend: Backend) {
  const train = trainingSubset(data);
  const trainer = new Trainer(config, train, backend);
  await trainer.train();
  const model = await modelFromTrainer(trainer, { stepsPerSecond: 0, wallSeconds: 0 });
  const host = new HostModel(model);
  const envs = train.envs.slice(1);
  const tf1 = targetF1(
    envs.map((e) => data.truth.targets[e.id]),
    envs.map((e) => host.targetProbabilities(e.features).map((p) => (p > 0.5 ? 1 : 0))),
  );
  return { graph: model.graph, edgeF1: edgeF1(data.truth.graph, model.graph), targetF1: tf1 };
}

let cpuGraph: number[][] | null = null;

test("cpu: the MAP graph equals the true DAG and the targets are found", async () => {
  const started = performance.now();
  const r = await trainOn(cpuBackend());
  console.log(
    `[info] cpu: ${((performance.now() - started) / 1000).toFixed(1)} s, Edge-F1 ${r.edgeF1}, Target-F1 ${r.targetF1.toFixed(2)}`,
  );
  assert.equal(r.graph, data.truth.graph);
  assert.ok(r.targetF1 >= 0.8, `Target-F1 ${r.targetF1}`);
  cpuGraph = r.graph;
});

const gpu = await gpuOrSkip("training");
gpuTest(gpu)("webgpu: the same run reaches the same graph", async () => {
  const r = await trainOn(gpu!);
  console.log(`[info] webgpu: Edge-F1 ${r.edgeF1}, Target-F1 ${r.targetF1.toFixed(2)}`);
  assert.equal(r.graph, cpuGraph ?? data.truth.graph);
});

exitWhenDone();
test.run();
