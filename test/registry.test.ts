/**
 * The registry is exhaustive at run time: its keys are OP_NAMES, each op carries its own name, no
 * group shadows another's op, and every op that `apply` sees — in every op's forward and VJP over
 * its check cases, and in GIM training steps of each model kind — is registered (an op applied
 * but not registered would escape the gradient-check and parity sweeps). cpu, float64.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpuBackend } from "../engine/context.js";
import { drawCase, drawInput, HostRandom, runForwardAndVjp } from "../engine/gradcheck.js";
import { apply, defineOp, onApply } from "../engine/op.js";
import { tensor } from "../engine/create.js";
import { DEFAULTS, type GimConfig } from "../gim/model/config.js";
import type { TrainingSet } from "../gim/data/training-set.js";
import { Trainer } from "../gim/train/trainer.js";
import { OP_GROUPS, OP_NAMES, allOps, registry } from "../kernels/index.js";

const cpu = cpuBackend();

/** Names of the ops `apply` sees while `fn` runs. */
async function appliedDuring(fn: () => Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>();
  onApply((name) => seen.add(name));
  try {
    await fn();
  } finally {
    onApply(null);
  }
  return seen;
}

const unregistered = (names: Set<string>) => [...names].filter((n) => !(OP_NAMES as readonly string[]).includes(n));

test("the registry's keys are OP_NAMES, each op carries its own name, and no group shadows another", () => {
  assert.equal(Object.keys(registry).sort(), [...OP_NAMES].sort());
  for (const [name, op] of allOps()) assert.is(op.name, name, `registry.${name} is the op named ${op.name}`);
  const declared = OP_GROUPS.flatMap((g) => Object.keys(g.ops));
  assert.is(
    declared.length,
    OP_NAMES.length,
    `ops declared by more than one group: ${declared.filter((n, i) => declared.indexOf(n) !== i)}`,
  );
});

test("the check catches an op that is applied but not registered", async () => {
  const stray = defineOp({
    name: "strayOp",
    derivation: "y = x",
    forward: ([x]) => ({ out: x }),
    vjp: { none: "test op" },
    check: { cases: [{ shapes: [[1]], attrs: {} }] },
  });
  const seen = await appliedDuring(async () => {
    apply(stray, [tensor([1], [1], { backend: cpu })], {});
  });
  assert.equal(unregistered(seen), ["strayOp"]);
});

test("every op applied by the ops' forwards and VJPs is registered", async () => {
  const seen = await appliedDuring(async () => {
    for (const [, op] of allOps()) {
      for (const [k, c] of op.check.cases.entries()) {
        const values = drawCase(c, 3000 + k);
        const { out } = await runForwardAndVjp(op, c, values, null, cpu, "f64");
        await runForwardAndVjp(op, c, values, drawInput(new HostRandom(k), out.length), cpu, "f64");
      }
    }
  });
  assert.equal(unregistered(seen), []);
});

function dataset(d: number, counts: boolean): TrainingSet {
  const rng = new HostRandom(5);
  const draw = (shift: number) => (counts ? Math.max(0, Math.round(rng.normal() + shift)) : rng.normal() + shift);
  const env = (id: string, features: number[], n: number, shift: number) => ({
    id,
    features,
    n,
    samples: Float64Array.from({ length: n * d }, () => draw(shift)),
  });
  return {
    variables: Array.from({ length: d }, (_, j) => `x${j}`),
    featureNames: ["a", "b"],
    envs: [env("obs", [0, 0], 30, 1), env("e0", [1, 0.5], 12, 2), env("e1", [0.5, 1], 12, 0.5)],
  };
}

const MODELS: Partial<GimConfig>[] = [
  { mechanism: "linear", intervention: "hard" },
  { mechanism: "mlp", intervention: "shift" },
  { mechanism: "mlp", intervention: "ziln", noise: "ziln" },
];

for (const model of MODELS) {
  test(`every op applied by a GIM training step (${JSON.stringify(model)}) is registered`, async () => {
    const config: GimConfig = {
      ...DEFAULTS,
      ...model,
      mcSamples: 3,
      acyclicitySamples: 2,
      gimHidden: 4,
      hidden: 3,
      steps: 2,
      holdoutFraction: 0,
    };
    const seen = await appliedDuring(async () => {
      const trainer = new Trainer(config, dataset(3, model.noise === "ziln"), cpu, "f64");
      const { loss } = trainer.queueStep();
      assert.ok(Number.isFinite(await loss.item()));
    });
    assert.ok(seen.size > 0);
    assert.equal(unregistered(seen), []);
  });
}

test.run();
