/**
 * What each environment is, for baselines that need more than its features (the paper's
 * next-lower-dose baseline): an optional `perturbations.csv` in the dataset folder,
 *   env,perturbation,dose
 *   Belinostat@1000,Belinostat,1000
 * one row per interventional env (the observational env may be listed with any dose; it is
 * ignored). Without it, the `envs` list of prep.json (written by `gim prep`: {id, perturbation,
 * dose}, dose null for the control) says the same; a dataset with neither has no
 * next-lower-dose baseline.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DataError, formatNumber, numberAt, readCsv } from "./csv.js";

export interface EnvPerturbation {
  perturbation: string;
  dose: number;
}

export const PERTURBATIONS_FILE = "perturbations.csv";

/** Reads perturbations.csv; `envIds`, when given, are the envs it may name. */
export function readPerturbations(path: string, envIds?: Iterable<string>): Map<string, EnvPerturbation> {
  const table = readCsv(path);
  const want = ["env", "perturbation", "dose"];
  if (table.header.join() !== want.join())
    throw new DataError(`${path}, line 1: the header must be '${want.join(",")}', found '${table.header.join(",")}'`);
  const known = envIds ? new Set(envIds) : null;
  const out = new Map<string, EnvPerturbation>();
  for (const row of table.rows) {
    const [env, perturbation] = row.cells;
    if (env === "") throw new DataError(`${path}, line ${row.line}, column 1 (env): empty env id`);
    if (perturbation === "") throw new DataError(`${path}, line ${row.line}, column 2 (perturbation): empty name`);
    if (out.has(env)) throw new DataError(`${path}, line ${row.line}: env '${env}' is listed twice`);
    if (known && !known.has(env))
      throw new DataError(`${path}, line ${row.line}, column 1 (env): env '${env}' is not in the dataset`);
    out.set(env, { perturbation, dose: numberAt(table, row, 2) });
  }
  return out;
}

/** prep.json's `envs`: the interventional ones (dose not null). */
export function readPrepEnvs(path: string, envIds?: Iterable<string>): Map<string, EnvPerturbation> {
  let prep: { envs?: unknown };
  try {
    prep = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new DataError(`${path}: not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(prep.envs)) throw new DataError(`${path}: no 'envs' list (env, perturbation and dose per env)`);
  const known = envIds ? new Set(envIds) : null;
  const out = new Map<string, EnvPerturbation>();
  prep.envs.forEach((e: { id?: unknown; perturbation?: unknown; dose?: unknown }, k: number) => {
    const where = `${path}: envs[${k}]`;
    if (typeof e?.id !== "string" || typeof e.perturbation !== "string")
      throw new DataError(`${where} needs a string 'id' and 'perturbation'`);
    if (e.dose === null) return;
    if (typeof e.dose !== "number" || !Number.isFinite(e.dose))
      throw new DataError(`${where} ('${e.id}'): 'dose' must be a number or null`);
    if (known && !known.has(e.id)) throw new DataError(`${where}: env '${e.id}' is not in the dataset`);
    out.set(e.id, { perturbation: e.perturbation, dose: e.dose });
  });
  return out;
}

/** perturbations.csv of a dataset folder, else prep.json's envs, else null. */
export function loadPerturbations(dir: string, envIds?: Iterable<string>): Map<string, EnvPerturbation> | null {
  const path = join(dir, PERTURBATIONS_FILE);
  if (existsSync(path)) return readPerturbations(path, envIds);
  const prep = join(dir, "prep.json");
  return existsSync(prep) ? readPrepEnvs(prep, envIds) : null;
}

export function writePerturbationsCsv(path: string, rows: Map<string, EnvPerturbation>): void {
  const lines = [
    "env,perturbation,dose",
    ...[...rows].map(([env, p]) => `${env},${p.perturbation},${formatNumber(p.dose)}`),
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
}
