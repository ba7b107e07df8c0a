/**
 * The results table of docs/results.md (scripts/results/), without training: fabricated run records
 * go into the table builder, and the means, standard errors, "—" cells and claim verdicts are
 * checked against values worked out by hand.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { SplitScores } from "../gim/eval/evaluate.js";
import { formatCell, formatDuration, resultsMarkdown } from "../scripts/results/markdown.mjs";
import { type RunRecord, cell, decideClaims, groupRuns, meanSe, verdict } from "../scripts/results/table.mjs";

const SPLITS = ["train", "partial-ood", "full-ood"] as const;

/** A split row; prediction metrics from one number v (mean distance v, W_ε 10v, KDE-NLL 100v). */
function row(method: string, split: SplitScores["split"], v: number, targetF1: number | null = null): SplitScores {
  return { method, split, envs: 40, meanDistance: v, wasserstein: 10 * v, kdeNll: 100 * v, pearson: 0.9, targetF1 };
}

/** A GIM run: its own rows (Target-F1 per split), MAP-target rows, and the baselines' rows. */
function gimRun(family: string, seed: number, edgeF1: number, tf1: number[], md: number[], mlp: number[]): RunRecord {
  const splits = SPLITS.flatMap((s, k) => [
    { ...row("GIM", s, md[k], tf1[k]), mapTargets: { meanDistance: md[k] / 2, wasserstein: 0, kdeNll: 0, pearson: 1 } },
    row("observational", s, 7),
    row("mean-shift MLP", s, mlp[k]),
  ]);
  return record(family, seed, "GIM", edgeF1, splits);
}

/** A BaCaDI* run: train split only, whose baseline rows are made wrong on purpose (they must be ignored). */
function bacadiRun(family: string, seed: number, edgeF1: number): RunRecord {
  const splits = [row("GIM", "train", 0.5, 0.6), row("observational", "train", 99), row("mean-shift MLP", "train", 99)];
  return record(family, seed, "BaCaDI*", edgeF1, splits);
}

function record(family: string, seed: number, method: string, edgeF1: number, splits: SplitScores[]): RunRecord {
  return {
    family,
    d: 10,
    seed,
    method,
    backend: "cpu",
    adapter: null,
    steps: 300,
    seconds: { train: 60, eval: 30 },
    cycleEdgesDropped: 0,
    graph: { edgeF1, sid: Math.round(20 * (1 - edgeF1)), edges: 12, trueEdges: 10 },
    splits,
  };
}

// mlp-hard-er, 3 seeds: GIM's Edge-F1 is BaCaDI*'s + 0.05 on every seed (the seeds themselves vary
// a lot, so only the paired difference decides); fully OOD GIM is worse than the MLP on every seed.
const gimEdge = [0.5, 0.7, 0.9];
const runs: RunRecord[] = [1, 2, 3].flatMap((seed, k) => [
  gimRun("mlp-hard-er", seed, gimEdge[k], [0.8, 0.8 + 0.01 * k, 0.5], [1, 2, 3 + k], [0.1, 0.5, 2 + k]),
  bacadiRun("mlp-hard-er", seed, gimEdge[k] - 0.05),
]);
// linear-hard-er, 1 seed: no standard errors anywhere.
runs.push(gimRun("linear-hard-er", 1, 0.8, [0.9, 0.7, 0.6], [1, 1, 1], [0.1, 0.2, 3]));

test("meanSe: mean and s/√n; no s.e. below two values; NaN for none", () => {
  const m = meanSe([1, 2, 3, 4]);
  assert.is(m.mean, 2.5);
  assert.ok(Math.abs(m.se - Math.sqrt(5 / 3) / 2) < 1e-12);
  assert.is(m.n, 4);
  assert.ok(Number.isNaN(meanSe([3]).se));
  assert.is(meanSe([3]).mean, 3);
  assert.ok(Number.isNaN(meanSe([]).mean));
});

