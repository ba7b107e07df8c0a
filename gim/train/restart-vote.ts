/**
 * `gim train --restarts K --restart-graph vote | vote-refit`: the majority vote of the K restarts'
 * MAP graphs.
 *
 * Why a vote: which basin of the non-convex objective a run ends in is the seed's luck
 * (docs/tuning.md, sessions 7 and 14); an edge that most restarts find is rarely a basin's
 * accident, while each restart's spurious or reversed edges are mostly its own.
 *
 * The vote keeps i → j when more than K/2 graphs hold it (a tie, K even, drops it). With K ≥ 4
 * majorities can close a cycle (a → b, b → c, c → a each with 3 of 5): while there is one, the
 * cycle edge with the fewest votes goes, ties broken by the lower mean edge probability σ(αS)
 * over the restarts — the rule of spec §8 for G_MAP, with votes for scores.
 *
 * What the model is: "vote" keeps the restart whose own MAP graph is nearest to the vote (fewest
 * differing entries; ties: the better holdout score), as trained — its graph, mechanisms and
 * targets fitted together. "vote-refit" pins the vote itself on that restart's state
 * (gim/train/refit.ts) and refits θ, ℓ and φ under it, so the model's graph is exactly the vote;
 * on held-out data (docs/tuning.md, session 15) the refit bought the vote's graph with worse
 * targets and out-of-distribution predictions, and "vote" is the one to use.
 */
import { type Matrix, findCycle } from "../graph/dag.js";

export interface GraphVote {
  /** The voted DAG. */
  graph: Matrix;
  /** votes[i][j]: restarts whose MAP graph holds i → j. */
  votes: Matrix;
  /** Mean σ(αS) over the restarts. */
  edgeProbabilities: Matrix;
  /** Majority edges dropped to break cycles. */
  cycleEdgesDropped: number;
}

/** The majority vote of `graphs` (each restart's MAP graph) with `probabilities` (its σ(αS)). */
export function voteGraph(graphs: Matrix[], probabilities: Matrix[]): GraphVote {
  const K = graphs.length;
  if (K === 0) throw new Error("a graph vote needs at least one graph");
  if (probabilities.length !== K) throw new Error(`${K} graphs but ${probabilities.length} probability matrices`);
  const d = graphs[0].length;
  const votes = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => (i === j ? 0 : graphs.reduce((n, g) => n + (g[i][j] ? 1 : 0), 0))),
  );
  const edgeProbabilities = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => (i === j ? 0 : probabilities.reduce((s, p) => s + p[i][j], 0) / K)),
  );
  const graph = votes.map((row) => row.map((v) => (2 * v > K ? 1 : 0)));
  const weaker = (a: [number, number], b: [number, number]) =>
    votes[a[0]][a[1]] !== votes[b[0]][b[1]]
      ? votes[a[0]][a[1]] < votes[b[0]][b[1]]
      : edgeProbabilities[a[0]][a[1]] < edgeProbabilities[b[0]][b[1]];
  let cycleEdgesDropped = 0;
  for (let cycle = findCycle(graph); cycle; cycle = findCycle(graph)) {
    const [i, j] = cycle.reduce((least, e) => (weaker(e, least) ? e : least));
    graph[i][j] = 0;
    cycleEdgesDropped++;
  }
  return { graph, votes, edgeProbabilities, cycleEdgesDropped };
}

/** Entries in which two graphs differ (a reversed edge counts twice). */
export function graphDistance(a: Matrix, b: Matrix): number {
  const flat = b.flat();
  return a.flat().reduce((n, v, k) => n + (v !== flat[k] ? 1 : 0), 0);
}

/**
 * The restart to refit under the vote: the one whose graph differs from it in the fewest entries,
 * ties broken by the higher score. Failed restarts (graph null or score not finite) are skipped.
 */
export function nearestRestart(graphs: (Matrix | null)[], scores: number[], vote: Matrix): number {
  let best = -1;
  let bestDistance = Infinity;
  graphs.forEach((g, k) => {
    if (!g || !Number.isFinite(scores[k])) return;
    const distance = graphDistance(g, vote);
    if (distance < bestDistance || (distance === bestDistance && scores[k] > scores[best])) {
      best = k;
      bestDistance = distance;
    }
  });
  if (best < 0) throw new Error(`all ${graphs.length} restarts failed`);
  return best;
}
