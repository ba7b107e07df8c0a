/**
 * Fused Adam update (Kingma & Ba 2015, Algorithm 1) of one parameter tensor, in place: the
 * parameter and both moments are the kernel's outputs, read and written; the gradient is its
 * input. One dispatch per parameter tensor and step.
 *
 *   g ← G + δ p                     (δ = decay: an L2 term folded in, below)
 *   m ← β₁ m + (1 − β₁) g
 *   v ← β₂ v + (1 − β₂) g²
 *   p ← p − lr · (m / c₁) / (√(v / c₂) + ε),   c₁ = 1 − β₁ᵗ, c₂ = 1 − β₂ᵗ
 * The bias corrections c₁, c₂ are computed on the host (in float64) and passed as params.
 *
 * Why δ: a loss term (δ/2)‖p‖² — a Gaussian prior N(0, 1/δ) on p — has the gradient δ p, which
 * depends on p alone. Adding it here gives Adam exactly the gradient that back-propagating the
 * term would (L2 regularisation, not AdamW's decoupled decay: δ p goes through the moments), and
 * saves the term's VJP dispatches and the gradient accumulation after them. δ = 0: plain Adam.
 *
 * WGSL: binding 0 g [n] read, 1 p [n] read_write, 2 m [n] read_write, 3 v [n] read_write,
 *   4 params {n, lr, beta1, beta2, eps, c1, c2, decay}; workgroup 256, one element per invocation,
 *   grid folded to 2-D above 65535 groups.
 */
import { defineKernel, groupsFor } from "./kernel.js";
import common from "./common.wgsl";

const WG = 256;

export const adamKernel = defineKernel({
  name: "adam.update",
  entry: "adam",
  inputs: ["G"],
  outputs: ["Param", "M", "V"],
  params: [
    ["n", "u32"],
    ["lr", "f32"],
    ["beta1", "f32"],
    ["beta2", "f32"],
    ["eps", "f32"],
    ["c1", "f32"],
    ["c2", "f32"],
    ["decay", "f32"],
  ],
  workgroupSize: WG,
  prelude: common,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let g = G[i] + P.decay * Param[i];
  let m = P.beta1 * M[i] + (1.0 - P.beta1) * g;
  let v = P.beta2 * V[i] + (1.0 - P.beta2) * g * g;
  M[i] = m;
  V[i] = v;
  Param[i] = Param[i] - P.lr * (m / P.c1) / (sqrt(v / P.c2) + P.eps);`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([g], [param, m, v], p) => {
    for (let i = 0; i < p.n; i++) {
      const gi = g[i] + p.decay * param[i];
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * gi;
      v[i] = p.beta2 * v[i] + (1 - p.beta2) * gi * gi;
      param[i] -= (p.lr * (m[i] / p.c1)) / (Math.sqrt(v[i] / p.c2) + p.eps);
    }
  },
});
