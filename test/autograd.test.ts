/**
 * The tape, on cpu float64 and webgpu float32: fan-out and reuse, stop-gradient and noGrad,
 * accumulation across backward calls, broadcasting gradients, and a two-layer MLP whose
 * gradients are checked against the hand-derived backward pass written in plain TypeScript;
 * a VJP returning the wrong number of gradients, or one of the wrong shape, fails naming its op.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../engine/create.js";
import { HostRandom } from "../engine/host-random.js";
import type { Shape } from "../engine/shape.js";
import { apply, defineOp } from "../engine/op.js";
import { backward, detach, noGrad } from "../engine/tape.js";
import type { Tensor } from "../engine/tensor.js";
import { add, div, mul, square, sub, tanh } from "../kernels/ops.js";
import { assertClose, type Device, eachDevice, exitWhenDone } from "./helpers.js";

const TARGETS = await eachDevice("autograd", {
  cpu: { dtype: "f64", tol: 1e-12 },
  webgpu: { dtype: "f32", tol: 2e-5 },
});

function draw(seed: number, n: number): number[] {
  const rng = new HostRandom(seed);
  return Array.from({ length: n }, () => rng.normal());
}

/** Leaves with requiresGrad on the target, from host values. */
function leaves(t: Device, specs: { values: number[]; shape: Shape }[]): Tensor[] {
  return specs.map((s) => tensor(s.values, s.shape, { backend: t.backend, dtype: t.dtype, requiresGrad: true }));
}

/** Back-propagates the sum of `y`'s elements (a seed of ones). */
function backwardSum(y: Tensor): void {
  backward(y, tensor(new Array(y.size).fill(1), y.shape, { backend: y.backend, dtype: y.dtype }));
}

async function gradOf(x: Tensor): Promise<number[]> {
  assert.ok(x.grad, "no gradient");
  assert.equal(x.grad!.shape, x.shape, "gradient shape");
  return Array.from(await x.grad!.toArray());
}