test("groups: cells are mean ± s.e. over seeds; BaCaDI* has no OOD values; baselines come from GIM's runs", () => {
  const groups = groupRuns(runs);
  assert.equal(
    groups.map((g) => g.key),
    ["linear-hard-er · d = 10", "mlp-hard-er · d = 10"],
  );
  const g = groups[1];
  assert.equal(g.seeds, [1, 2, 3]);
  assert.equal(g.methods, ["true graph", "GIM", "GIM (MAP targets)", "BaCaDI*", "mean-shift MLP", "observational"]);
  const edge = cell(g, "GIM", "edgeF1");
  assert.ok(Math.abs(edge.mean - 0.7) < 1e-12 && Math.abs(edge.se - 0.2 / Math.sqrt(3)) < 1e-12);
  assert.is(cell(g, "BaCaDI*", "targetF1:train").mean, 0.6);
  assert.is(cell(g, "BaCaDI*", "meanDistance:full-ood").n, 0);
  assert.is(cell(g, "BaCaDI*", "targetF1:partial-ood").n, 0);
  // BaCaDI*'s eval repeats the baselines with 99s: they must not leak into the MLP's cells.
  assert.ok(Math.abs(cell(g, "mean-shift MLP", "meanDistance:train").mean - 0.1) < 1e-12);
  assert.is(cell(g, "mean-shift MLP", "kdeNll:full-ood").mean, 300);
  assert.is(cell(g, "GIM (MAP targets)", "meanDistance:full-ood").mean, 2);
  assert.is(cell(g, "mean-shift MLP", "edgeF1").n, 0);
  assert.is(cell(g, "true graph", "edges").mean, 10);
});

test("verdicts: a direction needs 2 s.e., ≈ needs the interval inside the margin, one pair decides nothing", () => {
  assert.is(verdict({ mean: 0.3, se: 0.1, n: 5 }, "greater"), "holds");
  assert.is(verdict({ mean: 0.15, se: 0.1, n: 5 }, "greater"), "undecided");
  assert.is(verdict({ mean: -0.3, se: 0.1, n: 5 }, "greater"), "does not hold");
  assert.is(verdict({ mean: -0.3, se: 0.1, n: 5 }, "less"), "holds");
  assert.is(verdict({ mean: 0, se: 0, n: 5 }, "less"), "undecided");
  assert.is(verdict({ mean: 0.3, se: 0, n: 1 }, "greater"), "undecided");
  assert.is(verdict({ mean: 0.01, se: 0.01, n: 5 }, "equal", 0.05), "holds");
  assert.is(verdict({ mean: -0.04, se: 0.01, n: 5 }, "equal", 0.05), "undecided");
  assert.is(verdict({ mean: 0.2, se: 0.01, n: 5 }, "equal", 0.05), "does not hold");
});

test("claims: paired differences per family and pooled, on the right families", () => {
  const claims = decideClaims(groupRuns(runs));
  const [edge, , targets, fullOod] = claims;
  // Only the MLP family counts for the nonlinear claim; the difference is exactly 0.05 per seed (s.e. 0).
  assert.equal(
    edge.rows.map((r) => r.scope),
    ["mlp-hard-er · d = 10"],
  );
  assert.ok(Math.abs(edge.rows[0].diff.mean - 0.05) < 1e-12 && edge.rows[0].diff.se < 1e-12);
  assert.is(edge.rows[0].verdict, "holds");
  assert.is(edge.pooled.verdict, "holds");
  // Partial − in-dist. Target-F1: 0, 0.01, 0.02 on mlp (inside ±0.05), −0.2 on the single linear seed.
  assert.is(targets.rows[0].verdict, "undecided");
  assert.is(targets.rows[1].verdict, "holds");
  assert.is(targets.pooled.diff.n, 4);
  // Fully OOD GIM − MLP mean distance: 1, 1, 1 on mlp (does not hold), 1 − 3 = −2 on linear.
  assert.is(fullOod.rows[1].verdict, "does not hold");
  assert.is(fullOod.rows[0].diff.mean, -2);
  assert.is(fullOod.pooled.diff.mean, (3 - 2) / 4);
});

test("within 3×: the difference is GIM − 3·MLP on the train-fresh split, paired per seed", () => {
  const fresh = (seed: number, gim: number, mlp: number) =>
    record("linear-hard-er", seed, "GIM", 0.8, [
      row("GIM", "train-fresh", gim, 0.9),
      row("mean-shift MLP", "train-fresh", mlp),
      row("observational", "train-fresh", 7),
    ]);
  const within = (records: RunRecord[]) =>
    decideClaims(groupRuns(records)).find((c) => c.claim.a[1] === "meanDistance:train-fresh")!.pooled;
  // 1 − 2.7, 1.2 − 3, 0.8 − 2.4: −1.7 ± 0.058.
  const holds = within([fresh(1, 1, 0.9), fresh(2, 1.2, 1), fresh(3, 0.8, 0.8)]);
  assert.ok(Math.abs(holds.diff.mean + 1.7) < 1e-12, String(holds.diff.mean));
  assert.is(holds.verdict, "holds");
  // 3.5 − 3, 3.4 − 3, 3.7 − 3: 3.4–3.7× the MLP is not within 3×, though a plain GIM − MLP would be > 0 too.
  assert.is(within([fresh(1, 3.5, 1), fresh(2, 3.4, 1), fresh(3, 3.7, 1)]).verdict, "does not hold");
});

