/**
 * WGSL of the tiled matmul, C = op(A)·B, generated per variant (kernels/matmul.ts picks one per
 * call; op(B) = Bᵀ has already been materialised by then).
 *
 * Bindings: 0 A ([batch|1, m, k], or [batch|1, k, m] when transA) read; 1 B [batch|1, k, n] read;
 *           2 C [batch, m, n] write; 3 params {m, n, k, strideA, strideB, rowBlocks, batch, transA,
 *           yShift, rowShift, rowMask} (a stride of 0 shares a 2-D operand across the batch).
 * Workgroup: `lanes` (8, 16 or 32) invocations. Grid: (⌈n / cols⌉, y, z), where (batch, row block)
 *           = (pair >> rowShift, pair & rowMask) for pair = (wid.z << yShift) | wid.y: y = row
 *           block and z = batch up to 65,535 of each (kernels/matmul.ts, gridFor, which also
 *           picks R, lanes and CV per shape).
 * Math:      C[z, i, j] = Σ_κ op(A)[z, i, κ] B[z, κ, j].
 *
 * Tiling, shaped for lavapipe (shared/notes/lavapipe-performance.md, "smemA R8 C4"): lavapipe runs
 * 8 invocations as one SIMD vector and turns every storage load whose address differs between
 * lanes into a loop over the lanes, while a load whose address is the same for every lane (it
 * derives from workgroup_id and loop counters only) is a single scalar load. So a workgroup owns
 * R (a multiple of 4, at most 64) rows of C, taken from workgroup_id, and lanes·4·CV consecutive
 * columns (CV ≤ 16 vec4 groups per lane, lane-contiguous): each lane keeps R × CV vec4
 * accumulators. Per chunk of KC = 32 values of κ, the lanes copy the R × 32 block of op(A) into
 * workgroup memory, as vec4s of 4 rows (any source layout, so Aᵀ costs nothing); then per κ each
 * lane makes CV lane-varying loads of B (one vec4 each when n % 4 = 0, four clamped scalars
 * otherwise) and reuses each across the R rows, whose A values are R/4 uniform vec4 loads from
 * workgroup memory.
 * Rows past m are staged as 0 and not stored; columns past n are clamped on load and masked on
 * store; the last partial chunk of κ runs a shorter loop, so nothing past k is read.
 *
 * What the machine code showed (GALLIVM_DEBUG=asm): the accumulators live in the coroutine frame
 * that carries them across the barriers, so every FMA is a load, a multiply, an add, an exec-mask
 * blend and a store; a lane-varying vec4 load is ~30 instructions per lane. And LLVM recomputes
 * values from before the loop inside it rather than keep them in the frame: the integer division
 * of the old flat-index grid became 8 scalar `div`s inside the κ loop (616 in the R8 CV1 kernel,
 * 16 without it; ~10 % at 1024³), hence the shift-only grid.
 * Sweep (GFLOP/s at 1024³; 2-vCPU Xeon VM at 2.5 GHz shared with other jobs, ±30 %; naive kernel
 * 0.2–0.8): R8 CV1 2.5, R16 CV2 5.1, R16 CV4 6.0–10.7, R32 CV4 12.2, R64 CV4 14.4, R32 CV8 14.1;
 * R64 CV8 and R128 CV4 no faster again. R32 CV4 is used: at 512³ it also beat R16 CV4 by 1.2–1.4×,
 * and larger tiles pad small m. No faster beyond noise: KC 16 or 64; staging one vec4 per lane;
 * four κ steps summed before each accumulator update (a quarter of the blends). Slower: A staged
 * with κ contiguous and read as vec4 over 4 κ steps; A read directly from storage (uniform loads).
 */
import { defineKernel, type Kernel, kernelCache } from "../engine/kernel.js";
import { seq } from "./unroll.js";

const KC = 32;

export interface MatmulVariant {
  transA: boolean;
  /** n % 4 = 0: B and C are read and written as vec4. */
  vec4: boolean;
  /** Rows of C per workgroup (R): a multiple of 4, at most 64. */
  rows: number;
  lanes: 8 | 16 | 32;
  /** vec4 column groups per lane (CV), at most 16. */
  groups: number;
}

const MATMUL_PARAMS = [
  ["m", "u32"],
  ["n", "u32"],
  ["k", "u32"],
  ["strideA", "u32"],
  ["strideB", "u32"],
  ["rowBlocks", "u32"],
  ["batch", "u32"],
  ["transA", "u32"],
  ["yShift", "u32"],
  ["rowShift", "u32"],
  ["rowMask", "u32"],
] as const;

