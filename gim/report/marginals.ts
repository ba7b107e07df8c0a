/**
 * What Figure 3 shows: which environments (the held-out ones: split `test`, else `full-ood`, else
 * `partial-ood`; the training envs only when nothing is held out) and, per environment, which
 * genes — its true targets, the genes GIM gives P(target) > ½, then the genes whose mean moved
 * most from the observational mean in units of its standard deviation — with GIM's predicted
 * samples beside the true ones.
 */
import { HostRandom } from "../../engine/host-random.js";
import { type Dataset, type Environment, type Split, splitOf } from "../data/dataset.js";
import { PREDICTED } from "../eval/evaluate.js";
import { columnMeans } from "../eval/metrics.js";
import type { HostModel } from "../model/sampler.js";
import type { MarginalPanel } from "./histogram-figure.js";

const HELD_OUT: Split[] = ["test", "full-ood", "partial-ood"];

/** The envs Figure 3 is about, and what they are. */
export function figureEnvs(dataset: Dataset): { split: Split; envs: Environment[] } {
  const split = splitOf(dataset);
  const interventional = dataset.envs.filter((e) => !e.observational);
  for (const s of HELD_OUT) {
    const envs = interventional.filter((e) => split?.[e.id] === s);
    if (envs.length > 0) return { split: s, envs };
  }
  return { split: "train", envs: interventional };
}

function column(samples: ArrayLike<number>, d: number, j: number): number[] {
  const out: number[] = [];
  for (let k = j; k < samples.length; k += d) out.push(samples[k]);
  return out;
}

function standardDeviations(samples: ArrayLike<number>, d: number, means: number[]): number[] {
  const n = samples.length / d;
  return means.map((m, j) => {
    let s = 0;
    for (let k = j; k < samples.length; k += d) s += (samples[k] - m) ** 2;
    return Math.sqrt(s / Math.max(n - 1, 1));
  });
}

const signed = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`;

/** The panels of one environment, at most `maxGenes`, and the three sample counts. */
export function marginalPanels(
  host: HostModel,
  dataset: Dataset,
  env: Environment,
  options: { seed: number; maxGenes: number },
): { panels: MarginalPanel[]; sizes: [number, number, number] } {
  const d = dataset.variables.length;
  const control = dataset.envs.find((e) => e.observational)!;
  const predicted = host.sample(env.features, PREDICTED, new HostRandom(options.seed * 7919 + 17));
  const probabilities = host.targetProbabilities(env.features);
  const truth = dataset.truth?.targets[env.id] ?? null;
  const controlMeans = columnMeans(control.samples, d);
  const controlSd = standardDeviations(control.samples, d, controlMeans);
  const delta = columnMeans(env.samples, d).map((m, j) => m - controlMeans[j]);
  const change = delta.map((v, j) => Math.abs(v) / (controlSd[j] + 1e-9));
  const byChange = Array.from({ length: d }, (_, j) => j).sort((a, b) => change[b] - change[a]);
  const chosen = [
    ...byChange.filter((j) => truth?.[j] === 1),
    ...byChange.filter((j) => probabilities[j] > 0.5),
    ...byChange,
  ];
  const shown = [...new Set(chosen)].slice(0, options.maxGenes);
  const panels = shown.map((j) => ({
    gene: dataset.variables[j],
    tag: `${truth?.[j] === 1 ? "true target · " : ""}P ${probabilities[j].toFixed(2)} · Δ ${signed(delta[j])}`,
    truth: column(env.samples, d, j),
    predicted: column(predicted, d, j),
    control: column(control.samples, d, j),
  }));
  return { panels, sizes: [env.n, PREDICTED, control.n] };
}
