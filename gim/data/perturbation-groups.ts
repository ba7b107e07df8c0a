/**
 * Which environments belong to the same perturbation (all doses of one drug or one target set),
 * for holding a whole perturbation out (`gim tune`, the paper's appendix D.6).
 *
 * Features cannot tell: every generator here (gim synth and both outside generators) writes PCA
 * components of the standardised [I_e; ψ_e], and ψ moves along a Hill curve with the dose, so two
 * doses of one perturbation are neither equal nor collinear in feature space. Their env ids do
 * tell: all three name an env `<perturbation>_<dose tag>` (`tr3_d0.5`, `train3_s1`, `p3_s0.5`), as
 * do common screen layouts (`drugA_10uM`). Rules:
 * - "name": the id minus a trailing `_<letters><number><letters>` (or `-…`) dose tag; an id
 *   without one is a perturbation of its own.
 * - "targets": the true target set in truth.json (synthetic data; a check on "name").
 * - "env": every env on its own (holds out one dose only).
 * - an explicit CSV `env,group` (`--groups FILE`) overrides them all.
 */
import { DataError, readCsv } from "./csv.js";
import type { Dataset } from "./dataset.js";

export type GroupRule = "name" | "targets" | "env";

export const DOSE_SUFFIX = /^(.+?)[_-][A-Za-z]*[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?[A-Za-z]*$/i;

/** The perturbation an env id names, by the "name" rule. */
export function perturbationOfId(id: string): string {
  return DOSE_SUFFIX.exec(id)?.[1] ?? id;
}

/** Reads an explicit `env,group` CSV (header row first); every env must appear at most once. */
export function readGroupsFile(path: string): Map<string, string> {
  const table = readCsv(path);
  if (table.header.length < 2) throw new DataError(`${path}: expected the columns env,group`);
  const groups = new Map<string, string>();
  for (const row of table.rows) {
    const [env, group] = row.cells;
    if (!env || !group) throw new DataError(`${path}, line ${row.line}: an env and a group are needed`);
    if (groups.has(env)) throw new DataError(`${path}, line ${row.line}: env '${env}' is listed twice`);
    groups.set(env, group);
  }
  return groups;
}

/**
 * Groups the non-observational envs with `ids` by perturbation, in order of first appearance.
 * `explicit` (from readGroupsFile) must name every one of them.
 */
export function perturbationGroups(
  dataset: Dataset,
  ids: string[],
  rule: GroupRule,
  explicit?: Map<string, string>,
): Map<string, string[]> {
  const groupOf = (id: string): string => {
    if (explicit) {
      const g = explicit.get(id);
      if (g === undefined) throw new DataError(`the groups file has no row for env '${id}'`);
      return g;
    }
    if (rule === "env") return id;
    if (rule === "name") return perturbationOfId(id);
    const targets = dataset.truth?.targets[id];
    if (!targets)
      throw new DataError(`--group-by targets needs the true targets of env '${id}' (truth.json in ${dataset.dir})`);
    return `targets{${targets.flatMap((t, j) => (t ? [dataset.variables[j]] : [])).join(",")}}`;
  };
  const groups = new Map<string, string[]>();
  for (const id of ids) {
    const g = groupOf(id);
    const members = groups.get(g);
    if (members) members.push(id);
    else groups.set(g, [id]);
  }
  return groups;
}
