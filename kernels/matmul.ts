/**
 * Matrix product C = op(A)·op(B), 2-D or batched ([B, m, k]·[B, k, n], either side may be 2-D
 * and shared across the batch), op = identity or transpose.
 *
 * VJP (the same kernel with flags flipped; a shared 2-D operand's cotangent is summed over the
 * batch with sumToShape):
 *   C = A B     ⇒ Ā = C̄ Bᵀ,      B̄ = Aᵀ C̄
 *   C = Aᵀ B    ⇒ Ā = B C̄ᵀ,      B̄ = A C̄
 *   C = A Bᵀ    ⇒ Ā = C̄ B,       B̄ = C̄ᵀ A
 *   C = Aᵀ Bᵀ   ⇒ Ā = Bᵀ C̄ᵀ,     B̄ = C̄ᵀ Aᵀ
 *
 * WGSL matmul_tiled (shaped for lavapipe, see shared/notes/lavapipe-performance.md): binding
 * 0 A, 1 B read; 2 C [batch, m, n] write; 3 params {m, n, k, transA, strideA, strideB}.
 * Workgroup = 32 lanes owning R = 8 rows × 128 columns of C: rows come from workgroup_id (so the
 * A reads in the hot loop are uniform loads from workgroup memory, no bounds checks), each lane
 * accumulates a 8×4 block (32 outputs) and reads 4 consecutive B values per k. The R×32 chunk of
 * op(A) is staged cooperatively in workgroup memory (any layout, so transA costs nothing).
 * op(B) = Bᵀ is materialised first by a strided copy, which keeps the B reads row-contiguous.
 * Grid: (⌈n/128⌉, ⌈m/8⌉, batch). Out-of-range columns are clamped on load and masked on store.
 */
