/**
 * fill: y[i] = value. Constants are made on the device so that no upload (and so no submit)
 * interrupts a recorded command stream. The engine's own kernel: zeros/ones/full, Adam's moments
 * and the tape's seed cotangent use it.
 * WGSL: binding 0 y [n] write, 1 params {n, value}; workgroup 256, folded 2-D grid.
 */
import type { Backend, DType } from "./backend.js";
import common from "./common.wgsl";
import { defineKernel, groupsFor } from "./kernel.js";
import { launch } from "./launch.js";
import { type Shape, sizeOf } from "./shape.js";
import type { Tensor } from "./tensor.js";

const WG = 256;

export const fillKernel = defineKernel({
  name: "fill",
  entry: "fill",
  inputs: [],
  outputs: ["Y"],
  params: [
    ["n", "u32"],
    ["value", "f32"],
  ],
  workgroupSize: WG,
  prelude: common,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i < P.n) { Y[i] = P.value; }`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: (_in, [y], p) => {
    y.fill(p.value, 0, p.n);
  },
});

export function fill(backend: Backend, dtype: DType, shape: Shape, value: number): Tensor {
  return launch(fillKernel, [], [shape], { n: sizeOf(shape), value }, { backend, dtype })[0];
}
