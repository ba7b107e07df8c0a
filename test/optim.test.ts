/**
 * Adam: float64 agreement with a hand-written host Adam, webgpu parity, in-place update, state
 * round-trip, and stepParams(t) being the uniforms step() sends.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Backend, DType } from "../engine/backend.js";
import { tensor } from "../engine/create.js";
import { HostRandom } from "../engine/host-random.js";
import { Adam, type AdamOptions } from "../engine/optim.js";
import { tidy } from "../engine/scope.js";
import { backward } from "../engine/tape.js";
import type { Tensor } from "../engine/tensor.js";
import { ADAM_PER_DISPATCH, ADAM_STEP_PARAMS } from "../engine/adam.js";
import { square, sub } from "../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "./helpers.js";

const devices = await eachDevice("optim");
const [cpu, gpu] = [devices.cpu.backend, devices.webgpu.backend];

const SHAPES = [[3, 4], [5], [1]];
const OPTIONS: AdamOptions = { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6 };

/** Initial values and one gradient per step and parameter, drawn on the host. */
function problem(steps: number, seed = 1): { init: number[][]; grads: number[][][] } {
  const rng = new HostRandom(seed);
  const draw = (n: number) => Array.from({ length: n }, () => rng.normal());
  const sizes = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
  // Mixed magnitudes, so ε and the bias corrections matter.
  const grads = Array.from({ length: steps }, (_, t) =>
    sizes.map((n) => draw(n).map((g, k) => g * 10 ** ((k % 3) - 1) * (t + 1))),
  );
  return { init: sizes.map(draw), grads };
}

