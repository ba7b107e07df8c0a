/**
 * Intervention mixing (spec §4 per-sample log-density, §11 "interv. mix"):
 *   y[...] = Σ_j (1 − I_j) L^o_j + I_j L^i_j = Σ_j L^o_j + I_j (L^i_j − L^o_j),
 * the log-density of a sample under (soft or hard) targets I. L^o, L^i: [..., d] (same shape);
 * I broadcasts against them (NumPy rules, e.g. [d] or [R, 1, d] against [R, N, d]); y: [...].
 * VJP: Ī = ȳ (L^i − L^o), L̄^o = ȳ (1 − I), L̄^i = ȳ I, each summed back over broadcast axes.
 * Saves nothing (the inputs suffice).
 *
 * WGSL (one kernel for every broadcast form: strides of I in the uniform, rank ≤ 6):
 *   mix_fwd: 0 L^o, 1 L^i, 2 I read; 3 y [n] write; one lane per output element, loop over j.
 *   mix_vjp: 0 L^o, 1 L^i, 2 I, 3 ȳ read; 4 L̄^o, 5 L̄^i, 6 Ī_full (all [n·d]) write; one lane per
 *            element; Ī_full is then reduced to I's shape by sumToShape.
 *   params {n, d, s0..s5, ssfx, i0..i5, isfx}; workgroup 256 (override WG), folded 2-D grid.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { type Shape, ShapeError, fmt, sameShape } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { broadcastParams, cpuIndex, paramNames, readShape, wgslIndex } from "./broadcast.js";
import common from "../engine/common.wgsl";
import { sumToShape } from "./elementwise-binary.js";

const WG = 256;
const PARAMS = [["n", "u32"], ["d", "u32"], ...paramNames("s"), ...paramNames("i")] as [string, "u32"][];

const PRELUDE = `${common}
${wgslIndex("i")}`;

const fwdKernel = defineKernel({
  name: "intervention_mix.fwd",
  entry: "mix_fwd",
  inputs: ["LO", "LI", "IM"],
  outputs: ["Y"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let o = flat_id(wid, nwg, lid, WG);
  if (o >= P.n) { return; }
  var s = 0.0;
  for (var j = 0u; j < P.d; j++) {
    let t = o * P.d + j;
    let lo = LO[t];
    s += lo + IM[index_i(t)] * (LI[t] - lo);
  }
  Y[o] = s;`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([lo, li, im], [y], p) => {
    const s = readShape("s", p);
    const st = readShape("i", p);
    for (let o = 0; o < p.n; o++) {
      let acc = 0;
      for (let j = 0; j < p.d; j++) {
        const t = o * p.d + j;
        acc += lo[t] + im[cpuIndex(t, s, st)] * (li[t] - lo[t]);
      }
      y[o] = acc;
    }
  },
});

const vjpKernel = defineKernel({
  name: "intervention_mix.vjp",
  entry: "mix_vjp",
  inputs: ["LO", "LI", "IM", "DY"],
  outputs: ["DLO", "DLI", "DI"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let t = flat_id(wid, nwg, lid, WG);
  if (t >= P.n * P.d) { return; }
  let dy = DY[t / P.d];
  let w = IM[index_i(t)];
  DLO[t] = dy * (1.0 - w);
  DLI[t] = dy * w;
  DI[t] = dy * (LI[t] - LO[t]);`,
  workgroups: (p) => groupsFor(p.n * p.d, WG),
  cpu: ([lo, li, im, dy], [dlo, dli, di], p) => {
    const s = readShape("s", p);
    const st = readShape("i", p);
    for (let t = 0; t < p.n * p.d; t++) {
      const g = dy[Math.floor(t / p.d)];
      const w = im[cpuIndex(t, s, st)];
      dlo[t] = g * (1 - w);
      dli[t] = g * w;
      di[t] = g * (li[t] - lo[t]);
    }
  },
});

function paramsFor(lo: Tensor, li: Tensor, i: Tensor): Record<string, number> {
  if (!sameShape(lo.shape, li.shape) || lo.rank === 0) {
    throw new ShapeError(
      "interventionMix",
      `L^o and L^i must have one shape [..., d]; got ${fmt(lo.shape)} and ${fmt(li.shape)}`,
    );
  }
  const full = lo.shape;
  const ok = i.rank <= full.length && i.shape.every((v, k) => v === 1 || v === full[full.length - i.rank + k]);
  if (!ok) throw new ShapeError("interventionMix", `I ${fmt(i.shape)} does not broadcast to ${fmt(full)}`);
  const d = full[full.length - 1];
  const params = broadcastParams("interventionMix", full, { i: i.shape });
  return { ...params, n: params.n / d, d };
}

type NoAttrs = Record<string, never>;

export const interventionMixOp: OpDef<NoAttrs> = defineOp<NoAttrs>({
  name: "interventionMix",
  derivation:
    "y = Σ_j L^o_j + I_j (L^i_j − L^o_j) over the last axis. ∂y/∂I_j = L^i_j − L^o_j, ∂y/∂L^o_j = 1 − I_j, " +
    "∂y/∂L^i_j = I_j ⇒ Ī = Σ_bcast ȳ (L^i − L^o), L̄^o = ȳ (1 − I), L̄^i = ȳ I. Saves nothing.",
  forward: ([lo, li, i]) => ({ out: launch1(fwdKernel, [lo, li, i], lo.shape.slice(0, -1), paramsFor(lo, li, i)) }),
  vjp: ({ inputs: [lo, li, i], needsGrad }, dy) => {
    const full: Shape = lo.shape;
    const [dlo, dli, di] = launch(vjpKernel, [lo, li, i, dy], [full, full, full], paramsFor(lo, li, i));
    const dI = needsGrad[2] ? sumToShape(di, i.shape) : null;
    if (dI !== di) di.dispose();
    if (!needsGrad[0]) dlo.dispose();
    if (!needsGrad[1]) dli.dispose();
    return [needsGrad[0] ? dlo : null, needsGrad[1] ? dli : null, dI];
  },
  check: {
    cases: [
      {
        label: "same shape",
        shapes: [
          [4, 3],
          [4, 3],
          [4, 3],
        ],
        attrs: {},
        domains: ["real", "real", "unit"],
      },
      {
        label: "targets per intervention sample",
        shapes: [
          [2, 5, 3],
          [2, 5, 3],
          [2, 1, 3],
        ],
        attrs: {},
        domains: ["real", "real", "unit"],
      },
      { label: "one target vector", shapes: [[6, 4], [6, 4], [4]], attrs: {}, domains: ["real", "real", "unit"] },
    ],
  },
});

/** Σ_j L^o_j + I_j (L^i_j − L^o_j) over the last axis; I broadcasts against L^o, L^i. */
export const interventionMix = (lo: Tensor, li: Tensor, i: Tensor) => apply(interventionMixOp, [lo, li, i], {});

export const interventionMixOps = { interventionMix: interventionMixOp };
