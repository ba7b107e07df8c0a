/**
 * Shape ops on cpu (float64) and webgpu (float32) against host index arithmetic: reshape is a
 * view that outlives its source, transpose of rank 2–6 and its inverse-permutation VJP, slice and
 * its pad-scatter VJP, concat of three inputs and its slicing VJP, gather with repeated indices
 * (scatter-add VJP), 2-D index tensors, out-of-range indices, and the errors for bad arguments.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/host-random.js";
import { ShapeError, type Shape, sizeOf, stridesOf } from "../../engine/shape.js";
import { backward } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import { broadcastTo, concat, gather, mul, reshape, slice, sum, transpose } from "../../kernels/ops.js";
import { assertClose, eachDevice, exitWhenDone } from "../helpers.js";

const TARGETS = await eachDevice("shape ops", { cpu: { dtype: "f64" }, webgpu: { dtype: "f32" } });

const draw = (n: number, seed: number) => {
  const rng = new HostRandom(seed);
  return Array.from({ length: n }, () => Math.round(rng.normal() * 1000) / 64);
};
const coords = (i: number, shape: Shape) => shape.map((s, k) => Math.floor(i / stridesOf(shape)[k]) % s);
const flat = (c: number[], shape: Shape) => c.reduce((o, v, k) => o + v * stridesOf(shape)[k], 0);

/** Host transpose: out[c] = x[c permuted back]. */
function hostTranspose(xs: number[], shape: Shape, perm: number[]): number[] {
  const out = perm.map((k) => shape[k]);
  return Array.from({ length: xs.length }, (_, i) => {
    const c = coords(i, out);
    const src = new Array<number>(shape.length);
    perm.forEach((k, j) => (src[k] = c[j]));
    return xs[flat(src, shape)];
  });
}

