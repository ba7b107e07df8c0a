/**
 * The refit phase (`--refit-steps`, docs/tuning.md session 4). Prediction samples ancestrally
 * from G_MAP, a DAG, but training fits θ, ℓ and φ under graph samples from p(G|Z) that, when the
 * augmented Lagrangian has not finished, still hold cycles: a 2-cycle i ⇄ j lets the mechanisms
 * explain an intervention's downstream shifts without naming its targets, and dropping the cycle
 * edges for G_MAP (§8) then leaves a model that reproduces neither. The refit keeps the objective
 * as it is and only pins the graph to G_MAP: Z is overwritten so that every sample of p(G|Z) is
 * exactly G_MAP, and frozen (its gradients are dropped before the Adam step), while θ, ℓ and φ
 * go on training under the graph prediction uses.
 *
 * Pinning: S = U Vᵀ with U = c(2G − 1), V = c·I (rank k ≥ d; extra columns 0) and c² = 200/α,
 * so |α S| = 200 at the switch (and more later, α grows) against logistic noise below 17 in
 * float32: every hard and soft sample is G_MAP exactly, the soft samples are a hard DAG, so ĥ = 0
 * (§7's guard), and the edge prior's gradient vanishes. The pinned Z's Gaussian prior is a
 * constant in the reported loss (about 100·c²·k/(2N)).
 */
import { type Matrix, isAcyclic } from "../graph/dag.js";

/** What the model file keeps from before the refit (the pinned Z would report 0/1). */
export interface RefitState {
  /** The step at which the graph was pinned (= config.steps). */
  fromStep: number;
  /** Cycle edges dropped from G_∞(Z) to make G_MAP (§8), before pinning. */
  cycleEdgesDropped: number;
  /** σ(α S) before pinning. */
  edgeProbabilities: Matrix;
}

export const PINNED_LOGIT = 200;

/** U, V [d, k] (row-major) whose scores pin every graph sample to `graph` at inverse temperature α. */
export function pinnedEmbedding(graph: Matrix, k: number, alpha: number): { U: number[]; V: number[] } {
  const d = graph.length;
  if (k < d)
    throw new Error(`the refit pins the graph through Z = (U, V) and needs the latent rank k ≥ d (k = ${k}, d = ${d})`);
  if (!(alpha > 0)) throw new Error(`the refit needs an inverse temperature α > 0 at the switch (α = ${alpha})`);
  if (!isAcyclic(graph)) throw new Error("the refit graph must be a DAG");
  const c = Math.sqrt(PINNED_LOGIT / alpha);
  const U = new Array<number>(d * k).fill(0);
  const V = new Array<number>(d * k).fill(0);
  for (let i = 0; i < d; i++) {
    V[i * k + i] = c;
    for (let j = 0; j < d; j++) U[i * k + j] = graph[i][j] && i !== j ? c : -c;
  }
  return { U, V };
}
