/**
 * What `gim prep` writes: a dataset folder `gim train|predict|eval` read (samples.csv, features.csv,
 * split.json: control → observational, --holdout envs → test, the rest → train) and prep.json (genes
 * kept under "genes", thresholds, counts at each step, the keys and values used).
 *
 * Features (paper D.2) per env: one-hot perturbation, one-hot dose, and the dose on a log scale in
 * [0, 1], log(1 + dose)/log(1 + max dose) (10, 100, 1000, 10000 nM → 0.26, 0.50, 0.75, 1); the
 * control's row is all zero. With --features FILE.csv (`perturbation,<f_1>,…`, one row per
 * perturbation) the file's descriptors replace the one-hot perturbation block. With
 * --dose-features log the one-hot dose block is left out: a held-out dose is then a point on each
 * drug's own log-dose axis instead of a dose column the other drugs define (docs/single-cell.md).
 * With --dose-features per-drug the dose enters only through the drug block times the log-dose (one
 * column per drug with one-hot drugs: that drug's log-dose, 0 for the others), so no feature is
 * shared between drugs except through their descriptors.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DataError, numberAt, readCsv } from "../csv.js";
import { type Split, writeFeaturesCsv, writeSamplesCsv } from "../dataset.js";
import { writeJsonAtomic } from "../json-file.js";
import { csvSafe, formatDose } from "./cells.js";
import type { PrepOptions, PrepResult } from "./prep.js";

/**
 * What `gim train` takes as its defaults for a prepared single-cell dataset: the count-data model,
 * and λ_I, its softplus form, the lr decay, ψ's marginal fit, the linear-scale ZILN mean head, the
 * target-logit prior, M and B chosen on the simulated screen (docs/tuning.md, "Single-cell
 * defaults"; docs/single-cell.md, sessions 10 to 12).
 */
export const SINGLE_CELL_TRAIN_DEFAULTS = {
  noise: "ziln",
  mechanism: "mlp",
  intervention: "ziln",
  "lambda-targets": 5,
  "lambda-targets-end": 1,
  "target-prior": "softplus",
  "lr-end": 0.1,
  "psi-marginal-fit": true,
  "ziln-mean-scale": "linear",
  "target-logit-std": 3,
  "mc-samples": 4,
  "batch-size": 1024,
} as const;

interface Descriptors {
  names: string[];
  rows: Map<string, number[]>;
}

export function readDescriptors(path: string): Descriptors {
  const table = readCsv(path);
  const [first, ...names] = table.header;
  if (first !== "perturbation")
    throw new DataError(`${path}, line 1: the first column must be 'perturbation', found '${first}'`);
  if (names.length === 0) throw new DataError(`${path}, line 1: no feature columns after 'perturbation'`);
  const rows = new Map<string, number[]>();
  for (const row of table.rows) {
    const id = row.cells[0];
    if (rows.has(id)) throw new DataError(`${path}, line ${row.line}: perturbation '${id}' has a second row`);
    rows.set(
      id,
      names.map((_, k) => numberAt(table, row, k + 1)),
    );
  }
  return { names: names.map(csvSafe), rows };
}

/**
 * How the dose enters the features: the paper's one-hot dose and log-dose, the log-dose alone, or
 * the drug block times the log-dose.
 */
export type DoseFeatures = "paper" | "log" | "per-drug";

/** How prep.json describes the features after the perturbation block, per dose choice. */
const DOSE_SOURCE: Record<DoseFeatures, string> = {
  paper: "one-hot dose, log(1 + dose)/log(1 + max dose)",
  log: "log(1 + dose)/log(1 + max dose)",
  "per-drug": "each perturbation column × log(1 + dose)/log(1 + max dose)",
};

