/**
 * `--ziln-mean-scale linear` (gim/model/ziln-mean-scale.ts): m = log softplus(head) on the device
 * and on the host alike, the initial m still the data's own fit, the merged step's gradients
 * against each pass objective (f64), and the flag refused where there is no hard-ZILN mean head.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { backward, noGrad, tidy } from "../../engine/index.js";
import { DEFAULTS, type GimConfig, incompatibility } from "../../gim/model/config.js";
import { cpuBackend } from "../../engine/context.js";
import { featureMatrix } from "../../gim/model/device-data.js";
import { psiMean, stepObjective } from "../../gim/model/objective.js";
import { HostModel } from "../../gim/model/sampler.js";
import { modelFromTrainer } from "../../gim/train/export-model.js";
import { Trainer } from "../../gim/train/trainer.js";
import { dimensionsOf } from "../../gim/model/params.js";
import { zilnMeanFromHead, zilnMeanFromHeadHost } from "../../gim/model/ziln-mean-scale.js";
import { STEP_CONFIG, checkPassGradients, countSet, f64, stepInputs, stepScalars } from "./fixtures.js";

const ZILN: GimConfig = { ...DEFAULTS, ...STEP_CONFIG, noise: "ziln", intervention: "ziln", powerIterations: 200 };
const LINEAR: GimConfig = { ...ZILN, zilnMeanScale: "linear" };

test("m = log softplus(head): the device op and the host map agree, and log leaves the head as it is", async () => {
  const heads = [-30, -3, -0.5, 0, 0.7, 4, 25];
  const device = Array.from(await noGrad(() => zilnMeanFromHead(LINEAR, f64(heads, [heads.length]))).toArray());
  const host = zilnMeanFromHeadHost(LINEAR, heads);
  heads.forEach((u, k) => {
    const expected = Math.log(Math.log1p(Math.exp(u)));
    assert.ok(Math.abs(device[k] - expected) < 1e-12, `device m(${u}) = ${device[k]}, expected ${expected}`);
    assert.ok(Math.abs(host[k] - expected) < 1e-12, `host m(${u}) = ${host[k]}, expected ${expected}`);
  });
  assert.equal(zilnMeanFromHeadHost(ZILN, heads), heads);
});

test("linear scale starts at the same m as log scale: the data's mean log x over positives", async () => {
  const set = countSet(new HostRandom(5), 3, [6, 4, 4]);
  const target = dimensionsOf(LINEAR, set).positiveLog!.mean;
  for (const config of [ZILN, LINEAR]) {
    const inputs = stepInputs(config, set);
    const bias = Array.from(await inputs.params.tensors.get("hMean.b2")!.toArray());
    const m0 = config.zilnMeanScale === "linear" ? zilnMeanFromHeadHost(config, bias) : bias;
    m0.forEach((v, j) =>
      assert.ok(Math.abs(v - target[j]) < 1e-9, `${config.zilnMeanScale}: m0[${j}] = ${v}, data ${target[j]}`),
    );
  }
});

test("with --ziln-mean-scale linear the merged step's gradients match each pass objective (f64, hard-ZILN)", async () => {
  const rng = new HostRandom(13);
  const set = countSet(rng, 3, [6, 4, 4]);
  const inputs = stepInputs(LINEAR, set);
  const scalars = stepScalars(LINEAR);
  tidy(() => backward(stepObjective(inputs, scalars).loss));
  await checkPassGradients(inputs, scalars, rng);
});

test("a trained linear-scale model predicts with the m it trained with: the host's ψ = the device's, per env", async () => {
  const set = countSet(new HostRandom(6), 3, [8, 6, 6]);
  const config: GimConfig = { ...LINEAR, steps: 5, mcSamples: 2, acyclicitySamples: 2 };
  const trainer = new Trainer(config, set, cpuBackend());
  await trainer.train();
  const host = new HostModel(await modelFromTrainer(trainer, { stepsPerSecond: 0, wallSeconds: 0 }));
  const gamma = featureMatrix(set, cpuBackend(), "f32");
  const device = Array.from(await noGrad(() => psiMean(trainer.params, trainer.config, gamma)).toArray());
  const width = device.length / (set.envs.length - 1);
  set.envs.slice(1).forEach((env, k) => {
    const want = device.slice(k * width, (k + 1) * width);
    host
      .psiMean(env.features)
      .forEach((v, i) =>
        assert.ok(Math.abs(v - want[i]) < 1e-4, `env ${k + 1}, ψ[${i}]: host ${v}, device ${want[i]}`),
      );
  });
});

test("--ziln-mean-scale linear is refused without a hard-ZILN mean head, naming the flag", () => {
  for (const config of [
    { ...DEFAULTS, zilnMeanScale: "linear" as const },
    { ...LINEAR, amortize: false },
  ]) {
    const message = incompatibility(config);
    assert.ok(message && /--ziln-mean-scale/.test(message), String(message));
  }
  assert.is(incompatibility(LINEAR), null);
});

test.run();
