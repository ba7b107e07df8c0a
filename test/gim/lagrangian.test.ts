/**
 * The augmented-Lagrangian rules and the training schedules, as pure functions: when α_AL and
 * μ_AL move under the spec's rule (§6, revised in §13) and the periodic one, the NOTEARS rule for
 * μ, the forced start (config.alForceFrom / alStartFrom), the penalty's per-sample scale, λ_I(t)
 * decaying or rising, and the train flags that set them; and a resumed Trainer continuing the
 * periodic rule exactly.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseFlags } from "../../gim/cli/args.js";
import { join } from "node:path";
import { cpuBackend } from "../../engine/context.js";
import { DEFAULTS, type GimConfig, lambdaTargetsAt } from "../../gim/model/config.js";
import { scalarsAt } from "../../gim/model/objective.js";
import { readParams } from "../../gim/model/params.js";
import { trainingSubset } from "../../gim/data/dataset.js";
import { generateBenchmark } from "../../gim/data/synthetic.js";
import { TRAIN_FLAGS, configFrom } from "../../gim/cli/commands/train-flags.js";
import { Lagrangian } from "../../gim/train/lagrangian.js";
import { fileCheckpointer, loadCheckpoint } from "../../gim/train/checkpoint-file.js";
import { Trainer } from "../../gim/train/trainer.js";
import { scratchDir } from "../helpers.js";

const settings = { eta: 10, muMax: 1e10, tolerance: 1e-3 };

test("no update before the holdout converges; then α += μ·ĥ and μ grows ×η", () => {
  const al = new Lagrangian(settings);
  al.check(200, -10, 3, true); // first check: no gain to compare with
  al.check(400, -9, 3, true); // gain 10 %: still improving
  assert.equal([al.alpha, al.mu], [0, 1]);
  const c = al.check(600, -8.9995, 2, true); // gain 5.6e-5 < 1e-3
  assert.ok(c.converged);
  assert.equal([al.alpha, al.mu], [2, 10]);
});

test("an acyclic limit graph never moves the multipliers", () => {
  const al = new Lagrangian(settings);
  al.check(200, -5, 1, false);
  al.check(400, -5, 1, false);
  assert.equal([al.alpha, al.mu], [0, 1]);
});

test("μ grows only when ĥ did not fall below a quarter of its last update's value (NOTEARS)", () => {
  const al = new Lagrangian(settings);
  al.check(0, -5, 4, true);
  al.check(200, -5, 4, true); // update: α = 4, μ = 10
  al.check(400, -5, 0.5, true); // 0.5 < ¼·4: α += 10·0.5, μ stays
  assert.equal([al.alpha, al.mu], [9, 10]);
  al.check(600, -5, 0.2, true); // 0.2 ≥ ¼·0.5: μ grows
  assert.equal([al.alpha, al.mu], [11, 100]);
});

test("a forced check counts as converged even while the holdout still improves", () => {
  const al = new Lagrangian(settings);
  al.check(200, -10, 3, true, true);
  assert.equal([al.alpha, al.mu], [3, 10]);
  const c = al.check(400, -5, 1, true, true); // gain 50 %
  assert.ok(c.converged);
  assert.equal(al.alpha, 13);
});

test("periodic rule: the first update waits for convergence; then every cyclic check updates, gain or not", () => {
  const periodic = new Lagrangian({ ...settings, rule: "periodic" });
  const spec = new Lagrangian(settings);
  // (holdout score, ĥ, cyclic): improving by 10 % and more at every check except the second.
  const checks: [number, number, boolean][] = [
    [-10, 4, true],
    [-9.9999, 4, true], // gain 1e-5: converged, the first update
    [-8, 3, true], // gain 20 %: spec waits, periodic updates (3 ≥ ¼·4: μ grows)
    [-6, 0.5, true], // 0.5 < ¼·3: α += μ·ĥ, μ stays
    [-5, 0.5, false], // acyclic limit graph: nothing moves
    [-4, 0.4, true], // 0.4 ≥ ¼·0.5: μ grows again
  ];
  checks.forEach(([score, h, cyclic], k) => {
    periodic.check(200 * k, score, h, cyclic);
    spec.check(200 * k, score, h, cyclic);
  });
  assert.equal([spec.alpha, spec.mu], [4, 10]); // only the converged check moved it
  // α: 0 → 1·4 → +10·3 = 34 → +100·0.5 = 84 → 84 → +100·0.4 = 124; μ: 1 → 10 → 100 → 100 → 100 → 1000.
  assert.equal([periodic.alpha, periodic.mu], [124, 1000]);
  assert.equal(
    periodic.checks.map((c) => c.alpha),
    [0, 4, 34, 84, 84, 124],
  );
});

test("periodic rule: a forced check starts the updates without convergence; μ stops at μ_max", () => {
  const al = new Lagrangian({ ...settings, rule: "periodic", muMax: 50 });
  al.check(200, -10, 2, true); // no convergence, not forced: nothing
  assert.equal([al.alpha, al.mu], [0, 1]);
  al.check(400, -5, 2, true, true); // forced: first update
  al.check(600, -2, 2, true); // gain 60 %, already started
  assert.equal([al.alpha, al.mu], [2 + 10 * 2, 50]);
});

test("the penalty scale multiplies α_AL and μ_AL in the step's scalars (per-sample penalty = ×N)", () => {
  const al = new Lagrangian({ ...settings, rule: "periodic", scale: 250 });
  al.check(0, -1, 2, true, true); // α = 2, μ = 10
  const s = scalarsAt(DEFAULTS, 10, al);
  assert.equal([s.alLinear, s.alQuadratic], [-2 * 250, -5 * 250]);
  const plain = scalarsAt(DEFAULTS, 10, { alpha: 2, mu: 10 });
  assert.equal([plain.alLinear, plain.alQuadratic], [-2, -5]);
});

test("a Trainer resumed from a checkpoint continues the periodic, per-sample AL and the history exactly (cpu, f64)", async () => {
  const data = trainingSubset({
    ...generateBenchmark({
      d: 3,
      graph: "er",
      edgesPerNode: 1,
      mechanism: "linear",
      intervention: "shift",
      perturbations: 2,
      nPerEnv: 15,
      nObs: 40,
      q: 3,
      seed: 4,
    }),
    dir: "synthetic",
  });
  const config: GimConfig = {
    ...DEFAULTS,
    intervention: "shift",
    mcSamples: 3,
    acyclicitySamples: 3,
    gimHidden: 6,
    steps: 24,
    alSteps: 4,
    alphaLinear: 0.2,
    alRule: "periodic",
    alStartFrom: 0.1,
    alPenalty: "per-sample",
    logEvery: 4,
  };
  const path = join(scratchDir("gim-al-"), "ckpt.json");
  const cpu = cpuBackend();
  const full = new Trainer(config, data, cpu, "f64");
  await full.train();
  const first = new Trainer(config, data, cpu, "f64");
  await first.train({ checkpoint: fileCheckpointer(path), shouldStop: () => first.step === 10 });
  const resumed = new Trainer(config, data, cpu, "f64");
  await loadCheckpoint(path, resumed);
  await resumed.train();
  assert.ok(
    full.lagrangian.checks.some((c, k) => k > 0 && c.alpha > full.lagrangian.checks[k - 1].alpha),
    "the multipliers moved",
  );
  assert.is(resumed.lagrangian.scale, full.lagrangian.scale);
  assert.equal(resumed.lagrangian.exportState(), full.lagrangian.exportState());
  const [a, b] = [await readParams(full.params), await readParams(resumed.params)];
  for (const name of Object.keys(a)) assert.equal(b[name], a[name], name);
  // The training curve goes through the checkpoint too, without the stop's extra read at step 10.
  assert.equal(full.history.step, [4, 8, 12, 16, 20, 24]);
  assert.equal(resumed.history, full.history);
});

test("λ_I(t) runs by cosine from λ_I to lambdaTargetsEnd·λ_I, down or up", () => {
  const decay = { ...DEFAULTS, steps: 1000, lambdaTargets: 5, lambdaTargetsEnd: 0.1 };
  assert.ok(Math.abs(lambdaTargetsAt(decay, 0) - 5) < 1e-12);
  assert.ok(Math.abs(lambdaTargetsAt(decay, 500) - 2.75) < 1e-12);
  assert.ok(Math.abs(lambdaTargetsAt(decay, 1000) - 0.5) < 1e-12);
  const rise = { ...decay, lambdaTargetsEnd: 4 };
  assert.ok(Math.abs(lambdaTargetsAt(rise, 1000) - 20) < 1e-12);
  assert.ok(lambdaTargetsAt(rise, 300) < lambdaTargetsAt(rise, 600));
});

test("train flags set the AL period, tolerance, forced start and λ_I end; out-of-range values name the flag", () => {
  const parse = (...argv: string[]) => {
    const values = parseFlags(argv, TRAIN_FLAGS);
    if (values === "help") throw new Error("no --help given, yet parseFlags answered help");
    return configFrom(values);
  };
  const c = parse("--al-every", "100", "--al-tolerance", "0.01", "--al-force-from", "0.5", "--lambda-targets-end", "2");
  assert.equal([c.alSteps, c.convergenceTol, c.alForceFrom, c.lambdaTargetsEnd], [100, 0.01, 0.5, 2]);
  const p = parse("--al-rule", "spec", "--al-penalty", "total", "--al-start-from", "0.3");
  assert.equal([p.alRule, p.alPenalty, p.alStartFrom], ["spec", "total", 0.3]);
  assert.throws(() => parse("--al-rule", "sometimes"), /--al-rule: 'sometimes' is not one of spec, periodic/);
  assert.throws(() => parse("--al-force-from", "1.5"), /--al-force-from: 1.5 is above the maximum 1/);
  assert.throws(() => parse("--al-every", "0"), /--al-every: 0 is below the minimum 1/);
});

test.run();
