/**
 * Random tensors drawn on the device from Philox counters (no upload): element i of the output
 * is draw (seed, stream, offset + i mod 2³²) of the counter layout in engine/prng.wgsl, so a
 * tensor is a pure function of (seed, stream, offset) and the same on every backend. Draws are
 * not differentiable: these are kernels, not ops.
 *
 * WGSL, one kernel per distribution:
 *   random_uniform | random_normal | random_logistic
 *   binding 0 y [n] read_write, 1 params {n, seed, stream, offset}
 *   workgroup 256, one element per invocation, grid folded to 2-D above 65535 groups.
 *   uniform:  y = ((w >> 9) + ½)·2⁻²³ ∈ (0,1), w = word x of the block
 *   normal:   y = √(−2 log u(x)) · cos(2π u(y))   (Box–Muller on words x, y)
 *   logistic: y = log u − log(1−u)
 */
import type { Backend, DType } from "./backend.js";
import common from "./common.wgsl";
import { type Kernel, defineKernel, groupsFor } from "./kernel.js";
import { launch } from "./launch.js";
import { logisticNoise, normalNoise, uniformNoise } from "./prng.js";
import prng from "./prng.wgsl";
import { type Shape, sizeOf } from "./shape.js";
import type { Tensor } from "./tensor.js";

const WG = 256;

export type Distribution = "uniform" | "normal" | "logistic";

const DRAW: Record<Distribution, { wgsl: string; cpu: (seed: number, stream: number, index: number) => number }> = {
  uniform: { wgsl: "uniform_noise", cpu: uniformNoise },
  normal: { wgsl: "normal_noise", cpu: normalNoise },
  logistic: { wgsl: "logistic_noise", cpu: logisticNoise },
};

function randomKernel(dist: Distribution): Kernel {
  const draw = DRAW[dist].cpu;
  return defineKernel({
    name: `random.${dist}`,
    entry: `random_${dist}`,
    inputs: [],
    outputs: ["Y"],
    params: [
      ["n", "u32"],
      ["seed", "u32"],
      ["stream", "u32"],
      ["offset", "u32"],
    ],
    workgroupSize: WG,
    prelude: `${common}\n${prng}`,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  Y[i] = ${DRAW[dist].wgsl}(P.seed, P.stream, P.offset + i);`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: (_in, [y], p) => {
      for (let i = 0; i < p.n; i++) y[i] = draw(p.seed, p.stream, (p.offset + i) >>> 0);
    },
  });
}

export const randomKernels: Record<Distribution, Kernel> = {
  uniform: randomKernel("uniform"),
  normal: randomKernel("normal"),
  logistic: randomKernel("logistic"),
};

export interface DrawAddress {
  seed: number;
  stream?: number;
  offset?: number;
}

function u32(what: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`random: ${what} must be an integer in [0, 2^32), got ${value}`);
  }
  return value;
}

/** A tensor of `shape` filled with draws (seed, stream, offset + i) from `dist`. */
export function randomTensor(
  dist: Distribution,
  backend: Backend,
  dtype: DType,
  shape: Shape,
  at: DrawAddress,
): Tensor {
  const params = {
    n: sizeOf(shape),
    seed: u32("seed", at.seed),
    stream: u32("stream", at.stream ?? 0),
    offset: u32("offset", at.offset ?? 0),
  };
  return launch(randomKernels[dist], [], [shape], params, { backend, dtype })[0];
}
