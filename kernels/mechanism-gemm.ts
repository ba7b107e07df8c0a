/**
 * The masked mechanisms (spec §3 eq 7–8) as batched GEMMs with a fused epilogue, for any d.
 *
 * Forward. (G[:, j] ⊙ x)ᵀ W1_j = xᵀ (G[:, j] ⊙ W1_j), so for graph sample m the pre-activations
 * of all d mechanisms are one product A_m = X W̃_m, X [N,d], W̃_m [d, H·d] with
 * W̃_m[i, (h, j)] = G[m,i,j] W1[j,i,h]: the mask goes on the weights, not on [M, N, d·H] inputs.
 *   mlp:    μ[m,n,j] = b2_j + Σ_h w2[j,h] T[m,n,j,h],  T = tanh(A + b1)
 *   linear: μ[m,n,j] = A[m,n,j] (H = 1, W̃_m = G_m ⊙ Θ)
 *   density "gaussian": out = L = −½[log 2π + ℓ_j + (x_j − μ_j)² e^{−ℓ_j}]; "none": out = μ.
 * The epilogue (tanh, output layer, log-density) runs on the accumulators in registers
 * (kernels/mechanism-gemm-wgsl.ts): neither A nor T nor μ reaches memory.
 *
 * VJP, with μ̄ = ȳ (none) or μ̄ = L̄ r p, r = x_j − μ_j, p = e^{−ℓ_j} (gaussian):
 *   Ā = μ̄ w2 (1 − T²) (mlp; linear Ā = μ̄);  W̃̄_m = X_ᵀ Ā_m  (a batched GEMM: the matmul kernel)
 *   W̄1[j,i,h] = Σ_m W̃̄_m[i,(h,j)] G[m,i,j];  Ḡ[m,i,j] = Σ_h W̃̄_m[i,(h,j)] W1[j,i,h]
 *   w̄2 = Σ μ̄ T, b̄1 = Σ Ā, b̄2 = Σ μ̄, ℓ̄ = Σ ½ L̄ (r² p − 1) (sums over m, n).
 * X is data: its cotangent is not computed (input 0 is nondiff; kernels/mechanism-logpdf.ts has
 * X̄ where a caller needs it).
 *
 * The VJP must store Ā for the Xᵀ Ā GEMM, so it runs over row chunks whose Ā [M, rows, H·dp]
 * stays under ABAR_BYTES (32 MiB): mech_gemm_bwd recomputes (or reads) A, applies the epilogue's
 * VJP and writes Ā and per-workgroup sums; the matmul op's kernel forms Xᵀ Ā; the chunks' W̃̄ and
 * sums are added; one finish kernel forms every weight's cotangent. Peak extra memory: Ā chunk +
 * 2 W̃̄ [graphs of a group, d, H·dp] + the sums.
 *
 * What is saved: A [M, rows, H, dp] of each of those row chunks (one buffer each, so each stays
 * under the binding limit), when a VJP will follow (recording, an input needs a gradient) and all
 * of A fits SAVE_BYTES; the VJP then reads A instead of recomputing it, which removes a third of
 * the GEMM work of forward + VJP: 19–24 % of its time at d = 50, M = 32, N = 9,000, H = 5 on
 * lavapipe (session 16, bench/RESULTS.md), where A costs 4·M·N·H·dp bytes (300 MB at N = 9,000;
 * each likelihood term of a step keeps its own until the backward pass). Past SAVE_BYTES the VJP
 * recomputes A (one more GEMM's worth of FMAs).
 *
 * W̃̄ of all M graph samples passes the binding limit at large d (160 MB at d = 500, H = 5, M = 32),
 * so the VJP runs over groups of graph samples whose W̃̄ fits WB_BYTES (see vjp).
 *
 * Kernels (besides matmul, slice, add, sum_to_shape): mech_gemm_prep, fwd, bwd (the WGSL file);
 * mech_gemm_finish, 64 lanes, one per output element: 0 WB [M,d,H·dp], 1 PS [K·dp], 2 G, 3 W1|Θ
 * read; W̄1|Θ̄, Ḡ, (mlp) b̄1, w̄2, b̄2, (gaussian) ℓ̄ write; params {d, dp, H, M}.
 */
