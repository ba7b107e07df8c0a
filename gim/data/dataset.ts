/**
 * The dataset format (a directory):
 *   samples.csv   env,<var_1>,…,<var_d>       one row per sample
 *   features.csv  env,<feat_1>,…,<feat_p>     one row per environment; the env whose features
 *                                              are all 0 is the observational one
 *   truth.json    optional, synthetic data: { variables, graph (graph[i][j] = 1 iff i → j),
 *                 targets: {env: 0/1 × d}, split: {env: "observational" | "train" |
 *                 "train-fresh" | "partial-ood" | "full-ood"} }; "train-fresh": new samples of
 *                 a training perturbation (its features), scored but never trained on
 *   split.json    optional, data without a known truth (gim prep): {env: "observational" |
 *                 "train" | "test"}; it takes precedence over truth.json's split
 * Loading validates everything and names file, line and column in its errors. Envs come out
 * observational first, then in order of first appearance in samples.csv.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CsvTable, DataError, checkHeader, formatNumber, numberAt, readCsv } from "./csv.js";
import { isAcyclic } from "../graph/dag.js";
import type { EnvironmentData, TrainingSet } from "./training-set.js";

export type Split = "observational" | "train" | "train-fresh" | "partial-ood" | "full-ood" | "test";

/** The splits that are scored, in report order (every split but the observational env). */
export const SCORED_SPLITS: readonly Split[] = ["train", "train-fresh", "partial-ood", "full-ood", "test"];

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
  /** From split.json (absent: the split of truth.json, if any). */
  split?: Record<string, Split>;
}

export interface FeatureTable {
  featureNames: string[];
  /** `line`: the 1-based line of the env's row in the file. */
  envs: { id: string; features: number[]; line: number }[];
}

/** Reads features.csv (also for `gim predict --features`). */
export function readFeatures(path: string): FeatureTable {
  const table = readCsv(path);
  const featureNames = checkHeader(table, "feature");
  const seen = new Map<string, number>();
  const envs = table.rows.map((row) => {
    const id = row.cells[0];
    if (id === "") throw new DataError(`${path}, line ${row.line}, column 1 (env): empty env id`);
    if (seen.has(id))
      throw new DataError(`${path}, line ${row.line}: env '${id}' already has a features row (line ${seen.get(id)})`);
    seen.set(id, row.line);
    return { id, features: featureNames.map((_, k) => numberAt(table, row, k + 1)), line: row.line };
  });
  if (envs.length === 0) throw new DataError(`${path}: no environments (only a header)`);
  return { featureNames, envs };
}

/** Rows of samples.csv grouped by env, with the line where each env first appears. */
function readSamples(table: CsvTable, variables: string[]): Map<string, { values: number[]; line: number }> {
  const byEnv = new Map<string, { values: number[]; line: number }>();
  for (const row of table.rows) {
    const id = row.cells[0];
    if (id === "") throw new DataError(`${table.path}, line ${row.line}, column 1 (env): empty env id`);
    let entry = byEnv.get(id);
    if (!entry) byEnv.set(id, (entry = { values: [], line: row.line }));
    for (let k = 0; k < variables.length; k++) entry.values.push(numberAt(table, row, k + 1));
  }
  if (byEnv.size === 0) throw new DataError(`${table.path}: no samples (only a header)`);
  return byEnv;
}

export function loadDataset(dir: string): Dataset {
  const samplesPath = join(dir, "samples.csv");
  const featuresPath = join(dir, "features.csv");
  for (const path of [samplesPath, featuresPath])
    if (!existsSync(path))
      throw new DataError(`${path}: file not found (a dataset folder holds samples.csv and features.csv)`);
  const samplesTable = readCsv(samplesPath);
  const variables = checkHeader(samplesTable, "variable");
  const samples = readSamples(samplesTable, variables);
  const features = readFeatures(featuresPath);
  const d = variables.length;
  const byId = new Map(features.envs.map((e) => [e.id, e]));
  for (const [id, { line }] of samples) {
    if (!byId.has(id))
      throw new DataError(
        `${samplesPath}, line ${line}: env '${id}' has samples but no features row in ${featuresPath}`,
      );
  }
  for (const e of features.envs) {
    if (!samples.has(e.id))
      throw new DataError(
        `${featuresPath}, line ${e.line}: env '${e.id}' has a features row but no samples in ${samplesPath}`,
      );
  }
  const zero = features.envs.filter((e) => e.features.every((v) => v === 0));
  if (zero.length > 1)
    throw new DataError(
      `${featuresPath}: envs ${zero.map((e) => `'${e.id}' (line ${e.line})`).join(" and ")} have all-zero features; exactly one (observational) env may`,
    );
  if (zero.length === 0)
    throw new DataError(`${featuresPath}: no env has all-zero features, so there is no observational environment`);
  const order = [zero[0], ...[...samples.keys()].filter((id) => id !== zero[0].id).map((id) => byId.get(id)!)];
  const envs: Environment[] = order.map((e) => {
    const { values } = samples.get(e.id)!;
    return {
      id: e.id,
      features: e.features,
      samples: Float64Array.from(values),
      n: values.length / d,
      observational: e === zero[0],
    };
  });
  const truthPath = join(dir, "truth.json");
  const truth = existsSync(truthPath) ? readTruth(truthPath, variables, envs) : null;
  const splitPath = join(dir, "split.json");
  const split = existsSync(splitPath) ? readSplit(splitPath, envs) : undefined;
  return { dir, variables, featureNames: features.featureNames, envs, truth, ...(split ? { split } : {}) };
}

