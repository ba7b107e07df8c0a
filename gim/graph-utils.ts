/**
 * Random DAGs (spec §9) and the reachability helpers the metrics need. g[i][j] = 1 iff i → j.
 * Acyclicity, topological order and cycles live in map-estimate.ts.
 */
import type { Matrix } from "./map-estimate.js";
import type { Random } from "./random.js";

export function emptyGraph(d: number): Matrix {
  return Array.from({ length: d }, () => new Array<number>(d).fill(0));
}

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

export function parents(g: Matrix, j: number): number[] {
  return g.flatMap((row, i) => (row[j] ? [i] : []));
}

/** Nodes reachable from `from` along directed edges (excluding `from` unless on a cycle). */
export function descendants(g: Matrix, from: number): Set<number> {
  const seen = new Set<number>();
  const stack = [from];
  while (stack.length > 0) {
    const v = stack.pop()!;
    g[v].forEach((e, w) => {
      if (e && !seen.has(w)) {
        seen.add(w);
        stack.push(w);
      }
    });
  }
  return seen;
}

/** Nodes with a directed path into any node of `to` (excluding them unless on a cycle). */
export function ancestors(g: Matrix, to: Iterable<number>): Set<number> {
  const seen = new Set<number>();
  const stack = [...to];
  while (stack.length > 0) {
    const v = stack.pop()!;
    g.forEach((row, u) => {
      if (row[v] && !seen.has(u)) {
        seen.add(u);
        stack.push(u);
      }
    });
  }
  return seen;
}

/** d-separation of x and y given Z in DAG g: moralise the ancestral graph of {x, y} ∪ Z, drop Z. */
export function dSeparated(g: Matrix, x: number, y: number, Z: Set<number>): boolean {
  const keep = new Set([x, y, ...Z, ...ancestors(g, [x, y, ...Z])]);
  const d = g.length;
  const adj = Array.from({ length: d }, () => new Set<number>());
  const link = (a: number, b: number) => {
    adj[a].add(b);
    adj[b].add(a);
  };
  for (const j of keep) {
    const pa = parents(g, j).filter((i) => keep.has(i));
    for (const i of pa) link(i, j);
    for (let a = 0; a < pa.length; a++) for (let b = a + 1; b < pa.length; b++) link(pa[a], pa[b]);
  }
  const seen = new Set([x]);
  const stack = [x];
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (const w of adj[v]) {
      if (Z.has(w) || seen.has(w)) continue;
      if (w === y) return false;
      seen.add(w);
      stack.push(w);
    }
  }
  return true;
}
