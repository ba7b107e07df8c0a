/**
 * The report's tables: what was trained on what (dataset, d, environments per split, steps,
 * backend, model family), the graph scores when truth.json exists, and `gim eval`'s scores on the
 * held-out splits for GIM and the baselines.
 */
import { basename } from "node:path";
import { type Dataset, splitOf } from "../data/dataset.js";
import type { EvaluationReport } from "../eval/evaluate.js";
import { noiseOf, refitStepsOf } from "../model/config.js";
import type { ModelFile } from "../model/model-file.js";
import { escapeXml } from "./svg.js";

/** What `gim prep` recorded about the source of a prepared folder (prep.json), when present. */
export interface PrepInfo {
  source: string;
  covariate: string | null;
  holdout: string[];
}

const cell = (v: string | number) => `<td>${escapeXml(String(v))}</td>`;
const fmt = (v: number | null, digits = 3) => (v === null || !Number.isFinite(v) ? "—" : v.toFixed(digits));

function rows(entries: [string, string][]): string {
  return entries.map(([k, v]) => `<tr><th scope="row">${escapeXml(k)}</th>${cell(v)}</tr>`).join("");
}

export function runTable(model: ModelFile, modelPath: string, dataset: Dataset, prep: PrepInfo | null): string {
  const split = splitOf(dataset);
  const perSplit = new Map<string, number>();
  for (const e of dataset.envs) {
    const s = e.observational ? "observational" : (split?.[e.id] ?? "train");
    perSplit.set(s, (perSplit.get(s) ?? 0) + 1);
  }
  const samples = dataset.envs.reduce((n, e) => n + e.n, 0);
  const c = model.config;
  const refit = refitStepsOf(c);
  const edges = model.graph.flat().reduce((a, b) => a + b, 0);
  const entries: [string, string][] = [
    ["dataset", `${dataset.dir} (${samples} samples)`],
    ...(prep
      ? ([
          [
            "prepared from",
            `${prep.source}${prep.covariate ? `, ${prep.covariate}` : ""}${prep.holdout.length ? `, held out ${prep.holdout.join(", ")}` : ""}`,
          ],
        ] as [string, string][])
      : []),
    ["variables (d)", `${dataset.variables.length}`],
    ["environments", [...perSplit].map(([s, n]) => `${n} ${s}`).join(", ")],
    ["model file", basename(modelPath)],
    ["model", `${c.mechanism} mechanisms, ${noiseOf(c)} noise, ${c.intervention} interventions`],
    ["steps", `${model.steps}${refit > 0 ? ` (${c.steps} + ${refit} refit with the graph fixed)` : ""}`],
    [
      "backend",
      `${model.adapter?.startsWith(model.backend) ? model.adapter : `${model.backend} (${model.adapter})`}, ${fmt(model.throughput.stepsPerSecond, 1)} steps/s, ${fmt(model.throughput.wallSeconds, 1)} s`,
    ],
    ["seed", String(model.seed)],
    [
      "MAP graph",
      `${edges} edges${model.cycleEdgesDropped ? `, ${model.cycleEdgesDropped} dropped to break cycles` : ""}`,
    ],
  ];
  return `<table class="summary">${rows(entries)}</table>`;
}

/** Graph scores and the held-out splits' scores; `null` report: nothing to score. */
export function scoresTable(report: EvaluationReport | null): string {
  if (!report) return `<p class="note">no held-out split and no truth.json: nothing to score (see gim eval)</p>`;
  const parts: string[] = [];
  if (report.graph) {
    const g = report.graph;
    parts.push(
      `<p>graph: Edge-F1 <b>${fmt(g.edgeF1)}</b>, SID <b>${g.sid}</b>, ${g.edges} edges estimated, ${g.trueEdges} true</p>`,
    );
  }
  if (report.splits.length > 0) {
    const header = ["split", "method", "envs", "mean distance ↓", "KDE-NLL ↓", "Pearson Δ ↑", "Target-F1 ↑"];
    const body = report.splits.map(
      (s) =>
        `<tr>${[s.split, s.method, String(s.envs), fmt(s.meanDistance), fmt(s.kdeNll), fmt(s.pearson), fmt(s.targetF1)].map(cell).join("")}</tr>`,
    );
    parts.push(
      `<table class="scores"><thead><tr>${header.map((h) => `<th>${escapeXml(h)}</th>`).join("")}</tr></thead><tbody>${body.join("")}</tbody></table>`,
    );
  }
  return parts.join("");
}
