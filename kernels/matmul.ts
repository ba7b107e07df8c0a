/**
 * Matrix product C = op(A)·op(B), op = identity or transpose: 2-D [m,k]·[k,n] or batched
 * [B,m,k]·[B,k,n], where either operand may be 2-D (shared across the batch).
 *
 * VJP: the same kernel with the flags flipped. From dL = ⟨C̄, dA·B + A·dB⟩ for each combination:
 *   C = A B     ⇒ Ā = C̄ Bᵀ,      B̄ = Aᵀ C̄
 *   C = A Bᵀ    ⇒ Ā = C̄ B,       B̄ = C̄ᵀ A
 *   C = Aᵀ B    ⇒ Ā = B C̄ᵀ,      B̄ = A C̄
 *   C = Aᵀ Bᵀ   ⇒ Ā = Bᵀ C̄ᵀ,     B̄ = C̄ᵀ Aᵀ
 * A 2-D operand shared over the batch gets the sum over the batch of its per-batch cotangent.
 * Saves nothing: the inputs are the residuals.
 *
 * op(B) = Bᵀ is materialised first by a strided copy (transposeOp): a lane-strided B read in the
 * hot loop costs far more on lavapipe than one pass over B. op(A) = Aᵀ costs nothing, because A
 * is staged through workgroup memory (see the WGSL header).
 */
import { type CheckSpec, apply, defineOp, launch1 } from "../engine/op.js";
import { ShapeError, fmt, sameShape } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import { sumToShape } from "./elementwise-binary.js";
import { type MatmulVariant, matmulKernel } from "./matmul-wgsl.js";
import { transposeOp } from "./shape-ops.js";

export interface MatmulAttrs {
  [key: string]: unknown;
  transposeA: boolean;
  transposeB: boolean;
}

const MAX_GROUPS = 65535;

