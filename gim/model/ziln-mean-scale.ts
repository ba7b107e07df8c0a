/**
 * The scale of the hard-ZILN mean head (`--ziln-mean-scale`) [not in the spec when "linear"].
 *
 * A hard-ZILN intervention sets a target to ZILN(σ(ζ'), m, λ): 0 with probability σ(ζ'), else
 * exp(m + e^λ ε). "log" (the spec, §3): h_φ's mean head outputs m itself. "linear": it outputs u and
 *   m = log softplus(u),   i.e. e^m = softplus(u),
 * so the head is (for u ≫ 0) the median of the positive part in the data's own scale.
 *
 * Why: the head is a tanh network of the features, which a held-out dose reaches by extrapolation
 * along the log-dose; in m that extrapolation is multiplicative in x, so a response that rises
 * between the training doses overshoots geometrically at a higher one (docs/single-cell.md,
 * session 11: Quisinostat's G1108 predicted +2.2 for a true +1.6). In u it is additive in x, the
 * way the mean-shift MLP baseline extrapolates.
 *
 * VJP: ∂m/∂u = σ(u)/softplus(u), by the chain rule through the engine's log and softplus ops (each
 * with its own VJP and gradient check), so no kernel of its own.
 */
import { softplus as softplusHost } from "../../engine/cpu-math.js";
import type { Tensor } from "../../engine/tensor.js";
import { log, softplus } from "../../kernels/ops.js";
import type { GimConfig, ZilnMeanScale } from "./config.js";

export const zilnMeanScaleOf = (config: GimConfig): ZilnMeanScale => config.zilnMeanScale ?? "log";

/** m from the mean head's output, on the device. */
export function zilnMeanFromHead(config: GimConfig, head: Tensor): Tensor {
  return zilnMeanScaleOf(config) === "linear" ? log(softplus(head)) : head;
}

/** m from the mean head's output, on the host (prediction). */
export function zilnMeanFromHeadHost(config: GimConfig, head: number[]): number[] {
  return zilnMeanScaleOf(config) === "linear" ? head.map((u) => Math.log(softplusHost(u))) : head;
}

/** The head's output that gives m (its output bias at initialisation): softplus⁻¹(e^m) = log(e^{e^m} − 1). */
export function zilnHeadFromMean(config: GimConfig, m: number[]): number[] {
  return zilnMeanScaleOf(config) === "linear" ? m.map((v) => Math.log(Math.expm1(Math.exp(v)))) : m;
}
