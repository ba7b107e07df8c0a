/**
 * Zero-inflated log-normal log-density (spec §3, eq 15), with broadcasting among (x, μ, ℓ, ζ):
 *   π = σ(ζ);  y = log π                                          if x = 0
 *              y = log(1 − π) − log x + log N(log x; μ, e^ℓ)      if x > 0
 * written stably as −softplus(−ζ) and −softplus(ζ) − log x − ½[log 2π + ℓ + r² e^{−ℓ}], r = log x − μ.
 * VJP (x is data, no gradient):
 *   x = 0:  μ̄ = 0, ℓ̄ = 0, ζ̄ = ȳ(1 − π)
 *   x > 0:  μ̄ = ȳ r e^{−ℓ}, ℓ̄ = ½ȳ(r² e^{−ℓ} − 1), ζ̄ = −ȳ π
 * One fused VJP kernel writes μ̄, ℓ̄, ζ̄ at the broadcast shape; sumToShape reduces each.
 * WGSL: ziln_fwd 0 x, 1 μ, 2 ℓ, 3 ζ read, 4 y write; ziln_vjp + 4 ȳ read, 5 μ̄, 6 ℓ̄, 7 ζ̄ write;
 * params {n, s0..5, per-operand strides}; workgroup WG = 256.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { apply, defineOp, launch, launch1 } from "../engine/op.js";
import { sigmoid, softplus } from "../engine/cpu-math.js";
import { broadcastShapes } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { broadcastParams, offsetTable, paramNames, readShape, wgslIndex } from "./broadcast.js";
import common from "../engine/common.wgsl";
import { sumToShape } from "./elementwise-binary.js";

const WG = 256;
const LOG2PI = Math.log(2 * Math.PI);
const PREFIXES = ["a", "b", "c", "e"] as const;
const PARAMS = [["n", "u32"], ...paramNames("s"), ...PREFIXES.flatMap((p) => paramNames(p))] as [string, "u32"][];
const PRELUDE = `${common}
const LOG2PI: f32 = ${LOG2PI};
${PREFIXES.map((p) => wgslIndex(p)).join("\n")}`;
const INPUTS = ["X", "Mu", "L", "Zeta"];
const LOADS = "let x = X[index_a(i)]; let m = Mu[index_b(i)]; let l = L[index_c(i)]; let z = Zeta[index_e(i)];";

function operands(p: Readonly<Record<string, number>>) {
  const s = readShape("s", p);
  return PREFIXES.map((k) => offsetTable(p.n, s, readShape(k, p)));
}
const at = (o: Int32Array | null, i: number) => (o ? o[i] : i);

function cpuForward(x: number, m: number, l: number, z: number): number {
  if (x === 0) return -softplus(-z);
  const r = Math.log(x) - m;
  return -softplus(z) - Math.log(x) - 0.5 * (LOG2PI + l + r * r * Math.exp(-l));
}

const forwardKernel = defineKernel({
  name: "ziln_logpdf.fwd",
  entry: "ziln_fwd",
  inputs: INPUTS,
  outputs: ["Y"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  ${LOADS}
  if (x == 0.0) { Y[i] = -softplus_stable(-z); return; }
  let r = log(x) - m;
  Y[i] = -softplus_stable(z) - log(x) - 0.5 * (LOG2PI + l + r * r * exp(-l));`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([x, m, l, z], [y], p) => {
    const [oa, ob, oc, oe] = operands(p);
    for (let i = 0; i < p.n; i++) y[i] = cpuForward(x[at(oa, i)], m[at(ob, i)], l[at(oc, i)], z[at(oe, i)]);
  },
});

const vjpKernel = defineKernel({
  name: "ziln_logpdf.vjp",
  entry: "ziln_vjp",
  inputs: [...INPUTS, "DY"],
  outputs: ["DM", "DL", "DZ"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: PRELUDE,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  ${LOADS}
  let dy = DY[i];
  if (x == 0.0) { DM[i] = 0.0; DL[i] = 0.0; DZ[i] = dy * sigmoid_stable(-z); return; }
  let r = log(x) - m;
  let p = exp(-l);
  DM[i] = dy * r * p;
  DL[i] = 0.5 * dy * (r * r * p - 1.0);
  DZ[i] = -dy * sigmoid_stable(z);`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([x, m, l, z, dy], [dm, dl, dz], p) => {
    const [oa, ob, oc, oe] = operands(p);
    for (let i = 0; i < p.n; i++) {
      const xi = x[at(oa, i)];
      const zi = z[at(oe, i)];
      if (xi === 0) {
        dm[i] = 0;
        dl[i] = 0;
        dz[i] = dy[i] * sigmoid(-zi);
        continue;
      }
      const r = Math.log(xi) - m[at(ob, i)];
      const prec = Math.exp(-l[at(oc, i)]);
      dm[i] = dy[i] * r * prec;
      dl[i] = 0.5 * dy[i] * (r * r * prec - 1);
      dz[i] = -dy[i] * sigmoid(zi);
    }
  },
});

function geometry(x: Tensor, m: Tensor, l: Tensor, z: Tensor) {
  const out = [m, l, z].reduce<number[]>((acc, t) => broadcastShapes("zilnLogpdf", acc, t.shape), [...x.shape]);
  return { out, params: broadcastParams("zilnLogpdf", out, { a: x.shape, b: m.shape, c: l.shape, e: z.shape }) };
}

type NoAttrs = Record<string, never>;

export const zilnLogpdfOp = defineOp<NoAttrs>({
  name: "zilnLogpdf",
  derivation:
    "y = log σ(ζ) at x = 0, log σ(−ζ) − log x + log N(log x; μ, e^ℓ) at x > 0; μ̄ = ȳ r e^{−ℓ}, ℓ̄ = ½ȳ(r²e^{−ℓ} − 1), ζ̄ = −ȳπ (x > 0) or ȳ(1 − π) (x = 0), r = log x − μ; x is data.",
  forward: ([x, m, l, z]) => {
    const g = geometry(x, m, l, z);
    return { out: launch1(forwardKernel, [x, m, l, z], g.out, g.params) };
  },
  vjp: ({ inputs: [x, m, l, z], needsGrad }, dy) => {
    const g = geometry(x, m, l, z);
    const [dm, dl, dz] = launch(vjpKernel, [x, m, l, z, dy], [g.out, g.out, g.out], g.params);
    return [
      null,
      needsGrad[1] ? sumToShape(dm, m.shape) : null,
      needsGrad[2] ? sumToShape(dl, l.shape) : null,
      needsGrad[3] ? sumToShape(dz, z.shape) : null,
    ];
  },
  check: {
    nondiff: [0],
    cases: [
      {
        label: "zeros and positives",
        shapes: [
          [4, 3],
          [4, 3],
          [4, 3],
          [4, 3],
        ],
        attrs: {},
        domains: [{ values: [0, 0.5, 1.3, 2.7] }, "real", "real", "real"],
      },
      {
        label: "GIM broadcast: x [N,d], μ [M,N,d], ℓ [d], ζ [d]",
        shapes: [[5, 3], [2, 5, 3], [3], [3]],
        attrs: {},
        domains: [{ values: [0, 0.4, 2.2] }, "real", "real", "real"],
      },
    ],
  },
});

export const zilnLogpdfOps = { zilnLogpdf: zilnLogpdfOp };

/** ZILN log-density with π = σ(ζ), elementwise with broadcasting. */
export const zilnLogpdf = (x: Tensor, mean: Tensor, logVar: Tensor, zeta: Tensor) =>
  apply(zilnLogpdfOp, [x, mean, logVar, zeta], {});
