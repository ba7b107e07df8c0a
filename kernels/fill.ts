/**
 * fill: y[i] = value. Constants are made on the device so that no upload (and so no submit)
 * interrupts a recorded command stream.
 * WGSL: binding 0 y [n] write, 1 params {n, value}; workgroup 256, folded 2-D grid.
 */
import type { Backend, DType } from "../engine/backend.js";
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { launch } from "../engine/op.js";
import type { Shape } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "./common.wgsl";

const WG = 256;

export const fillKernel = defineKernel({
  name: "fill",
  wgsl: `${common}
struct Params { n: u32, value: f32 }
@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;
@compute @workgroup_size(${WG})
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG}u);
  if (i < P.n) { Y[i] = P.value; }
}`,
  entry: "fill",
  inputs: 0,
  outputs: 1,
  params: [["n", "u32"], ["value", "f32"]],
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: (_in, [y], p) => {
    y.fill(p.value, 0, p.n);
  },
});

export function fill(backend: Backend, dtype: DType, shape: Shape, value: number): Tensor {
  let n = 1;
  for (const s of shape) n *= s;
  return launch(fillKernel, [], [shape], { n, value }, { backend, dtype })[0];
}