for (const t of TARGETS) {
  t.test(`fan-out: y = x·x + x ⇒ dy/dx = 2x + 1 (${t.label})`, async () => {
    const xs = draw(1, 6);
    const [x] = leaves(t, [{ values: xs, shape: [2, 3] }]);
    backwardSum(add(mul(x, x), x));
    assertClose(
      await gradOf(x),
      xs.map((v) => 2 * v + 1),
      t.tol,
      "dy/dx",
    );
  });

  t.test(`reuse of x and y in several ops: f = x·y + x/y + tanh(x) (${t.label})`, async () => {
    const xs = draw(2, 5);
    const ys = draw(3, 5).map((v) => 1 + Math.abs(v));
    const [x, y] = leaves(t, [
      { values: xs, shape: [5] },
      { values: ys, shape: [5] },
    ]);
    backwardSum(add(add(mul(x, y), div(x, y)), tanh(x)));
    assertClose(
      await gradOf(x),
      xs.map((v, i) => ys[i] + 1 / ys[i] + 1 - Math.tanh(v) ** 2),
      t.tol,
      "∂f/∂x",
    );
    assertClose(
      await gradOf(y),
      xs.map((v, i) => v - v / ys[i] ** 2),
      t.tol,
      "∂f/∂y",
    );
  });

  t.test(`detach stops the gradient: d/dx [x · detach(x)] = x, not 2x (${t.label})`, async () => {
    const xs = draw(4, 4);
    const [x] = leaves(t, [{ values: xs, shape: [4] }]);
    const stopped = detach(x);
    assert.is(stopped.requiresGrad, false);
    backwardSum(mul(x, stopped));
    assertClose(await gradOf(x), xs, t.tol, "gradient");
  });

  t.test(`noGrad records nothing; its results act as constants (${t.label})`, async () => {
    const xs = draw(5, 4);
    const [x] = leaves(t, [{ values: xs, shape: [4] }]);
    const c = noGrad(() => mul(x, x));
    assert.is(c.requiresGrad, false);
    assert.is(c.node, null);
    backwardSum(mul(c, x));
    assertClose(
      await gradOf(x),
      xs.map((v) => v * v),
      t.tol,
      "gradient (x² held constant)",
    );
  });

  t.test(`gradients accumulate across two backward calls (${t.label})`, async () => {
    const xs = draw(6, 3);
    const [x] = leaves(t, [{ values: xs, shape: [3] }]);
    backwardSum(mul(x, x));
    backwardSum(tanh(x));
    assertClose(
      await gradOf(x),
      xs.map((v) => 2 * v + 1 - Math.tanh(v) ** 2),
      t.tol,
      "2x + tanh'(x)",
    );
  });

  t.test(`broadcasting gradients reduce to each input's shape (${t.label})`, async () => {
    // y[i,j,k] = a[i,0,k] · b[j,0] + c,  a: [2,1,4], b: [3,1], c: [] ⇒ y: [2,3,4]
    const as = draw(7, 8);
    const bs = draw(8, 3);
    const [a, b, c] = leaves(t, [
      { values: as, shape: [2, 1, 4] },
      { values: bs, shape: [3, 1] },
      { values: [0.5], shape: [] },
    ]);
    const y = add(mul(a, b), c);
    assert.equal(y.shape, [2, 3, 4]);
    backwardSum(y);
    const sumB = bs.reduce((s, v) => s + v, 0);
    const sumA = as.reduce((s, v) => s + v, 0);
    assertClose(
      await gradOf(a),
      as.map(() => sumB),
      t.tol,
      "ā = Σ_j b_j",
    );
    assertClose(
      await gradOf(b),
      bs.map(() => sumA),
      t.tol,
      "b̄ = Σ_{i,k} a_ik",
    );
    assertClose(await gradOf(c), [24], t.tol, "c̄ = number of elements");
  });

  t.test(`two-layer MLP: gradients equal the hand-derived backward pass (${t.label})`, async () => {
    // Built from add/mul with broadcasting (no matmul yet): every weight is a scalar leaf and
    // every column a [B] tensor, so each x column feeds H units and each hidden unit O outputs.
    //   A_h = tanh(b1_h + Σ_d x_d·W1_dh),  Z_o = b2_o + Σ_h A_h·W2_ho,  L = Σ_o Σ_b (Z_o − y_o)²
    const [B, D, H, O] = [5, 3, 4, 2];
    const host = {
      x: draw(10, B * D),
      w1: draw(11, D * H),
      b1: draw(12, H),
      w2: draw(13, H * O),
      b2: draw(14, O),
      y: draw(15, B * O),
    };
    const on = { backend: t.backend, dtype: t.dtype };
    const scalars = (values: number[]) =>
      leaves(
        t,
        values.map((v) => ({ values: [v], shape: [] })),
      );
    const [w1, b1, w2, b2] = [scalars(host.w1), scalars(host.b1), scalars(host.w2), scalars(host.b2)];
    const column = (values: number[], k: number, width: number) =>
      tensor(
        Array.from({ length: B }, (_, b) => values[b * width + k]),
        [B],
        on,
      );
    const x = Array.from({ length: D }, (_, d) => column(host.x, d, D));
    const a = b1.map((bias, h) => tanh(x.reduce((z, xd, d) => add(z, mul(xd, w1[d * H + h])), bias)));
    const errs = b2.map((bias, o) => {
      const z = a.reduce((acc, ah, h) => add(acc, mul(ah, w2[h * O + o])), bias);
      return square(sub(z, column(host.y, o, O)));
    });
    const err = errs.reduce((acc, e) => add(acc, e));
    const lossTerms = Array.from(await err.toArray());
    backwardSum(err);
    const want = mlpByHand(host, B, D, H, O);
    const grads = async (ps: Tensor[]) => (await Promise.all(ps.map(gradOf))).flat();
    assertClose([lossTerms.reduce((s, v) => s + v, 0)], [want.loss], t.tol, "loss");
    assertClose(await grads(w1), want.w1, t.tol, "∂L/∂W1");
    assertClose(await grads(b1), want.b1, t.tol, "∂L/∂b1");
    assertClose(await grads(w2), want.w2, t.tol, "∂L/∂W2");
    assertClose(await grads(b2), want.b2, t.tol, "∂L/∂b2");
  });
}