function body({ transA, vec4, rows: R, lanes, groups }: MatmulVariant): string {
  const cv = seq(groups);
  const rows = seq(R);
  // Column group v of this lane: a vec4 index (vec4) or the first of 4 scalar columns.
  const columns = cv.map((v) =>
    vec4
      ? `let col${v} = wid.x * ${lanes * cv.length}u + ${v * lanes}u + lid.x;\n  let c${v} = min(col${v}, n4 - 1u);`
      : `let col${v} = (wid.x * ${lanes * cv.length}u + ${v * lanes}u + lid.x) * 4u;\n  let c${v} = min(vec4<u32>(col${v}) + vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(P.n - 1u));`,
  );
  const loadB = (v: number) =>
    vec4
      ? `let b${v} = B[rowB + c${v}];`
      : `let b${v} = vec4<f32>(B[rowB + c${v}.x], B[rowB + c${v}.y], B[rowB + c${v}.z], B[rowB + c${v}.w]);`;
  const step = (kk: string) => `{
      let rowB = bBase + (k0 + ${kk}) * ${vec4 ? "n4" : "P.n"};
      ${cv.map(loadB).join(" ")}
      ${seq(R / 4)
        .map((q) => `let a${q} = As[${kk} * ${R / 4}u + ${q}u];`)
        .join(" ")}
      ${rows.map((r) => cv.map((v) => `acc${r}_${v} = fma(vec4<f32>(a${r >> 2}[${r & 3}]), b${v}, acc${r}_${v});`).join(" ")).join("\n      ")}
    }`;
  const storeRow = (r: number) => {
    const body = cv.map((v) =>
      vec4
        ? `if (col${v} < n4) { C[o / 4u + col${v}] = acc${r}_${v}; }`
        : `for (var j = 0u; j < 4u; j++) { if (col${v} + j < P.n) { C[o + col${v} + j] = acc${r}_${v}[j]; } }`,
    );
    return `if (row0 + ${r}u < P.m) { let o = cBase + (row0 + ${r}u) * P.n; ${body.join(" ")} }`;
  };
  // Staging: consecutive lanes read consecutive addresses of A (along κ, or along i for Aᵀ).
  const stage = transA
    ? `let kk = e / ${R}u; let r = e % ${R}u; let kg = k0 + kk; let i = row0 + r;
      var v = 0.0; if (i < P.m && kg < P.k) { v = A[aBase + kg * P.m + i]; }`
    : `let r = e / ${KC}u; let kk = e % ${KC}u; let kg = k0 + kk; let i = row0 + r;
      var v = 0.0; if (i < P.m && kg < P.k) { v = A[aBase + i * P.k + kg]; }`;
  return /* wgsl */ `
  let pair = (wid.z << P.yShift) | wid.y;
  let z = pair >> P.rowShift;
  let rowBlock = pair & P.rowMask;
  if (z >= P.batch || rowBlock >= P.rowBlocks) { return; }
  let row0 = rowBlock * ${R}u;
  let n4 = P.n / 4u;
  let aBase = z * P.strideA;
  let bBase = z * P.strideB${vec4 ? " / 4u" : ""};
  let cBase = z * P.m * P.n;
  ${columns.join("\n  ")}
  ${rows.map((r) => cv.map((v) => `var acc${r}_${v} = vec4<f32>();`).join(" ")).join("\n  ")}
  for (var k0 = 0u; k0 < P.k; k0 += ${KC}u) {
    for (var t = 0u; t < ${(R * KC) / lanes}u; t++) {
      let e = t * ${lanes}u + lid.x;
      ${stage}
      As[kk * ${R / 4}u + r / 4u][r % 4u] = v;
    }
    workgroupBarrier();
    if (k0 + ${KC}u <= P.k) {
      for (var kk = 0u; kk < ${KC}u; kk++) ${step("kk")}
    } else {
      for (var kk = 0u; kk < P.k - k0; kk++) ${step("kk")}
    }
    workgroupBarrier();
  }
  ${rows.map(storeRow).join("\n  ")}`;
}

const cached = kernelCache();

/** The kernel of one variant (one object per variant, so the backend's pipeline cache hits). */
export function matmulKernel(variant: MatmulVariant): Kernel {
  const key = `${variant.transA ? "t" : "n"}${variant.vec4 ? "v" : "s"}.r${variant.rows}.l${variant.lanes}.g${variant.groups}`;
  return cached(key, () => {
    const cols = variant.lanes * 4 * variant.groups;
    const element = variant.vec4 ? "vec4<f32>" : "f32";
    return defineKernel({
      name: `matmul.tiled.${key}`,
      entry: "matmul_tiled",
      inputs: ["A", { name: "B", element }],
      outputs: [{ name: "C", element }],
      params: MATMUL_PARAMS,
      // The lane count is fixed per variant, with the trip counts and column offsets built from it.
      workgroupSize: `${variant.lanes}`,
      prelude: `var<workgroup> As: array<vec4<f32>, ${(variant.rows * KC) / 4}>;`,
      body: body(variant),
      workgroups: (p) => {
        if (p.yShift === 16) return [Math.ceil(p.n / cols), p.rowBlocks, p.batch];
        const pairs = p.batch * (p.rowMask + 1);
        return [Math.ceil(p.n / cols), Math.min(pairs, 2 ** p.yShift), Math.ceil(pairs / 2 ** p.yShift)];
      },
      cpu: matmulCpu,
    });
  });
}

/** The reference: C[z] = op(A[z])·B[z], i-κ-j loops, in the precision of the arrays. */
function matmulCpu(
  [a, b]: readonly (Float32Array | Float64Array)[],
  [c]: (Float32Array | Float64Array)[],
  p: Readonly<Record<string, number>>,
): void {
  const { m, n, k } = p;
  for (let z = 0; z < p.batch; z++) {
    const aBase = z * p.strideA;
    const bBase = z * p.strideB;
    const cBase = z * m * n;
    c.fill(0, cBase, cBase + m * n);
    for (let i = 0; i < m; i++) {
      const out = cBase + i * n;
      for (let q = 0; q < k; q++) {
        const av = p.transA ? a[aBase + q * m + i] : a[aBase + i * k + q];
        const row = bBase + q * n;
        for (let j = 0; j < n; j++) c[out + j] += av * b[row + j];
      }
    }
  }
}
