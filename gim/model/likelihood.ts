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
import { zeros } from "../../engine/index.js";
import { add, affine, concat, exp, gather, hardInterventionB, logsumexp, matmul, mul, neg, normalLogpdf, pairLogsumexp, reshape, slice, square, sum, tanh, transpose, zilnInterventionB, zilnLogpdf } from "../../kernels/ops.js";
import type { Tensor } from "../../engine/tensor.js";
import { type GimConfig, noiseOf } from "./config.js";
import { zetaOf } from "./params.js";

/**
 * Training data on the device. When the likelihood's per-row tensors would not fit the memory
 * budget, the rows are also uploaded as `chunks` (row blocks in the same order, each a DeviceData
 * of its own with the global env indices and env starts relative to the block) and every
 * row-dependent term is evaluated block by block (gim/objective.ts).
 */
export interface DeviceData {
  /** X: [N, d], rows sorted by environment, observational first. */
  X: Tensor;
  /** env index of each row as float-coded integers: [N]. */
  env: Tensor;
  /** envStart[e] = first row of env e; envStart[E] = N. */
  envStart: number[];
  /** The same as a float-coded tensor [E + 1]. */
  envStartTensor: Tensor;
  /** One-hot [E, N] (per-env variant only). */
  envOneHot: Tensor | null;
  /** O = 11ᵀ − I: [d, d]. */
  offDiagonal: Tensor;
  N: number;
  E: number;
  d: number;
  /** Row blocks when chunked over N; empty when the rows are evaluated in one block. */
  chunks: DeviceData[];
}

/** The row blocks to evaluate: the chunks, or the data itself. */
export function rowBlocks(data: DeviceData): DeviceData[] {
  return data.chunks.length > 0 ? data.chunks : [data];
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
 * Hard: targets [E, R, d] (env 0 all zero), psi [E, R, 2d] = (m, λ);
 * b[r, n] = Σ_j I L^i by the fused kernel (kernels/intervention-logpdf.ts); Q = 1 − I.
 */
export function hardInterventionTerms(data: DeviceData, targets: Tensor, psi: Tensor, config: GimConfig): InterventionTerms {
  const { d } = data;
  const mean = slice(psi, 2, 0, d);
  const logStd = clampLogStd(slice(psi, 2, d, 2 * d), config.logStdClamp);
  return { b: hardInterventionB(data.X, data.env, data.envStartTensor, targets, mean, logStd), Q: affine(targets, -1, 1) };
}

/** Shift: psi [E, R, d] = δ; Q = I·δ, b[r, n] = −½ Σ_j I δ² e^{−ℓ} of env e(n). */
export function shiftInterventionTerms(data: DeviceData, ell: Tensor, targets: Tensor, psi: Tensor): InterventionTerms {
  const shift = mul(targets, psi);
  const bEnv = affine(sum(mul(mul(shift, psi), exp(neg(ell))), 2), -0.5); // [E, R]
  return { b: transpose(gather(bEnv, data.env, 0), [1, 0]), Q: shift };
}

/**
 * L^o [M, N, d] = ℓ^obs_j(x_n; G^(m)) for the means μ [M, N, d]: log N(x; μ, e^ℓ), or with ZILN
 * noise log ZILN(x; π = σ(ζ), μ, e^ℓ) (spec §3 eq 15), ζ the last entry of `mech`.
 */
export function noiseLogpdf(config: GimConfig, X: Tensor, mu: Tensor, ell: Tensor, mech: Tensor[]): Tensor {
  return noiseOf(config) === "ziln" ? zilnLogpdf(X, mu, ell, zetaOf(config, mech)) : normalLogpdf(X, mu, ell);
}

/**
 * Hard-ZILN (spec §4, c = 3): psi [E, R, 3d] = (ζ', m, λ), λ smoothly clamped like the hard
 * log-std; L^i[r, n, j] = log ZILN(x[n, j]; π = σ(ζ'), μ = m, ℓ = 2λ) of env e(n), and, as for
 * hard, b[r, n] = Σ_j I L^i by the fused kernel (kernels/ziln-intervention.ts); Q = 1 − I.
 */
export function zilnInterventionTerms(data: DeviceData, targets: Tensor, psi: Tensor, config: GimConfig): InterventionTerms {
  return { b: zilnInterventionB(data.X, data.env, data.envStartTensor, targets, psi, config.logStdClamp), Q: affine(targets, -1, 1) };
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

/** The full contraction: a = 0, P = L^o (hard, hard-ZILN) or a = Σ_j L^o, P = ρ e^{−ℓ} (shift; ρ = x − μ). */
export function contraction(config: GimConfig, Lo: Tensor, rho: Tensor | null, ell: Tensor, terms: InterventionTerms): Contraction {
  if (config.intervention !== "shift") return { a: null, b: terms.b, P: Lo, Q: terms.Q };
  return { a: sum(Lo, 2), b: terms.b, P: mul(rho!, exp(neg(ell))), Q: terms.Q };
}

/** ℓ̂ of eq 10 from the contraction terms. */
export function estimator(data: DeviceData, c: Contraction, config: GimConfig): Tensor {
  return logMeanExp(perGraphSums(data, c, config));
}

/** ℓ̂ = LSE_m[A_m] − log M from A [M]. */
export function logMeanExp(perGraph: Tensor): Tensor {
  return affine(logsumexp(perGraph, 0), 1, -Math.log(perGraph.shape[0]));
}

/** A_m [M]: the sum over this block's rows inside the LSE over m of eq 10. */
export function perGraphSums(data: DeviceData, c: Contraction, config: GimConfig): Tensor {
  const [M, N] = c.P.shape;
  const R = c.b.shape[0];
  let perGraph: Tensor; // A_m: [M]
  if (config.marginalize === "per-sample") {
    const a = c.a ?? zeros([M, N], { backend: c.P.backend, dtype: c.P.dtype });
    perGraph = sum(pairLogsumexp(a, c.b, c.P, c.Q, data.env), 1);
  } else {
    perGraph = perEnvTerms(data, c, R);
  }
  return perGraph;
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

/** −‖w‖²/(2s²) summed over tensors: the Gaussian priors of §6. */
export function gaussianPrior(tensors: Tensor[], std: number): Tensor {
  const parts = tensors.map((t) => sum(square(t)));
  const total = parts.length === 1 ? parts[0] : concatSum(parts);
  return affine(total, -1 / (2 * std * std));
}

function concatSum(parts: Tensor[]): Tensor {
  return sum(concat(parts.map((p) => reshape(p, [1])), 0));
}