/** Textbook Adam (Kingma & Ba, Algorithm 1) in float64 on plain arrays. */
function hostAdam(
  init: number[][],
  grads: number[][][],
  { lr = 1e-2, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, decay = [] }: AdamOptions,
): number[][] {
  const p = init.map((a) => [...a]);
  const m = init.map((a) => a.map(() => 0));
  const v = init.map((a) => a.map(() => 0));
  grads.forEach((step, s) => {
    const t = s + 1;
    step.forEach((g, i) => {
      for (let k = 0; k < g.length; k++) {
        // The gradient of the loss plus (δ/2)‖p‖², by hand.
        const gk = g[k] + (decay[i] ?? 0) * p[i][k];
        m[i][k] = beta1 * m[i][k] + (1 - beta1) * gk;
        v[i][k] = beta2 * v[i][k] + (1 - beta2) * gk * gk;
        const mHat = m[i][k] / (1 - beta1 ** t);
        const vHat = v[i][k] / (1 - beta2 ** t);
        p[i][k] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
    });
  });
  return p;
}

function params(backend: Backend, dtype: DType, init: number[][]): Tensor[] {
  return init.map((values, i) => tensor(values, SHAPES[i], { backend, dtype, requiresGrad: true }));
}

function setGrads(ps: Tensor[], grads: number[][]): void {
  ps.forEach((p, i) => (p.grad = tensor(grads[i], p.shape, { backend: p.backend, dtype: p.dtype })));
}

async function values(ps: Tensor[]): Promise<number[][]> {
  return Promise.all(ps.map(async (p) => Array.from(await p.toArray())));
}

async function runAdam(backend: Backend, dtype: DType, steps: number, options: AdamOptions): Promise<number[][]> {
  const { init, grads } = problem(steps);
  const ps = params(backend, dtype, init);
  const adam = new Adam(ps, options);
  for (const g of grads) {
    setGrads(ps, g);
    adam.step();
  }
  const out = await values(ps);
  adam.dispose();
  ps.forEach((p) => p.dispose());
  return out;
}

for (const [label, options] of [
  ["defaults", {}],
  ["custom hyperparameters", OPTIONS],
  ["an L2 decay per parameter", { ...OPTIONS, decay: [0.3, 2, 0] }],
] as const) {
  test(`5 steps on cpu f64 match a hand-written float64 Adam (${label})`, async () => {
    const { init, grads } = problem(5);
    const want = hostAdam(init, grads, options);
    const got = await runAdam(cpu, "f64", 5, options);
    got.forEach((g, i) => assertClose(g, want[i], 1e-12, `param ${i}`));
    // The update moved every parameter (so the comparison is not of untouched values).
    got.forEach((g, i) => g.forEach((x, k) => assert.ok(x !== init[i][k], `param ${i}[${k}] did not move`)));
  });

  devices.webgpu.test(`webgpu f32 = cpu f32 over 5 steps (${label})`, async () => {
    const want = await runAdam(cpu, "f32", 5, options);
    const got = await runAdam(gpu, "f32", 5, options);
    got.forEach((g, i) => assertClose(g, want[i], 1e-5, `param ${i}`));
  });
}

devices.each(
  "step updates in place, then disposes and clears the gradients; gradless parameters stay",
  async ({ name, backend }) => {
    const { init, grads } = problem(1);
    const ps = params(backend, "f32", init);
    const storages = ps.map((p) => p.storage);
    const adam = new Adam(ps);
    setGrads(ps, grads[0]);
    const g0 = ps[0].grad!;
    ps[2].grad!.dispose();
    ps[2].grad = null;
    adam.step();
    ps.forEach((p, i) => assert.is(p.storage, storages[i], `${name}: parameter ${i} got new storage`));
    assert.ok(
      ps.every((p) => p.grad === null),
      `${name}: gradients not cleared`,
    );
    assert.ok(g0.isDisposed, `${name}: gradient not disposed`);
    const after = await values(ps);
    assert.not.equal(after[0], Array.from(Float32Array.from(init[0])), `${name}: parameter 0 did not move`);
    assert.equal(after[2], Array.from(Float32Array.from(init[2])), `${name}: parameter 2 had no gradient but moved`);
    adam.dispose();
  },
);

devices.each(
  "one gradient tensor shared by two parameters (add's VJP) is used by both, then disposed once",
  async ({ name, backend }) => {
    const a = tensor([1, 2], [2], { backend, requiresGrad: true });
    const b = tensor([3, 4], [2], { backend, requiresGrad: true });
    const g = tensor([0.5, -0.5], [2], { backend });
    a.grad = g;
    b.grad = g;
    const adam = new Adam([a, b], { lr: 0.1 });
    adam.step();
    // First Adam step moves each coordinate by lr·sign(g) (up to ε).
    assertClose(await a.toArray(), [0.9, 2.1], 1e-6, `${name} a`);
    assertClose(await b.toArray(), [2.9, 4.1], 1e-6, `${name} b`);
    assert.ok(g.isDisposed);
  },
);

devices.each("exportState/importState: a restored optimiser continues identically", async ({ name, backend }) => {
  const { init, grads } = problem(6, 3);
  const original = params(backend, "f32", init);
  const adam = new Adam(original, OPTIONS);
  for (const g of grads.slice(0, 3)) {
    setGrads(original, g);
    adam.step();
  }
  const state = await adam.exportState();
  assert.is(state.step, 3);
  const snapshot = await values(original);
  const restored = params(backend, "f32", snapshot);
  const resumed = new Adam(restored, OPTIONS);
  // Through JSON, as a checkpoint file stores it.
  resumed.importState(JSON.parse(JSON.stringify(state)));
  const fresh = params(backend, "f32", snapshot);
  const restarted = new Adam(fresh, OPTIONS);
  for (const g of grads.slice(3)) {
    for (const [ps, opt] of [
      [original, adam],
      [restored, resumed],
      [fresh, restarted],
    ] as const) {
      setGrads(ps, g);
      opt.step();
    }
  }
  assert.equal(await values(restored), await values(original), `${name}: resumed run differs`);
  // Without the state the run is different, so the equality above is evidence.
  assert.not.equal(await values(fresh), await values(original), `${name}: state made no difference`);
  for (const opt of [adam, resumed, restarted]) opt.dispose();
});

/** What an update dispatch sends: the step's uniforms, and n_t, off_t, decay_t per tensor. */
function summary(values: Record<string, number>): Record<string, number | number[]> {
  const K = Object.keys(values).filter((k) => /^n\d$/.test(k)).length;
  const per = (name: string) => Array.from({ length: K }, (_, t) => values[`${name}${t}`]);
  return {
    ...Object.fromEntries(ADAM_STEP_PARAMS.map((k) => [k, values[k]])),
    n: per("n"),
    off: per("off"),
    decay: per("decay"),
  };
}

test("step() sends the kernel stepParams(t) of its step t, lr as it is then; update() sends what it is given and counts no step", () => {
  const { init, grads } = problem(3);
  const ps = params(cpu, "f64", init);
  const adam = new Adam(ps, OPTIONS);
  const sent: Record<string, number | number[]>[] = [];
  const original = cpu.run;
  cpu.run = function (kernel, inputs, outputs, values) {
    if (kernel.name.startsWith("adam.update")) sent.push(summary(values));
    return original.call(this, kernel, inputs, outputs, values);
  };
  // The three parameters fit one dispatch; their moments lie one after the other.
  const sizes = ps.map((p) => p.size);
  const tensors = { n: sizes, off: [0, sizes[0], sizes[0] + sizes[1]], decay: [0, 0, 0] };
  try {
    const expected: Record<string, number | number[]>[] = [];
    grads.forEach((g, s) => {
      if (s === 2) adam.lr = 0.02;
      setGrads(ps, g);
      adam.step();
      expected.push({ ...adam.stepParams(s + 1), ...tensors });
    });
    assert.equal(sent, expected);
    assert.is(sent[sent.length - 1].lr, 0.02, "an lr set between steps is sent");
    assert.is(sent[0].c1, 1 - 0.8, "c1 of step 1");
    const made = { ...adam.stepParams(9), lr: 0.5 };
    sent.length = 0;
    setGrads(ps, grads[0]);
    adam.update(made);
    assert.equal(sent, [{ ...made, ...tensors }]);
    assert.is(adam.stepCount, 3, "update counted a step");
    assert.equal(adam.advance(), adam.stepParams(4));
    assert.is(adam.stepCount, 4, "advance counts a step");
  } finally {
    cpu.run = original;
  }
  adam.dispose();
});

test("more parameters than one dispatch takes: one update per group of ADAM_PER_DISPATCH, parameters without a gradient left out and untouched, same values as one parameter at a time (f64 and webgpu)", async () => {
  const rng = new HostRandom(5);
  const shapes = [[2, 3], [300], [1], [4], [257], [3, 3], [2]];
  const inits = shapes.map((s) => Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.normal()));
  const gradsOf = (step: number) => inits.map((a) => a.map((_, k) => Math.sin(k + step) * (k % 3)));
  const skipped = 4; // no gradient in step 2: its values and moments must not move then
  for (const [backend, dtype] of [[cpu, "f64"], ...(gpu ? [[gpu, "f32"]] : [])] as [Backend, DType][]) {
    const make = (i: number) => tensor(inits[i], shapes[i], { backend, dtype, requiresGrad: true });
    const together = shapes.map((_, i) => make(i));
    const alone = shapes.map((_, i) => [make(i)]);
    const decay = shapes.map((_, i) => 0.1 * i);
    const adam = new Adam(together, { ...OPTIONS, decay });
    const singles = alone.map((p, i) => new Adam(p, { ...OPTIONS, decay: [decay[i]] }));
    let dispatches = 0;
    const original = backend.run;
    backend.run = function (kernel, inputs, outputs, values) {
      if (kernel.name.startsWith("adam.update")) dispatches++;
      return original.call(this, kernel, inputs, outputs, values);
    };
    try {
      for (let step = 0; step < 3; step++) {
        const grads = gradsOf(step);
        const before = dispatches;
        grads.forEach((g, i) => {
          if (step === 2 && i === skipped) return;
          together[i].grad = tensor(g, shapes[i], { backend, dtype });
          alone[i][0].grad = tensor(g, shapes[i], { backend, dtype });
        });
        adam.step();
        assert.is(dispatches - before, Math.ceil(shapes.length / ADAM_PER_DISPATCH), `${backend.name}: dispatches`);
        singles.forEach((s, i) => (step === 2 && i === skipped ? s.advance() : s.step()));
      }
    } finally {
      backend.run = original;
    }
    const tol = dtype === "f64" ? 1e-12 : 1e-6;
    for (let i = 0; i < shapes.length; i++)
      assertClose(await together[i].toArray(), await alone[i][0].toArray(), tol, `${backend.name}: parameter ${i}`);
    const [a, b] = [await adam.exportState(), await Promise.all(singles.map((s) => s.exportState()))];
    for (let i = 0; i < shapes.length; i++) {
      assertClose(a.m[i], b[i].m[0], tol, `${backend.name}: m of parameter ${i}`);
      assertClose(a.v[i], b[i].v[0], tol, `${backend.name}: v of parameter ${i}`);
    }
    for (const o of [adam, ...singles]) o.dispose();
  }
});