for (const t of TARGETS) {
  const on = { backend: t.backend, dtype: t.dtype };
  // Values are multiples of 1/64 below 2^10, exact in f32, so every comparison here is exact.
  const leaf = (values: number[], shape: Shape) => tensor(values, shape, { ...on, requiresGrad: true });
  const weights = (y: Tensor, seed: number) => tensor(draw(y.size, seed), y.shape, on);
  const read = async (x: Tensor) => Array.from(await x.toArray());
  const fails = (f: () => unknown, pattern: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof ShapeError && pattern.test(String(e)));

  t.test(`reshape is a view with one inferred -1; it outlives its disposed source (${t.label})`, async () => {
    const xs = draw(12, 1);
    const x = tensor(xs, [2, 6], on);
    const y = reshape(x, [3, -1, 2]);
    assert.equal(y.shape, [3, 2, 2]);
    assert.ok(y.storage === x.storage, "no copy");
    x.dispose();
    // Were the storage back in the pool, this allocation would take it and overwrite it.
    const other = tensor(draw(12, 2), [12], on);
    assert.equal(await read(y), xs);
    other.dispose();
    fails(() => reshape(y, [-1, -1]), /reshape: more than one -1/);
    fails(() => reshape(y, [5, -1]), /reshape: cannot reshape \[3, 2, 2\] \(12 elements\) to \[5, -1\]/);
    fails(() => reshape(y, [2, 2, 2]), /reshape: cannot reshape/);
    fails(() => reshape(tensor([], [0, 3], on), [-1, 0]), /reshape: -1 in \[-1, 0\] is ambiguous/);
  });

  t.test(
    `transpose of rank 2 to 6 matches host indexing; its VJP is the inverse permutation (${t.label})`,
    async () => {
      const cases: [number[], number[] | undefined][] = [
        [[3, 5], undefined],
        [[2, 3, 4], undefined],
        [
          [2, 3, 4],
          [2, 0, 1],
        ],
        [
          [2, 1, 3, 2],
          [3, 0, 2, 1],
        ],
        [
          [2, 3, 1, 2, 2, 3],
          [5, 3, 0, 4, 1, 2],
        ],
      ];
      for (const [shape, perm] of cases) {
        const p = perm ?? shape.map((_, k) => (k < shape.length - 2 ? k : 2 * shape.length - 3 - k));
        const xs = draw(sizeOf(shape), 3);
        const x = leaf(xs, shape);
        const y = transpose(x, perm);
        assert.equal(
          y.shape,
          p.map((k) => shape[k]),
          `shape for ${JSON.stringify(perm)}`,
        );
        assert.equal(await read(y), hostTranspose(xs, shape, p), `values for ${JSON.stringify(perm)}`);
        const w = weights(y, 4);
        backward(sum(mul(y, w)));
        const inverse = p.map((_, k) => p.indexOf(k));
        assert.equal(
          await read(x.grad!),
          hostTranspose(await read(w), y.shape, inverse),
          `x̄ for ${JSON.stringify(perm)}`,
        );
      }
      const v = tensor([1, 2, 3], [3], on);
      assert.equal(
        [transpose(v).shape, await read(transpose(v))],
        [[3], [1, 2, 3]],
        "below rank 2 the default is the identity",
      );
      const x = tensor(draw(6, 5), [2, 3], on);
      fails(() => transpose(x, [0, 0]), /transpose: perm \[0,0\] is not a permutation of the axes of \[2, 3\]/);
      fails(() => transpose(x, [1, 0, 2]), /transpose: perm/);
      fails(
        () => transpose(tensor(draw(1, 6), [1, 1, 1, 1, 1, 1, 1], on), [6, 5, 4, 3, 2, 1, 0]),
        /transpose: rank 7 of \[1, 1, 1, 1, 1, 1, 1\] exceeds 6/,
      );
    },
  );

  t.test(`slice reads [start, end); its VJP scatters ȳ into zeros (${t.label})`, async () => {
    const xs = draw(30, 7);
    const shape = [2, 5, 3];
    for (const [axis, start, end] of [
      [1, 1, 4],
      [-1, 2, 3],
      [0, 0, 2],
      [1, 3, 3],
    ]) {
      const a = axis < 0 ? axis + 3 : axis;
      const x = leaf(xs, shape);
      const y = slice(x, axis, start, end);
      const inside = (i: number) => coords(i, shape)[a] >= start && coords(i, shape)[a] < end;
      assert.equal(
        await read(y),
        xs.filter((_, i) => inside(i)),
        `values [${axis}, ${start}:${end}]`,
      );
      if (y.size === 0) continue;
      const w = weights(y, 8);
      backward(sum(mul(y, w)));
      const ws = await read(w);
      let k = 0;
      assert.equal(
        await read(x.grad!),
        xs.map((_, i) => (inside(i) ? ws[k++] : 0)),
        `x̄ [${axis}, ${start}:${end}]`,
      );
    }
    fails(() => slice(tensor(xs, shape, on), 1, 2, 6), /slice: range \[2, 6\) out of bounds for axis 1 of \[2, 5, 3\]/);
    fails(() => slice(tensor(xs, shape, on), 3, 0, 1), /slice: axis 3 out of range/);
    fails(() => slice(tensor(xs, shape, on), 1, 0.5, 2), /slice: range \[0.5, 2\)/);
  });

  t.test(`concat of three inputs along the middle axis; each x̄ is its slice of ȳ (${t.label})`, async () => {
    const shapes = [
      [2, 1, 3],
      [2, 4, 3],
      [2, 2, 3],
    ];
    const values = shapes.map((s, k) => draw(sizeOf(s), 10 + k));
    const xs = shapes.map((s, k) => leaf(values[k], s));
    const y = concat(xs, 1);
    assert.equal(y.shape, [2, 7, 3]);
    const source = (i: number): [number, number] => {
      const [o, q, r] = coords(i, [2, 7, 3]);
      const k = q < 1 ? 0 : q < 5 ? 1 : 2;
      return [k, flat([o, q - [0, 1, 5][k], r], shapes[k])];
    };
    const expected = Array.from({ length: 42 }, (_, i) => values[source(i)[0]][source(i)[1]]);
    assert.equal(await read(y), expected);
    const w = weights(y, 20);
    backward(sum(mul(y, w)));
    const ws = await read(w);
    const grads = shapes.map((s) => new Array<number>(sizeOf(s)).fill(0));
    ws.forEach((v, i) => (grads[source(i)[0]][source(i)[1]] = v));
    for (let k = 0; k < 3; k++) assert.equal(await read(xs[k].grad!), grads[k], `x̄${k}`);
    fails(
      () => concat([tensor([1, 2], [2], on), tensor([1, 2], [1, 2], on)], 0),
      /concat: shapes \[2\], \[1, 2\] differ off axis 0/,
    );
    fails(() => concat([], 0), /concat: no tensors/);
  });

  t.test(`broadcastTo repeats along new and size-1 axes and rejects other targets (${t.label})`, async () => {
    const x = tensor([1, 2, 3], [3, 1], on);
    assert.equal(await read(broadcastTo(x, [2, 3, 2])), [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    fails(() => broadcastTo(x, [3, 2, 2]), /broadcastTo: cannot broadcast \[3, 1\] with \[3, 2, 2\]/);
    fails(() => broadcastTo(x, [1, 2]), /broadcastTo: cannot broadcast \[3, 1\] to \[1, 2\]/);
  });

  t.test(`gather: repeated indices add their cotangents; 2-D indices; out-of-range reads 0 (${t.label})`, async () => {
    const xs = draw(24, 30);
    const shape = [2, 4, 3];
    const idx = [
      [3, 0, 3, 3, 1],
      [2, 2],
    ];
    for (const [axis, indices, ishape] of [
      [1, idx[0], [5]],
      [-1, idx[1], [1, 2]],
      [0, [1, 1, 0], [3]],
    ] as [number, number[], number[]][]) {
      const a = axis < 0 ? axis + 3 : axis;
      const x = leaf(xs, shape);
      const y = gather(x, tensor(indices, ishape, on), axis);
      const out = [...shape.slice(0, a), ...ishape, ...shape.slice(a + 1)];
      assert.equal(y.shape, out, `shape, axis ${axis}`);
      const pick = (i: number) => {
        const c = coords(i, out);
        const q = flat(c.slice(a, a + ishape.length), ishape);
        return flat([...c.slice(0, a), indices[q], ...c.slice(a + ishape.length)], shape);
      };
      assert.equal(
        await read(y),
        Array.from({ length: y.size }, (_, i) => xs[pick(i)]),
        `values, axis ${axis}`,
      );
      const w = weights(y, 31);
      backward(sum(mul(y, w)));
      const want = new Array<number>(24).fill(0);
      (await read(w)).forEach((v, i) => (want[pick(i)] += v));
      assertClose(await read(x.grad!), want, 1e-6, `x̄ (scatter-add), axis ${axis}`);
    }
    const x = leaf(xs, shape);
    const y = gather(x, tensor([-1, 4, 1.0], [3], on), 1);
    const ys = await read(y);
    assert.equal(
      ys.filter((_, i) => Math.floor(i / 3) % 3 !== 2),
      new Array(12).fill(0),
      "out-of-range indices read 0",
    );
    backward(sum(y));
    assert.equal(
      await read(x.grad!),
      xs.map((_, i) => (coords(i, shape)[1] === 1 ? 1 : 0)),
      "and receive no gradient",
    );
    fails(() => gather(x, tensor([0], [1], on), 3), /gather: axis 3 out of range for rank 3/);
  });
}

exitWhenDone();
test.run();
