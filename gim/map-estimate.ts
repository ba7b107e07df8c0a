/**
 * MAP estimates of spec §8: G_MAP = G_∞(Z) = 1[S > 0] off the diagonal; while it has a cycle,
 * drop the cycle edge with the smallest score. Kahn's algorithm decides acyclicity.
 */
export type Matrix = number[][];

export function limitGraph(scores: Matrix): Matrix {
  return scores.map((row, i) => row.map((s, j) => (i !== j && s > 0 ? 1 : 0)));
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

/** G_MAP and how many cycle edges had to be dropped. */
export function mapGraph(scores: Matrix): { graph: Matrix; dropped: number } {
  const graph = limitGraph(scores);
  let dropped = 0;
  for (let cycle = findCycle(graph); cycle; cycle = findCycle(graph)) {
    const [i, j] = cycle.reduce((best, e) => (scores[e[0]][e[1]] < scores[best[0]][best[1]] ? e : best));
    graph[i][j] = 0;
    dropped++;
  }
  return { graph, dropped };
}
