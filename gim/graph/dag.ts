/**
 * Directed graphs as adjacency matrices (g[i][j] = 1 iff i → j): topological order, acyclicity,
 * cycles and the reachability that the metrics (SID) and the ground-truth sampler need.
 */
export type Matrix = number[][];

export function emptyGraph(d: number): Matrix {
  return Array.from({ length: d }, () => new Array<number>(d).fill(0));
}

/** A topological order of g (g[i][j] = 1 iff i → j), or null when g has a cycle. */
export function topologicalOrder(g: Matrix): number[] | null {
  const d = g.length;
  const indegree = Array.from({ length: d }, (_, j) => g.reduce((acc, row) => acc + (row[j] ? 1 : 0), 0));
  const queue = indegree.flatMap((deg, j) => (deg === 0 ? [j] : []));
  const order: number[] = [];
  while (queue.length > 0) {
    const i = queue.shift()!;
    order.push(i);
    for (let j = 0; j < d; j++) if (g[i][j] && --indegree[j] === 0) queue.push(j);
  }
  return order.length === d ? order : null;
}

export function isAcyclic(g: Matrix): boolean {
  return topologicalOrder(g) !== null;
}

/** The edges (i, j) of one directed cycle of g, or null. */
export function findCycle(g: Matrix): [number, number][] | null {
  const d = g.length;
  const state = new Array<number>(d).fill(0); // 0 new, 1 on stack, 2 done
  const parent = new Array<number>(d).fill(-1);
  for (let root = 0; root < d; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [v, next] = top;
      if (next >= d) {
        state[v] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      if (!g[v][next]) continue;
      if (state[next] === 0) {
        state[next] = 1;
        parent[next] = v;
        stack.push([next, 0]);
      } else if (state[next] === 1) {
        const cycle: [number, number][] = [[v, next]];
        for (let u = v; u !== next; u = parent[u]) cycle.push([parent[u], u]);
        return cycle;
      }
    }
  }
  return null;
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
