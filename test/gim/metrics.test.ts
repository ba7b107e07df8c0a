/**
 * Metrics of spec §10 against hand-derived values, closed forms and an independent brute-force
 * SID (the adjustment formula evaluated exactly in a random linear-Gaussian SEM).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { erdosRenyi } from "../../gim/data/random-graphs.js";
import {
  edgeF1,
  entropicWasserstein,
  kdeNll,
  meanDistance,
  pearson,
  pearsonOfShifts,
  sid,
  targetF1,
} from "../../gim/eval/metrics.js";
import { Random } from "../../gim/data/random.js";
import { HostRandom } from "../../engine/host-random.js";

/** Solves A x = b (Gaussian elimination with partial pivoting; A small and well conditioned). */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    const p = M.reduce((best, row, r) => (r >= c && Math.abs(row[c]) > Math.abs(M[best][c]) ? r : best), c);
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const factor = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= factor * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}

/**
 * SID from its definition (Peters & Bühlmann 2015), independent of the graphical criterion: in a
 * linear-Gaussian SEM on G with generic random weights, Ĝ's parent set Z = pa_Ĝ(i) is wrong for
 * (i, j) iff the adjustment formula ∫ p(x_j | x_i, z) p(z) dz differs from p(x_j | do(x_i)), and
 * for j ∈ Z (Ĝ claims no effect) iff p(x_j | do(x_i)) differs from p(x_j). Gaussians are compared
 * by slope in x_i and variance, computed exactly from the covariance Σ = Aᵀ D A, A = (I − B)⁻¹.
 */
