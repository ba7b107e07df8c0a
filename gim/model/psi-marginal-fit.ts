/**
 * The marginal fit of ψ (`--psi-marginal-fit`) [not in the spec]: an extra term
 *   J_ψ = Σ_{n in an interventional env e} (1/R) Σ_r Σ_j L^i[r, n, j],
 * the log-likelihood of every variable of every interventional row under its env's
 * intervention distribution (hard: N(m, e^{2λ}); hard-ZILN: ZILN(σ(ζ'), m, 2λ)), target or not.
 *
 * Why: in J, ψ_e,j gets a gradient only through I_e,j L^i, i.e. only while j is sampled as a
 * target of e. Early in training ψ is still at its initialisation, so naming a target gains
 * nothing, the target prior λ_I Σσ(a) switches the target off, its logit saturates, and ψ_e,j never
 * learns: the graph then explains the shift through a chain of edges from another target
 * (docs/tuning.md, session 7). For a hard intervention the parents are ignored, so the MLE of
 * ψ_e,j when j is a target is exactly the fit of env e's marginal of x_j: J_ψ trains ψ to that
 * value for every (e, j), so a target can be switched on at any time with its parameters ready.
 * For targets it pulls ψ where J already does; for non-targets ψ is unused by J. Shift
 * interventions have no such closed form (x_j = μ_j(pa) + δ + ε) and are refused.
 *
 * It enters the φ pass's per-graph sums A_m as the same constant for every m, so
 * LSE_m(A_m + J_ψ) = LSE_m(A_m) + J_ψ: it adds to the loss and trains only h_φ.
 */
import { ones, zeros } from "../../engine/index.js";
import { add, affine, concat, mul, sum } from "../../kernels/ops.js";
import type { Tensor } from "../../engine/tensor.js";
import type { GimConfig } from "./config.js";
import type { DeviceData } from "./device-data.js";
import { interventionTerms } from "./likelihood.js";

/** J_ψ of one row block (scalar): psi [E, R, c·d] with env 0 the observational one. */
export function psiMarginalFit(config: GimConfig, data: DeviceData, psi: Tensor, ell: Tensor): Tensor {
  const [E, R] = psi.shape;
  const options = { backend: psi.backend, dtype: psi.dtype };
  const everyVariable = concat([zeros([1, R, data.d], options), ones([E - 1, R, data.d], options)], 0);
  const { b } = interventionTerms(config, data, { ell, targets: everyVariable, psi }); // [R, N]
  const perRow = sum(b, 0); // [N]
  const weighted = data.rowWeights ? mul(perRow, data.rowWeights) : perRow;
  return affine(sum(weighted), 1 / R);
}

/** A φ-pass term (per-graph sums A_m or ℓ̂) plus J_ψ when config.psiMarginalFit is on, else as is. */
export function withPsiMarginalFit(config: GimConfig, data: DeviceData, phi: Tensor, psi: Tensor, ell: Tensor): Tensor {
  return config.psiMarginalFit ? add(phi, psiMarginalFit(config, data, psi, ell)) : phi;
}
