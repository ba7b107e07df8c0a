/**
 * accumulate: y = a + b for two tensors of the same shape, the tape's += of cotangents.
 *
 * Separate from the broadcasting `add` op (kernels/elementwise-binary.ts) because the tape sits
 * below the op layer: the engine must not import kernels/, and a cotangent always has its
 * input's shape, so the broadcast strides, their uniform fields and the index arithmetic of the
 * general kernel buy nothing here. Not an op: the tape runs it under noGrad and never records it.
 *
 * WGSL: binding 0 a [n] read, 1 b [n] read, 2 y [n] write, 3 params {n}; workgroup 256, one
 * element per invocation, grid folded to 2-D above 65535 groups.
 */
import common from "./common.wgsl";
import { defineKernel, groupsFor } from "./kernel.js";
import { launch1 } from "./launch.js";
import { fmt, sameShape } from "./shape.js";
import { type Tensor, assertSameBackend } from "./tensor.js";

const WG = 256;

export const accumulateKernel = defineKernel({
  name: "accumulate",
  entry: "accumulate",
  inputs: ["A", "B"],
  outputs: ["Y"],
  params: [["n", "u32"]],
  workgroupSize: WG,
  prelude: common,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i < P.n) { Y[i] = A[i] + B[i]; }`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([a, b], [y], p) => {
    for (let i = 0; i < p.n; i++) y[i] = a[i] + b[i];
  },
});

/** a + b, elementwise; both must have the same shape. */
export function accumulate(a: Tensor, b: Tensor): Tensor {
  assertSameBackend("accumulate", [a, b]);
  if (!sameShape(a.shape, b.shape))
    throw new Error(`accumulate: cotangents of shapes ${fmt(a.shape)} and ${fmt(b.shape)} do not match`);
  return launch1(accumulateKernel, [a, b], a.shape, { n: a.size });
}