function sidByAdjustmentFormula(G: number[][], Ghat: number[][], rng: Random): number {
  const d = G.length;
  const B = G.map((row) => row.map((e) => (e ? rng.sign() * rng.between(0.5, 1.5) : 0)));
  const noise = G.map(() => rng.between(0.5, 1.5));
  // A = (I − B)⁻¹ = Σ_k B^k (B is nilpotent): A[i][j] sums the path products from i to j.
  const A: number[][] = G.map((_, i) => G.map((_, j) => (i === j ? 1 : 0)));
  let power = A.map((r) => r.slice());
  for (let k = 1; k < d; k++) {
    power = power.map((row) => B[0].map((_, j) => row.reduce((s, v, m) => s + v * B[m][j], 0)));
    power.forEach((row, i) => row.forEach((v, j) => (A[i][j] += v)));
  }
  const cov = (a: number, b: number) => noise.reduce((s, D, k) => s + D * A[k][a] * A[k][b], 0);
  const same = (u: number, v: number) => Math.abs(u - v) <= 1e-9 * (1 + Math.abs(u) + Math.abs(v));
  let errors = 0;
  for (let i = 0; i < d; i++) {
    const Z = Ghat.flatMap((row, k) => (row[i] ? [k] : []));
    for (let j = 0; j < d; j++) {
      if (i === j) continue;
      // do(x_i): x_j = A[i][j] x_i + Σ_{k≠i} ε_k A'[k][j]; A' = A of G without the edges into i,
      // and a path from k ≠ i through i contributes nothing once i is fixed: A'[k][j] = A[k][j] − A[k][i] A[i][j].
      const doSlope = A[i][j];
      const doVar = noise.reduce((s, D, k) => (k === i ? s : s + D * (A[k][j] - A[k][i] * A[i][j]) ** 2), 0);
      let wrong: boolean;
      if (Z.includes(j)) wrong = !(same(doSlope, 0) && same(doVar, cov(j, j)));
      else {
        const S = [i, ...Z];
        const beta = solve(
          S.map((a) => S.map((b) => cov(a, b))),
          S.map((a) => cov(a, j)),
        );
        const residual = cov(j, j) - S.reduce((s, a, k) => s + beta[k] * cov(a, j), 0);
        const spread = Z.reduce(
          (s, a, k) => s + Z.reduce((t, b, l) => t + beta[k + 1] * cov(a, b) * beta[l + 1], 0),
          0,
        );
        wrong = !(same(beta[0], doSlope) && same(residual + spread, doVar));
      }
      if (wrong) errors++;
    }
  }
  return errors;
}

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test("Edge-F1 and Target-F1, including 0/0 → 0", () => {
  const truth = [
    [0, 1, 0],
    [0, 0, 1],
    [0, 0, 0],
  ];
  assert.is(edgeF1(truth, truth), 1);
  // TP = {0→1}, FP = {2→1}, FN = {1→2}.
  assert.is(
    edgeF1(truth, [
      [0, 1, 0],
      [0, 0, 0],
      [0, 1, 0],
    ]),
    (2 * 1) / (2 * 1 + 1 + 1),
  );
  // The diagonal is ignored.
  assert.is(
    edgeF1(truth, [
      [1, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]),
    1,
  );
  assert.is(
    edgeF1(
      [
        [0, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ),
    0,
  );
  assert.is(
    edgeF1(
      [
        [0, 0],
        [0, 0],
      ],
      [
        [0, 1],
        [0, 0],
      ],
    ),
    0,
  );
  // Micro-average: TP = (0,0), FP = (0,1), FN = (1,1) over all (env, variable) pairs.
  assert.is(
    targetF1(
      [
        [1, 0],
        [0, 1],
      ],
      [
        [1, 1],
        [0, 0],
      ],
    ),
    (2 * 1) / (2 + 1 + 1),
  );
  assert.is(
    targetF1(
      [
        [0, 0],
        [0, 0],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ),
    0,
  );
});

const chain = [
  [0, 1, 0],
  [0, 0, 1],
  [0, 0, 0],
]; // 0 → 1 → 2

test("SID: identical graphs 0; hand-derived values on 3-node graphs", () => {
  const empty = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  assert.is(sid(chain, chain), 0);
  // Ĝ empty, so Z = ∅ for every i. (0,1), (0,2), (1,2): no back-door path in a chain, ∅ is valid.
  // (1,0), (2,0), (2,1): the true effect is zero, but ∅ leaves i and j d-connected (j → … → i),
  // so p(x_j | x_i) ≠ p(x_j): 3 errors.
  assert.is(sid(chain, empty), 3);
  // G empty, Ĝ the chain: every parent set is harmless when G has no edges.
  assert.is(sid(empty, chain), 0);
  // Ĝ = 2 → 1 → 0. i = 0, Z = {1}: (0,1) j ∈ Z ∩ De(0) ✗; (0,2) 1 ∈ Forb = De(CN) ∪ {0} ✗.
  // i = 1, Z = {2}: (1,2) j ∈ Z ∩ De(1) ✗; (1,0) {2} does not block 0 → 1 ✗.
  // i = 2, Z = ∅: (2,0), (2,1) d-connected, effect zero ✗. All 6 pairs.
  assert.is(
    sid(chain, [
      [0, 0, 0],
      [1, 0, 0],
      [0, 1, 0],
    ]),
    6,
  );
  // G: 0 → 1, 0 → 2, 1 → 2 (0 confounds 1 → 2); Ĝ: 1 → 2 only.
  // i = 0, Z = ∅: 0 is a root, (0,1), (0,2) fine. i = 1, Z = ∅: (1,0) 0 → 1 unblocked ✗; (1,2)
  // back-door 1 ← 0 → 2 open ✗. i = 2, Z = {1}: (2,1) j ∈ Z, 1 ∉ De(2) fine; (2,0) edge 0 → 2 ✗.
  assert.is(
    sid(
      [
        [0, 1, 1],
        [0, 0, 1],
        [0, 0, 0],
      ],
      [
        [0, 0, 0],
        [0, 0, 1],
        [0, 0, 0],
      ],
    ),
    3,
  );
});

test("SID: hand-derived value on a 4-node diamond", () => {
  // G: 0 → 1, 0 → 2, 1 → 3, 2 → 3. Ĝ reverses 1 → 3: 0 → 1, 0 → 2, 2 → 3, 3 → 1.
  // i = 0, Z = ∅: a root, all fine. i = 1, Z = {0, 3}: (1,0) 0 ∉ De(1) fine; (1,3) 3 ∈ Z ∩ De(1) ✗;
  // (1,2) conditioning on the collider 3 opens 1 → 3 ← 2 ✗. i = 2, Z = {0}: (2,0) fine; (2,1) 0
  // blocks 2 ← 0 → 1, the collider 3 stays closed: fine; (2,3) CN = {3}, 0 blocks 2 ← 0 → 1 → 3 in
  // G minus 2 → 3: fine. i = 3, Z = {2}: (3,2) fine; (3,0), (3,1) 3 ← 1 (← 0) is open ✗✗. Total 4.
  const G = [
    [0, 1, 1, 0],
    [0, 0, 0, 1],
    [0, 0, 0, 1],
    [0, 0, 0, 0],
  ];
  const Ghat = [
    [0, 1, 1, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
    [0, 1, 0, 0],
  ];
  assert.is(sid(G, Ghat), 4);
  assert.is(sidByAdjustmentFormula(G, Ghat, new Random(1)), 4);
  // A supergraph that only adds the edge 0 → 1 between the collider's parents keeps every
  // parent set valid for the collider 0 → 2 ← 1.
  assert.is(
    sid(
      [
        [0, 0, 1],
        [0, 0, 1],
        [0, 0, 0],
      ],
      [
        [0, 1, 1],
        [0, 0, 1],
        [0, 0, 0],
      ],
    ),
    0,
  );
});

test("SID agrees with the brute-force adjustment formula on random small DAGs", () => {
  const rng = new Random(3);
  let nonzero = 0;
  for (let k = 0; k < 60; k++) {
    const d = 3 + (k % 4);
    const g = erdosRenyi(d, 1.2, rng);
    const h = k % 3 === 0 ? g : erdosRenyi(d, 1.2, rng);
    const expected = sidByAdjustmentFormula(g, h, rng);
    assert.is(sid(g, h), expected, `case ${k}: G ${JSON.stringify(g)}, Ĝ ${JSON.stringify(h)}`);
    if (expected > 0) nonzero++;
  }
  assert.ok(nonzero > 20, `only ${nonzero} cases with a nonzero SID`);
});

test("KDE-NLL with one predicted point equals the Gaussian closed form", () => {
  const d = 2;
  const xhat = [0.5, -1];
  const x = [1, 0, -0.5, 2];
  const h = 1; // n = 1 ⇒ h = 1^{−1/(d+4)} = 1
  const nll = (p: number[]) =>
    ((p[0] - 0.5) ** 2 + (p[1] + 1) ** 2) / (2 * h * h) + d * Math.log(h) + (d / 2) * Math.log(2 * Math.PI);
  close(kdeNll(xhat, x, d), (nll([1, 0]) + nll([-0.5, 2])) / 2, 1e-12, "KDE-NLL");
  // Two identical predicted points: h = 2^{−1/6}, the same Gaussian, now narrower.
  const h2 = 2 ** (-1 / 6);
  const nll2 = (p: number[]) =>
    ((p[0] - 0.5) ** 2 + (p[1] + 1) ** 2) / (2 * h2 * h2) + d * Math.log(h2) + (d / 2) * Math.log(2 * Math.PI);
  close(kdeNll([...xhat, ...xhat], x, d), (nll2([1, 0]) + nll2([-0.5, 2])) / 2, 1e-12, "KDE-NLL, n = 2");
});

test("W_ε: n = m = 1 is the squared distance; n = m = 2 matches the closed-form optimum", () => {
  close(entropicWasserstein([1, 2], [4, 6], 2), 25, 1e-9, "n = m = 1");
  // With a = b = ½ the plan is P = [[t, ½−t], [½−t, t]]; minimising ⟨C,P⟩ + ε KL(P ‖ a⊗b) over t
  // gives t/(½−t) = exp(−Δ/(2ε)) with Δ = C00 + C11 − C01 − C10, and W_ε is that minimum.
  const closedForm = (xhat: number[], x: number[], eps: number) => {
    const c = (i: number, j: number) => (xhat[2 * i] - x[2 * j]) ** 2 + (xhat[2 * i + 1] - x[2 * j + 1]) ** 2;
    const delta = c(0, 0) + c(1, 1) - c(0, 1) - c(1, 0);
    const r = Math.exp(-delta / (2 * eps));
    const t = (0.5 * r) / (1 + r);
    const kl = (p: number) => (p > 0 ? p * Math.log(p / 0.25) : 0);
    return t * (c(0, 0) + c(1, 1)) + (0.5 - t) * (c(0, 1) + c(1, 0)) + eps * 2 * (kl(t) + kl(0.5 - t));
  };
  const xhat = [0, 0, 0.3, 0.1];
  const x = [0.35, 0, 0.05, 0.2];
  close(entropicWasserstein(xhat, x, 2, 0.1, 1e-12, 10000), closedForm(xhat, x, 0.1), 1e-9, "ε = 0.1");
  // Small ε: the assignment (0 ↔ 0.2), (10 ↔ 10.1), cost (0.04 + 0.01)/2, plus ε log 2.
  const far = [0, 0, 10, 0];
  const near = [10.1, 0, 0.2, 0];
  close(entropicWasserstein(far, near, 2, 1e-3, 1e-9, 5000), 0.025 + 1e-3 * Math.log(2), 1e-4, "ε → 0");
  close(
    entropicWasserstein(near, far, 2, 1e-3, 1e-9, 5000),
    entropicWasserstein(far, near, 2, 1e-3, 1e-9, 5000),
    1e-6,
    "symmetry",
  );
});

/** Sinkhorn's updates in the log domain, one log-sum-exp per entry and update: what the stabilised W_ε must equal. */
function logDomainWasserstein(xhat: number[], x: number[], d: number, eps: number, tolerance: number, cap: number) {
  const n = xhat.length / d;
  const m = x.length / d;
  const C = (i: number, j: number) => {
    let c = 0;
    for (let k = 0; k < d; k++) c += (xhat[i * d + k] - x[j * d + k]) ** 2;
    return c;
  };
  const lse = (v: number[]) => {
    const top = Math.max(...v);
    return top + Math.log(v.reduce((s, t) => s + Math.exp(t - top), 0));
  };
  let f = new Array<number>(n).fill(0);
  const g = new Array<number>(m).fill(0);
  for (let it = 0; it <= cap; it++) {
    const next = f.map((_, i) => -eps * lse(g.map((gj, j) => -Math.log(m) + (gj - C(i, j)) / eps)));
    if (it > 0) {
      const err = f.reduce((s, fi, i) => s + Math.abs(Math.exp((fi - next[i]) / eps) - 1) / n, 0);
      if (err < tolerance || it === cap) break;
    }
    f = next;
    for (let j = 0; j < m; j++) g[j] = -eps * lse(f.map((fi, i) => -Math.log(n) + (fi - C(i, j)) / eps));
  }
  return f.reduce((s, v) => s + v / n, 0) + g.reduce((s, v) => s + v / m, 0);
}

test("W_ε: the stabilised Sinkhorn gives the log-domain iterates, converged or cut off, through many absorptions", () => {
  const rng = new HostRandom(31);
  const cloud = (count: number, d: number, scale: number, shift: number) =>
    Array.from({ length: count * d }, () => rng.normal() * scale + shift);
  const cases: [string, number, number, number, number, number, number, number][] = [
    // label, n, m, d, scale, shift, ε, iteration cap
    ["overlapping, ε = 0.1", 40, 30, 5, 1, 0, 0.1, 2000],
    ["apart, ε = 0.1", 30, 40, 10, 1, 3, 0.1, 2000],
    ["ε = 10⁻³: costs of 10⁵ ε, absorbed often", 25, 20, 2, 10, 1, 1e-3, 2000],
    ["cut off after 3 iterations", 20, 20, 3, 1, 0.5, 0.05, 3],
    ["cut off after 0 iterations", 10, 12, 3, 1, 0.5, 0.05, 0],
  ];
  for (const [label, n, m, d, scale, shift, eps, cap] of cases) {
    const xhat = cloud(n, d, scale, 0);
    const x = cloud(m, d, scale, shift);
    const want = logDomainWasserstein(xhat, x, d, eps, 1e-3, cap);
    close(entropicWasserstein(xhat, x, d, eps, 1e-3, cap), want, 1e-9 * Math.max(1, Math.abs(want)), label);
  }
});

test("W_ε stays finite for samples of 1e30 (costs float64 cannot resolve to ε): the optimal assignment's cost", () => {
  // Assignment (0 ↔ 1e30), (2e30 ↔ 3e30): mean cost 1e60; ε log-terms vanish at this scale.
  const w = entropicWasserstein([0, 2e30], [1e30, 3e30], 1);
  assert.ok(Number.isFinite(w), `W_ε = ${w}`);
  close(w, 1e60, 1e-9 * 1e60, "huge costs");
  // A diverging model's predictions beside data of unit scale.
  const rng = new HostRandom(4);
  const wild = Array.from({ length: 40 }, (_, k) => (k % 5 === 0 ? 1e50 : rng.normal()));
  const data = Array.from({ length: 40 }, () => rng.normal());
  assert.ok(Number.isFinite(entropicWasserstein(wild, data, 2)), "mixed scales");
});

test("mean distance, Pearson ±1 and Pearson of shifts", () => {
  close(meanDistance([0, 0, 2, 2], [1, 1, 1, 1], 2), 0, 1e-12, "same means");
  close(meanDistance([3, 4], [0, 0], 2), 5, 1e-12, "3-4-5");
  close(pearson([1, 2, 3], [2, 4, 6]), 1, 1e-12, "+1");
  close(pearson([1, 2, 3], [3, 2, 1]), -1, 1e-12, "−1");
  assert.is(pearson([1, 1, 1], [1, 2, 3]), 0);
  // Control means (0, 0, 0); truth shifts (1, 2, 4); predictions 3× them, and the negation.
  const control = [1, -1, 0, -1, 1, 0];
  const truth = [1, 2, 4];
  assert.ok(Math.abs(pearsonOfShifts([3, 6, 12], truth, control, 3) - 1) < 1e-12);
  assert.ok(Math.abs(pearsonOfShifts([-1, -2, -4, -1, -2, -4], truth, control, 3) + 1) < 1e-12);
});

test.run();
