/**
 * The Monte Carlo likelihood estimator of spec §5 (eq 10):
 *   ℓ̂ = LSE_m[A_m] − log M,
 *   A_m = Σ_{n∈e0} Σ_j ℓ^obs_j + Σ_{e≥1} Σ_n (LSE_r[Λ^e_{m,r,n}] − log M),
 *   Λ_{m,r,n} = a_{m,n} + b_{r,n} + Σ_j P_{m,n,j} Q_{e(n),r,j}       ("efficient evaluation")
 * by intervention type,
 *   hard:  a = 0, P = L^o, Q = 1 − I, b_{r,n} = Σ_j I_{e(n),r,j} L^i_{r,n,j}
 *          (the spec's a = Σ_j L^o with Q = −I, folded: Σ_j L^o_j (1 − I_j) needs no a, so the
 *          [M,N] row sum, its VJP's broadcast and the cotangent add are never run)
 *   shift: a_{m,n} = Σ_j L^o_{m,n,j}, P = ρ e^{−ℓ} (ρ = x − μ), Q = I·δ, b_{r,n} = −½ Σ_j I δ² e^{−ℓ}
 *   hard-ZILN: as hard (a = 0, Q = 1 − I), with L^o and L^i ZILN log-densities (§3 eq 15, §4 c = 3;
 *          fused b)
 * The observational env has I = 0, so its terms reduce to a_{m,n}. Samples are sorted by env.
 * The pair contraction and the inner LSE run fused (kernels/pair-logsumexp.ts): the M×R×N tensor
 * is never materialised. `per-env` moves the sum over n inside the LSE over r (spec §5 variant).
 */
import { isRecording, tidy } from "../../engine/index.js";
import {
  add,
  affine,
  exp,
  gather,
  hardInterventionB,
  linearGaussianLogpdf,
  linearMechanism,
  logsumexp,
  matmul,
  mechanismGemmLogpdf,
  mechanismGemmMean,
  mlpGaussianLogpdf,
  mlpMechanism,
  mul,
  neg,
  normalLogpdf,
  pairLogsumexp,
  reshape,
  slice,
  sub,
  sum,
  sumSquaresOf,
  tanh,
  transpose,
  zilnInterventionB,
  zilnLogpdf,
} from "../../kernels/ops.js";
import type { Tensor } from "../../engine/tensor.js";
import { type GimConfig, noiseOf } from "./config.js";
import { type DeviceData, rowBlocks } from "./device-data.js";
import { type MechanismParams, meanWeights } from "./params.js";
import { gemmPreferred } from "../../kernels/mechanism-gemm.js";

/** Where ℓ̂ is evaluated: graphs [M, d, d], θ_mech, log-variances ℓ [d], targets [E, R, d], ψ [E, R, c·d]. */
export interface LikelihoodInputs {
  graphs: Tensor;
  mech: MechanismParams;
  ell: Tensor;
  targets: Tensor;
  psi: Tensor;
}

/** Smooth clamp c·tanh(λ/c) of the hard-intervention log-std (spec §4, rev. §13). */
export function clampLogStd(lambda: Tensor, c: number): Tensor {
  return c > 0 ? affine(tanh(affine(lambda, 1 / c)), c) : lambda;
}

export interface Contraction {
  a: Tensor | null; // [M, N]; null means 0
  b: Tensor; // [R, N]
  P: Tensor; // [M, N, d]
  Q: Tensor; // [E, R, d]
}

/** The parts of Λ that depend only on the targets and intervention parameters. */
export interface InterventionTerms {
  b: Tensor; // [R, N]
  Q: Tensor; // [E, R, d]
}

/**
 * Hard: targets [E, R, d] (env 0 all zero), psi [E, R, 2d] = (m, λ), λ smoothly clamped (clampLogStd);
 * b[r, n] = Σ_j I L^i by the fused kernel (kernels/intervention-logpdf.ts, the clamp inside); Q = 1 − I.
 */
export function hardInterventionTerms(
  data: DeviceData,
  targets: Tensor,
  psi: Tensor,
  config: GimConfig,
): InterventionTerms {
  return {
    b: hardInterventionB(data.X, data.env, data.envStartTensor, targets, psi, config.logStdClamp),
    Q: affine(targets, -1, 1),
  };
}

/** Shift: psi [E, R, d] = δ; Q = I·δ, b[r, n] = −½ Σ_j I δ² e^{−ℓ} of env e(n). */
export function shiftInterventionTerms(data: DeviceData, ell: Tensor, targets: Tensor, psi: Tensor): InterventionTerms {
  const shift = mul(targets, psi);
  const bEnv = affine(sum(mul(mul(shift, psi), exp(neg(ell))), 2), -0.5); // [E, R]
  return { b: transpose(gather(bEnv, data.env, 0), [1, 0]), Q: shift };
}

