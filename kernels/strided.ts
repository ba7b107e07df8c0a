/**
 * Strided copies: the one kernel pair behind transpose, slice, concat, broadcastTo and prependZeros.
 *   strided_gather:  out[i] = 0 for i < lead, else X[base + Σ_k c_k(i − lead)·a_k]
 *                    (c = coordinates in shape s; lead > 0 only for prependZeros)
 *   strided_scatter: Out[base + Σ_k c_k(i)·a_k] = X[i]      (writes into an existing tensor)
 * With a = the input's strides permuted → transpose; a = the input's strides and a base offset →
 * slice; a = 0 on broadcast axes → broadcastTo; scatter at an axis offset → concat and the VJP of
 * slice. Both: binding 0 X read, 1 out write, 2 params {n, base, lead, s0..5, a0..5} (n counts
 * the lead); workgroup 256.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { launch1 } from "../engine/op.js";
import { type Shape, sizeOf } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { MAX_RANK, offsetTable, packShape, padShape, paramNames, readShape, wgslIndex } from "./broadcast.js";
import common from "../engine/common.wgsl";

const WG = 256;
const PARAMS = [["n", "u32"], ["base", "u32"], ["lead", "u32"], ...paramNames("s"), ...paramNames("a")] as [
  string,
  "u32",
][];

const PRELUDE = `${common}
${wgslIndex("a")}
fn offset_of(i: u32) -> u32 {
  if (P.ssfx != 0u) { return i / P.ssfx; }
  return index_a(i);
}`;

function stridedKernel(kind: "gather" | "scatter") {
  const copy =
    kind === "gather"
      ? "if (i < P.lead) { Y[i] = 0.0; } else { Y[i] = X[P.base + offset_of(i - P.lead)]; }"
      : "Y[P.base + offset_of(i)] = X[i];";
  return defineKernel({
    name: `strided_${kind}`,
    entry: `strided_${kind}`,
    inputs: ["X"],
    outputs: ["Y"],
    params: PARAMS,
    workgroupSize: WG,
    prelude: PRELUDE,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  ${copy}`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([x], [y], p) => {
      const s = readShape("s", p);
      const a = readShape("a", p);
      const o = offsetTable(p.n - p.lead, s, a);
      for (let i = 0; i < p.lead; i++) y[i] = 0;
      for (let i = 0; i < p.n - p.lead; i++) {
        if (kind === "gather") y[p.lead + i] = x[p.base + (o ? o[i] : i)];
        else y[p.base + (o ? o[i] : i)] = x[i];
      }
    },
  });
}

const gatherKernel = stridedKernel("gather");
const scatterKernel = stridedKernel("scatter");

/**
 * Fast paths (no division chains): asfx = m when the read is i % m (contiguous, possibly
 * repeated along leading axes — identity and leading broadcasts); ssfx = m when it is i / m
 * (contiguous, repeated along trailing axes — e.g. [M, N, 1] → [M, N, d]).
 */
function fastPath(shape: readonly number[], strides: readonly number[]): { asfx: number; ssfx: number } {
  const live = shape.map((_, k) => k).filter((k) => shape[k] !== 1);
  const contiguous = (axes: number[]) => {
    let acc = 1;
    for (let j = axes.length - 1; j >= 0; j--) {
      if (strides[axes[j]] !== acc) return false;
      acc *= shape[axes[j]];
    }
    return true;
  };
  const zero = live.filter((k) => strides[k] === 0);
  const nonzero = live.filter((k) => strides[k] !== 0);
  const extent = (axes: number[]) => axes.reduce((acc, k) => acc * shape[k], 1);
  if (!contiguous(nonzero)) return { asfx: 0, ssfx: 0 };
  if (zero.every((k) => nonzero.every((j) => k < j))) return { asfx: extent(nonzero), ssfx: 0 };
  if (zero.every((k) => nonzero.every((j) => k > j))) return { asfx: 0, ssfx: extent(zero) };
  return { asfx: 0, ssfx: 0 };
}

function params(op: string, shape: Shape, strides: readonly number[], base: number, lead = 0): Record<string, number> {
  const p: Record<string, number> = { n: lead + sizeOf(shape), base, lead };
  const paddedStrides = [...Array(MAX_RANK - strides.length).fill(0), ...strides];
  const paddedShape = padShape(op, shape);
  packShape("s", paddedShape, p);
  packShape("a", paddedStrides, p);
  Object.assign(p, fastPath(paddedShape, paddedStrides));
  return p;
}

/** A new tensor of `shape` reading x at `base + Σ c_k·strides_k`. */
export function stridedRead(op: string, x: Tensor, shape: Shape, strides: readonly number[], base = 0): Tensor {
  return launch1(gatherKernel, [x], shape, params(op, shape, strides, base));
}

/**
 * A new tensor of `out` (lead + sizeOf(shape) elements): `lead` zeros, then x read as stridedRead
 * reads it into `shape`.
 */
export function stridedReadAfterZeros(
  op: string,
  x: Tensor,
  out: Shape,
  shape: Shape,
  strides: readonly number[],
  lead: number,
): Tensor {
  if (sizeOf(out) !== lead + sizeOf(shape)) throw new Error(`${op}: ${lead} zeros and ${shape} do not fill ${out}`);
  return launch1(gatherKernel, [x], out, params(op, shape, strides, 0, lead));
}

/** Writes x (of `shape`) into `target` at `base + Σ c_k·strides_k` (in place, queued). */
export function stridedWrite(op: string, x: Tensor, target: Tensor, strides: readonly number[], base = 0): void {
  target.backend.run(scatterKernel, [x.storage], [target.storage], params(op, x.shape, strides, base));
}
