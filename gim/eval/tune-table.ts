/** The table of `gim tune` trials, as CSV and as Markdown: parameters, validation KDE-NLL, time, the choice. */
import type { TunedKey } from "./tune-space.js";
import type { TuneResult } from "./tune.js";

const NAMES: Record<TunedKey, string> = {
  lr: "lr",
  lambdaGraph: "lambda_G",
  lambdaTargets: "lambda_I",
  alphaLinear: "alpha_lin",
  gimHidden: "gim_hidden",
  hidden: "mech_hidden",
  steps: "steps",
};

function cells(result: TuneResult, keys: TunedKey[], digits: number): string[][] {
  const num = (v: number, k = digits) => (Number.isFinite(v) ? v.toFixed(k) : "");
  return result.rows.map((r) => [
    String(r.trial + 1),
    ...keys.map((k) => String(r.params[k] ?? "")),
    r.error ? "failed" : num(r.validationKdeNll),
    num(r.wallSeconds, 1),
    num(r.finalAcyclicity, 4),
    r.error ? "" : String(r.edges),
    r.chosen ? "*" : "",
  ]);
}

const header = (keys: TunedKey[]) => [
  "trial",
  ...keys.map((k) => NAMES[k]),
  "val_kde_nll",
  "wall_s",
  "h_final",
  "edges",
  "chosen",
];

export function trialsCsv(result: TuneResult, keys: TunedKey[]): string {
  return [header(keys), ...cells(result, keys, 6)].map((row) => row.join(",")).join("\n") + "\n";
}

export function trialsMarkdown(result: TuneResult, keys: TunedKey[]): string {
  const rows = cells(result, keys, 3).map((row) =>
    row.map((c, k) => (row[row.length - 1] === "*" && k < row.length - 1 ? `**${c}**` : c)),
  );
  const head = header(keys);
  return (
    [
      `| ${head.join(" | ")} |`,
      `| ${head.map((_, k) => (k === 0 || k === head.length - 1 ? "---" : "---:")).join(" | ")} |`,
      ...rows.map((r) => `| ${r.join(" | ")} |`),
    ].join("\n") + "\n"
  );
}
