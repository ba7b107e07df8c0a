// The numbers of docs/results.md from per-run records (one per family, d, seed and trained method):
// mean ± standard error over seeds per method and metric, and the paper's claims decided on paired
// per-seed differences. Pure (no files, no processes), so test/results-table.test.ts feeds it
// fabricated runs; scripts/results/markdown.mjs renders what it returns. Types: table.d.mts.

/** Families in table order: `${mechanism}-${intervention}-${graph}` of scripts/external-check/generate.py. */
export const FAMILIES = ["linear", "mlp"].flatMap((m) =>
  ["hard", "shift"].flatMap((i) => ["er", "sf"].map((g) => `${m}-${i}-${g}`)),
);
export const SPLITS = ["train", "train-fresh", "partial-ood", "full-ood", "test"];
export const PREDICTION = ["meanDistance", "wasserstein", "kdeNll"];
const METHOD_ORDER = [
  "true graph",
  "GIM",
  "GIM (MAP targets)",
  "GIM (vote of 5)",
  "GIM (vote of 5) (MAP targets)",
  "GIM (vote-refit of 5)",
  "GIM (vote-refit of 5) (MAP targets)",
  "BaCaDI*",
  "mean-shift MLP",
  "observational",
];

/** A difference decides a claim when it clears this many standard errors (≈ 88 % two-sided at 5 seeds, t₄). */
export const DECIDE_SE = 2;
/** "Partially-OOD Target-F1 ≈ in-distribution": the difference's 2-s.e. interval must lie within ±this. */
export const EQUIVALENCE_MARGIN = 0.05;

/** Mean and standard error s/√n (s with n − 1); se is NaN below two values, mean NaN for none. */
export function meanSe(values) {
  const n = values.length;
  const mean = n === 0 ? Number.NaN : values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, se: Number.NaN, n };
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n), n };
}

/**
 * One run's values as (method, metric, value). A GIM run (one run or the vote of restarts) carries
 * the baselines too (they do not depend on the model: both give the same values for a dataset;
 * BaCaDI*'s eval repeats them on the train split, and those copies are skipped). BaCaDI* cannot predict unseen perturbations, so it has values for the train and train-fresh splits only. Metric names:
 * edgeF1, sid, edges, cycleEdgesDropped, and `${metric}:${split}` for targetF1 and PREDICTION.
 */
export function observations(run) {
  const out = [];
  const put = (method, metric, value) => {
    if (typeof value === "number" && Number.isFinite(value)) out.push({ method, metric, value });
  };
  if (run.graph) {
    put(run.method, "edgeF1", run.graph.edgeF1);
    put(run.method, "sid", run.graph.sid);
    put(run.method, "edges", run.graph.edges);
    if (run.method !== "BaCaDI*") put("true graph", "edges", run.graph.trueEdges);
  }
  put(run.method, "cycleEdgesDropped", run.cycleEdgesDropped);
  for (const s of run.splits) {
    if (s.method === "GIM") {
      put(run.method, `targetF1:${s.split}`, s.targetF1);
      for (const m of PREDICTION) put(run.method, `${m}:${s.split}`, s[m]);
      if (s.mapTargets)
        for (const m of PREDICTION) put(`${run.method} (MAP targets)`, `${m}:${s.split}`, s.mapTargets[m]);
    } else if (run.method !== "BaCaDI*") {
      for (const m of PREDICTION) put(s.method, `${m}:${s.split}`, s[m]);
    }
  }
  return out;
}

const familyRank = (f) => (FAMILIES.includes(f) ? FAMILIES.indexOf(f) : FAMILIES.length);
const methodRank = (m) => (METHOD_ORDER.includes(m) ? METHOD_ORDER.indexOf(m) : METHOD_ORDER.length);

/**
 * Runs grouped by (family, d), in table order: each group's values per method, metric and seed
 * (`values.get(method).get(metric).get(seed)`), its seeds, and its methods in row order.
 */
export function groupRuns(runs) {
  const groups = new Map();
  for (const run of runs) {
    const key = `${run.family} · d = ${run.d}`;
    if (!groups.has(key)) groups.set(key, { key, family: run.family, d: run.d, seeds: new Set(), values: new Map() });
    const g = groups.get(key);
    g.seeds.add(run.seed);
    for (const { method, metric, value } of observations(run)) {
      if (!g.values.has(method)) g.values.set(method, new Map());
      const byMetric = g.values.get(method);
      if (!byMetric.has(metric)) byMetric.set(metric, new Map());
      byMetric.get(metric).set(run.seed, value);
    }
  }
  return [...groups.values()]
    .map((g) => ({
      ...g,
      seeds: [...g.seeds].sort((a, b) => a - b),
      methods: [...g.values.keys()].sort((a, b) => methodRank(a) - methodRank(b) || a.localeCompare(b)),
      splits: SPLITS.filter((s) => [...g.values.values()].some((m) => [...m.keys()].some((k) => k.endsWith(`:${s}`)))),
    }))
    .sort((a, b) => a.d - b.d || familyRank(a.family) - familyRank(b.family) || a.family.localeCompare(b.family));
}

