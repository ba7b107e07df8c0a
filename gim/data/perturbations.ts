/**
 * What each environment is, for baselines that need more than its features (the paper's
 * next-lower-dose baseline): an optional `perturbations.csv` in the dataset folder,
 *   env,perturbation,dose
 *   Belinostat@1000,Belinostat,1000
 * one row per interventional env (the observational env may be listed with any dose; it is
 * ignored). `gim prep` writes it; a dataset without it has no next-lower-dose baseline.
 */
import { existsSync, writeFileSync } from "node:fs";
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

/** perturbations.csv of a dataset folder, or null when the folder has none. */
export function loadPerturbations(dir: string, envIds?: Iterable<string>): Map<string, EnvPerturbation> | null {
  const path = join(dir, PERTURBATIONS_FILE);
  return existsSync(path) ? readPerturbations(path, envIds) : null;
}

export function writePerturbationsCsv(path: string, rows: Map<string, EnvPerturbation>): void {
  const lines = [
    "env,perturbation,dose",
    ...[...rows].map(([env, p]) => `${env},${p.perturbation},${formatNumber(p.dose)}`),
  ];
  writeFileSync(path, `${lines.join("\n")}\n`);
}