import { type Kernel, defineKernel, groupsFor, kernelCache } from "../engine/kernel.js";
import { type ForwardResult, type OpDef, apply, defineOp, launch } from "../engine/op.js";
import { isRecording } from "../engine/tape.js";
import { ShapeError, fmt } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import { runBinary, sumToShape } from "./elementwise-binary.js";
import { matmulOp } from "./matmul.js";
import { concatOp, sliceOp } from "./shape-ops.js";
import { type GemmVariant, bwdSource, fwdSource, partRows, wtRows } from "./mechanism-gemm-wgsl.js";
import { bwdCpu, finishCpu, fwdCpu, prepCpu } from "./mechanism-gemm-cpu.js";
import { finishWgsl, prepWgsl } from "./mechanism-gemm-aux.js";

type Kind = "linear" | "mlp";
type Density = "gaussian" | "none";
/**
 * `recompute`: never save A (the check cases of the recomputing VJP); `graphGroup`: graph samples
 * per VJP group, instead of what WB_BYTES allows (the check cases of the grouped VJP).
 */
type Attrs = { kind: Kind; density: Density; chunkRows?: number; recompute?: boolean; graphGroup?: number };

/**
 * Whether the objective takes this path (gim/model/likelihood.ts) rather than the per-row kernels
 * (kernels/mechanism-wgsl.ts), which keep W̃'s column block in registers and win while d is
 * small. Measured on lavapipe, fwd + VJP at M = 32, N = 9,000 (bench/RESULTS.md, "Mechanisms as
 * GEMMs"): mlp equal at d = 20, GEMM 5.3× faster at d = 50; linear GEMM 2.7× slower at d = 20,
 * 3.2× faster at d = 50. The thresholds lie between the measured sizes, not at a measured
 * crossover. Past d ≈ 100 the per-row kernels' named weights stop compiling in sensible time.
 */
export const gemmPreferred = (kind: Kind, d: number) => d >= (kind === "mlp" ? 32 : 40);

/** Bytes of Ā per row chunk of the VJP. */
export const ABAR_BYTES = 32 * 2 ** 20;
/** The most bytes of A, over all its row chunks, the forward keeps for its VJP (per call: per likelihood term). */
export const SAVE_BYTES = 1024 * 2 ** 20;
/**
 * Bytes of W̃̄ [graphs, d, H·dp] per VJP group: at d = 500, H = 5, M = 32 all graphs' W̃̄ would be
 * 160 MB, past WebGPU's 128 MiB binding, so the VJP runs over groups of graph samples.
 */
export const WB_BYTES = 64 * 2 ** 20;
const MAX_GROUPS = 65535;

type Dims = {
  N: number;
  M: number;
  d: number;
  H: number;
  dp: number;
  Q: number;
};

/** Tile shape: lanes cover the ⌈d/4⌉ quads of outputs (≤ 32 per workgroup), R rows of R·H vec4 accumulators. */
function variantOf(kind: Kind, H: number, density: Density, Q: number, saved: boolean): GemmVariant {
  const lanes = Q <= 8 ? 8 : Q <= 16 ? 16 : 32;
  // R·H ≤ 80: more rows amortise the B loads better, but the VJP kernel's compile time grows
  // fast with the unrolled rows (minutes on a busy 2-core lavapipe at R = 32, H = 2).
  const rows = H === 1 ? 32 : H <= 5 ? 16 : 8;
  return { kind, H, density, rows, lanes, saved };
}

const cached = kernelCache();

const PARAMS = [
  ["d", "u32"],
  ["dp", "u32"],
  ["H", "u32"],
  ["M", "u32"],
] as const;

function prepKernel(kind: Kind, gaussian: boolean): Kernel {
  return cached(`prep ${kind} ${gaussian}`, () =>
    defineKernel({
      name: `mechanism_gemm.prep.${kind}${gaussian ? ".gaussian" : ""}`,
      ...prepWgsl(kind, gaussian),
      params: PARAMS,
      workgroupSize: 64,
      workgroups: (p) => groupsFor(p.M * p.d * p.dp + wtRows(p.d, p.H) * p.dp, 64),
      cpu: prepCpu(kind, gaussian),
    }),
  );
}

