/**
 * Data already in memory, as the library API (gim/train/train-gim.ts) and the browser take it:
 * environments with features γ_e [p] and samples X_e [n_e, d] (row-major), checked into the
 * TrainingSet the trainer consumes. The env whose features are all 0 is the observational one.
 * Errors name the env and the argument. csvData builds the same from the two CSV texts of the
 * dataset format (samples.csv, features.csv), for a browser's file picker.
 */
import { type CsvTable, DataError, checkHeader, numberAt, parseCsv } from "./csv-parse.js";
import type { TrainingSet } from "./training-set.js";

export interface GimEnv {
  id: string;
  /** γ_e [p]; all zeros for the observational env. */
  features: ArrayLike<number>;
  /** X_e [n_e, d], row-major. */
  samples: ArrayLike<number>;
}

export interface GimData {
  variables: string[];
  /** Default: f1 … fp. */
  featureNames?: string[];
  envs: GimEnv[];
}

/** Checks `data` and returns it with the observational env first and samples as Float64Array. */
export function trainingSetFrom(data: GimData): TrainingSet {
  const d = data.variables.length;
  if (d < 2) throw new DataError(`data.variables: need at least 2 variables, got ${d}`);
  if (new Set(data.variables).size !== d) throw new DataError("data.variables: names must be unique");
  if (data.envs.length < 2) throw new DataError("data.envs: need the observational env and at least one more");
  const p = data.featureNames?.length ?? data.envs[0].features.length;
  const featureNames = data.featureNames ?? Array.from({ length: p }, (_, k) => `f${k + 1}`);
  const seen = new Set<string>();
  const envs = data.envs.map((env, e) => {
    const where = `data.envs[${e}] ('${env.id}')`;
    if (seen.has(env.id)) throw new DataError(`${where}: duplicate env id`);
    seen.add(env.id);
    if (env.features.length !== p) throw new DataError(`${where}: ${env.features.length} features, expected ${p}`);
    if (env.samples.length === 0 || env.samples.length % d !== 0)
      throw new DataError(`${where}: samples has ${env.samples.length} values, not a positive multiple of d = ${d}`);
    const samples = Float64Array.from(env.samples);
    const bad = samples.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0)
      throw new DataError(
        `${where}: sample ${Math.floor(bad / d)}, variable '${data.variables[bad % d]}' is not finite`,
      );
    const features = Array.from(env.features, Number);
    if (!features.every(Number.isFinite)) throw new DataError(`${where}: features must be finite`);
    return { id: env.id, features, samples, n: samples.length / d };
  });
  const zero = envs.filter((e) => e.features.every((v) => v === 0));
  if (zero.length !== 1)
    throw new DataError(
      `data.envs: exactly one env (the observational one) must have all-zero features; found ${zero.length}${zero.length ? ` (${zero.map((e) => `'${e.id}'`).join(", ")})` : ""}`,
    );
  return { variables: data.variables, featureNames, envs: [zero[0], ...envs.filter((e) => e !== zero[0])] };
}

/** GimData from the texts of samples.csv and features.csv; `names` label them in errors. */
export function csvData(samplesCsv: string, featuresCsv: string, names = ["samples.csv", "features.csv"]): GimData {
  const samples = parseCsv(names[0], samplesCsv);
  const variables = checkHeader(samples, "variable");
  const features = parseCsv(names[1], featuresCsv);
  const featureNames = checkHeader(features, "feature");
  const byEnv = new Map<string, number[]>();
  for (const row of samples.rows) {
    const values = byEnv.get(row.cells[0]) ?? [];
    byEnv.set(row.cells[0], values);
    for (let k = 0; k < variables.length; k++) values.push(numberAt(samples, row, k + 1));
  }
  const featureRow = new Map<string, CsvTable["rows"][number]>(features.rows.map((r) => [r.cells[0], r]));
  for (const id of byEnv.keys())
    if (!featureRow.has(id)) throw new DataError(`${names[1]}: env '${id}' has samples but no features row`);
  const envs = [...featureRow].map(([id, row]) => {
    const values = byEnv.get(id);
    if (!values) throw new DataError(`${names[1]}, line ${row.line}: env '${id}' has no samples in ${names[0]}`);
    return { id, features: featureNames.map((_, k) => numberAt(features, row, k + 1)), samples: values };
  });
  return { variables, featureNames, envs };
}
