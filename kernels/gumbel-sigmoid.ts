/**
 * Relaxed and hard Bernoulli samples from logits (spec §2), M samples at once:
 *   L[s, e] = logistic noise of Philox draw (seed, stream, offset + s·|z| + e)
 *   gumbelSigmoid:  y[s, e] = σ((z[e] + L[s, e]) / τ)           (optionally 0 on the diagonal)
 *   hardBernoulli:  y[s, e] = 1[z[e] + L[s, e] > 0]   ~ Bern(σ(z[e]))
 * Both read the same counter, so the soft and hard samples of one step share their noise and
 * hard = 1[soft > ½] elementwise.
 * VJP (gumbelSigmoid, noise fixed): ∂y/∂z = y(1−y)/τ ⇒ z̄[e] = Σ_s ȳ[s, e]·y[s, e](1 − y[s, e])/τ.
 * Saves y (the output) and the (seed, stream, offset) attributes — never the noise tensor.
 * hardBernoulli has no gradient.
 *
 * WGSL gumbel_fwd / bernoulli_fwd: 0 z [|z|] read; 1 y [M, |z|] write;
 *   params {n = M·|z|, size = |z|, cols, tau, seed, stream, offset, zeroDiagonal}; workgroup 256.
 * WGSL gumbel_vjp: 0 y, 1 ȳ read; 2 z̄ [|z|] write; one invocation per logit, loops over s.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { type CheckSpec, apply, defineOp, launch1 } from "../engine/op.js";
import { sigmoid } from "../engine/cpu-math.js";
import { logisticNoise } from "../engine/prng.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";
import prng from "../engine/prng.wgsl";

const WG = 256;
const PARAMS = [
  ["n", "u32"],
  ["size", "u32"],
  ["cols", "u32"],
  ["tau", "f32"],
  ["seed", "u32"],
  ["stream", "u32"],
  ["offset", "u32"],
  ["zeroDiagonal", "u32"],
] as const;

/** Whether flat logit index e lies on the diagonal of the last two axes (cols × cols). */
function onDiagonal(e: number, cols: number): boolean {
  const inMatrix = e % (cols * cols);
  return Math.floor(inMatrix / cols) === inMatrix % cols;
}

