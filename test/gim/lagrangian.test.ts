/**
 * The augmented-Lagrangian rule of spec §6 (revised in §13) and the training schedules, as pure
 * functions: when α_AL and μ_AL move, the NOTEARS rule for μ, the forced start
 * (config.alForceFrom), λ_I(t) decaying or rising, and the train flags that set them.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseFlags } from "../../gim/cli/args.js";
import { DEFAULTS, lambdaTargetsAt } from "../../gim/model/config.js";
import { TRAIN_FLAGS, configFrom } from "../../gim/cli/commands/train-flags.js";
import { Lagrangian } from "../../gim/train/lagrangian.js";

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
  assert.throws(() => parse("--al-force-from", "1.5"), /--al-force-from: 1.5 is above the maximum 1/);
  assert.throws(() => parse("--al-every", "0"), /--al-every: 0 is below the minimum 1/);
});

test.run();
