/**
 * The scanpy definitions of gim prep (gim/data/prep/scanpy.ts) against values computed by hand on
 * small inputs: numpy's median, _get_mean_var (ddof = 1), pandas.cut, the seurat-flavour normalised
 * dispersion (bins, singleton bins, zero variance) and the t-test with overestimated variance.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  cutBins,
  meanVar,
  median,
  seuratDispersion,
  tTestOverestimVar,
  topIndices,
} from "../../gim/data/prep/scanpy.js";

const close = (a: ArrayLike<number>, b: number[], tol = 1e-12) =>
  b.forEach((v, i) =>
    assert.ok(Number.isNaN(v) ? Number.isNaN(a[i]) : Math.abs(a[i] - v) < tol, `[${i}] ${a[i]} ≠ ${v}`),
  );

test("median: middle value, or the mean of the two middle ones", () => {
  assert.is(median([3, 1, 2]), 2);
  assert.is(median([5, 2, 4, 5]), 4.5);
});

test("meanVar: mean and unbiased variance from Σx, Σx²", () => {
  // columns [1,2,3,4] and [2,2,2,2]
  const { mean, variance } = meanVar([10, 8], [30, 16], 4);
  close(mean, [2.5, 2]);
  close(variance, [5 / 3, 0]);
});

test("cutBins: pandas.cut with equal-width, right-closed bins; the minimum falls in bin 0", () => {
  // range 0..10 in 5 bins: edges (−0.01, 2], (2, 4], (4, 6], (6, 8], (8, 10]
  assert.equal([...cutBins([0, 2, 2.5, 4, 10, 7.9], 5)], [0, 0, 1, 1, 4, 3]);
  assert.equal([...cutBins([3, 3], 20)], [9, 9], "a constant input spreads ±0.1 % around the value");
});

test("seuratDispersion: log dispersions normalised within mean bins; a lone gene scores 1; var 0 is NaN", () => {
  // means 1, 1, 3, 2; variances 2, 4, 6, 0 → log dispersions ln 2, ln 4, ln 2, NaN;
  // log1p means ln 2, ln 2, ln 4, ln 3; 2 bins split at (ln 2 + ln 4)/2 ≈ 1.04: genes 0, 1 | 2, 3.
  // bin 0: mean (ln 2 + ln 4)/2, std ln 2/√2 → ∓1/√2; bin 1: gene 2 alone (gene 3 is NaN) → 1.
  const r = seuratDispersion([1, 1, 3, 2], [2, 4, 6, 0], 2);
  close(r.means, [Math.LN2, Math.LN2, Math.log(4), Math.log(3)]);
  close(r.dispersions, [Math.LN2, Math.log(4), Math.LN2, Number.NaN]);
  close(r.normalized, [-Math.SQRT1_2, Math.SQRT1_2, 1, Number.NaN]);
  assert.equal(topIndices(r.normalized, 3), [2, 1, 0], "NaN ranks last");
});

test("tTestOverestimVar: the reference variance is divided by the group's size; 0/0 → 0", () => {
  const t = tTestOverestimVar(
    { mean: [1, 0, 2], variance: [0.5, 0, 0.5], n: 2 },
    { mean: [0, 0, 1], variance: [0.5, 0, 1] },
  );
  // gene 0: 1/√(0.25 + 0.25); gene 1: 0/0 → 0; gene 2: 1/√(0.25 + 0.5) (n_ref plays no part)
  close(t, [Math.SQRT2, 0, 1 / Math.sqrt(0.75)]);
});

test.run();