function sampleKernel(kind: "gumbel" | "bernoulli") {
  const value = kind === "gumbel" ? "sigmoid_stable((Z[e] + noise) / P.tau)" : "select(0.0, 1.0, Z[e] + noise > 0.0)";
  return defineKernel({
    name: `${kind}.fwd`,
    entry: `${kind}_fwd`,
    inputs: ["Z"],
    outputs: ["Y"],
    params: PARAMS,
    workgroupSize: WG,
    prelude: `${common}\n${prng}`,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let e = i % P.size;
  let inMatrix = e % (P.cols * P.cols);
  if (P.zeroDiagonal == 1u && inMatrix / P.cols == inMatrix % P.cols) { Y[i] = 0.0; return; }
  let noise = logistic_noise(P.seed, P.stream, P.offset + i);
  Y[i] = ${value};`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([z], [y], p) => {
      for (let i = 0; i < p.n; i++) {
        const e = i % p.size;
        if (p.zeroDiagonal && onDiagonal(e, p.cols)) {
          y[i] = 0;
          continue;
        }
        const noise = logisticNoise(p.seed, p.stream, (p.offset + i) >>> 0);
        y[i] = kind === "gumbel" ? sigmoid((z[e] + noise) / p.tau) : z[e] + noise > 0 ? 1 : 0;
      }
    },
  });
}

const gumbelKernel = sampleKernel("gumbel");
const bernoulliKernel = sampleKernel("bernoulli");

const gumbelVjpKernel = defineKernel({
  name: "gumbel.vjp",
  entry: "gumbel_vjp",
  inputs: ["Y", "DY"],
  outputs: ["DZ"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: common,
  body: `
  let e = flat_id(wid, nwg, lid, WG);
  if (e >= P.size) { return; }
  var acc = 0.0;
  for (var i = e; i < P.n; i += P.size) {
    let y = Y[i];
    acc += DY[i] * y * (1.0 - y);
  }
  DZ[e] = acc / P.tau;`,
  workgroups: (p) => groupsFor(p.size, WG),
  cpu: ([y, dy], [dz], p) => {
    for (let e = 0; e < p.size; e++) {
      let acc = 0;
      for (let i = e; i < p.n; i += p.size) acc += dy[i] * y[i] * (1 - y[i]);
      dz[e] = acc / p.tau;
    }
  },
});

export interface NoiseAttrs {
  [key: string]: unknown;
  samples: number;
  tau: number;
  seed: number;
  stream: number;
  offset: number;
  zeroDiagonal: boolean;
}

function params(z: Tensor, a: NoiseAttrs) {
  const cols = z.rank >= 2 ? z.shape[z.rank - 1] : Math.max(z.size, 1);
  return {
    n: a.samples * z.size,
    size: z.size,
    cols: Math.max(cols, 1),
    tau: a.tau,
    seed: a.seed,
    stream: a.stream,
    offset: a.offset,
    zeroDiagonal: a.zeroDiagonal ? 1 : 0,
  };
}

const CHECK: CheckSpec<NoiseAttrs> = {
  cases: [
    {
      label: "edge logits, zero diagonal",
      shapes: [[3, 3]],
      attrs: { samples: 4, tau: 1, seed: 7, stream: 2, offset: 0, zeroDiagonal: true },
    },
    {
      label: "target logits, τ = 0.5",
      shapes: [[2, 5]],
      attrs: { samples: 3, tau: 0.5, seed: 9, stream: 1, offset: 11, zeroDiagonal: false },
    },
  ],
};

export const gumbelSigmoidOp = defineOp<NoiseAttrs>({
  name: "gumbelSigmoid",
  derivation:
    "y = σ((z + L)/τ) per sample, L logistic from the Philox stream; z̄ = Σ_samples ȳ·y(1−y)/τ (saves y and the counter, never L).",
  forward: ([z], a) => ({ out: launch1(gumbelKernel, [z], [a.samples, ...z.shape], params(z, a)) }),
  vjp: ({ inputs: [z], out, attrs }, dy) => [launch1(gumbelVjpKernel, [out, dy], z.shape, params(z, attrs))],
  check: CHECK,
});

export const hardBernoulliOp = defineOp<NoiseAttrs>({
  name: "hardBernoulli",
  derivation: "y = 1[z + L > 0] ~ Bern(σ(z)), the same L as gumbelSigmoid for the same counter.",
  forward: ([z], a) => ({ out: launch1(bernoulliKernel, [z], [a.samples, ...z.shape], params(z, a)) }),
  vjp: { none: "a hard sample is piecewise constant in z" },
  check: CHECK,
});

export const gumbelOps = { gumbelSigmoid: gumbelSigmoidOp, hardBernoulli: hardBernoulliOp };

type NoiseOptions = {
  samples: number;
  tau?: number;
  seed: number;
  stream: number;
  offset?: number;
  zeroDiagonal?: boolean;
};
const attrsOf = (o: NoiseOptions): NoiseAttrs => ({
  samples: o.samples,
  tau: o.tau ?? 1,
  seed: o.seed,
  stream: o.stream,
  offset: o.offset ?? 0,
  zeroDiagonal: o.zeroDiagonal ?? false,
});

/** Relaxed Bernoulli samples [samples, ...z.shape]. */
export const gumbelSigmoid = (z: Tensor, options: NoiseOptions) => apply(gumbelSigmoidOp, [z], attrsOf(options));
/** Hard Bernoulli samples [samples, ...z.shape] sharing gumbelSigmoid's noise. */
export const hardBernoulli = (z: Tensor, options: NoiseOptions) => apply(hardBernoulliOp, [z], attrsOf(options));
