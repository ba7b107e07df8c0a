/**
 * Evaluation metrics of spec §10, on the host in float64. Samples are row-major [n, d].
 */
import { type Matrix, ancestors, dSeparated, descendants, parents } from "../graph/dag.js";

/** F1 = 2TP/(2TP + FP + FN); 0 when the denominator is 0. */
function f1(tp: number, fp: number, fn: number): number {
  const den = 2 * tp + fp + fn;
  return den === 0 ? 0 : (2 * tp) / den;
}

/** Edge-F1 over off-diagonal entries. */
export function edgeF1(truth: Matrix, estimate: Matrix): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  truth.forEach((row, i) =>
    row.forEach((t, j) => {
      if (i === j) return;
      const e = estimate[i][j] ? 1 : 0;
      if (t && e) tp++;
      else if (e) fp++;
      else if (t) fn++;
    }),
  );
  return f1(tp, fp, fn);
}

/** Target-F1, micro-averaged over (env, variable) pairs. */
export function targetF1(truth: number[][], estimate: number[][]): number {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  truth.forEach((row, e) =>
    row.forEach((t, j) => {
      const x = estimate[e][j] ? 1 : 0;
      if (t && x) tp++;
      else if (x) fp++;
      else if (t) fn++;
    }),
  );
  return f1(tp, fp, fn);
}

/**
 * Structural Intervention Distance (Peters & Bühlmann 2015) by the spec's §10 procedure: for each
 * ordered pair (i, j), i ≠ j, with Z = pa_Ĝ(i): if j ∈ Z the pair is wrong iff j is a descendant
 * of i in G; otherwise it is wrong unless Z avoids Forb = De_G(CN) ∪ {i} and d-separates i and
 * j in G minus the edges i → w, w ∈ CN (the proper back-door graph), where
 * CN = (De_G(i) \ {i}) ∩ (An_G(j) ∪ {j}).
 */
export function sid(truth: Matrix, estimate: Matrix): number {
  const d = truth.length;
  let errors = 0;
  for (let i = 0; i < d; i++) {
    const Z = new Set(parents(estimate, i));
    const deI = descendants(truth, i);
    for (let j = 0; j < d; j++) {
      if (i === j) continue;
      if (Z.has(j)) {
        if (deI.has(j)) errors++;
        continue;
      }
      const anJ = ancestors(truth, [j]);
      anJ.add(j);
      const CN = new Set([...deI].filter((w) => w !== i && anJ.has(w)));
      const forbidden = new Set([i]);
      for (const w of CN) {
        forbidden.add(w);
        for (const v of descendants(truth, w)) forbidden.add(v);
      }
      if ([...Z].some((z) => forbidden.has(z))) {
        errors++;
        continue;
      }
      const pbd = truth.map((row, a) => row.map((e, b) => (a === i && CN.has(b) ? 0 : e)));
      if (!dSeparated(pbd, i, j, Z)) errors++;
    }
  }
  return errors;
}

function lse(values: Float64Array): number {
  let m = -Infinity;
  for (const v of values) m = Math.max(m, v);
  if (m === -Infinity) return m;
  let s = 0;
  for (const v of values) s += Math.exp(v - m);
  return m + Math.log(s);
}