function geometry(a: Tensor, b: Tensor, { transposeA, transposeB }: MatmulAttrs) {
  const describe = () => `${fmt(a.shape)}${transposeA ? "ᵀ" : ""} · ${fmt(b.shape)}${transposeB ? "ᵀ" : ""}`;
  if (a.rank < 2 || a.rank > 3 || b.rank < 2 || b.rank > 3)
    throw new ShapeError("matmul", `operands must be 2-D or 3-D: ${describe()}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, ka] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (ka !== kb) throw new ShapeError("matmul", `inner sizes differ (${ka} vs ${kb}): ${describe()}`);
  const batchA = a.rank === 3 ? a.shape[0] : 1;
  const batchB = b.rank === 3 ? b.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1)
    throw new ShapeError("matmul", `batch sizes differ: ${describe()}`);
  const batch = Math.max(batchA, batchB);
  const out = a.rank === 3 || b.rank === 3 ? [batch, m, n] : [m, n];
  return { m, n, k: ka, batch, out, strideA: batchA > 1 ? m * ka : 0, strideB: batchB > 1 ? ka * n : 0 };
}

/** [most quads of n, lanes, vec4 groups per lane] of each tile width, narrowest first. */
const TILES: [number, MatmulVariant["lanes"], number][] = [
  [8, 8, 1],
  [16, 16, 1],
  [32, 32, 1],
  [64, 32, 2],
  [96, 32, 3],
];

/** Up to this many rows of C, a tile holds all (or a near-equal share of) them; see variantFor. */
const SHORT_M = 256;
/**
 * Most vec4 accumulators per lane of a short product's tile (64 rows × 5 groups). lavapipe's
 * compile time grows steeply with them (shader cache off): 96 take 7–10 s, 260 ~17 s, 320 20–25 s,
 * 468 ~41 s, 832 ~110 s.
 */
const MOST_ACCUMULATORS = 320;
const LANES = [8, 16, 32] as const;

/**
 * The tile for an m×n product. Tall products (m > 256: the square sizes) use the narrowest
 * column block that covers n (lanes idle past n still pay for their loads), up to 32 lanes × 4
 * vec4 groups, and 32 rows: the 32 × 512 tile was the fastest at 512³–1024³ on lavapipe among
 * those that keep compile time and row padding small (sweep in kernels/matmul-wgsl.ts).
 * Short products (m ≤ 256, long k: the weight gradients Xᵀ Ā of the mechanisms, k = rows of the
 * data) are where the padding of a fixed 32-row tile cost most: m = 50 ran as two 32-row blocks,
 * each reading all of B. There a tile takes the rows in the fewest blocks of at most 64 (rowsFor)
 * and the fewest lanes whose vec4 groups cover n within MOST_ACCUMULATORS (fewer lanes, more
 * groups: each B load serves more FMAs per SIMD vector). Xᵀ Ā per graph, batch 32, session 17
 * (bench/RESULTS.md): d = 50 (50 × 260, k = 1,008) 71–77 → 47–56 ms, d = 100 (100 × 500,
 * k = 512) 97 → 76–82 ms, d = 20 (20 × 104) 19.7 → 8.6–14 ms; at 1,024³ fewer lanes were no
 * faster beyond noise.
 */
function variantFor(m: number, n: number, transA: boolean): MatmulVariant {
  const quads = Math.ceil(n / 4);
  const vec4 = n % 4 === 0;
  if (m > SHORT_M) {
    const [, lanes, groups] = TILES.find(([most]) => quads <= most) ?? [0, 32, 4];
    return { transA, vec4, rows: 32, lanes, groups };
  }
  const rows = rowsFor(m);
  const mostGroups = Math.min(16, Math.floor(MOST_ACCUMULATORS / rows));
  const lanes = LANES.find((l) => Math.ceil(quads / l) <= mostGroups) ?? 32;
  const columnBlocks = Math.ceil(quads / (lanes * mostGroups));
  return { transA, vec4, rows, lanes, groups: Math.ceil(quads / (lanes * columnBlocks)) };
}

/**
 * Rows per tile of a short product: the fewest blocks of at most 64 rows, each a multiple of 4
 * (fewer variants to compile) and 8 at least.
 */
function rowsFor(m: number): number {
  return Math.max(8, 4 * Math.ceil(m / (4 * Math.ceil(m / 64))));
}

/**
 * How (batch, row block) pairs map onto the grid's y and z with shifts only (a runtime division
 * in the kernel is re-done after every barrier): pair = (wid.z << yShift) | wid.y, batch =
 * pair >> rowShift, row block = pair & rowMask. Below 65,536 row blocks and batches that is
 * y = row block, z = batch; past either, the pairs (row blocks padded to a power of two) are
 * numbered linearly, 2¹⁵ per z.
 */
function gridFor(rowBlocks: number, batch: number, m: number) {
  if (rowBlocks <= MAX_GROUPS && batch <= MAX_GROUPS) return { yShift: 16, rowShift: 16, rowMask: 0xffff };
  const rowShift = Math.ceil(Math.log2(rowBlocks));
  if (batch * 2 ** rowShift > 2 ** 31) throw new ShapeError("matmul", `${batch} × ${m} rows exceed the dispatch grid`);
  return { yShift: 15, rowShift, rowMask: 2 ** rowShift - 1 };
}

/** C = op(A)·op(B) without the tape; Bᵀ, when asked for, is a temporary freed once queued. */
function run(a: Tensor, b: Tensor, attrs: MatmulAttrs): Tensor {
  const g = geometry(a, b, attrs);
  const variant = variantFor(g.m, g.n, attrs.transposeA);
  const rowBlocks = Math.ceil(g.m / variant.rows);
  const grid = gridFor(rowBlocks, g.batch, g.m);
  const bRowMajor = attrs.transposeB ? transposeOp.forward([b], {}).out : b;
  const c = launch1(matmulKernel(variant), [a, bRowMajor], g.out, {
    m: g.m,
    n: g.n,
    k: g.k,
    strideA: g.strideA,
    strideB: g.strideB,
    rowBlocks,
    batch: g.batch,
    transA: attrs.transposeA ? 1 : 0,
    ...grid,
  });
  if (bRowMajor !== b) bRowMajor.dispose();
  return c;
}

/** Reduces a cotangent to its operand's shape: Σ over the batch where the operand was shared. */
function reduceTo(d: Tensor, operand: Tensor): Tensor {
  if (sameShape(d.shape, operand.shape)) return d;
  const summed = sumToShape(d, operand.rank === 2 ? [1, ...operand.shape] : operand.shape);
  d.dispose();
  if (operand.rank === 3) return summed;
  const view = new Tensor(summed.backend, summed.storage, operand.shape);
  summed.dispose();
  return view;
}

const CASES: CheckSpec<MatmulAttrs>["cases"] = [
  {
    label: "AB",
    shapes: [
      [3, 5],
      [5, 4],
    ],
    attrs: { transposeA: false, transposeB: false },
  },
  {
    label: "AᵀB",
    shapes: [
      [5, 3],
      [5, 7],
    ],
    attrs: { transposeA: true, transposeB: false },
  },
  {
    label: "ABᵀ",
    shapes: [
      [3, 5],
      [6, 5],
    ],
    attrs: { transposeA: false, transposeB: true },
  },
  {
    label: "AᵀBᵀ",
    shapes: [
      [5, 3],
      [4, 5],
    ],
    attrs: { transposeA: true, transposeB: true },
  },
  {
    label: "1×1×1",
    shapes: [
      [1, 1],
      [1, 1],
    ],
    attrs: { transposeA: false, transposeB: false },
  },
  {
    label: "k past one chunk, wide n",
    shapes: [
      [9, 37],
      [37, 136],
    ],
    attrs: { transposeA: false, transposeB: false },
  },
  {
    label: "batched",
    shapes: [
      [2, 3, 5],
      [2, 5, 4],
    ],
    attrs: { transposeA: false, transposeB: false },
  },
  {
    label: "batched AᵀBᵀ",
    shapes: [
      [2, 5, 3],
      [2, 7, 5],
    ],
    attrs: { transposeA: true, transposeB: true },
  },
  {
    label: "shared B",
    shapes: [
      [2, 9, 5],
      [5, 130],
    ],
    attrs: { transposeA: false, transposeB: false },
  },
  {
    label: "shared Bᵀ, Aᵀ",
    shapes: [
      [3, 5, 4],
      [6, 5],
    ],
    attrs: { transposeA: true, transposeB: true },
  },
  {
    label: "shared A, Bᵀ",
    shapes: [
      [3, 5],
      [2, 4, 5],
    ],
    attrs: { transposeA: false, transposeB: true },
  },
  {
    label: "shared Aᵀ",
    shapes: [
      [5, 3],
      [2, 5, 8],
    ],
    attrs: { transposeA: true, transposeB: false },
  },
  {
    label: "batch of one vs batched",
    shapes: [
      [1, 3, 5],
      [2, 5, 4],
    ],
    attrs: { transposeA: false, transposeB: false },
  },
];

export const matmulOp = defineOp<MatmulAttrs>({
  name: "matmul",
  derivation:
    "C = op(A)·op(B); Ā and B̄ are matmuls of C̄ with the other operand, flags flipped (table in kernels/matmul.ts); a 2-D operand shared over the batch gets Σ_batch. Saves nothing.",
  forward: ([a, b], attrs) => ({ out: run(a, b, attrs) }),
  vjp: ({ inputs: [a, b], attrs: { transposeA: tA, transposeB: tB }, needsGrad }, dC) => {
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (needsGrad[0]) {
      dA = tA ? run(b, dC, { transposeA: tB, transposeB: true }) : run(dC, b, { transposeA: false, transposeB: !tB });
      dA = reduceTo(dA, a);
    }
    if (needsGrad[1]) {
      dB = tB ? run(dC, a, { transposeA: true, transposeB: tA }) : run(a, dC, { transposeA: !tA, transposeB: false });
      dB = reduceTo(dB, b);
    }
    return [dA, dB];
  },
  check: { cases: CASES },
});

export const matmulOps = { matmul: matmulOp };

export const matmul = (a: Tensor, b: Tensor, { transposeA = false, transposeB = false } = {}) =>
  apply(matmulOp, [a, b], { transposeA, transposeB });