export function features(
  result: PrepResult,
  descriptorsPath: string | undefined,
  doseFeatures: DoseFeatures,
): { names: string[]; rows: number[][] } {
  const envs = result.cells.envs;
  const perts = [...new Set(envs.filter((e) => !e.control).map((e) => e.perturbation))];
  const doses = [...new Set(envs.filter((e) => !e.control).map((e) => e.dose))].sort((x, y) => x - y);
  const maxDose = doses[doses.length - 1];
  const oneHotDoses = doseFeatures === "paper" ? doses : [];
  const descriptors = descriptorsPath ? readDescriptors(descriptorsPath) : null;
  for (const p of descriptors ? perts : [])
    if (!descriptors!.rows.has(p)) throw new DataError(`${descriptorsPath}: no row for perturbation '${p}'`);
  const drugNames = descriptors ? descriptors.names : perts.map((p) => csvSafe(`perturbation=${p}`));
  const perDrug = doseFeatures === "per-drug";
  const names = [
    ...drugNames,
    ...oneHotDoses.map((d) => `dose=${formatDose(d)}`),
    ...(perDrug ? drugNames.map((n) => csvSafe(`log-dose*${n}`)) : ["log-dose"]),
  ];
  const rows = envs.map((e) => {
    if (e.control) return new Array<number>(names.length).fill(0);
    const drug = descriptors ? descriptors.rows.get(e.perturbation)! : perts.map((p) => (p === e.perturbation ? 1 : 0));
    const logDose = maxDose > 0 ? Math.log1p(e.dose) / Math.log1p(maxDose) : 0;
    const dose = perDrug ? drug.map((v) => v * logDose) : [logDose];
    return [...drug, ...oneHotDoses.map((d) => (d === e.dose ? 1 : 0)), ...dose];
  });
  return { names, rows };
}

/** Variable names for the CSV header: CSV-safe and unique (a repeat gets `-1`, `-2`, … as anndata's make_unique). */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((raw) => {
    const name = csvSafe(raw);
    const k = seen.get(name) ?? 0;
    seen.set(name, k + 1);
    return k === 0 ? name : `${name}-${k}`;
  });
}

export function writePrepared(
  dir: string,
  result: PrepResult,
  o: PrepOptions & { data: string; features?: string; doseFeatures?: DoseFeatures },
) {
  const { envs, heldOut } = result.cells;
  const K = result.genes.length;
  const variables = uniqueNames(result.genes);
  const doseFeatures = o.doseFeatures ?? "paper";
  const feats = features(result, o.features, doseFeatures);
  const split: Record<string, Split> = {};
  envs.forEach((e, i) => (split[e.id] = e.control ? "observational" : heldOut.has(i) ? "test" : "train"));
  const data = envs.map((e, i) => ({ id: e.id, samples: result.samples[i], n: result.samples[i].length / K }));
  mkdirSync(dir, { recursive: true });
  writeSamplesCsv(join(dir, "samples.csv"), variables, data);
  writeFeaturesCsv(
    join(dir, "features.csv"),
    feats.names,
    envs.map((e, i) => ({ id: e.id, features: feats.rows[i] })),
  );
  writeJsonAtomic(join(dir, "split.json"), split);
  const finite = (v: number) => (Number.isFinite(v) ? v : null);
  writeJsonAtomic(join(dir, "prep.json"), {
    source: o.data,
    matrix: {
      key: result.matrix.key,
      encoding: result.matrix.encoding,
      cells: result.matrix.rows,
      genes: result.matrix.cols,
    },
    perturbationKey: o.perturbationKey,
    doseKey: o.doseKey,
    controlValue: o.controlValue,
    covariateKey: o.covariateKey ?? null,
    covariate: o.covariate ?? null,
    perturbations: o.perturbations ?? null,
    holdout: o.holdout,
    thresholds: {
      minCounts: o.minCounts,
      minCells: o.minCells,
      nTopGenes: o.nTopGenes,
      nMarkers: o.nMarkers,
      hvgFlavor: "seurat",
      hvgBins: 20,
      markerTest: "t-test_overestim_var",
      selectGenesOn: o.selectOn,
    },
    normalization: { targetSum: result.targetSum, of: "median total count of the kept control cells" },
    counts: result.counts,
    genes: variables,
    markerScores: result.markerScores.map(finite),
    highlyVariableGenes: result.highlyVariable,
    envs: envs.map((e, i) => ({
      id: e.id,
      perturbation: e.perturbation,
      dose: e.control ? null : e.dose,
      cells: data[i].n,
      split: split[e.id],
    })),
    features: {
      source: `${o.features ?? "one-hot perturbation"}, ${DOSE_SOURCE[doseFeatures]}`,
      dose: doseFeatures,
      names: feats.names,
    },
    trainDefaults: SINGLE_CELL_TRAIN_DEFAULTS,
  });
}