/**
 * W_ε = ⟨a, f⟩ + ⟨b, g⟩ of plain entropic OT (not the debiased divergence) between x̂ [n, d]
 * and x [m, d] with uniform weights and squared Euclidean cost, by Sinkhorn's updates
 *   f_i ← −ε LSE_j[log b_j + (g_j − C_ij)/ε],  g_j ← −ε LSE_i[log a_i + (f_i − C_ij)/ε],
 * stopping when ‖P1 − a‖₁ < tolerance or after maxIterations (spec §10).
 *
 * The same iterates, computed without an exponential per entry and update (which made W_ε the
 * slowest part of `gim eval`): the log-domain Sinkhorn stabilised by absorption (Schmitzer 2019,
 * "Stabilized sparse scaling algorithms for entropy regularized transport problems", §3). Write
 * f = f̄ + ε log u, g = ḡ + ε log v with the kernel K_ij = exp((f̄_i + ḡ_j − C_ij)/ε) formed once
 * per absorption; the two updates become u_i = 1 / Σ_j b_j K_ij v_j and v_j = 1 / Σ_i a_i K_ij u_i
 * — matrix–vector products. When a scaling leaves [1e-30, 1e30] it is absorbed (f̄ += ε log u,
 * u = 1, K formed again), so an entry that underflowed at an absorption stays below e^{−745+69}
 * until the next: what is lost is below 10⁻²⁹³ of a marginal. The first f and g are taken in the
 * log domain, so that K has no row or column that underflows entirely. With P_ij = a_i b_j
 * e^{(f_i + g_j − C_ij)/ε}, after a g-update P1 = a ⊙ u / u' where u' is the next u-update, so the
 * marginal error comes out of that update with no second pass over K.
 */
export function entropicWasserstein(
  xhat: ArrayLike<number>,
  x: ArrayLike<number>,
  d: number,
  epsilon = 0.1,
  tolerance = 1e-3,
  maxIterations = 2000,
): number {
  const n = xhat.length / d;
  const m = x.length / d;
  const C = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let c = 0;
      for (let k = 0; k < d; k++) c += (xhat[i * d + k] - x[j * d + k]) ** 2;
      C[i * m + j] = c;
    }
  }
  const a = 1 / n;
  const b = 1 / m;
  // Iteration 0 in the log domain (from g = 0), then f̄, ḡ are those potentials.
  const fBar = new Float64Array(n);
  const gBar = new Float64Array(m);
  const terms = new Float64Array(Math.max(n, m));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) terms[j] = Math.log(b) - C[i * m + j] / epsilon;
    fBar[i] = -epsilon * lse(terms.subarray(0, m));
  }
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) terms[i] = Math.log(a) + (fBar[i] - C[i * m + j]) / epsilon;
    gBar[j] = -epsilon * lse(terms.subarray(0, n));
  }
  const K = new Float64Array(n * m);
  const u = new Float64Array(n).fill(1);
  const v = new Float64Array(m).fill(1);
  const absorb = () => {
    for (let i = 0; i < n; i++) fBar[i] += epsilon * Math.log(u[i]);
    for (let j = 0; j < m; j++) gBar[j] += epsilon * Math.log(v[j]);
    u.fill(1);
    v.fill(1);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) K[i * m + j] = Math.exp((fBar[i] + gBar[j] - C[i * m + j]) / epsilon);
  };
  absorb();
  const outOfRange = (s: number) => !(s > 1e-30 && s < 1e30);
  const nextU = new Float64Array(n);
  const column = new Float64Array(m);
  for (let it = 1; it <= maxIterations; it++) {
    let err = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      const row = i * m;
      for (let j = 0; j < m; j++) s += K[row + j] * v[j];
      nextU[i] = 1 / (b * s);
      err += Math.abs(u[i] / nextU[i] - 1) / n;
    }
    // As in the log-domain loop: the pair (f, g) before this f-update is the answer.
    if (err < tolerance || it === maxIterations) break;
    u.set(nextU);
    if (u.some(outOfRange)) absorb();
    column.fill(0);
    for (let i = 0; i < n; i++) {
      const row = i * m;
      const weight = a * u[i];
      for (let j = 0; j < m; j++) column[j] += K[row + j] * weight;
    }
    for (let j = 0; j < m; j++) v[j] = 1 / column[j];
    if (v.some(outOfRange)) absorb();
  }
  let w = 0;
  for (let i = 0; i < n; i++) w += (fBar[i] + epsilon * Math.log(u[i])) / n;
  for (let j = 0; j < m; j++) w += (gBar[j] + epsilon * Math.log(v[j])) / m;
  // Costs so large that float64 cannot resolve ε in f̄ + ḡ − C (samples of ~1e8 and beyond: a
  // diverging model's predictions) overflow K; the log domain stays finite there, only slower.
  return Number.isFinite(w) ? w : logDomainWasserstein(C, n, m, epsilon, tolerance, maxIterations);
}

