// docs/results.md from the run records and what the sweep knows about itself (command, date, wall
// time, machine): the header, the paper's claims with their verdicts, then per (family, d) a
// structure table and a prediction table (rows = methods, cells = mean ± s.e. over seeds).
// Pure, like table.mjs; the driver is scripts/results-table.mjs. Types: markdown.d.mts.
import { DECIDE_SE, EQUIVALENCE_MARGIN, PREDICTION, cell, decideClaims, groupRuns } from "./table.mjs";

const SPLIT_LABEL = {
  train: "in-dist.",
  "train-fresh": "in-dist. new samples",
  "partial-ood": "partial OOD",
  "full-ood": "full OOD",
  test: "test",
};
const PREDICTION_LABEL = { meanDistance: "mean dist. ↓", wasserstein: "W_ε ↓", kdeNll: "KDE-NLL ↓" };
const DIGITS = {
  edgeF1: 3,
  sid: 1,
  edges: 1,
  cycleEdgesDropped: 1,
  targetF1: 3,
  meanDistance: 3,
  wasserstein: 2,
  kdeNll: 2,
};
const METRIC_LABEL = { ...PREDICTION_LABEL, edgeF1: "Edge-F1", sid: "SID", targetF1: "Target-F1" };
const digitsOf = (metric) => DIGITS[metric.split(":")[0]];
/** "targetF1:partial-ood" → "Target-F1 partial OOD" (arrows dropped: the claim's text says which way is better). */
function metricLabel(metric) {
  const [name, split] = metric.split(":");
  const label = METRIC_LABEL[name].replace(/ [↑↓]$/, "");
  return split ? `${label} ${SPLIT_LABEL[split]}` : label;
}

/** "0.712 ± 0.031"; no s.e. below two seeds; "(n = k)" when fewer seeds than the row has; "—" for none. */
export function formatCell(c, digits, rowN = c.n) {
  if (c.n === 0) return "—";
  const se = Number.isNaN(c.se) ? "" : ` ± ${c.se.toFixed(digits)}`;
  return `${c.mean.toFixed(digits)}${se}${c.n < rowN ? ` (n = ${c.n})` : ""}`;
}

export function formatDuration(seconds) {
  const s = Math.round(seconds);
  const [h, m] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60)];
  return [h ? `${h} h` : "", h || m ? `${m} min` : "", `${s % 60} s`].filter(Boolean).join(" ");
}

function table(header, rows) {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, k) => (k === 0 ? "---" : "---:")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

/** The methods with a value in any of the metrics, each with its seed count (the row's n). */
function methodsWith(group, metrics) {
  return group.methods
    .map((method) => {
      const seeds = new Set(metrics.flatMap((m) => [...(group.values.get(method).get(m)?.keys() ?? [])]));
      return { method, n: seeds.size };
    })
    .filter((m) => m.n > 0);
}

function rowsOf(group, metrics) {
  return methodsWith(group, metrics).map(({ method, n }) => [
    method,
    String(n),
    ...metrics.map((m) => formatCell(cell(group, method, m), digitsOf(m), n)),
  ]);
}

function familySection(group) {
  const targetF1 = group.splits.map((s) => `targetF1:${s}`);
  const structure = ["edgeF1", "sid", "edges", "cycleEdgesDropped", ...targetF1];
  const prediction = PREDICTION.flatMap((m) => group.splits.map((s) => `${m}:${s}`));
  return [
    `### ${group.key} (seeds ${group.seeds.join(", ")})`,
    "",
    ...table(
      [
        "structure",
        "n",
        "Edge-F1 ↑",
        "SID ↓",
        "edges",
        "cycle edges dropped",
        ...group.splits.map((s) => `Target-F1 ${SPLIT_LABEL[s]} ↑`),
      ],
      rowsOf(group, structure),
    ),
    "",
    ...table(
      [
        "prediction",
        "n",
        ...PREDICTION.flatMap((m) => group.splits.map((s) => `${PREDICTION_LABEL[m]} ${SPLIT_LABEL[s]}`)),
      ],
      rowsOf(group, prediction),
    ),
    "",
  ];
}

function claimSection({ claim, rows, pooled }) {
  const digits = digitsOf(claim.a[1]);
  const f = (c) => formatCell(c, digits);
  const line = (r) => [r.scope, f(r.a), f(r.b), f(r.diff), String(r.diff.n), r.verdict];
  const column = ([method, metric]) => `${method}: ${metricLabel(metric)}`;
  const head = ["scope", column(claim.a), column(claim.b), "difference (paired)", "pairs", "verdict"];
  return [
    `### ${claim.text}: **${pooled.verdict}** (pooled)`,
    "",
    ...(rows.length === 0
      ? ["No runs of the families this claim is about."]
      : table(head, [...rows.map(line), line({ ...pooled, scope: "**pooled**" })])),
    "",
  ];
}

