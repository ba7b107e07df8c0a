/**
 * sampleRows (the minibatch draw) and the batch allocation: every slot takes a row of its own env
 * (X holds each row's index), the same rows on cpu and webgpu and for the same (seed, stream),
 * other rows for another stream, rows of an env drawn uniformly (χ² over many slots), the
 * allocation b_e proportional with at least one slot per env, and bad shapes refused.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { sampleRows } from "../../kernels/ops.js";
import { sampledRow } from "../../kernels/sample-rows.js";
import { allocateBatch } from "../../gim/model/minibatch.js";
import { eachDevice, exitWhenDone } from "../helpers.js";

const DEVICES = await eachDevice("sampleRows", { cpu: { dtype: "f64" }, webgpu: { dtype: "f32" } });

/** X [N, 2] with X[n] = (n, −n), envs of `sizes` rows; `counts` slots per env. */
function layout(sizes: number[], counts: number[]) {
  const starts = [0];
  sizes.forEach((n, e) => starts.push(starts[e] + n));
  const N = starts[sizes.length];
  const X = Array.from({ length: N * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : -(i - 1) / 2));
  const batchEnv = counts.flatMap((b, e) => new Array(b).fill(e));
  return { starts, N, X, batchEnv };
}

async function draw(t: (typeof DEVICES)["cpu"], sizes: number[], counts: number[], seed: number, stream: number) {
  const { starts, N, X, batchEnv } = layout(sizes, counts);
  const on = { backend: t.backend, dtype: t.dtype };
  const Y = sampleRows(
    tensor(X, [N, 2], on),
    tensor(batchEnv, [batchEnv.length], on),
    tensor(starts, [starts.length], on),
    { seed, stream },
  );
  const values = Array.from(await Y.toArray());
  Y.dispose();
  return {
    rows: values.filter((_, i) => i % 2 === 0),
    negated: values.filter((_, i) => i % 2 === 1),
    starts,
    batchEnv,
  };
}

for (const t of DEVICES) {
  t.test(`each slot draws a row of its env, whole rows, as the host reference (${t.label})`, async () => {
    const sizes = [7, 1, 300, 5];
    const counts = [3, 2, 40, 1];
    const { rows, negated, starts, batchEnv } = await draw(t, sizes, counts, 3, 21);
    rows.forEach((row, k) => {
      const e = batchEnv[k];
      assert.ok(row >= starts[e] && row < starts[e + 1], `slot ${k} (env ${e}) drew row ${row}`);
      assert.is(negated[k], -row, `slot ${k}: columns of different rows`);
      assert.is(row, sampledRow(3, 21, k, starts[e], sizes[e]), `slot ${k}: not the reference row`);
    });
  });

  t.test(`same (seed, stream): same rows; another stream: other rows (${t.label})`, async () => {
    const a = await draw(t, [50, 60], [20, 20], 9, 5);
    const b = await draw(t, [50, 60], [20, 20], 9, 5);
    const c = await draw(t, [50, 60], [20, 20], 9, 21);
    assert.equal(a.rows, b.rows);
    assert.ok(a.rows.filter((r, k) => r !== c.rows[k]).length > 30, "another stream should draw other rows");
  });
}

test("rows of an env are drawn uniformly: χ² over 20,000 slots (cpu)", async () => {
  const n = 10;
  const slots = 20000;
  const { rows } = await draw(DEVICES.cpu, [3, n], [1, slots], 1, 7);
  const hits = new Array(n).fill(0);
  for (const r of rows.slice(1)) hits[r - 3]++;
  const expected = slots / n;
  const chi2 = hits.reduce((s, h) => s + (h - expected) ** 2 / expected, 0);
  // 9 degrees of freedom: P(χ² > 27.9) = 0.001.
  assert.ok(chi2 < 27.9, `χ² = ${chi2.toFixed(1)} for counts ${hits}`);
});

test("allocation: proportional by largest remainder, at least one slot per env with rows, sum B", () => {
  assert.equal(allocateBatch([6, 3, 3], 5), [3, 1, 1]);
  assert.equal(allocateBatch([500, 100, 100, 100, 100], 90), [50, 10, 10, 10, 10]);
  assert.equal(allocateBatch([1000, 1, 1, 1], 10), [7, 1, 1, 1]);
  assert.equal(allocateBatch([10, 0, 10], 4), [2, 0, 2]);
  for (const [sizes, B] of [
    [[913, 17, 250, 4, 4], 64],
    [[5, 5, 5], 3],
  ] as [number[], number][]) {
    const counts = allocateBatch(sizes, B);
    assert.is(
      counts.reduce((a, b) => a + b, 0),
      B,
    );
    const N = sizes.reduce((a, b) => a + b, 0);
    assert.ok(
      counts.every((b, e) => b >= 1 && Math.abs(b - (B * sizes[e]) / N) < sizes.length),
      `${counts}`,
    );
  }
  assert.throws(
    () => allocateBatch([5, 5, 5], 2),
    /--batch-size 2: a minibatch needs at least one row of each of the 3/,
  );
});

test("bad shapes are refused, naming sampleRows and the argument", () => {
  const on = { backend: DEVICES.cpu.backend, dtype: "f64" as const };
  const X = tensor([1, 2, 3, 4], [2, 2], on);
  assert.throws(
    () =>
      sampleRows(tensor([1, 2, 3, 4], [4], on), tensor([0], [1], on), tensor([0, 2], [2], on), { seed: 0, stream: 0 }),
    /sampleRows: X must be \[N, d\]/,
  );
  assert.throws(
    () => sampleRows(X, tensor([0], [1, 1], on), tensor([0, 2], [2], on), { seed: 0, stream: 0 }),
    /sampleRows: batchEnv must be \[B\]/,
  );
  assert.throws(
    () => sampleRows(X, tensor([0], [1], on), tensor([0], [1], on), { seed: 0, stream: 0 }),
    /sampleRows: envStart must be \[E \+ 1\]/,
  );
});

exitWhenDone();
test.run();