/** b and Q of Λ for these targets and ψ (they do not depend on the graph or the mechanisms). */
export function interventionTerms(
  config: GimConfig,
  data: DeviceData,
  at: Pick<LikelihoodInputs, "ell" | "targets" | "psi">,
): InterventionTerms {
  if (config.intervention === "ziln") return zilnInterventionTerms(data, at.targets, at.psi, config);
  return config.intervention === "hard"
    ? hardInterventionTerms(data, at.targets, at.psi, config)
    : shiftInterventionTerms(data, at.ell, at.targets, at.psi);
}

/** μ [M, N, d] for graphs G [M, d, d] (as batched GEMMs at large d; X is data, it gets no gradient there). */
export function mechanismMean(X: Tensor, graphs: Tensor, mech: MechanismParams): Tensor {
  if (gemmPreferred(mech.kind, X.shape[1]) && !X.requiresGrad)
    return mechanismGemmMean(mech.kind, X, graphs, meanWeights(mech));
  return mech.kind === "linear"
    ? linearMechanism(X, graphs, mech.Theta)
    : mlpMechanism(X, graphs, mech.W1, mech.b1, mech.w2, mech.b2);
}

/** L^o [M, N, d] = log N(x; μ(G ⊙ x), e^ℓ) by the fused mechanism + Gaussian kernel. */
export function observationalLogpdf(X: Tensor, graphs: Tensor, mech: MechanismParams, ell: Tensor): Tensor {
  if (gemmPreferred(mech.kind, X.shape[1]) && !X.requiresGrad)
    return mechanismGemmLogpdf(mech.kind, X, graphs, meanWeights(mech), ell);
  return mech.kind === "linear"
    ? linearGaussianLogpdf(X, graphs, mech.Theta, ell)
    : mlpGaussianLogpdf(X, graphs, mech.W1, mech.b1, mech.w2, mech.b2, ell);
}

/**
 * L^o [M, N, d] = ℓ^obs_j(x_n; G^(m)) for the means μ [M, N, d]: log N(x; μ, e^ℓ), or with ZILN
 * noise (mech.zeta set) log ZILN(x; π = σ(ζ), μ, e^ℓ) (spec §3 eq 15).
 */
export function noiseLogpdf(X: Tensor, mu: Tensor, ell: Tensor, mech: MechanismParams): Tensor {
  return mech.zeta ? zilnLogpdf(X, mu, ell, mech.zeta) : normalLogpdf(X, mu, ell);
}

/**
 * Hard-ZILN (spec §4, c = 3): psi [E, R, 3d] = (ζ', m, λ), λ smoothly clamped like the hard
 * log-std; L^i[r, n, j] = log ZILN(x[n, j]; π = σ(ζ'), μ = m, ℓ = 2λ) of env e(n), and, as for
 * hard, b[r, n] = Σ_j I L^i by the fused kernel (kernels/ziln-intervention.ts); Q = 1 − I.
 */
export function zilnInterventionTerms(
  data: DeviceData,
  targets: Tensor,
  psi: Tensor,
  config: GimConfig,
): InterventionTerms {
  return {
    b: zilnInterventionB(data.X, data.env, data.envStartTensor, targets, psi, config.logStdClamp),
    Q: affine(targets, -1, 1),
  };
}

/**
 * The same b as zilnInterventionTerms from existing ops (gather ψ to [N, R, d], zilnLogpdf,
 * product, sum): the reference the fused kernel is tested against.
 */
export function zilnInterventionBComposed(data: DeviceData, targets: Tensor, psi: Tensor, config: GimConfig): Tensor {
  const { d, N } = data;
  const perRow = (t: Tensor) => gather(t, data.env, 0); // [E, R, d] → [N, R, d]
  const zeroLogit = slice(psi, 2, 0, d);
  const mean = slice(psi, 2, d, 2 * d);
  const logVar = affine(clampLogStd(slice(psi, 2, 2 * d, 3 * d), config.logStdClamp), 2);
  const Li = zilnLogpdf(reshape(data.X, [N, 1, d]), perRow(mean), perRow(logVar), perRow(zeroLogit)); // [N, R, d]
  return transpose(sum(mul(perRow(targets), Li), 2), [1, 0]);
}

/** The graph-dependent part of Λ: L^o [M, N, d] and, for shift interventions, ρ = x − μ [M, N, d]. */
export interface Observational {
  Lo: Tensor;
  rho: Tensor | null;
}

/** The full contraction: a = 0, P = L^o (hard, hard-ZILN) or a = Σ_j L^o, P = ρ e^{−ℓ} (shift). */
export function contraction(config: GimConfig, obs: Observational, ell: Tensor, terms: InterventionTerms): Contraction {
  if (config.intervention !== "shift") return { a: null, b: terms.b, P: obs.Lo, Q: terms.Q };
  return { a: sum(obs.Lo, 2), b: terms.b, P: mul(obs.rho!, exp(neg(ell))), Q: terms.Q };
}