/** mean ± s.e. of one cell of a group's table; n = 0 (mean NaN) where no seed has the value. */
export function cell(group, method, metric) {
  const bySeed = group.values.get(method)?.get(metric);
  return meanSe(bySeed ? [...bySeed.values()] : []);
}

/** Issue #13's bar on one split: GIM's mean distance within 3× of the mean-shift MLP's. */
function withinOfMlp(scope, split) {
  return {
    text: `${scope} (issue #13's bar, not the paper's): GIM within 3× of the mean-shift MLP (mean distance; difference GIM − 3·MLP, lower is better)`,
    families: () => true,
    a: ["GIM", `meanDistance:${split}`],
    b: ["mean-shift MLP", `meanDistance:${split}`],
    want: "less",
    scaleB: 3,
  };
}

/**
 * The paper's claims (Figures 2–3), each on paired per-seed differences a − b within a family.
 * want: "greater"/"less" (a above/below b), or "equal" (within ±margin). scaleB (default 1): the
 * difference is a − scaleB·b ("within 3× of b" is a − 3b < 0).
 */
export const CLAIMS = [
  {
    text: "Nonlinear structure: GIM > BaCaDI* (Edge-F1, higher is better)",
    families: (f) => f.startsWith("mlp-"),
    a: ["GIM", "edgeF1"],
    b: ["BaCaDI*", "edgeF1"],
    want: "greater",
  },
  {
    text: "Nonlinear structure: GIM > BaCaDI* (SID, lower is better)",
    families: (f) => f.startsWith("mlp-"),
    a: ["GIM", "sid"],
    b: ["BaCaDI*", "sid"],
    want: "less",
  },
  {
    text: `Partially-OOD Target-F1 ≈ in-distribution (GIM; ≈: within ±${EQUIVALENCE_MARGIN})`,
    families: () => true,
    a: ["GIM", "targetF1:partial-ood"],
    b: ["GIM", "targetF1:train"],
    want: "equal",
    margin: EQUIVALENCE_MARGIN,
  },
  {
    text: "Fully OOD: GIM better than the mean-shift MLP (mean distance, lower is better)",
    families: () => true,
    a: ["GIM", "meanDistance:full-ood"],
    b: ["mean-shift MLP", "meanDistance:full-ood"],
    want: "less",
  },
  {
    text: "Fully OOD: GIM better than the mean-shift MLP (W_ε, lower is better)",
    families: () => true,
    a: ["GIM", "wasserstein:full-ood"],
    b: ["mean-shift MLP", "wasserstein:full-ood"],
    want: "less",
  },
  withinOfMlp("In distribution on new samples", "train-fresh"),
  withinOfMlp("Partially OOD", "partial-ood"),
  {
    text: "Restarts (ours, not the paper's): the vote of 5 restarts' graphs > one run (Edge-F1, higher is better)",
    families: () => true,
    a: ["GIM (vote of 5)", "edgeF1"],
    b: ["GIM", "edgeF1"],
    want: "greater",
  },
];

/**
 * "holds", "does not hold" or "undecided" for a difference (mean ± s.e. over n pairs): a
 * direction holds when the difference clears DECIDE_SE s.e. that way and fails when it clears
 * them the other way; "equal" holds when the whole ±DECIDE_SE s.e. interval lies within ±margin
 * and fails when it lies outside. Fewer than two pairs give no s.e.: undecided.
 */
export function verdict(diff, want, margin = 0) {
  if (diff.n < 2) return "undecided";
  const k = DECIDE_SE * diff.se;
  if (want === "equal") {
    const off = Math.abs(diff.mean);
    if (off + k <= margin) return "holds";
    return off - k > margin ? "does not hold" : "undecided";
  }
  const toward = want === "greater" ? diff.mean : -diff.mean;
  if (toward > k) return "holds";
  return toward < -k ? "does not hold" : "undecided";
}

/** Paired differences a − b over the seeds where both exist. */
function pairs(group, claim) {
  const a = group.values.get(claim.a[0])?.get(claim.a[1]) ?? new Map();
  const b = group.values.get(claim.b[0])?.get(claim.b[1]) ?? new Map();
  const seeds = [...a.keys()].filter((s) => b.has(s));
  return { a: seeds.map((s) => a.get(s)), b: seeds.map((s) => b.get(s)) };
}

/**
 * Each claim per family (its groups) and pooled over all of them (every (family, seed) pair one
 * observation): a, b, the paired difference, each with mean ± s.e., and the verdict.
 */
export function decideClaims(groups) {
  return CLAIMS.map((claim) => {
    const rows = [];
    const pooled = { a: [], b: [] };
    for (const g of groups.filter((g) => claim.families(g.family))) {
      const p = pairs(g, claim);
      if (p.a.length === 0) continue;
      pooled.a.push(...p.a);
      pooled.b.push(...p.b);
      rows.push(row(g.key, p, claim));
    }
    return { claim, rows, pooled: row("pooled", pooled, claim) };
  });
}

function row(scope, p, claim) {
  const diff = meanSe(p.a.map((v, k) => v - (claim.scaleB ?? 1) * p.b[k]));
  return { scope, a: meanSe(p.a), b: meanSe(p.b), diff, verdict: verdict(diff, claim.want, claim.margin) };
}
