/**
 * `gim report`: one self-contained HTML page about a trained model on its dataset — a summary and
 * the scores of `gim eval` on the held-out splits, then four figures in inline SVG (no script, no
 * font, no URL): the learned graph, the target probabilities per environment, true vs predicted
 * marginals on held-out environments, and the training curves.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Dataset, type Environment, type Split, splitOf } from "../data/dataset.js";
import { readJson } from "../data/json-file.js";
import { type EvaluationReport, evaluate } from "../eval/evaluate.js";
import { refitStepsOf } from "../model/config.js";
import type { ModelFile } from "../model/model-file.js";
import { HostModel } from "../model/sampler.js";
import { curvesFigure } from "./curves-figure.js";
import { graphFigure } from "./graph-figure.js";
import { type HeatmapRow, heatmapFigure } from "./heatmap-figure.js";
import { histogramFigure } from "./histogram-figure.js";
import { type Perturbations, orderEnvs, spreadPick } from "./env-order.js";
import { figureEnvs, marginalPanels } from "./marginals.js";
import { type PrepInfo, runTable, scoresTable } from "./summary.js";
import { escapeXml } from "./svg.js";

export interface ReportOptions {
  modelPath: string;
  /** Drug and dose per env (perturbations.csv or prep.json): the next-lower-dose baseline, env order. */
  perturbations: Perturbations;
  seed: number;
  /** Figure 3: genes per environment and environments at most. */
  maxGenes: number;
  maxEnvs: number;
}

const HELD_OUT: Split[] = ["partial-ood", "full-ood", "test"];

const CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #24292f; margin: 24px auto; max-width: 1000px; padding: 0 16px; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 32px; }
table { border-collapse: collapse; margin: 8px 0; } th, td { padding: 3px 10px; border-bottom: 1px solid #d0d7de; text-align: left; }
table.scores td { font-variant-numeric: tabular-nums; }
figure { margin: 16px 0 28px; } figcaption { color: #57606a; margin-bottom: 8px; max-width: 900px; }
.note { color: #6e7781; font-style: italic; }
/* Text defaults sit on <svg> and are inherited, so a text's own fill or font-size attribute wins. */
svg { display: block; margin: 6px 0; overflow: visible; font-family: system-ui, sans-serif; font-size: 11px; fill: #24292f; }
svg .tick { font-size: 10px; fill: #57606a; } svg .legend { font-size: 10px; fill: #57606a; }
svg .panel-title { font-size: 12px; font-weight: 600; } svg .axis { font-size: 11px; fill: #57606a; }
svg .node-label { font-size: 12px; } svg .edge-label { font-size: 10px; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
h3 { font-size: 14px; margin: 14px 0 0; }
`;

function figure(id: string, heading: string, caption: string, body: string): string {
  return `<figure id="${id}"><h2>${escapeXml(heading)}</h2><figcaption>${escapeXml(caption)}</figcaption>${body}</figure>`;
}

const note = (text: string) => `<p class="note">${escapeXml(text)}</p>`;

function heatmapRows(model: ModelFile, dataset: Dataset, host: HostModel, options: ReportOptions): HeatmapRow[] {
  const split = splitOf(dataset);
  const splitOfEnv = (e: Environment): Split => split?.[e.id] ?? "train";
  // Without amortization (BaCaDI*) only the training envs have target probabilities.
  const known = new Set(model.trainEnvs);
  const envs = dataset.envs.filter((e) => !e.observational && (model.config.amortize || known.has(e.id)));
  return orderEnvs(envs, splitOfEnv, options.perturbations).map((e) => ({
    env: e.id,
    split: splitOfEnv(e),
    probabilities: host.targetProbabilities(e.features),
    truth: dataset.truth?.targets[e.id] ?? null,
  }));
}

function marginalsBody(model: ModelFile, dataset: Dataset, host: HostModel, options: ReportOptions): string {
  const { split, envs } = figureEnvs(dataset);
  if (split !== "train" && !model.config.amortize)
    return note("this model was trained without amortization (BaCaDI*): it cannot predict held-out environments");
  const shown = spreadPick(
    orderEnvs(envs, () => split, options.perturbations),
    options.perturbations,
    options.maxEnvs,
  );
  const intro =
    split === "train"
      ? note("the dataset holds out no environment: training environments are shown")
      : envs.length > shown.length
        ? note(
            `${shown.length} of the ${envs.length} ${split} environments are shown (spread over perturbations, highest doses first; --max-envs)`,
          )
        : "";
  return (
    intro +
    shown
      .map((env) => {
        const { panels, sizes } = marginalPanels(host, dataset, env, {
          seed: options.seed,
          maxGenes: options.maxGenes,
        });
        return `<h3>${escapeXml(env.id)} (${split})</h3>${histogramFigure(env.id, panels, sizes)}`;
      })
      .join("")
  );
}

/** `gim eval`'s report on the held-out splits present (W_ε left out: slow, and not plotted); null when none and no truth. */
function heldOutScores(model: ModelFile, dataset: Dataset, options: ReportOptions): EvaluationReport | null {
  const split = splitOf(dataset);
  const present = HELD_OUT.filter((s) => dataset.envs.some((e) => split?.[e.id] === s));
  if (present.length === 0 && !dataset.truth) return null;
  return evaluate(model, dataset, options.seed, {
    perturbations: options.perturbations,
    splits: present,
    wasserstein: false,
    mapTargets: false,
  });
}

function prepInfo(dir: string): PrepInfo | null {
  const path = join(dir, "prep.json");
  if (!existsSync(path)) return null;
  const prep = readJson<{ source?: string; covariate?: string | null; holdout?: string[] }>(path, "prep.json");
  return { source: prep.source ?? "?", covariate: prep.covariate ?? null, holdout: prep.holdout ?? [] };
}

export function buildReport(model: ModelFile, dataset: Dataset, options: ReportOptions): string {
  if (JSON.stringify(model.variables) !== JSON.stringify(dataset.variables))
    throw new Error(
      `${options.modelPath}: the model's variables (${model.variables.join(", ")}) differ from the dataset's in ${dataset.dir} (${dataset.variables.join(", ")})`,
    );
  const host = new HostModel(model);
  const refit = refitStepsOf(model.config) > 0 ? model.config.steps : null;
  const figures = [
    figure(
      "fig-graph",
      "1. Learned graph",
      `The MAP DAG, the graph prediction samples from; each edge's probability σ(α·s_ij) at the final α.${dataset.truth ? " Compared with truth.json: correct, extra and missing edges." : ""}`,
      graphFigure({
        variables: model.variables,
        graph: model.graph,
        edgeProbabilities: model.edgeProbabilities,
        truth: dataset.truth?.graph ?? null,
      }),
    ),
    figure(
      "fig-targets",
      "2. Target probabilities",
      "P(variable j is a target of the environment) = σ(f_φ(γ)), from each environment's features; rows grouped by split.",
      heatmapFigure(model.variables, heatmapRows(model, dataset, host, options)),
    ),
    figure(
      "fig-marginals",
      "3. Held-out environments: true vs predicted marginals",
      `Per gene: the environment's true samples, GIM's predicted samples and the observational samples. Genes: the true targets, those with P(target) > ½ (P), then the largest mean shifts from observational (Δ), at most ${options.maxGenes}.`,
      marginalsBody(model, dataset, host, options),
    ),
    figure(
      "fig-curves",
      "4. Training",
      "The loss, the acyclicity estimate ĥ and the augmented Lagrangian's multipliers at every log step" +
        (refit !== null ? `; the dotted rule marks the refit phase (from step ${refit}).` : "."),
      model.history && model.history.step.length > 0
        ? curvesFigure(model.history, refit)
        : note("no training history recorded (model files written before the history was added have none)"),
    ),
  ];
  const name = dataset.dir.split(/[\\/]/).filter(Boolean).at(-1) ?? dataset.dir;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>GIM report: ${escapeXml(name)}</title><style>${CSS}</style></head>
<body><h1>GIM report: ${escapeXml(name)}</h1>
${runTable(model, options.modelPath, dataset, prepInfo(dataset.dir))}
<h2>Scores</h2>${scoresTable(heldOutScores(model, dataset, options))}
${figures.join("\n")}
</body></html>
`;
}
