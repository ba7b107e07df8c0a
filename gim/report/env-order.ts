/**
 * The order environments appear in the report: by split (train, then each held-out split), then
 * by perturbation and dose where perturbations.csv or prep.json says, else by id with numbers
 * compared as numbers (`p0_s0.5` < `p0_s1` < `p0_s4`); and which few to show when there is room
 * for only some.
 */
import { type Environment, SCORED_SPLITS, type Split } from "../data/dataset.js";
import { perturbationOfId } from "../data/perturbation-groups.js";
import type { EnvPerturbation } from "../data/perturbations.js";

export type Perturbations = Map<string, EnvPerturbation> | null;

export function orderEnvs(envs: Environment[], split: (e: Environment) => Split, perturbations: Perturbations) {
  return [...envs].sort((a, b) => {
    const bySplit = SCORED_SPLITS.indexOf(split(a)) - SCORED_SPLITS.indexOf(split(b));
    if (bySplit !== 0) return bySplit;
    const [pa, pb] = [perturbations?.get(a.id), perturbations?.get(b.id)];
    if (pa && pb) return pa.perturbation.localeCompare(pb.perturbation) || pa.dose - pb.dose;
    return a.id.localeCompare(b.id, "en", { numeric: true });
  });
}

/**
 * At most `max` of the ordered `envs`, spread over perturbations: each perturbation's last
 * (highest dose) env first, round robin, then the next-highest; returned in the given order.
 */
export function spreadPick(envs: Environment[], perturbations: Perturbations, max: number): Environment[] {
  const groups = new Map<string, Environment[]>();
  for (const e of envs) {
    const key = perturbations?.get(e.id)?.perturbation ?? perturbationOfId(e.id);
    groups.set(key, [...(groups.get(key) ?? []), e]);
  }
  const picked = new Set<Environment>();
  for (let depth = 1; picked.size < Math.min(max, envs.length); depth++)
    for (const group of groups.values()) {
      const e = group.at(-depth);
      if (e && picked.size < max) picked.add(e);
    }
  return envs.filter((e) => picked.has(e));
}