const distinct = (values) => [...new Set(values)];

/** `--collect` on a sweep not finished: the runs asked for and not made, per family and method. */
function notRunLines(notRun) {
  if (notRun.length === 0) return [];
  const byGroup = new Map();
  for (const r of notRun) {
    const key = `${r.family} d = ${r.d}, ${r.method}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), r.seed]);
  }
  return [
    "",
    `**Not run (${notRun.length}): this table covers part of the sweep asked for** (the runs below have no record yet; ` +
      "rerun the command with `--resume` instead of `--collect` to make them):",
    "",
    ...[...byGroup].map(([key, seeds]) => `- ${key}: seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")}`),
  ];
}

/**
 * meta: { command, date, wallSeconds, machine, generator, reused (runs taken from an earlier
 * invocation), failed (one line per run that failed) }.
 */
export function resultsMarkdown(runs, meta) {
  const groups = groupRuns(runs);
  const sum = (key) => runs.reduce((a, r) => a + r.seconds[key], 0);
  const backends = distinct(runs.map((r) => `${r.backend}${r.adapter ? ` (${r.adapter})` : ""}`));
  const steps = distinct(runs.map((r) => r.steps)).sort((a, b) => a - b);
  const lines = [
    "# Results: GIM, BaCaDI* and the baselines on data from an outside generator",
    "",
    "Written by `scripts/results-table.mjs` (`npm run results`); do not edit by hand, rerun it.",
    "",
    `- command: \`${meta.command}\``,
    `- date: ${meta.date}`,
    `- wall time: ${formatDuration(meta.wallSeconds)}` +
      (meta.reused > 0 ? ` (${meta.reused} of ${runs.length} runs reused from an earlier invocation)` : ""),
    `- summed over the ${runs.length} runs: training ${formatDuration(sum("train"))}, evaluation ${formatDuration(sum("eval"))}`,
    `- machine: ${meta.machine}`,
    `- backend: ${backends.join("; ") || "—"}`,
    `- training steps: ${steps.join(", ") || "—"}`,
    `- data: ${meta.generator}`,
    "- methods: GIM = `gim train` with the family's `--mechanism` and `--intervention`; BaCaDI* = the same with " +
      "`--amortize false` (free per-env targets: it cannot predict unseen envs, so its out-of-distribution cells " +
      "are —); the mean-shift MLP and observational baselines are `gim eval`'s (fit on the training envs); " +
      "GIM (MAP targets) predicts with the MAP targets instead of Bernoulli draws; GIM (vote of 5) = `gim train " +
      "--restarts 5 --restart-graph vote` (seeds S … S+4; the restart nearest to the majority of their MAP graphs) " +
      "and GIM (vote-refit of 5) the majority graph itself refitted on for 500 steps (`--methods`), where run. Scores: `gim eval --seed 0` " +
      "(1,000 predicted samples per env).",
    ...(meta.failed.length > 0 ? ["", `**Failed runs (${meta.failed.length}), not in the tables:**`, ""] : []),
    ...meta.failed.map((f) => `- ${f}`),
    ...notRunLines(meta.notRun ?? []),
    "",
    "## The paper's claims",
    "",
    "Each claim compares two columns on the same datasets: the difference is taken per seed within a family " +
      `(paired), then averaged (mean ± standard error). A claim **holds** when the difference clears ${DECIDE_SE} ` +
      `s.e. in the claimed direction, **does not hold** when it clears ${DECIDE_SE} s.e. the other way, and is ` +
      `**undecided** otherwise (always below two seeds). "≈" holds when the difference ± ${DECIDE_SE} s.e. lies ` +
      `within ±${EQUIVALENCE_MARGIN} and does not hold when it lies outside. Pooled: every (family, seed) pair ` +
      "of the claim's families is one observation.",
    "",
    ...decideClaims(groups).flatMap(claimSection),
    "## Per family",
    "",
    "Mean ± standard error over seeds (n); — where a method has no value (BaCaDI* out of distribution, " +
      "baselines without a graph). Splits: in-dist. = the training envs (the rows trained on), in-dist. new " +
      "samples = new rows of the training envs (generate.py --fresh-per-env; never trained on), partial OOD = " +
      "new doses of the training perturbations, full OOD = new perturbations.",
    "",
    ...groups.flatMap(familySection),
  ];
  return `${lines.join("\n").trimEnd()}\n`;
}
