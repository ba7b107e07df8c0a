/**
 * Which cells `gim prep` takes and which environment each belongs to, from the obs columns:
 * the covariate value (e.g. one cell line), the control value, the perturbation and its dose.
 * An environment is a (perturbation, dose) pair, id `PERTURBATION@DOSE`; the control cells form the
 * observational environment whatever their dose.
 */
import { DataError } from "../csv.js";
import type { AnnData, Factor } from "../anndata/anndata.js";

export interface CellOptions {
  perturbationKey: string;
  doseKey: string;
  controlValue: string;
  covariateKey?: string;
  covariate?: string;
  /** Only these perturbations (plus the control); all when absent. */
  perturbations?: string[];
  /** `PERTURBATION@DOSE` environments moved to the test split. */
  holdout: string[];
}

export interface Env {
  id: string;
  perturbation: string;
  /** NaN for the control. */
  dose: number;
  control: boolean;
}

export interface CellAssignment {
  envs: Env[];
  /** Per cell of the file: its env index, or −1 when the cell is not used. */
  envOf: Int32Array;
  heldOut: Set<number>;
  dropped: { otherCovariate: number; missingPerturbation: number; otherPerturbation: number; missingDose: number };
}

/** Env ids and feature names go into unquoted CSV: no commas, quotes or line breaks. */
export const csvSafe = (name: string) => name.replace(/[,"\r\n]/g, "_");

const label = (f: Factor, code: number) => String(f.levels[code]);

export function formatDose(dose: number): string {
  return String(Number(dose.toPrecision(12)));
}

export function assignCells(a: AnnData, o: CellOptions): CellAssignment {
  const pert = a.obs(o.perturbationKey, "--perturbation-key");
  const dose = a.obs(o.doseKey, "--dose-key");
  const n = a.obsCount;
  const inCovariate = new Uint8Array(n).fill(1);
  const scope = o.covariateKey ? ` among cells with obs '${o.covariateKey}' = '${o.covariate}'` : "";
  if (o.covariateKey) {
    const cov = a.obs(o.covariateKey, "--covariate-key");
    const values = cov.levels.map(String);
    if (o.covariate === undefined)
      throw new DataError(
        `${a.path}: --covariate-key ${o.covariateKey} needs --covariate, one of: ${values.join(", ")}`,
      );
    const code = values.indexOf(o.covariate);
    if (code < 0 || !cov.codes.includes(code))
      throw new DataError(
        `${a.path}: no cell has obs '${o.covariateKey}' = '${o.covariate}' (--covariate); its values: ${values.join(", ")}`,
      );
    cov.codes.forEach((c, i) => (inCovariate[i] = c === code ? 1 : 0));
  }
  const names = pert.levels.map(String);
  const control = names.indexOf(o.controlValue);
  if (control < 0 || !pert.codes.some((c, i) => c === control && inCovariate[i]))
    throw new DataError(
      `${a.path}: no cell has obs '${o.perturbationKey}' = '${o.controlValue}' (--control-value)${scope}; its values: ${names.join(", ")}`,
    );
  const wanted = o.perturbations ? new Set(o.perturbations) : null;
  const doseOf = dose.levels.map((v) => (typeof v === "number" ? v : Number(v)));
  const dropped = { otherCovariate: 0, missingPerturbation: 0, otherPerturbation: 0, missingDose: 0 };
  const envIndex = new Map<string, number>([[o.controlValue, 0]]);
  const envs: Env[] = [{ id: csvSafe(o.controlValue), perturbation: o.controlValue, dose: Number.NaN, control: true }];
  const envOf = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    if (!inCovariate[i]) {
      dropped.otherCovariate++;
      continue;
    }
    const p = pert.codes[i];
    if (p < 0) {
      dropped.missingPerturbation++;
      continue;
    }
    if (p === control) {
      envOf[i] = 0;
      continue;
    }
    if (wanted && !wanted.has(names[p])) {
      dropped.otherPerturbation++;
      continue;
    }
    const d = dose.codes[i] < 0 ? Number.NaN : doseOf[dose.codes[i]];
    if (!Number.isFinite(d)) {
      if (dose.codes[i] >= 0 && Number.isNaN(d))
        throw new DataError(
          `${a.path}: obs '${o.doseKey}' (--dose-key) of cell ${i} is '${label(dose, dose.codes[i])}', not a number`,
        );
      dropped.missingDose++;
      continue;
    }
    const key = `${names[p]}@${formatDose(d)}`;
    let e = envIndex.get(key);
    if (e === undefined) {
      envIndex.set(key, (e = envs.length));
      envs.push({ id: csvSafe(key), perturbation: names[p], dose: d, control: false });
    }
    envOf[i] = e;
  }
  for (const p of o.perturbations ?? [])
    if (!envs.some((e) => e.perturbation === p))
      throw new DataError(
        `${a.path}: perturbation '${p}' (--perturbations) has no cells: no obs '${o.perturbationKey}' = '${p}'${scope}`,
      );
  const heldOut = new Set<number>();
  for (const h of o.holdout) {
    const at = h.lastIndexOf("@");
    const [p, d] = [h.slice(0, at), Number(h.slice(at + 1))];
    const e = envs.findIndex((env) => !env.control && env.perturbation === p && env.dose === d);
    if (at < 0 || Number.isNaN(d))
      throw new DataError(`--holdout ${h}: expected PERTURBATION@DOSE, e.g. Belinostat@10000`);
    if (e < 0) {
      const doses = envs.filter((env) => env.perturbation === p).map((env) => formatDose(env.dose));
      throw new DataError(
        `${a.path}: --holdout ${h} names a perturbation with no cells: no obs '${o.perturbationKey}' = '${p}' with obs '${o.doseKey}' = ${d}${scope}` +
          (doses.length ? ` (its doses: ${doses.join(", ")})` : ""),
      );
    }
    heldOut.add(e);
  }
  return { envs, envOf, heldOut, dropped };
}
