/**
 * Step replay (webgpu): ten replayed steps give the same parameters as ten steps built through
 * the generic autograd path from the same seed (float32 tolerance), with the same loss at step 10,
 * also when the likelihood is chunked over N, with a seed or a size equal to a Philox stream the
 * recordings use, and with lr changed between steps; recording changes no state. A uniform that
 * differs between the two recordings but is no per-step value (also a value derived from one)
 * makes recording throw, naming the kernel and field, and so does a per-step value found nowhere.
 * The CLI's --replay true and false train to the same weights.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { WebGpuBackend } from "../../engine/backend-webgpu.js";
import { Adam, type AdamStepParams, backward, detach, keep, tensor, tidy, zeros } from "../../engine/index.js";
import { affine, mul, sum } from "../../kernels/ops.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { type StepScalars, scalarsAt, streamFor } from "../../gim/model/objective.js";
import { readParams } from "../../gim/model/params.js";
import { PROBES, ReplayedStep } from "../../gim/train/step-replay.js";
import { Trainer } from "../../gim/train/trainer.js";
import { assertClose, exitWhenDone, gpuOrSkip, gpuTest, runGim, TINY_SYNTH, scratchDir } from "../helpers.js";
import { shiftedEnvs } from "./fixtures.js";

const gpu = (await gpuOrSkip("step replay")) as WebGpuBackend | null;
const run = gpuTest(gpu);

/** Ten steps; `lrAt(s)`, when given, is set as Adam's lr before step s (a schedule). */
async function trainTen(
  config: GimConfig,
  replay: boolean,
  lrAt?: (step: number) => number,
): Promise<{ params: Record<string, number[]>; loss: number; blocks: number }> {
  const trainer = new Trainer(config, shiftedEnvs(4), gpu!);
  if (replay) {
    const before = await readParams(trainer.params);
    assert.ok(trainer.enableReplay(), "replay should be available on webgpu");
    assert.is(trainer.adam.stepCount, 0, "recording counted Adam steps");
    assert.equal(await readParams(trainer.params), before, "recording changed the parameters");
  }
  let last = Number.NaN;
  for (let s = 0; s < 10; s++) {
    if (lrAt) trainer.adam.lr = lrAt(s);
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

const small = (overrides: Partial<GimConfig>): GimConfig => ({
  ...DEFAULTS,
  mcSamples: 6,
  acyclicitySamples: 4,
  gimHidden: 16,
  hidden: 3,
  alphaLinear: 0.05,
  steps: 100,
  holdoutFraction: 0,
  ...overrides,
});

function assertSameTraining(
  generic: Awaited<ReturnType<typeof trainTen>>,
  replayed: Awaited<ReturnType<typeof trainTen>>,
): void {
  // The loss of step 10 is read before the step's update, from the same parameters up to f32.
  assert.ok(
    Math.abs(generic.loss - replayed.loss) <= 1e-4 * Math.max(1, Math.abs(generic.loss)),
    `loss: generic ${generic.loss}, replayed ${replayed.loss}`,
  );
  assert.ok(Object.keys(generic.params).length >= 5, "parameters to compare");
  for (const name of Object.keys(generic.params)) {
    const a = generic.params[name];
    const b = replayed.params[name];
    const scale = Math.max(1, ...a.map(Math.abs));
    const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    assert.ok(worst <= 1e-4 * scale, `${name}: replay differs from the generic path by ${worst}`);
  }
}

for (const { mechanism, intervention, chunkRows } of cases) {
  run(
    `replayed step = generic path after 10 steps (${mechanism}, ${intervention}${chunkRows ? `, chunked over N in blocks of ${chunkRows} rows` : ""})`,
    async () => {
      const config = small({ mechanism, intervention, chunkRows });
      const generic = await trainTen(config, false);
      const replayed = await trainTen(config, true);
      // 160 rows in blocks of 37: five blocks, boundaries (rows 37, 74, 111, 148) inside the
      // observational env and inside envs 1, 3 and 4 (rows 60–84, 110–134, 135–159).
      assert.is(generic.blocks, chunkRows ? 5 : 1, "likelihood row blocks");
      assertSameTraining(generic, replayed);
    },
  );
}

run(
  "seed 11259362 (= 0xABCDE·16 + 2, a stream of the old sentinel step) and an lr schedule: replayed = generic",
  async () => {
    const config = small({ mechanism: "linear", intervention: "hard", seed: 11259362 });
    const lrAt = (step: number) => (step < 5 ? config.lr : config.lr / 2);
    assertSameTraining(await trainTen(config, false, lrAt), await trainTen(config, true, lrAt));
  },
);

run("a size equal to a stream of the replayed recording is a constant: not patched, replayed = generic", async () => {
  const config = small({ mechanism: "linear", intervention: "hard" });
  const trainer = new Trainer(config, shiftedEnvs(4), gpu!);
  // M·N (sizes of the [M, N] per-graph sums, their fills and gathers) is the graph stream of the
  // replayed recording: the old search for stream values would have patched these sizes.
  const stream = streamFor(PROBES[1].scalars.step, "graph");
  assert.is(config.mcSamples * trainer.trainingRows, stream, "the data should be sized to collide");
  const source = {
    adam: trainer.adam,
    build: (scalars: StepScalars, update: AdamStepParams) => trainer.buildStep(scalars, update),
    scalarsAt: (step: number) => scalarsAt(config, step, trainer.lagrangian),
  };
  const replayed = ReplayedStep.record(source, gpu!);
  const patched = new Set(replayed.patches.map((p) => `${p.index}:${p.word}`));
  const holding = replayed.recording.commands.flatMap((c, index) =>
    "dispatch" in c
      ? c.dispatch.kernel.params.flatMap(([, type], word) =>
          type === "u32" && c.dispatch.params[word] === stream ? [`${index}:${word}`] : [],
        )
      : [],
  );
  const constants = holding.filter((site) => !patched.has(site));
  assert.ok(
    constants.length > 0 && constants.length < holding.length,
    `${holding.length} words hold ${stream}, ${constants.length} of them unpatched`,
  );
  replayed.outputs.loss.dispose();
  replayed.outputs.acyclicity.dispose();
  replayed.dispose();
  assertSameTraining(await trainTen(config, false), await trainTen(config, true));
});

/** A one-parameter step whose affine scale is `scale(scalars, n)` in the n-th build. */
function toyStep(scale: (scalars: StepScalars, build: number) => number) {
  const p = keep(tensor([0.5, -1, 2, 0.25], [4], { backend: gpu!, requiresGrad: true }));
  const adam = new Adam([p], { lr: 0.1 });
  let builds = 0;
  const build = (scalars: StepScalars, update: AdamStepParams) => {
    builds++;
    const out = tidy(() => {
      const loss = sum(mul(affine(p, scale(scalars, builds)), p));
      backward(loss);
      adam.update(update);
      return { loss: detach(loss), acyclicity: detach(sum(p)) };
    });
    return { loss: keep(out.loss), acyclicity: keep(out.acyclicity) };
  };
  return { p, adam, source: { adam, build, scalarsAt: () => PROBES[0].scalars } };
}

run(
  "a uniform that differs between the recordings but is no per-step value makes recording throw, changing no state",
  async () => {
    const toy = toyStep((_, build) => build + 0.5);
    assert.throws(
      () => ReplayedStep.record(toy.source, gpu!),
      /affine\S*\.p0 \(f32, command \d+\) is 1\.5 and 2\.5 in the two recordings, which is no per-step value/,
    );
    assert.is(toy.adam.stepCount, 0);
    // The failed recordings gave back only their own buffers: new tensors do not land on p's.
    const fresh = [0, 1, 2, 3].map((k) => affine(zeros([4], { backend: gpu! }), k + 7));
    assert.equal(Array.from(await toy.p.toArray()), [0.5, -1, 2, 0.25], "p changed");
    for (const t of [...fresh, toy.p]) t.dispose();
    toy.adam.dispose();
  },
);

run("a per-step value in derived form (2α) is refused; raw, it is found, and keys found nowhere are named", () => {
  const derived = toyStep((scalars) => 2 * scalars.alpha);
  const [a, b] = PROBES.map((probe) => 2 * probe.scalars.alpha);
  assert.throws(
    () => ReplayedStep.record(derived.source, gpu!),
    new RegExp(`affine\\S*\\.p0 .* is ${a} and ${b} in the two recordings, which is no per-step value`),
  );
  const raw = toyStep((scalars) => scalars.alpha);
  // α, lr, c1 and c2 are carried (the affine and Adam kernels); the rest of the keys are not.
  assert.throws(
    () => ReplayedStep.record(raw.source, gpu!),
    /does not carry targetPriorScale, alLinear, alQuadratic, stream graph, stream targets, stream psi, stream acyclicity, stream power in any uniform/,
  );
  for (const toy of [derived, raw]) {
    toy.p.dispose();
    toy.adam.dispose();
  }
});

run("gim train --seed 11259362: --replay true and --replay false write the same weights", () => {
  const dir = scratchDir("gim-replay-");
  const gim = (...args: string[]) => {
    const r = runGim(args);
    assert.is(r.code, 0, r.err);
    return r.err;
  };
  gim("synth", "--out", dir, ...TINY_SYNTH);
  const train = [
    "train",
    "--data",
    dir,
    "--backend",
    "webgpu",
    "--mc-samples",
    "4",
    "--steps",
    "10",
    "--log-every",
    "5",
    "--seed",
    "11259362",
  ];
  assert.match(gim(...train, "--out", join(dir, "on.json"), "--replay", "true"), /step replay: on/);
  assert.not.match(gim(...train, "--out", join(dir, "off.json"), "--replay", "false"), /step replay: on/);
  type Weights = Record<string, { values: number[] }>;
  const [on, off] = ["on", "off"].map(
    (name) => (JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as { weights: Weights }).weights,
  );
  assert.equal(Object.keys(on), Object.keys(off));
  for (const name of Object.keys(off)) assertClose(on[name].values, off[name].values, 1e-4, name);
});

exitWhenDone();
test.run();
