/** Random DAGs of spec §9: Erdős–Rényi and scale-free (Barabási–Albert), randomly relabelled. */
import { type Matrix, emptyGraph } from "../graph/dag.js";
import type { Random } from "./random.js";

/** Relabels node i as perm[i]: out[perm[i]][perm[j]] = g[i][j]. */
function relabel(g: Matrix, perm: number[]): Matrix {
  const out = emptyGraph(g.length);
  g.forEach((row, i) => row.forEach((e, j) => (out[perm[i]][perm[j]] = e)));
  return out;
}

/** Erdős–Rényi: strictly lower-triangular Bernoulli(2E/(d(d−1))) with E = edgesPerNode·d, permuted. */
export function erdosRenyi(d: number, edgesPerNode: number, rng: Random): Matrix {
  const p = Math.min(1, (2 * edgesPerNode * d) / Math.max(d * (d - 1), 1));
  const g = emptyGraph(d);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) if (rng.uniform() < p) g[i][j] = 1;
  return relabel(g, rng.permutation(d));
}

/**
 * Barabási–Albert as igraph's directed `Barabasi(n, m)` (DiBS's scale-free graphs): node v = 1..d−1
 * points to min(m, v) distinct older nodes, each drawn with probability ∝ in-degree + 1 (igraph's
 * defaults power = 1, zero_appeal = 1, outpref = False, no multi-edges); then a random relabelling.
 * Edges new → old keep it acyclic.
 */
export function scaleFree(d: number, edgesPerNode: number, rng: Random): Matrix {
  const m = Math.max(1, Math.round(edgesPerNode));
  const g = emptyGraph(d);
  const inDegree = new Array<number>(d).fill(0);
  for (let v = 1; v < d; v++) {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(m, v)) {
      // Draw among the older nodes not yet chosen (igraph removes them from its prefix-sum tree).
      const open = Array.from({ length: v }, (_, u) => u).filter((u) => !chosen.has(u));
      let u = rng.uniform() * open.reduce((s, w) => s + inDegree[w] + 1, 0);
      let pick = open[open.length - 1];
      for (const w of open) {
        u -= inDegree[w] + 1;
        if (u < 0) {
          pick = w;
          break;
        }
      }
      chosen.add(pick);
    }
    for (const u of chosen) {
      g[v][u] = 1;
      inDegree[u]++;
    }
  }
  return relabel(g, rng.permutation(d));
}