function finishKernel(kind: Kind, gaussian: boolean): Kernel {
  return cached(`finish ${kind} ${gaussian}`, () =>
    defineKernel({
      name: `mechanism_gemm.finish.${kind}${gaussian ? ".gaussian" : ""}`,
      ...finishWgsl(kind, gaussian),
      params: PARAMS,
      workgroupSize: 64,
      workgroups: (p) => groupsFor(p.d * p.d * p.H + p.M * p.d * p.d + 2 * p.d * p.H + 2 * p.d, 64),
      cpu: finishCpu(kind, gaussian),
    }),
  );
}

function gemmKernel(which: "fwd" | "bwd", v: GemmVariant): Kernel {
  const key = `${which} ${v.kind} ${v.H} ${v.density} r${v.rows} l${v.lanes} ${v.saved}`;
  const gaussian = v.density === "gaussian";
  return cached(key, () =>
    defineKernel({
      name: `mechanism_gemm.${which}.${v.kind}${v.kind === "mlp" ? `.H${v.H}` : ""}.${v.density}.r${v.rows}.l${v.lanes}${v.saved ? ".saved" : ""}`,
      ...(which === "fwd" ? fwdSource(v) : bwdSource(v)),
      workgroups: (p) => [Math.ceil(p.Q / v.lanes), Math.ceil(Math.ceil(p.N / v.rows) / p.tpw), p.M],
      cpu: which === "fwd" ? fwdCpu(v.kind, v.H, gaussian, v.saved) : bwdCpu(v.kind, v.H, gaussian, v.rows, v.saved),
    }),
  );
}

function dimsOf({ kind, density }: Attrs, inputs: readonly Tensor[]): Dims {
  const [x, g] = inputs;
  const [N, d] = x.shape;
  const M = g.shape[0];
  const H = kind === "mlp" ? (inputs[2]?.shape[2] ?? 0) : 1;
  const weights = kind === "linear" ? [[d, d]] : [[d, d, H], [d, H], [d, H], [d]];
  const expected = [[N, d], [M, d, d], ...weights, ...(density === "gaussian" ? [[d]] : [])];
  const is = (t: Tensor | undefined, s: number[]) =>
    t !== undefined && t.rank === s.length && t.shape.every((v, k) => v === s[k]);
  if (x.rank !== 2 || H < 1 || inputs.length !== expected.length || !expected.every((s, k) => is(inputs[k], s))) {
    const want =
      kind === "linear" ? "X [N,d], G [M,d,d], Θ [d,d]" : "X [N,d], G [M,d,d], W1 [d,d,H], b1, w2 [d,H], b2 [d]";
    throw new ShapeError(
      `mechanismGemm(${kind}, ${density})`,
      `expected ${want}${density === "gaussian" ? ", ℓ [d]" : ""}; got ${inputs.map((t) => fmt(t.shape)).join(", ")}`,
    );
  }
  const Q = Math.ceil(d / 4);
  return { N, M, d, H, dp: 4 * Q, Q };
}

/** GP and WT (see the WGSL file): the padded mask and the transposed, padded weights. */
function prepare(attrs: Attrs, inputs: readonly Tensor[], dims: Dims): [Tensor, Tensor] {
  const { M, d, H, dp } = dims;
  const gaussian = attrs.density === "gaussian";
  const [gp, wt] = launch(
    prepKernel(attrs.kind, gaussian),
    inputs.slice(1),
    [
      [M, d, dp],
      [wtRows(d, H), dp],
    ],
    dims,
  );
  return [gp, wt];
}

