/**
 * The dataset format (a directory):
 *   samples.csv   env,<var_1>,…,<var_d>       one row per sample
 *   features.csv  env,<feat_1>,…,<feat_p>     one row per environment; the env whose features
 *                                              are all 0 is the observational one
 *   truth.json    optional, synthetic data: { variables, graph (graph[i][j] = 1 iff i → j),
 *                 targets: {env: 0/1 × d}, split: {env: "observational" | "train" |
 *                 "partial-ood" | "full-ood"} }
 * Loading validates everything and names file, line and column in its errors.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CsvTable, DataError, checkHeader, formatNumber, numberAt, readCsv } from "./csv.js";
import type { EnvironmentData, TrainingSet } from "./training-set.js";

export type Split = "observational" | "train" | "partial-ood" | "full-ood";

export interface Truth {
  variables: string[];
  graph: number[][];
  targets: Record<string, number[]>;
  split: Record<string, Split>;
}

export interface Environment extends EnvironmentData {
  observational: boolean;
}

export interface Dataset extends TrainingSet {
  dir: string;
  envs: Environment[];
  truth: Truth | null;
}

export interface FeatureTable {
  featureNames: string[];
  envs: { id: string; features: number[] }[];
}

/** Reads features.csv (also for `gim predict --features`). */
export function readFeatures(path: string): FeatureTable {
  const table = readCsv(path);
  const featureNames = checkHeader(table, "feature");
  const seen = new Map<string, number>();
  const envs = table.rows.map((row) => {
    const id = row.cells[0];
    if (id === "") throw new DataError(`${path}, line ${row.line}, column 1 (env): empty env id`);
    if (seen.has(id)) throw new DataError(`${path}, line ${row.line}: env '${id}' already has a features row (line ${seen.get(id)})`);
    seen.set(id, row.line);
    return { id, features: featureNames.map((_, k) => numberAt(table, row, k + 1)) };
  });
  if (envs.length === 0) throw new DataError(`${path}: no environments (only a header)`);
  return { featureNames, envs };
}

function readSamples(table: CsvTable, variables: string[]): Map<string, number[]> {
  const byEnv = new Map<string, number[]>();
  for (const row of table.rows) {
    const id = row.cells[0];
    if (id === "") throw new DataError(`${table.path}, line ${row.line}, column 1 (env): empty env id`);
    const values = byEnv.get(id) ?? [];
    for (let k = 0; k < variables.length; k++) values.push(numberAt(table, row, k + 1));
    byEnv.set(id, values);
  }
  return byEnv;
}

export function loadDataset(dir: string): Dataset {
  const samplesPath = join(dir, "samples.csv");
  const featuresPath = join(dir, "features.csv");
  for (const path of [samplesPath, featuresPath]) if (!existsSync(path)) throw new DataError(`${path}: file not found (a dataset folder holds samples.csv and features.csv)`);
  const samplesTable = readCsv(samplesPath);
  const variables = checkHeader(samplesTable, "variable");
  const samples = readSamples(samplesTable, variables);
  const features = readFeatures(featuresPath);
  const d = variables.length;
  for (const [id] of samples) {
    if (!features.envs.some((e) => e.id === id)) throw new DataError(`${featuresPath}: env '${id}' has samples in samples.csv but no features row`);
  }
  for (const e of features.envs) {
    if (!samples.has(e.id)) throw new DataError(`${samplesPath}: env '${e.id}' has a features row in features.csv but no samples`);
  }
  const zero = features.envs.filter((e) => e.features.every((v) => v === 0));
  if (zero.length > 1) throw new DataError(`${featuresPath}: envs ${zero.map((e) => `'${e.id}'`).join(" and ")} both have all-zero features; exactly one (observational) env may`);
  if (zero.length === 0) throw new DataError(`${featuresPath}: no env has all-zero features, so there is no observational environment`);
  const order = [zero[0], ...features.envs.filter((e) => e !== zero[0])];
  const envs: Environment[] = order.map((e) => {
    const values = samples.get(e.id)!;
    return { id: e.id, features: e.features, samples: Float64Array.from(values), n: values.length / d, observational: e === zero[0] };
  });
  const truthPath = join(dir, "truth.json");
  const truth = existsSync(truthPath) ? readTruth(truthPath, variables, envs) : null;
  return { dir, variables, featureNames: features.featureNames, envs, truth };
}

function readTruth(path: string, variables: string[], envs: Environment[]): Truth {
  let truth: Truth;
  try {
    truth = JSON.parse(readFileSync(path, "utf8")) as Truth;
  } catch (error) {
    throw new DataError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const d = variables.length;
  if (JSON.stringify(truth.variables) !== JSON.stringify(variables)) throw new DataError(`${path}: 'variables' differ from the columns of samples.csv`);
  if (!Array.isArray(truth.graph) || truth.graph.length !== d || truth.graph.some((r) => !Array.isArray(r) || r.length !== d)) {
    throw new DataError(`${path}: 'graph' must be a ${d}×${d} matrix`);
  }
  for (const e of envs) {
    if (!truth.split?.[e.id]) throw new DataError(`${path}: 'split' has no entry for env '${e.id}'`);
    if (truth.targets?.[e.id] && truth.targets[e.id].length !== d) throw new DataError(`${path}: 'targets' of env '${e.id}' has ${truth.targets[e.id].length} entries, expected ${d}`);
  }
  return truth;
}

/** The observational env plus the envs with the given ids (in dataset order). */
export function subsetEnvs(dataset: Dataset, keep: (e: Environment) => boolean): Dataset {
  return { ...dataset, envs: dataset.envs.filter((e) => e.observational || keep(e)) };
}

/** Training envs: split = train (plus the observational env) when truth exists, else all. */
export function trainingSubset(dataset: Dataset): Dataset {
  const split = dataset.truth?.split;
  return split ? subsetEnvs(dataset, (e) => split[e.id] === "train") : dataset;
}

export function writeSamplesCsv(path: string, variables: string[], envs: { id: string; samples: ArrayLike<number>; n: number }[]): void {
  const d = variables.length;
  const lines = [["env", ...variables].join(",")];
  for (const e of envs) {
    for (let s = 0; s < e.n; s++) {
      const row = [e.id];
      for (let j = 0; j < d; j++) row.push(formatNumber(e.samples[s * d + j]));
      lines.push(row.join(","));
    }
  }
  writeFileSync(path, `${lines.join("\n")}\n`);
}

export function writeFeaturesCsv(path: string, featureNames: string[], envs: { id: string; features: number[] }[]): void {
  const lines = [["env", ...featureNames].join(","), ...envs.map((e) => [e.id, ...e.features.map(formatNumber)].join(","))];
  writeFileSync(path, `${lines.join("\n")}\n`);
}

export function writeDataset(dir: string, dataset: Omit<Dataset, "dir">): void {
  mkdirSync(dir, { recursive: true });
  writeSamplesCsv(join(dir, "samples.csv"), dataset.variables, dataset.envs);
  writeFeaturesCsv(join(dir, "features.csv"), dataset.featureNames, dataset.envs);
  if (dataset.truth) writeFileSync(join(dir, "truth.json"), `${JSON.stringify(dataset.truth)}\n`);
}
