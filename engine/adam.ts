/**
 * Fused Adam update (Kingma & Ba 2015, Algorithm 1) of up to ADAM_PER_DISPATCH parameter
 * tensors in one dispatch, in place: the parameters and their moments are the kernel's outputs,
 * read and written; the gradients are its inputs. Per element of tensor t:
 *
 *   g ← G + δ_t p                   (δ = decay: an L2 term folded in, below)
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
 * Why several tensors a dispatch: a model has many small parameter tensors (22 in a default GIM
 * step, most under 256 entries), and each dispatch costs more than its arithmetic, most of all
 * where a step is bound by launches. The K tensors' moments live in one buffer MV [2S],
 * S = Σ n_t: m of tensor t at off_t … off_t + n_t − 1, its v S entries later.
 *
 * WGSL (one kernel per K): bindings 0 … K−1 G_t [n_t] read; K … 2K−1 P_t [n_t] read_write; 2K MV
 *   [2S] read_write; params {lr, beta1, beta2, eps, c1, c2, S, then per t: n_t, off_t, first_t
 *   (its first workgroup), decay_t; last = the workgroup count}. Workgroup 256, one element per
 *   invocation; tensor t owns workgroups first_t … first_{t+1} − 1, so each workgroup's branch is
 *   uniform. Grid folded to 2-D above 65535 groups. K ≤ 3 keeps 2K + 1 bindings within WebGPU's
 *   default limit of 8 storage buffers.
 */
import { type Kernel, defineKernel, kernelCache } from "./kernel.js";
import common from "./common.wgsl";

const WG = 256;
/** Tensors per dispatch: 2K + 1 storage bindings ≤ 8. */
export const ADAM_PER_DISPATCH = 3;

/** The per-step uniforms of the update (the rest are per tensor and fixed). */
export const ADAM_STEP_PARAMS = ["lr", "beta1", "beta2", "eps", "c1", "c2"] as const;

/** Workgroups of a tensor of n entries. */
export const adamGroups = (n: number) => Math.ceil(n / WG);

function adamKernelOf(K: number): Kernel {
  const ts = Array.from({ length: K }, (_, t) => t);
  const update = (t: number) => `
  if (w >= P.first${t} && w < ${t + 1 < K ? `P.first${t + 1}` : "P.last"}) {
    let i = (w - P.first${t}) * WG + lid.x;
    if (i < P.n${t}) {
      let k = P.off${t} + i;
      let g = G${t}[i] + P.decay${t} * Param${t}[i];
      let m = P.beta1 * MV[k] + (1.0 - P.beta1) * g;
      let v = P.beta2 * MV[P.S + k] + (1.0 - P.beta2) * g * g;
      MV[k] = m;
      MV[P.S + k] = v;
      Param${t}[i] = Param${t}[i] - P.lr * (m / P.c1) / (sqrt(v / P.c2) + P.eps);
    }
  }`;
  return defineKernel({
    name: K === 1 ? "adam.update" : `adam.update.k${K}`,
    entry: "adam",
    inputs: ts.map((t) => `G${t}`),
    outputs: [...ts.map((t) => `Param${t}`), "MV"],
    params: [
      ...ADAM_STEP_PARAMS.map((name): [string, "f32"] => [name, "f32"]),
      ["S", "u32"],
      ...ts.flatMap((t): [string, "u32" | "f32"][] => [
        [`n${t}`, "u32"],
        [`off${t}`, "u32"],
        [`first${t}`, "u32"],
        [`decay${t}`, "f32"],
      ]),
      ["last", "u32"],
    ],
    workgroupSize: WG,
    prelude: common,
    body: `
  let w = flat_group(wid, nwg);${ts.map(update).join("")}`,
    workgroups: (p) => p.last,
    cpu: (gs, outs, p) => {
      const mv = outs[K];
      for (const t of ts) {
        const [g, param, off] = [gs[t], outs[t], p[`off${t}`]];
        for (let i = 0; i < p[`n${t}`]; i++) {
          const gi = g[i] + p[`decay${t}`] * param[i];
          const m = p.beta1 * mv[off + i] + (1 - p.beta1) * gi;
          const v = p.beta2 * mv[p.S + off + i] + (1 - p.beta2) * gi * gi;
          mv[off + i] = m;
          mv[p.S + off + i] = v;
          param[i] -= (p.lr * (m / p.c1)) / (Math.sqrt(v / p.c2) + p.eps);
        }
      }
    },
  });
}

const kernels = kernelCache();
/** The update kernel of K tensors (1 ≤ K ≤ ADAM_PER_DISPATCH). */
export function adamKernel(K: number): Kernel {
  if (!Number.isInteger(K) || K < 1 || K > ADAM_PER_DISPATCH)
    throw new Error(`adamKernel: K must be 1 … ${ADAM_PER_DISPATCH}, got ${K}`);
  return kernels(`${K}`, () => adamKernelOf(K));
}
