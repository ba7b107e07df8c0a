/**
 * Strided copies: the one kernel pair behind transpose, slice, concat and broadcastTo.
 *   strided_gather:  out[i] = X[base + Σ_k c_k(i)·a_k]      (c = coordinates of i in shape s)
 *   strided_scatter: Out[base + Σ_k c_k(i)·a_k] = X[i]      (writes into an existing tensor)
 * With a = the input's strides permuted → transpose; a = the input's strides and a base offset →
 * slice; a = 0 on broadcast axes → broadcastTo; scatter at an axis offset → concat and the VJP of
 * slice. Both: binding 0 X read, 1 out write, 2 params {n, base, s0..5, a0..5}; workgroup 256.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { launch1 } from "../engine/op.js";
import { type Shape, sizeOf } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { MAX_RANK, offsetTable, packShape, padShape, paramNames, readShape, wgslFields, wgslIndex } from "./broadcast.js";
import common from "./common.wgsl";

const WG = 256;
const PARAMS = [["n", "u32"], ["base", "u32"], ...paramNames("s"), ...paramNames("a")] as [string, "u32"][];

function stridedKernel(kind: "gather" | "scatter") {
  const body = kind === "gather" ? "Y[i] = X[P.base + index_a(i)];" : "Y[P.base + index_a(i)] = X[i];";
  return defineKernel({
    name: `strided_${kind}`,
    wgsl: `${common}
struct Params { n: u32, base: u32, ${wgslFields("s")} ${wgslFields("a")} }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
${wgslIndex("a")}
@compute @workgroup_size(${WG})
fn strided_${kind}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG}u);
  if (i >= P.n) { return; }
  ${body}
}`,
    entry: `strided_${kind}`,
    inputs: 1,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([x], [y], p) => {
      const s = readShape("s", p);
      const a = readShape("a", p);
      const o = offsetTable(p.n, s, a);
      for (let i = 0; i < p.n; i++) {
        if (kind === "gather") y[i] = x[p.base + (o ? o[i] : i)];
        else y[p.base + (o ? o[i] : i)] = x[i];
      }
    },
  });
}

const gatherKernel = stridedKernel("gather");
const scatterKernel = stridedKernel("scatter");

function params(op: string, shape: Shape, strides: readonly number[], base: number): Record<string, number> {
  const p: Record<string, number> = { n: sizeOf(shape), base };
  packShape("s", padShape(op, shape), p);
  packShape("a", [...Array(MAX_RANK - strides.length).fill(0), ...strides], p);
  return p;
}

/** A new tensor of `shape` reading x at `base + Σ c_k·strides_k`. */
export function stridedRead(op: string, x: Tensor, shape: Shape, strides: readonly number[], base = 0): Tensor {
  return launch1(gatherKernel, [x], shape, params(op, shape, strides, base));
}

/** Writes x (of `shape`) into `target` at `base + Σ c_k·strides_k` (in place, queued). */
export function stridedWrite(op: string, x: Tensor, target: Tensor, strides: readonly number[], base = 0): void {
  target.backend.run(scatterKernel, [x.storage], [target.storage], params(op, x.shape, strides, base));
}
