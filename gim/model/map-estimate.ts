/**
 * MAP estimates of spec §8: G_MAP = G_∞(Z) = 1[S > 0] off the diagonal; while it has a cycle,
 * drop the cycle edge with the smallest score.
 */
import { type Matrix, findCycle } from "../graph/dag.js";

export function limitGraph(scores: Matrix): Matrix {
  return scores.map((row, i) => row.map((s, j) => (i !== j && s > 0 ? 1 : 0)));
}

/** σ(α S) off the diagonal: the edge probabilities of p(G | Z) at inverse temperature α (spec §2). */
export function edgeProbabilities(scores: Matrix, alpha: number): Matrix {
  return scores.map((row, i) => row.map((s, j) => (i === j ? 0 : 1 / (1 + Math.exp(-alpha * s)))));
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