test("markdown: the runs of the grid not made (--collect) are listed per family and method", () => {
  const meta = {
    command: "node scripts/results-table.mjs --collect",
    date: "2026-01-01T00:00:00Z",
    wallSeconds: 1,
    machine: "2 × test CPU",
    generator: "generate.py",
    reused: runs.length,
    failed: [],
  };
  assert.not.ok(resultsMarkdown(runs, meta).includes("Not run"));
  const notRun = [
    { family: "mlp-shift-sf", d: 10, seed: 2, method: "GIM" },
    { family: "mlp-shift-sf", d: 10, seed: 3, method: "GIM" },
    { family: "mlp-shift-sf", d: 10, seed: 3, method: "BaCaDI*" },
  ];
  const md = resultsMarkdown(runs, { ...meta, notRun });
  assert.ok(md.includes("**Not run (3): this table covers part of the sweep asked for**"));
  assert.ok(md.includes("- mlp-shift-sf d = 10, GIM: seeds 2, 3\n- mlp-shift-sf d = 10, BaCaDI*: seed 3\n"));
});

test("markdown: header, verdicts, '—' for missing cells, (n = k) for partial cells", () => {
  const md = resultsMarkdown(runs, {
    command: "node scripts/results-table.mjs --seeds 3",
    date: "2026-01-01T00:00:00Z",
    wallSeconds: 3725,
    machine: "2 × test CPU",
    generator: "generate.py",
    reused: 2,
    failed: ["mlp-hard-er d=10 seed 4 GIM: boom"],
  });
  assert.ok(md.includes("- command: `node scripts/results-table.mjs --seeds 3`"));
  assert.ok(md.includes("- wall time: 1 h 2 min 5 s (2 of 7 runs reused"));
  assert.ok(md.includes("- mlp-hard-er d=10 seed 4 GIM: boom"));
  assert.ok(md.includes("### Nonlinear structure: GIM > BaCaDI* (Edge-F1, higher is better): **holds** (pooled)"));
  assert.ok(md.includes("| scope | GIM: Target-F1 partial OOD | GIM: Target-F1 in-dist. | difference (paired) |"));
  const lines = md.split("\n");
  const mlp = lines.findIndex((l) => l.startsWith("### mlp-hard-er · d = 10"));
  const bacadi = lines.slice(mlp).find((l) => l.startsWith("| BaCaDI* |"))!;
  // Edge-F1 0.45/0.65/0.85, SID round(20(1 − F1)) = 11/7/3, Target-F1 in-dist. 0.6, OOD —.
  assert.is(bacadi, "| BaCaDI* | 3 | 0.650 ± 0.115 | 7.0 ± 2.3 | 12.0 ± 0.0 | 0.0 ± 0.0 | 0.600 ± 0.000 | — | — |");
  const structureHeader = lines.slice(mlp).find((l) => l.startsWith("| structure |"))!;
  assert.ok(structureHeader.includes("Target-F1 full OOD ↑"));
  const linear = lines.findIndex((l) => l.startsWith("### linear-hard-er · d = 10"));
  const linearGim = lines.slice(linear).find((l) => l.startsWith("| GIM |"))!;
  assert.ok(linearGim.startsWith("| GIM | 1 | 0.800 | 4.0 | 12.0 | 0.0 | 0.900 | 0.700 | 0.600 |"), linearGim);
  assert.is(formatCell({ mean: 1.23456, se: 0.1, n: 2 }, 2, 5), "1.23 ± 0.10 (n = 2)");
  assert.is(formatCell({ mean: Number.NaN, se: Number.NaN, n: 0 }, 2), "—");
  assert.is(formatDuration(59.6), "1 min 0 s");
});

test.run();