function forward(attrs: Attrs, inputs: readonly Tensor[]): ForwardResult {
  const dims = dimsOf(attrs, inputs);
  const { N, M, d, H, dp, Q } = dims;
  // Only where a VJP will run (apply records this op) is A worth writing.
  const vjpFollows = isRecording() && inputs.some((t) => t.requiresGrad);
  const save = vjpFollows && !attrs.recompute && 4 * M * N * H * dp <= SAVE_BYTES;
  const v = variantOf(attrs.kind, H, attrs.density, Q, save);
  if (Math.ceil(N / v.rows) > MAX_GROUPS)
    throw new ShapeError("mechanismGemm", `${N} rows exceed one dispatch (${MAX_GROUPS * v.rows}); chunk the rows`);
  const [gp, wt] = prepare(attrs, inputs, dims);
  const kernel = gemmKernel("fwd", v);
  const bound = [inputs[0], gp, wt].map((t) => t.storage);
  const { backend, dtype } = inputs[0];
  const out = new Tensor(backend, backend.alloc(M * N * d, dtype), [M, N, d]);
  const saved: Tensor[] = [];
  // Saving A: one dispatch per VJP row chunk, each writing its rows of OUT and its own A.
  for (const [n0, rows] of save ? rowChunks(attrs, N, M, d, H, v.rows) : [[0, N]]) {
    const a = save ? new Tensor(backend, backend.alloc(M * rows * H * dp, dtype), [M, rows, H, dp]) : null;
    backend.run(kernel, bound, a ? [out.storage, a.storage] : [out.storage], { N: rows, n0, Nall: N, d, Q, M, tpw: 1 });
    if (a) saved.push(a);
  }
  gp.dispose();
  wt.dispose();
  return { out, saved };
}

/** Rows per VJP chunk: Ā within ABAR_BYTES, a whole number of row tiles. */
export function gemmChunkRows(M: number, d: number, H: number, rows = 16): number {
  const perRow = 4 * M * H * 4 * Math.ceil(d / 4);
  return Math.max(rows, Math.floor(ABAR_BYTES / perRow / rows) * rows);
}

/** [first row, rows] of each row chunk of the VJP (and of the forward's saved A). */
function rowChunks(attrs: Attrs, N: number, M: number, d: number, H: number, tileRows: number): [number, number][] {
  const step = attrs.chunkRows ?? gemmChunkRows(M, d, H, tileRows);
  const chunks: [number, number][] = [];
  for (let n0 = 0; n0 < N; n0 += step) chunks.push([n0, Math.min(step, N - n0)]);
  return chunks;
}

const add = (a: Tensor | null, b: Tensor): Tensor => {
  if (!a) return b;
  const s = runBinary("add", a, b);
  a.dispose();
  b.dispose();
  return s;
};

/**
 * The VJP over groups of graph samples when W̃̄ of all of them would pass WB_BYTES: each group is
 * the VJP of the op on its slice of G, ȳ (and A); Ḡ is the groups' slices stacked, every other
 * cotangent (all sums over m) the groups' sum.
 */
function vjp(
  attrs: Attrs,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  needsGrad: readonly boolean[],
  dy: Tensor,
): (Tensor | null)[] {
  const { M, d, H, dp } = dimsOf(attrs, inputs);
  const group = attrs.graphGroup ?? Math.max(1, Math.floor(WB_BYTES / (4 * d * H * dp)));
  if (group >= M) return groupVjp(attrs, inputs, saved, needsGrad, dy);
  const parts: (Tensor | null)[][] = [];
  for (let m0 = 0; m0 < M; m0 += group) {
    const cut = (t: Tensor) => sliceOp.forward([t], { axis: 0, start: m0, end: Math.min(M, m0 + group) }).out;
    const [g, dyc, a] = [cut(inputs[1]), cut(dy), saved.map(cut)];
    parts.push(groupVjp(attrs, [inputs[0], g, ...inputs.slice(2)], a, needsGrad, dyc));
    for (const t of [g, dyc, ...a]) t.dispose();
  }
  return inputs.map((_, i) => {
    const each = parts.map((p) => p[i]);
    if (!each[0]) return null;
    if (i !== 1) return each.reduce((acc, t) => add(acc, t!), null);
    const stacked = concatOp.forward(each as Tensor[], { axis: 0 }).out;
    for (const t of each) t!.dispose();
    return stacked;
  });
}

