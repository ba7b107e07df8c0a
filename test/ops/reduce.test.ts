/**
 * Reductions on cpu (float64) and webgpu (float32), each against a float64 host loop: sum and
 * mean over every axes form (none, one, negative, several, repeated) with and without keepDims,
 * max with ties (the cotangent is shared equally among tied maxima), logsumexp along each axis of
 * a 3-D tensor, along an empty axis, with +∞ entries, and the errors for bad axes.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/host-random.js";
import { ShapeError, type Shape, sizeOf, stridesOf } from "../../engine/shape.js";
import { backward } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import { logsumexp, max, mean, mul, sum } from "../../kernels/ops.js";
import { assertClose, type Device, eachDevice, exitWhenDone } from "../helpers.js";

const TARGETS = await eachDevice("reduce", { cpu: { dtype: "f64", tol: 1e-12 }, webgpu: { dtype: "f32", tol: 2e-6 } });

const draw = (n: number, seed: number) => {
  const rng = new HostRandom(seed);
  return Array.from({ length: n }, () => rng.normal());
};

/** Flat index, in the kept shape (reduced axes set to 1), of element i of `shape`. */
function keptIndex(i: number, shape: Shape, axes: number[]): number {
  const strides = stridesOf(shape);
  const keptStrides = stridesOf(shape.map((s, k) => (axes.includes(k) ? 1 : s)));
  return shape.reduce((o, s, k) => (axes.includes(k) ? o : o + (Math.floor(i / strides[k]) % s) * keptStrides[k]), 0);
}

/** Host reduction over `axes` of a row-major array: out[kept index] = f(values in the slice). */
function hostReduce(values: number[], shape: Shape, axes: number[], f: (slice: number[]) => number): number[] {
  const slices: number[][] = Array.from({ length: sizeOf(shape.map((s, k) => (axes.includes(k) ? 1 : s))) }, () => []);
  values.forEach((v, i) => slices[keptIndex(i, shape, axes)].push(v));
  return slices.map(f);
}

/** Broadcasts a kept-shape array back over the reduced axes (the adjoint of a sum). */
const spread = (kept: number[], shape: Shape, axes: number[]) =>
  Array.from({ length: sizeOf(shape) }, (_, i) => kept[keptIndex(i, shape, axes)]);

const total = (s: number[]) => s.reduce((a, v) => a + v, 0);
const lse = (s: number[]) => {
  const m = Math.max(...s);
  return m + Math.log(total(s.map((v) => Math.exp(v - m))));
};

/** The gradient of Σ w ⊙ y with respect to x: runs `f` on a leaf and back-propagates. */
async function valueAndGrad(t: Device, xs: number[], shape: Shape, f: (x: Tensor) => Tensor, w?: number[]) {
  const on = { backend: t.backend, dtype: t.dtype };
  const x = tensor(xs, shape, { ...on, requiresGrad: true });
  const y = f(x);
  const weights = w ?? draw(y.size, 77);
  backward(sum(mul(y, tensor(weights, y.shape, on))));
  return { y: Array.from(await y.toArray()), shape: y.shape, grad: Array.from(await x.grad!.toArray()), w: weights };
}