/** The same iterates in the log domain (an exponential per entry and update): the fallback above. */
function logDomainWasserstein(
  C: Float64Array,
  n: number,
  m: number,
  epsilon: number,
  tolerance: number,
  maxIterations: number,
): number {
  const [logA, logB] = [Math.log(1 / n), Math.log(1 / m)];
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  const terms = new Float64Array(Math.max(n, m));
  const fUpdate = (i: number) => {
    for (let j = 0; j < m; j++) terms[j] = logB + (g[j] - C[i * m + j]) / epsilon;
    return -epsilon * lse(terms.subarray(0, m));
  };
  for (let i = 0; i < n; i++) f[i] = fUpdate(i);
  for (let it = 1; it <= maxIterations; it++) {
    for (let j = 0; j < m; j++) {
      for (let i = 0; i < n; i++) terms[i] = logA + (f[i] - C[i * m + j]) / epsilon;
      g[j] = -epsilon * lse(terms.subarray(0, n));
    }
    // Row i of P sums to a_i e^{(f_i − f'_i)/ε}, f' the next f-update.
    let err = 0;
    const next = Float64Array.from({ length: n }, (_, i) => fUpdate(i));
    for (let i = 0; i < n; i++) err += Math.abs(Math.exp((f[i] - next[i]) / epsilon) - 1) / n;
    if (!(err >= tolerance) || it === maxIterations) break;
    f.set(next);
  }
  let w = 0;
  for (let i = 0; i < n; i++) w += f[i] / n;
  for (let j = 0; j < m; j++) w += g[j] / m;
  return w;
}

export function columnMeans(x: ArrayLike<number>, d: number): number[] {
  const n = x.length / d;
  const out = new Array<number>(d).fill(0);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) out[j] += x[r * d + j] / n;
  return out;
}

/** ‖mean(x̂) − mean(x)‖₂. */
export function meanDistance(xhat: ArrayLike<number>, x: ArrayLike<number>, d: number): number {
  const a = columnMeans(xhat, d);
  const b = columnMeans(x, d);
  return Math.sqrt(a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0));
}

/**
 * KDE negative log-likelihood: an isotropic Gaussian KDE on the predicted samples with Scott's
 * bandwidth h = n^{−1/(d+4)}, averaged over the true samples:
 * log p̂(x) = LSE_i(−‖x − x̂_i‖²/(2h²)) − log n − d log h − (d/2) log 2π.
 */
export function kdeNll(xhat: ArrayLike<number>, x: ArrayLike<number>, d: number): number {
  const n = xhat.length / d;
  const m = x.length / d;
  const h = n ** (-1 / (d + 4));
  const terms = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < m; r++) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (x[r * d + k] - xhat[i * d + k]) ** 2;
      terms[i] = -s / (2 * h * h);
    }
    total += lse(terms) - Math.log(n) - d * Math.log(h) - (d / 2) * Math.log(2 * Math.PI);
  }
  return -total / m;
}

/** Pearson correlation across variables of the predicted and true mean shifts from control. */
export function pearsonOfShifts(
  xhat: ArrayLike<number>,
  x: ArrayLike<number>,
  control: ArrayLike<number>,
  d: number,
): number {
  const c = columnMeans(control, d);
  const p = columnMeans(xhat, d).map((v, j) => v - c[j]);
  const t = columnMeans(x, d).map((v, j) => v - c[j]);
  return pearson(p, t);
}

export function pearson(a: number[], b: number[]): number {
  const ma = a.reduce((s, v) => s + v, 0) / a.length;
  const mb = b.reduce((s, v) => s + v, 0) / b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  a.forEach((v, k) => {
    sab += (v - ma) * (b[k] - mb);
    saa += (v - ma) ** 2;
    sbb += (b[k] - mb) ** 2;
  });
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}