function groupVjp(
  attrs: Attrs,
  inputs: readonly Tensor[],
  saved: readonly Tensor[],
  needsGrad: readonly boolean[],
  dy: Tensor,
): (Tensor | null)[] {
  const dims = dimsOf(attrs, inputs);
  const { N, M, d, H, dp, Q } = dims;
  const v = variantOf(attrs.kind, H, attrs.density, Q, saved.length > 0);
  const K = partRows(attrs.kind, H);
  const x = inputs[0];
  const [gp, wt] = prepare(attrs, inputs, dims);
  let wb: Tensor | null = null;
  let ps: Tensor | null = null;
  for (const [chunk, [n0, rows]] of rowChunks(attrs, N, M, d, H, v.rows).entries()) {
    const a = saved[chunk];
    const tiles = Math.ceil(rows / v.rows);
    // Enough workgroups for both cores, few partial sums: about 128 / M workgroups per graph.
    const groups = Math.min(tiles, Math.max(2, Math.ceil(128 / (M * Math.ceil(Q / v.lanes)))));
    const tpw = Math.ceil(tiles / groups);
    const used = Math.ceil(tiles / tpw);
    const params = { N: rows, n0, Nall: N, d, Q, M, tpw };
    const [abar, part] = launch(
      gemmKernel("bwd", v),
      a ? [x, wt, dy, a] : [x, gp, wt, dy],
      [
        [M, rows, H * dp],
        [M * used, K * dp],
      ],
      params,
    );
    const xc = rows === N ? x : sliceOp.forward([x], { axis: 0, start: n0, end: n0 + rows }).out;
    const w = matmulOp.forward([xc, abar], { transposeA: true, transposeB: false }).out;
    abar.dispose();
    if (xc !== x) xc.dispose();
    wb = add(wb, w);
    const s = sumToShape(part, [1, K * dp]);
    if (s !== part) part.dispose(); // one workgroup row: sumToShape returns its input
    ps = add(ps, s);
  }
  gp.dispose();
  wt.dispose();
  const gaussian = attrs.density === "gaussian";
  const weights = inputs.slice(2, attrs.kind === "mlp" ? 6 : 3);
  const shapes = [weights[0].shape, inputs[1].shape, ...weights.slice(1).map((t) => t.shape)];
  if (gaussian) shapes.push([d]);
  const outs = launch(finishKernel(attrs.kind, gaussian), [wb!, ps!, inputs[1], weights[0]], shapes, dims);
  wb!.dispose();
  ps!.dispose();
  // outs: W1|Θ, G, then b1, w2, b2 (mlp), then ℓ; inputs: X, G, W1|Θ, b1, w2, b2, ℓ.
  const byInput = [null, outs[1], outs[0], ...outs.slice(2)];
  return byInput.map((t, i) => {
    if (t && !needsGrad[i]) {
      t.dispose();
      return null;
    }
    return t;
  });
}