test("decay: with δ the update equals plain Adam on g + δp; a bad δ list is refused", async () => {
  const { init, grads } = problem(4);
  const decay = [0.5, 0.1, 3];
  const folded = await runAdam(cpu, "f64", 4, { ...OPTIONS, decay });
  // Plain Adam, given g + δp formed on the host from the parameters before each update.
  const ps = params(cpu, "f64", init);
  const adam = new Adam(ps, OPTIONS);
  for (const g of grads) {
    const now = await values(ps);
    setGrads(
      ps,
      g.map((gi, i) => gi.map((x, k) => x + decay[i] * now[i][k])),
    );
    adam.step();
  }
  (await values(ps)).forEach((p, i) => assertClose(p, folded[i], 1e-12, `param ${i}`));
  assert.not.equal(folded, await runAdam(cpu, "f64", 4, OPTIONS), "δ changed nothing");
  adam.dispose();
  assert.throws(() => new Adam(ps, { decay: [1, 2] }), /one finite δ ≥ 0 per parameter \(3\)/);
  assert.throws(() => new Adam(ps, { decay: [1, -2, 0] }), /δ ≥ 0/);
});

test("importState rejects a state of the wrong shape, naming the parameter", async () => {
  const ps = params(cpu, "f64", problem(1).init);
  const adam = new Adam(ps);
  const state = await adam.exportState();
  state.v[1] = [0, 0, 0, 0];
  assert.throws(() => adam.importState(state), /v\[1\] has 4 values, parameter 1 has shape \[5\]/);
});

devices.webgpu.test("Adam drives Σ(p − c)² to its minimum through backward on webgpu", async () => {
  const target = [1.5, -2, 0.25, 3];
  const c = tensor(target, [4], { backend: gpu });
  const p = tensor([0, 0, 0, 0], [4], { backend: gpu, requiresGrad: true });
  const adam = new Adam([p], { lr: 0.1 });
  for (let t = 0; t < 300; t++) {
    // Seeding with ones back-propagates the sum of the elementwise loss.
    tidy(() => backward(square(sub(p, c)), tensor([1, 1, 1, 1], [4], { backend: gpu })));
    adam.step();
  }
  assertClose(await p.toArray(), target, 1e-2, "p");
});

exitWhenDone();
test.run();