for (const t of TARGETS) {
  const shape = [2, 3, 4];
  const xs = draw(24, 1);

  t.test(`sum and mean over every axes form, values, shapes and gradients (${t.label})`, async () => {
    const forms: { axes?: number | number[]; norm: number[] }[] = [
      { norm: [0, 1, 2] },
      { axes: 0, norm: [0] },
      { axes: -1, norm: [2] },
      { axes: [0, 2], norm: [0, 2] },
      { axes: [2, -1, 0], norm: [0, 2] },
    ];
    for (const { axes, norm } of forms) {
      for (const keepDims of [false, true]) {
        const what = `axes ${JSON.stringify(axes)} keepDims ${keepDims}`;
        const count = sizeOf(norm.map((a) => shape[a]));
        const wantShape = keepDims
          ? shape.map((s, k) => (norm.includes(k) ? 1 : s))
          : shape.filter((_, k) => !norm.includes(k));
        const s = await valueAndGrad(t, xs, shape, (x) => sum(x, axes, keepDims));
        assert.equal(s.shape, wantShape, `sum ${what}: shape`);
        assertClose(s.y, hostReduce(xs, shape, norm, total), t.tol, `sum ${what}`);
        assertClose(s.grad, spread(s.w, shape, norm), t.tol, `sum ${what}: x̄ = ȳ broadcast`);
        const m = await valueAndGrad(t, xs, shape, (x) => mean(x, axes, keepDims));
        assertClose(
          m.y,
          hostReduce(xs, shape, norm, (v) => total(v) / count),
          t.tol,
          `mean ${what}`,
        );
        assertClose(
          m.grad,
          spread(
            m.w.map((v) => v / count),
            shape,
            norm,
          ),
          t.tol,
          `mean ${what}: x̄ = ȳ/count`,
        );
      }
    }
  });

  t.test(`max: values along each axis; tied maxima share the cotangent equally (${t.label})`, async () => {
    for (const axis of [0, 1, 2]) {
      const r = await valueAndGrad(t, xs, shape, (x) => max(x, axis));
      const maxima = hostReduce(xs, shape, [axis], (s) => Math.max(...s));
      assertClose(r.y, maxima, t.tol, `max axis ${axis}`);
      const routed = spread(maxima, shape, [axis]).map((m, i) => (xs[i] === m ? 1 : 0));
      assertClose(
        r.grad,
        spread(r.w, shape, [axis]).map((w, i) => w * routed[i]),
        t.tol,
        `max axis ${axis}: x̄ at the arg-max`,
      );
    }
    const ties = [1, 3, 3, 0, 2, 2, 2, 2, 5, -1, 4, 5];
    const r = await valueAndGrad(t, ties, [3, 4], (x) => max(x, 1, true), [1, 2, 3]);
    assert.equal(r.shape, [3, 1]);
    assertClose(r.y, [3, 2, 5], 0, "maxima");
    assertClose(r.grad, [0, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0.5, 1.5, 0, 0, 1.5], t.tol, "ȳ split among ties");
  });

  t.test(`logsumexp along each axis equals the float64 formula; x̄ = ȳ·softmax (${t.label})`, async () => {
    const big = xs.map((v) => 10 * v);
    for (const axis of [0, 1, -1]) {
      const a = axis < 0 ? axis + 3 : axis;
      const r = await valueAndGrad(t, big, shape, (x) => logsumexp(x, axis));
      const want = hostReduce(big, shape, [a], lse);
      assertClose(r.y, want, t.tol, `logsumexp axis ${axis}`);
      const softmax = spread(want, shape, [a]).map((y, i) => Math.exp(big[i] - y));
      assertClose(
        r.grad,
        spread(r.w, shape, [a]).map((w, i) => w * softmax[i]),
        10 * t.tol,
        `axis ${axis}: gradient`,
      );
    }
  });

  t.test(`logsumexp: an empty axis gives −∞ and no NaN; a +∞ entry gives +∞ and gradient 0 (${t.label})`, async () => {
    const empty = await valueAndGrad(t, [], [2, 0], (x) => logsumexp(x, 1));
    assert.equal(empty.y, [-Infinity, -Infinity]);
    assert.equal(empty.grad, []);
    const withInf = await valueAndGrad(t, [1, Infinity, 2, 0, 1, 2], [2, 3], (x) => logsumexp(x, 1), [1, 1]);
    assert.is(withInf.y[0], Infinity);
    assertClose([withInf.y[1]], [lse([0, 1, 2])], t.tol, "finite row");
    assertClose(withInf.grad.slice(0, 3), [0, 0, 0], 0, "gradient of the +∞ row");
  });

  t.test(`reductions name the op and shape on bad axes; max of an empty axis throws (${t.label})`, () => {
    const x = tensor(xs, shape, { backend: t.backend, dtype: t.dtype });
    const fails = (f: () => unknown, pattern: RegExp) =>
      assert.throws(f, (e: unknown) => e instanceof ShapeError && pattern.test(String(e)));
    fails(() => sum(x, 3), /^ShapeError: sum: axis 3 out of range for rank 3/);
    fails(() => mean(x, [0, -4]), /mean: axis -4/);
    fails(() => max(x, 5), /max: axis 5/);
    fails(() => logsumexp(x, -4), /logsumexp: axis -4/);
    fails(() => max(tensor([], [3, 0], { backend: t.backend, dtype: t.dtype }), 1), /max: axis 1 of \[3, 0\] is empty/);
  });
}

exitWhenDone();
test.run();