/**
 * One row block's A_m [M] (the sum over its rows inside eq 10's LSE over m), and its L^o and ρ,
 * which the φ term reuses. `terms` may be passed when another term already built them.
 */
export function likelihoodSums(
  config: GimConfig,
  data: DeviceData,
  at: LikelihoodInputs,
  terms = interventionTerms(config, data, at),
): { perGraph: Tensor } & Observational {
  if (config.intervention !== "shift" && noiseOf(config) === "gaussian") {
    const Lo = observationalLogpdf(data.X, at.graphs, at.mech, at.ell);
    return {
      perGraph: perGraphSums(data, contraction(config, { Lo, rho: null }, at.ell, terms), config),
      Lo,
      rho: null,
    };
  }
  const mu = mechanismMean(data.X, at.graphs, at.mech);
  const Lo = noiseLogpdf(data.X, mu, at.ell, at.mech);
  const rho = config.intervention === "shift" ? sub(data.X, mu) : null;
  return { perGraph: perGraphSums(data, contraction(config, { Lo, rho }, at.ell, terms), config), Lo, rho };
}

/**
 * ℓ̂ summed over the row blocks. On the tape this keeps every block's intermediates until the
 * tape goes; the training step bounds memory its own way (gim/model/objective.ts stepObjective).
 */
export function likelihood(config: GimConfig, data: DeviceData, at: LikelihoodInputs): Tensor {
  // Without a tape (the holdout score) each block's intermediates can go as soon as it is summed.
  const blockSums = (block: DeviceData) => likelihoodSums(config, block, at).perGraph;
  const sums = rowBlocks(data).map((block) => (isRecording() ? blockSums(block) : tidy(() => blockSums(block))));
  return logMeanExp(sums.reduce((acc, t) => add(acc, t)));
}

/** ℓ̂ = LSE_m[A_m] − log M from A [M]. */
export function logMeanExp(perGraph: Tensor): Tensor {
  return affine(logsumexp(perGraph, 0), 1, -Math.log(perGraph.shape[0]));
}

/** A_m [M]: the sum over this block's rows inside the LSE over m of eq 10. */
export function perGraphSums(data: DeviceData, c: Contraction, config: GimConfig): Tensor {
  if (config.marginalize !== "per-sample") return perEnvTerms(data, c, c.b.shape[0]);
  if (!data.rowWeights) return pairLogsumexp(c.a, c.b, c.P, c.Q, data.env, data.pairTable, { sumRows: true });
  const rows = pairLogsumexp(c.a, c.b, c.P, c.Q, data.env, data.pairTable); // [M, N]
  return sum(mul(rows, data.rowWeights), 1);
}

/**
 * per-env: Σ_e (LSE_r[Σ_{n∈e} Λ_{m,r,n}] − log R). Sums over each env's rows by a one-hot
 * matmul: Σ_{n∈e} Λ = A_{m,e} + B_{r,e} + Σ_j Pseg_{m,e,j} Q_{e,r,j}.
 */
function perEnvTerms(data: DeviceData, c: Contraction, R: number): Tensor {
  const oneHot = data.envOneHot!;
  const M = c.P.shape[0];
  const B = matmul(oneHot, c.b, { transposeB: true }); // [E, R]
  const Pseg = transpose(matmul(oneHot, c.P), [1, 0, 2]); // [E, M, d]
  const cross = matmul(Pseg, c.Q, { transposeB: true }); // [E, M, R]
  const terms = [cross, reshape(B, [data.E, 1, R])];
  if (c.a) terms.push(reshape(matmul(oneHot, c.a, { transposeB: true }), [data.E, M, 1]));
  const lambda = addAll(...terms);
  const inner = affine(logsumexp(lambda, 2), 1, -Math.log(R)); // [E, M]
  return sum(inner, 0);
}

function addAll(...terms: Tensor[]): Tensor {
  return terms.reduce((acc, t) => add(acc, t));
}

/** The Gaussian priors of §6 on parameter tensors: N(0, std²) on each entry of `tensors`. */
export interface ParameterPrior {
  tensors: Tensor[];
  std: number;
}

/**
 * Σ over priors of −‖w‖²/(2σ²) for every tensor w of each, added onto `onto` when given: one
 * fused sum of squares (kernels/reduce.ts), six tensors a dispatch, whose VJP passes ȳ on to
 * `onto` without a kernel.
 */
export function gaussianPrior(priors: readonly ParameterPrior[], onto?: Tensor): Tensor {
  const tensors = priors.flatMap((p) => p.tensors);
  if (tensors.length === 0) throw new Error("gaussianPrior: no tensors");
  return sumSquaresOf(
    tensors,
    priors.flatMap((p) => p.tensors.map(() => -1 / (2 * p.std * p.std))),
    onto,
  );
}
