/**
 * The scanpy definitions `gim prep` follows (scanpy 1.10, `scanpy/preprocessing/_utils.py`,
 * `_highly_variable_genes.py`, `tools/_rank_genes_groups.py`); docs/single-cell.md gives the formulas
 * with their source. All statistics come from running sums, so the matrix is read in row blocks.
 */

/** numpy.median: the middle value, or the mean of the two middle values. */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

/**
 * `_get_mean_var`: mean and the unbiased variance (ddof = 1) of each column from Σx and Σx² over
 * n rows: var = (Σx²/n − mean²) · n/(n − 1).
 */
export function meanVar(
  sum: ArrayLike<number>,
  sumSq: ArrayLike<number>,
  n: number,
): { mean: Float64Array; variance: Float64Array } {
  const mean = Float64Array.from(sum, (s) => s / n);
  const variance = Float64Array.from(sumSq, (s, j) => ((s / n - mean[j] * mean[j]) * n) / (n - 1));
  return { mean, variance };
}

/** pandas.cut(x, bins): equal-width bins over [min, max], right-closed, the first edge lowered by 0.1 % of the range. */
export function cutBins(x: ArrayLike<number>, bins: number): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) if (!Number.isNaN(x[i])) ((lo = Math.min(lo, x[i])), (hi = Math.max(hi, x[i])));
  const constant = lo === hi;
  if (constant) {
    const adj = lo !== 0 ? 0.001 * Math.abs(lo) : 0.001;
    lo -= adj;
    hi += adj;
  }
  // numpy.linspace(lo, hi, bins + 1): lo + i·step, the last edge exactly hi.
  const step = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * step));
  if (!constant) edges[0] -= (hi - lo) * 0.001;
  return Int32Array.from(x as ArrayLike<number>, (v) => {
    if (Number.isNaN(v)) return -1;
    let k = 1;
    while (k < bins && v > edges[k]) k++;
    return k - 1;
  });
}

export interface SeuratDispersion {
  /** log1p of the mean of expm1(X) per gene. */
  means: Float64Array;
  /** log(var/mean) of expm1(X); NaN where the variance is 0. */
  dispersions: Float64Array;
  /** (dispersion − bin mean)/bin std; NaN where the dispersion is. */
  normalized: Float64Array;
}

/**
 * `highly_variable_genes(flavor="seurat", n_bins=20)` on log1p data. `mean`, `variance`: per gene,
 * of expm1(X) (the normalised counts, ddof = 1). mean 0 → 1e-12; dispersion = var/mean, 0 → NaN,
 * then log; means → log1p; genes binned by pandas.cut(means, 20); normalised dispersion =
 * (d − mean_bin)/std_bin (pandas std, ddof = 1, NaN skipped); a bin holding one gene gets mean 0 and
 * std = its dispersion, i.e. a normalised dispersion of 1.
 */
export function seuratDispersion(mean: ArrayLike<number>, variance: ArrayLike<number>, nBins = 20): SeuratDispersion {
  const g = mean.length;
  const dispersions = new Float64Array(g);
  const means = new Float64Array(g);
  for (let j = 0; j < g; j++) {
    const m = mean[j] === 0 ? 1e-12 : mean[j];
    const d = variance[j] / m;
    dispersions[j] = d === 0 ? Number.NaN : Math.log(d);
    means[j] = Math.log1p(m);
  }
  const bin = cutBins(means, nBins);
  const count = new Float64Array(nBins);
  const sum = new Float64Array(nBins);
  const sumSq = new Float64Array(nBins);
  for (let j = 0; j < g; j++) {
    if (Number.isNaN(dispersions[j])) continue;
    count[bin[j]]++;
    sum[bin[j]] += dispersions[j];
  }
  const binMean = Float64Array.from(sum, (s, b) => s / count[b]);
  for (let j = 0; j < g; j++)
    if (!Number.isNaN(dispersions[j])) sumSq[bin[j]] += (dispersions[j] - binMean[bin[j]]) ** 2;
  const binStd = Float64Array.from(sumSq, (s, b) => Math.sqrt(s / (count[b] - 1)));
  const normalized = Float64Array.from(dispersions, (d, j) => {
    const b = bin[j];
    if (count[b] === 1) return d / d; // one gene in the bin: scanpy sets mean 0, std = d (so 0/0 when d = 0)
    return (d - binMean[b]) / binStd[b];
  });
  return { means, dispersions, normalized };
}

/**
 * Indices of the `n` largest scores, NaN last, ties in index order (scanpy's seurat flavour takes
 * every gene at or above the n-th score, so it can keep more on exact ties).
 */
export function topIndices(scores: ArrayLike<number>, n: number): number[] {
  const key = (j: number) => (Number.isNaN(scores[j]) ? -Infinity : scores[j]);
  return Array.from({ length: scores.length }, (_, j) => j)
    .sort((a, b) => key(b) - key(a) || a - b)
    .slice(0, n);
}

/**
 * `rank_genes_groups(method="t-test_overestim_var", reference=control)` score of one group:
 * t = (μ_g − μ_ref) / sqrt(σ²_g/n_g + σ²_ref/n_g), means and variances (ddof = 1) of the log data;
 * the reference's variance is divided by the group's size n_g, not its own ("overestimated").
 * NaN (0/0) → 0, as scanpy.
 */
export function tTestOverestimVar(
  group: { mean: ArrayLike<number>; variance: ArrayLike<number>; n: number },
  reference: { mean: ArrayLike<number>; variance: ArrayLike<number> },
): Float64Array {
  return Float64Array.from(group.mean, (m, j) => {
    const t = (m - reference.mean[j]) / Math.sqrt(group.variance[j] / group.n + reference.variance[j] / group.n);
    return Number.isNaN(t) ? 0 : t;
  });
}
