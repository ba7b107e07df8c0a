/** Random DAGs (spec §9) and the reachability helpers the metrics need. g[i][j] = 1 iff i → j. */
import type { HostRandom } from "../engine/host-random.js";
import type { Matrix } from "./map-estimate.js";

export function emptyGraph(d: number): Matrix {
  return Array.from({ length: d }, () => new Array<number>(d).fill(0));
}

function permute(g: Matrix, rng: HostRandom): Matrix {
  const d = g.length;
  const perm = Array.from({ length: d }, (_, i) => i);
  for (let i = d - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  const out = emptyGraph(d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[perm[i]][perm[j]] = g[i][j];
  return out;
}

/** Erdős–Rényi: strictly lower-triangular Bernoulli(2E/(d(d−1))) with E = edgesPerNode·d, permuted. */
export function erdosRenyi(d: number, edgesPerNode: number, rng: HostRandom): Matrix {
  const p = Math.min(1, (2 * edgesPerNode * d) / Math.max(d * (d - 1), 1));
  const g = emptyGraph(d);
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) if (rng.uniform() < p) g[i][j] = 1;
  return permute(g, rng);
}

/** Barabási–Albert: each new node points to m existing nodes chosen ∝ degree (+1), relabelled. */
export function scaleFree(d: number, edgesPerNode: number, rng: HostRandom): Matrix {
  const m = Math.max(1, Math.round(edgesPerNode));
  const g = emptyGraph(d);
  const degree = new Array<number>(d).fill(0);
  for (let v = 1; v < d; v++) {
    const chosen = new Set<number>();
    while (chosen.size < Math.min(m, v)) {
      const total = degree.slice(0, v).reduce((a, b) => a + b + 1, 0);
      let u = rng.uniform() * total;
      let pick = 0;
      for (; pick < v - 1; pick++) {
        u -= degree[pick] + 1;
        if (u < 0) break;
      }
      chosen.add(pick);
    }
    for (const u of chosen) {
      g[v][u] = 1;
      degree[u]++;
      degree[v]++;
    }
  }
  return permute(g, rng);
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
