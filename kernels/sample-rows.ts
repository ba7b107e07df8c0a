/**
 * Stratified minibatch of rows, drawn on the device (gim/model/minibatch.ts; docs/minibatch.md).
 *   X: [N, d] rows sorted by env, envStart: [E + 1] (float-coded, envStart[E] = N),
 *   batchEnv: [B] the env of each minibatch slot (float-coded, sorted: env e owns b_e slots).
 *   Slot k of env e draws the row
 *     i_k = envStart[e] + ⌊w_k · n_e / 2³²⌋,   w_k = philox_word(seed, stream, k),  n_e = envStart[e+1] − envStart[e]
 *   i.e. uniform over env e's rows, independently per slot (with replacement), and
 *     Y[k, j] = X[i_k, j].
 *   ⌊w·n/2³²⌋ is the high word of the 64-bit product (philox_mulhilo / mulhi32): integers on both
 *   backends, so the same rows everywhere; its bias is below n_e/2³² per row.
 * No gradient: X is data, and the indices are piecewise constant in everything.
 *
 * WGSL sample_rows: 0 X [N, d], 1 batchEnv [B], 2 envStart [E+1] read; 3 Y [B, d] write;
 * params {B, d, seed, stream}; workgroup 256, one element of Y per invocation (the row's draw is
 * recomputed per column: one Philox call costs less than a second dispatch and an index buffer).
 */
import common from "../engine/common.wgsl";
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch1 } from "../engine/op.js";
import { mulhi32, philoxWord } from "../engine/prng.js";
import prng from "../engine/prng.wgsl";
import type { Tensor } from "../engine/tensor.js";

const WG = 256;

/** The row slot k of env e draws: envStart[e] + ⌊w_k·n_e/2³²⌋. */
export function sampledRow(seed: number, stream: number, k: number, start: number, count: number): number {
  return start + mulhi32(philoxWord(seed, stream, k), count);
}

const sampleRowsKernel = defineKernel({
  name: "sample_rows",
  entry: "sample_rows",
  inputs: ["X", "batchEnv", "envStart"],
  outputs: ["Y"],
  params: [
    ["B", "u32"],
    ["d", "u32"],
    ["seed", "u32"],
    ["stream", "u32"],
  ],
  workgroupSize: WG,
  prelude: `${common}\n${prng}`,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.B * P.d) { return; }
  let k = i / P.d;
  let e = u32(batchEnv[k]);
  let start = u32(envStart[e]);
  let count = u32(envStart[e + 1u]) - start;
  let row = start + philox_mulhilo(philox_word(P.seed, P.stream, k), count).x;
  Y[i] = X[row * P.d + i % P.d];`,
  workgroups: (p) => groupsFor(p.B * p.d, WG),
  cpu: ([x, batchEnv, envStart], [y], p) => {
    for (let k = 0; k < p.B; k++) {
      const e = batchEnv[k];
      const row = sampledRow(p.seed, p.stream, k, envStart[e], envStart[e + 1] - envStart[e]);
      for (let j = 0; j < p.d; j++) y[k * p.d + j] = x[row * p.d + j];
    }
  },
});

export type SampleRowsAttrs = {
  seed: number;
  stream: number;
};

export const sampleRowsOp: OpDef<SampleRowsAttrs> = defineOp<SampleRowsAttrs>({
  name: "sampleRows",
  derivation:
    "Y[k] = X[envStart[e_k] + ⌊w_k·n_e/2³²⌋], w_k = Philox(seed, stream, k): a gather at random indices of data; no gradient.",
  forward: ([X, batchEnv, envStart], { seed, stream }) => {
    if (X.shape.length !== 2) throw new Error(`sampleRows: X must be [N, d], got [${X.shape}]`);
    if (batchEnv.shape.length !== 1) throw new Error(`sampleRows: batchEnv must be [B], got [${batchEnv.shape}]`);
    if (envStart.shape.length !== 1 || envStart.shape[0] < 2)
      throw new Error(`sampleRows: envStart must be [E + 1] with E ≥ 1, got [${envStart.shape}]`);
    const [B, d] = [batchEnv.shape[0], X.shape[1]];
    return { out: launch1(sampleRowsKernel, [X, batchEnv, envStart], [B, d], { B, d, seed, stream }) };
  },
  vjp: { none: "the rows are data and the drawn indices are piecewise constant: no input has a gradient" },
  check: {
    cases: [
      {
        label: "three envs, uneven",
        shapes: [[9, 3], [6], [4]],
        attrs: { seed: 7, stream: 5 },
        domains: ["real", { fixed: [0, 0, 1, 1, 2, 2] }, { fixed: [0, 4, 5, 9] }],
      },
      {
        label: "one env, more slots than rows",
        shapes: [[2, 5], [4], [2]],
        attrs: { seed: 1, stream: 21 },
        domains: ["real", { fixed: [0, 0, 0, 0] }, { fixed: [0, 2] }],
      },
    ],
  },
});

export const sampleRowsOps = { sampleRows: sampleRowsOp };

/** B rows of X [N, d], b_e of env e (batchEnv lists each slot's env), drawn by (seed, stream). */
export const sampleRows = (X: Tensor, batchEnv: Tensor, envStart: Tensor, attrs: SampleRowsAttrs) =>
  apply(sampleRowsOp, [X, batchEnv, envStart], attrs);