import { defineKernel } from "../engine/kernel.js";
import { apply, defineOp, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import { sumToShape } from "./elementwise-binary.js";
import { transposeOp } from "./shape-ops.js";

const R = 8;
const KC = 32;
const LANES = 32;
const COLS = LANES * 4;

export const matmulKernel = defineKernel({
  name: "matmul.tiled",
  wgsl: /* wgsl */ `
struct Params { m: u32, n: u32, k: u32, transA: u32, strideA: u32, strideB: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> As: array<f32, ${R * KC}>;

fn a_at(base: u32, i: u32, k: u32) -> f32 {
  if (i >= P.m || k >= P.k) { return 0.0; }
  if (P.transA == 1u) { return A[base + k * P.m + i]; }
  return A[base + i * P.k + k];
}

@compute @workgroup_size(${LANES})
fn matmul_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let batch = wid.z;
  let row0 = wid.y * ${R}u;
  let col = (wid.x * ${LANES}u + lid.x) * 4u;
  let aBase = batch * P.strideA;
  let bBase = batch * P.strideB;
  let nLast = P.n - 1u;
  let c0 = min(col, nLast); let c1 = min(col + 1u, nLast); let c2 = min(col + 2u, nLast); let c3 = min(col + 3u, nLast);
  var acc: array<vec4<f32>, ${R}>;
  for (var k0 = 0u; k0 < P.k; k0 += ${KC}u) {
    for (var t = 0u; t < ${(R * KC) / LANES}u; t++) {
      let e = t * ${LANES}u + lid.x;
      As[e] = a_at(aBase, row0 + e / ${KC}u, k0 + e % ${KC}u);
    }
    workgroupBarrier();
    let kEnd = min(${KC}u, P.k - k0);
    for (var kk = 0u; kk < kEnd; kk++) {
      let rowB = bBase + (k0 + kk) * P.n;
      let b = vec4<f32>(B[rowB + c0], B[rowB + c1], B[rowB + c2], B[rowB + c3]);
      for (var r = 0u; r < ${R}u; r++) {
        acc[r] += As[r * ${KC}u + kk] * b;
      }
    }
    workgroupBarrier();
  }
  let cBase = batch * P.m * P.n;
  for (var r = 0u; r < ${R}u; r++) {
    let i = row0 + r;
    if (i >= P.m) { break; }
    let o = cBase + i * P.n;
    let v = acc[r];
    if (col < P.n) { C[o + col] = v.x; }
    if (col + 1u < P.n) { C[o + col + 1u] = v.y; }
    if (col + 2u < P.n) { C[o + col + 2u] = v.z; }
    if (col + 3u < P.n) { C[o + col + 3u] = v.w; }
  }
}`,
  entry: "matmul_tiled",
  inputs: 2,
  outputs: 1,
  params: [["m", "u32"], ["n", "u32"], ["k", "u32"], ["transA", "u32"], ["strideA", "u32"], ["strideB", "u32"], ["batch", "u32"]],
  workgroups: (p) => [Math.ceil(p.n / COLS), Math.ceil(p.m / R), p.batch],
  cpu: ([a, b], [c], p) => {
    const { m, n, k } = p;
    for (let z = 0; z < p.batch; z++) {
      const aBase = z * p.strideA;
      const bBase = z * p.strideB;
      const cBase = z * m * n;
      c.fill(0, cBase, cBase + m * n);
      for (let i = 0; i < m; i++) {
        for (let kk = 0; kk < k; kk++) {
          const av = p.transA ? a[aBase + kk * m + i] : a[aBase + i * k + kk];
          if (av === 0) continue;
          const row = bBase + kk * n;
          for (let j = 0; j < n; j++) c[cBase + i * n + j] += av * b[row + j];
        }
      }
    }
  },
});

interface MatmulAttrs {
  [key: string]: unknown;
  transposeA: boolean;
  transposeB: boolean;
}

function geometry(a: Tensor, b: Tensor, { transposeA, transposeB }: MatmulAttrs) {
  const describe = () => `${fmt(a.shape)}${transposeA ? "ᵀ" : ""} · ${fmt(b.shape)}${transposeB ? "ᵀ" : ""}`;
  if (a.rank < 2 || a.rank > 3 || b.rank < 2 || b.rank > 3) throw new ShapeError("matmul", `operands must be 2-D or 3-D: ${describe()}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, ka] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (ka !== kb) throw new ShapeError("matmul", `inner sizes differ (${ka} vs ${kb}): ${describe()}`);
  const batchA = a.rank === 3 ? a.shape[0] : 1;
  const batchB = b.rank === 3 ? b.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) throw new ShapeError("matmul", `batch sizes differ: ${describe()}`);
  const batch = Math.max(batchA, batchB);
  const out = a.rank === 3 || b.rank === 3 ? [batch, m, n] : [m, n];
  return { m, n, k: ka, batch, out, strideA: a.rank === 3 && batchA > 1 ? m * ka : 0, strideB: b.rank === 3 && batchB > 1 ? ka * n : 0 };
}

function run(a: Tensor, b: Tensor, attrs: MatmulAttrs): Tensor {
  const g = geometry(a, b, attrs);
  const bRowMajor = attrs.transposeB ? transposeOp.forward([b], {}).out : b;
  return launch1(matmulKernel, [a, bRowMajor], g.out, {
    m: g.m,
    n: g.n,
    k: g.k,
    transA: attrs.transposeA ? 1 : 0,
    strideA: g.strideA,
    strideB: g.strideB,
    batch: g.batch,
  });
}

const CASES: { label: string; shapes: number[][]; attrs: MatmulAttrs }[] = [
  { label: "AB", shapes: [[3, 5], [5, 4]], attrs: { transposeA: false, transposeB: false } },
  { label: "AᵀB", shapes: [[5, 3], [5, 4]], attrs: { transposeA: true, transposeB: false } },
  { label: "ABᵀ", shapes: [[3, 5], [4, 5]], attrs: { transposeA: false, transposeB: true } },
  { label: "AᵀBᵀ", shapes: [[5, 3], [4, 5]], attrs: { transposeA: true, transposeB: true } },
  { label: "batched", shapes: [[2, 3, 5], [2, 5, 4]], attrs: { transposeA: false, transposeB: false } },
  { label: "shared B", shapes: [[2, 9, 5], [5, 130]], attrs: { transposeA: false, transposeB: false } },
  { label: "shared A, Bᵀ", shapes: [[3, 5], [2, 4, 5]], attrs: { transposeA: false, transposeB: true } },
];

export const matmulOp = defineOp<MatmulAttrs>({
  name: "matmul",
  derivation:
    "C = op(A)·op(B); Ā and B̄ are matmuls of C̄ with the other operand with flags flipped (table in kernels/matmul.ts); a 2-D operand shared over the batch gets Σ_batch.",
  forward: ([a, b], attrs) => ({ out: run(a, b, attrs) }),
  vjp: ({ inputs: [a, b], attrs, needsGrad }, dC) => {
    const tA = attrs.transposeA;
    const tB = attrs.transposeB;
    let dA: Tensor | null = null;
    let dB: Tensor | null = null;
    if (needsGrad[0]) {
      dA = tA ? run(b, dC, { transposeA: tB, transposeB: true }) : run(dC, b, { transposeA: false, transposeB: !tB });
      dA = sumToShape(dA, a.rank === 2 && dA.rank === 3 ? [1, ...a.shape] : a.shape);
      if (dA.rank !== a.rank) dA = dropBatch(dA, a.shape);
    }
    if (needsGrad[1]) {
      dB = tB ? run(dC, a, { transposeA: true, transposeB: tA }) : run(a, dC, { transposeA: !tA, transposeB: false });
      dB = sumToShape(dB, b.rank === 2 && dB.rank === 3 ? [1, ...b.shape] : b.shape);
      if (dB.rank !== b.rank) dB = dropBatch(dB, b.shape);
    }
    return [dA, dB];
  },
  check: { cases: CASES },
});

/** Drops the summed batch axis of a [1, r, c] cotangent (a view). */
function dropBatch(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(t.backend, t.storage, shape);
}

export const matmulOps = { matmul: matmulOp };

export const matmul = (a: Tensor, b: Tensor, { transposeA = false, transposeB = false } = {}) => apply(matmulOp, [a, b], { transposeA, transposeB });