export const mechanismGemmOp: OpDef<Attrs> = defineOp<Attrs>({
  name: "mechanismGemm",
  derivation:
    "A_m = X W̃_m with W̃_m[i,(h,j)] = G[m,i,j] W1[j,i,h] (linear: G ⊙ Θ), one batched GEMM; epilogue μ = b2 + Σ_h w2 tanh(A + b1) (linear μ = A), " +
    "then out = μ or L = −½[log 2π + ℓ + (x − μ)² e^{−ℓ}]. VJP: μ̄ = ȳ or L̄ (x − μ) e^{−ℓ}; Ā = μ̄ w2 (1 − T²); W̃̄_m = Xᵀ Ā_m (GEMM); " +
    "W̄1 = Σ_m W̃̄ ⊙ G, Ḡ = Σ_h W̃̄ ⊙ W1; w̄2 = Σ μ̄ T, b̄1 = Σ Ā, b̄2 = Σ μ̄, ℓ̄ = Σ ½ L̄ (r² e^{−ℓ} − 1). X is data (no X̄). " +
    "Saves A [M,rows,H,dp] per VJP row chunk when a VJP follows and all of A fits 1 GiB (the VJP then reads it: no GEMM), else the VJP recomputes A; Ā is stored per row chunk (≤ 32 MiB).",
  forward: (inputs, attrs) => forward(attrs, inputs),
  vjp: ({ inputs, attrs, saved, needsGrad }, dy) => vjp(attrs, inputs, saved, needsGrad, dy),
  check: {
    nondiff: [0],
    cases: [
      {
        label: "mlp gaussian",
        shapes: [[6, 3], [2, 3, 3], [3, 3, 2], [3, 2], [3, 2], [3], [3]],
        attrs: { kind: "mlp", density: "gaussian" },
        domains: ["real", "unit", "real", "real", "real", "real", "real"],
      },
      {
        label: "mlp gaussian, d past one κ chunk, row chunks and tiles",
        shapes: [[40, 37], [2, 37, 37], [37, 37, 2], [37, 2], [37, 2], [37], [37]],
        attrs: { kind: "mlp", density: "gaussian", chunkRows: 16 },
        domains: ["real", "unit", "real", "real", "real", "real", "real"],
      },
      {
        label: "mlp gaussian, A recomputed in the VJP, row chunks and tiles",
        shapes: [[40, 37], [2, 37, 37], [37, 37, 2], [37, 2], [37, 2], [37], [37]],
        attrs: { kind: "mlp", density: "gaussian", chunkRows: 16, recompute: true },
        domains: ["real", "unit", "real", "real", "real", "real", "real"],
      },
      {
        label: "mlp gaussian, the VJP over groups of 2 graph samples (M = 5), A saved",
        shapes: [[6, 3], [5, 3, 3], [3, 3, 2], [3, 2], [3, 2], [3], [3]],
        attrs: { kind: "mlp", density: "gaussian", graphGroup: 2 },
        domains: ["real", "unit", "real", "real", "real", "real", "real"],
      },
      {
        label: "linear mean, the VJP over groups of 2 graph samples (M = 3), A recomputed",
        shapes: [
          [7, 5],
          [3, 5, 5],
          [5, 5],
        ],
        attrs: { kind: "linear", density: "none", graphGroup: 2, recompute: true },
        domains: ["real", "unit", "real"],
      },
      {
        label: "mlp mean",
        shapes: [[7, 5], [3, 5, 5], [5, 5, 3], [5, 3], [5, 3], [5]],
        attrs: { kind: "mlp", density: "none" },
        domains: ["real", "unit", "real", "real", "real", "real"],
      },
      {
        label: "linear gaussian",
        shapes: [[5, 3], [2, 3, 3], [3, 3], [3]],
        attrs: { kind: "linear", density: "gaussian" },
        domains: ["real", "unit", "real", "real"],
      },
      {
        label: "linear mean, row chunks",
        shapes: [
          [70, 6],
          [2, 6, 6],
          [6, 6],
        ],
        attrs: { kind: "linear", density: "none", chunkRows: 32 },
        domains: ["real", "unit", "real"],
      },
      {
        label: "linear gaussian, two column blocks of lanes",
        shapes: [[4, 130], [1, 130, 130], [130, 130], [130]],
        attrs: { kind: "linear", density: "gaussian" },
        domains: ["real", "unit", "real", "real"],
      },
      {
        label: "linear gaussian, A recomputed in the VJP, two column blocks of lanes",
        shapes: [[4, 130], [1, 130, 130], [130, 130], [130]],
        attrs: { kind: "linear", density: "gaussian", recompute: true },
        domains: ["real", "unit", "real", "real"],
      },
    ],
  },
});

/** L = log N(x; μ, e^ℓ) of the MLP (W1 [d,d,H], b1, w2 [d,H], b2 [d]) or linear (Θ) mechanism, by GEMM. */
export const mechanismGemmLogpdf = (kind: Kind, x: Tensor, g: Tensor, weights: readonly Tensor[], ell: Tensor) =>
  apply(mechanismGemmOp, [x, g, ...weights, ell], { kind, density: "gaussian" });

/** μ [M,N,d] of the MLP or linear mechanism, by GEMM. */
export const mechanismGemmMean = (kind: Kind, x: Tensor, g: Tensor, weights: readonly Tensor[]) =>
  apply(mechanismGemmOp, [x, g, ...weights], { kind, density: "none" });

export const mechanismGemmOps = { mechanismGemm: mechanismGemmOp };