/**
 * L = Σ (Z₂ − Y)²,  Z₂ = A W₂ + b₂,  A = tanh(X W₁ + b₁)   (row-major, X: [B, D])
 * Ḡ := ∂L/∂Z₂ = 2(Z₂ − Y);  W̄₂ = Aᵀ Ḡ;  b̄₂ = Σ_b Ḡ;  Z̄₁ = (Ḡ W₂ᵀ) ⊙ (1 − A²);  W̄₁ = Xᵀ Z̄₁;  b̄₁ = Σ_b Z̄₁
 */
function mlpByHand(
  p: Record<"x" | "w1" | "b1" | "w2" | "b2" | "y", number[]>,
  B: number,
  D: number,
  H: number,
  O: number,
) {
  const a = new Array<number>(B * H);
  const g = new Array<number>(B * O);
  let loss = 0;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      let z = p.b1[h];
      for (let d = 0; d < D; d++) z += p.x[b * D + d] * p.w1[d * H + h];
      a[b * H + h] = Math.tanh(z);
    }
    for (let o = 0; o < O; o++) {
      let z = p.b2[o];
      for (let h = 0; h < H; h++) z += a[b * H + h] * p.w2[h * O + o];
      const r = z - p.y[b * O + o];
      loss += r * r;
      g[b * O + o] = 2 * r;
    }
  }
  const w2 = new Array<number>(H * O).fill(0);
  const b2 = new Array<number>(O).fill(0);
  const w1 = new Array<number>(D * H).fill(0);
  const b1 = new Array<number>(H).fill(0);
  for (let b = 0; b < B; b++) {
    for (let o = 0; o < O; o++) {
      b2[o] += g[b * O + o];
      for (let h = 0; h < H; h++) w2[h * O + o] += a[b * H + h] * g[b * O + o];
    }
    for (let h = 0; h < H; h++) {
      let da = 0;
      for (let o = 0; o < O; o++) da += g[b * O + o] * p.w2[h * O + o];
      const dz = da * (1 - a[b * H + h] ** 2);
      b1[h] += dz;
      for (let d = 0; d < D; d++) w1[d * H + h] += p.x[b * D + d] * dz;
    }
  }
  return { loss, w1, b1, w2, b2 };
}

/** y = a + b with a deliberately broken VJP: `grads` gives the cotangents it returns. */
function brokenAdd(name: string, grads: (dy: Tensor) => (Tensor | null)[]) {
  return defineOp({
    name,
    derivation: "y = a + b, VJP broken on purpose",
    forward: ([a, b]) => ({ out: add(a, b) }),
    vjp: (_ctx, dy) => grads(dy),
    check: { cases: [{ shapes: [[2], [2]], attrs: {} }] },
  });
}

test("a VJP returning the wrong number of gradients throws, naming the op", () => {
  const [a, b] = leaves(TARGETS.cpu, [
    { values: [1, 2], shape: [2] },
    { values: [3, 4], shape: [2] },
  ]);
  const y = apply(
    brokenAdd("oneGradForTwo", (dy) => [dy]),
    [a, b],
    {},
  );
  assert.throws(
    () => backward(y, tensor([1, 1], [2], { backend: TARGETS.cpu.backend, dtype: "f64" })),
    /the VJP of oneGradForTwo returned 1 gradient\(s\) for 2 input\(s\)/,
  );
});

test("a VJP returning a gradient of the wrong shape throws, naming the op and the input", () => {
  const [a, b] = leaves(TARGETS.cpu, [
    { values: [1, 2], shape: [2] },
    { values: [3, 4], shape: [2] },
  ]);
  const y = apply(
    brokenAdd("wrongShape", (dy) => [dy, tensor([1, 2], [1, 2], { backend: TARGETS.cpu.backend, dtype: "f64" })]),
    [a, b],
    {},
  );
  assert.throws(
    () => backward(y, tensor([1, 1], [2], { backend: TARGETS.cpu.backend, dtype: "f64" })),
    /the VJP of wrongShape returned a gradient of shape \[1, 2\] for input 1 of shape \[2\]/,
  );
});

exitWhenDone();
test.run();