const SPLITS: readonly Split[] = ["observational", ...SCORED_SPLITS];

/** Checks that every env has a known split and that "observational" is exactly the all-zero env. */
function checkSplit(split: Record<string, Split>, envs: Environment[], bad: (message: string) => DataError): void {
  const ids = new Set(envs.map((e) => e.id));
  for (const id of Object.keys(split)) if (!ids.has(id)) throw bad(`'split' names env '${id}', which has no data`);
  for (const e of envs) {
    const s = split[e.id];
    if (s === undefined) throw bad(`'split' has no entry for env '${e.id}'`);
    if (!SPLITS.includes(s)) throw bad(`'split' of env '${e.id}' is '${s}', not one of ${SPLITS.join(", ")}`);
    if ((s === "observational") !== e.observational) {
      throw bad(
        `env '${e.id}' is ${e.observational ? "" : "not "}the observational env (all-zero features) but its split is '${s}'`,
      );
    }
  }
}

/** split.json: {env: split}. */
function readSplit(path: string, envs: Environment[]): Record<string, Split> {
  let split: Record<string, Split>;
  try {
    split = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new DataError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof split !== "object" || split === null || Array.isArray(split))
    throw new DataError(`${path}: expected an object mapping env ids to splits`);
  checkSplit(split, envs, (message) => new DataError(`${path}: ${message}`));
  return split;
}

/** The split of each env: split.json, else truth.json's, else none (every env trains). */
export function splitOf(dataset: Dataset): Record<string, Split> | null {
  return dataset.split ?? dataset.truth?.split ?? null;
}

/** Parses truth.json and checks it against the data: names, a d×d 0/1 DAG, targets and splits. */
function readTruth(path: string, variables: string[], envs: Environment[]): Truth {
  let truth: Truth;
  try {
    truth = JSON.parse(readFileSync(path, "utf8")) as Truth;
  } catch (error) {
    throw new DataError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  const bad = (message: string) => new DataError(`${path}: ${message}`);
  const d = variables.length;
  const isBit = (v: unknown) => v === 0 || v === 1;
  if (JSON.stringify(truth.variables) !== JSON.stringify(variables))
    throw bad("'variables' differ from the columns of samples.csv");
  if (
    !Array.isArray(truth.graph) ||
    truth.graph.length !== d ||
    truth.graph.some((r) => !Array.isArray(r) || r.length !== d || !r.every(isBit))
  ) {
    throw bad(`'graph' must be a ${d}×${d} matrix of 0/1`);
  }
  if (truth.graph.some((r, i) => r[i] !== 0)) throw bad("'graph' has a self-loop");
  if (!isAcyclic(truth.graph)) throw bad("'graph' has a directed cycle");
  if (typeof truth.targets !== "object" || truth.targets === null)
    throw bad("'targets' must map env ids to 0/1 vectors");
  if (typeof truth.split !== "object" || truth.split === null) throw bad("'split' must map env ids to splits");
  const ids = new Set(envs.map((e) => e.id));
  for (const id of Object.keys(truth.targets))
    if (!ids.has(id)) throw bad(`'targets' names env '${id}', which has no data`);
  checkSplit(truth.split, envs, bad);
  for (const e of envs) {
    const targets = truth.targets[e.id];
    if (targets === undefined) continue;
    if (!Array.isArray(targets) || targets.length !== d || !targets.every(isBit))
      throw bad(`'targets' of env '${e.id}' must be ${d} entries of 0/1`);
    if (e.observational && targets.some((t) => t === 1)) throw bad(`the observational env '${e.id}' has targets`);
  }
  return truth;
}

/** The observational env plus the envs with the given ids, in dataset order. */
export function subsetEnvs(dataset: Dataset, ids: Iterable<string>): Dataset {
  const keep = new Set(ids);
  for (const id of keep)
    if (!dataset.envs.some((e) => e.id === id)) throw new DataError(`no env '${id}' in ${dataset.dir}`);
  return { ...dataset, envs: dataset.envs.filter((e) => e.observational || keep.has(e.id)) };
}

/** Training envs: split = train (plus the observational env) when splits are known, else all. */
export function trainingSubset(dataset: Dataset): Dataset {
  const split = splitOf(dataset) ?? undefined;
  return split
    ? subsetEnvs(
        dataset,
        Object.keys(split).filter((id) => split[id] === "train"),
      )
    : dataset;
}
export function writeSamplesCsv(
  path: string,
  variables: string[],
  envs: { id: string; samples: ArrayLike<number>; n: number }[],
): void {
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

export function writeFeaturesCsv(
  path: string,
  featureNames: string[],
  envs: { id: string; features: number[] }[],
): void {
  const lines = [
    ["env", ...featureNames].join(","),
    ...envs.map((e) => [e.id, ...e.features.map(formatNumber)].join(",")),
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
}

export function writeDataset(dir: string, dataset: Omit<Dataset, "dir">): void {
  mkdirSync(dir, { recursive: true });
  writeSamplesCsv(join(dir, "samples.csv"), dataset.variables, dataset.envs);
  writeFeaturesCsv(join(dir, "features.csv"), dataset.featureNames, dataset.envs);
  if (dataset.truth) writeFileSync(join(dir, "truth.json"), `${JSON.stringify(dataset.truth)}\n`);
}
