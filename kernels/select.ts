/**
 * Selection and comparisons, with broadcasting.
 *   where(c, a, b) = c·a + (1−c)·b for c ∈ {0, 1}: ā = Σ_bcast ȳ·c, b̄ = Σ_bcast ȳ·(1−c); c has none.
 *   greater/…/notEqual: 0/1 results, no gradient (piecewise constant).
 * WGSL where: 0 c, 1 a, 2 b read; 3 y write; params {n, s0..5, c/a/b strides}; workgroup 256.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { apply, defineOp, launch1 } from "../engine/op.js";
import { broadcastShapes } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { broadcastParams, offsetTable, paramNames, readShape, wgslIndex } from "./broadcast.js";
import common from "../engine/common.wgsl";
import { type BinaryRow, binaryKernel, runBinary, sumToShape } from "./elementwise-binary.js";
import { unaryOps } from "./elementwise-unary.js";

const WG = 256;
const whereKernel = defineKernel({
  name: "where.fwd",
  entry: "where_fwd",
  inputs: ["C", "A", "B"],
  outputs: ["Y"],
  params: [["n", "u32"], ...paramNames("s"), ...paramNames("c"), ...paramNames("a"), ...paramNames("b")] as [
    string,
    "u32",
  ][],
  workgroupSize: WG,
  prelude: [common, wgslIndex("c"), wgslIndex("a"), wgslIndex("b")].join("\n"),
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  Y[i] = select(B[index_b(i)], A[index_a(i)], C[index_c(i)] != 0.0);`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([c, a, b], [y], p) => {
    const s = readShape("s", p);
    const [sc, sa, sb] = ["c", "a", "b"].map((k) => readShape(k, p));
    const [oc, oa, ob] = [sc, sa, sb].map((st) => offsetTable(p.n, s, st));
    for (let i = 0; i < p.n; i++) y[i] = c[oc ? oc[i] : i] !== 0 ? a[oa ? oa[i] : i] : b[ob ? ob[i] : i];
  },
});

type NoAttrs = Record<string, never>;

export const whereOp = defineOp<NoAttrs>({
  name: "where",
  derivation: "y = a where c ≠ 0 else b; ā = Σ_bcast ȳ·c, b̄ = Σ_bcast ȳ·(1 − c); the condition has no gradient.",
  forward: ([c, a, b]) => {
    const out = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
    return {
      out: launch1(whereKernel, [c, a, b], out, broadcastParams("where", out, { c: c.shape, a: a.shape, b: b.shape })),
    };
  },
  vjp: ({ inputs: [c, a, b], needsGrad }, dy) => {
    const notC = () => unaryOps.affine.forward([c], { p0: -1, p1: 1 }).out;
    return [
      null,
      needsGrad[1] ? sumToShape(runBinary("mul", dy, c), a.shape) : null,
      needsGrad[2] ? sumToShape(runBinary("mul", dy, notC()), b.shape) : null,
    ];
  },
  check: {
    nondiff: [0],
    cases: [
      {
        label: "same shape",
        shapes: [
          [3, 4],
          [3, 4],
          [3, 4],
        ],
        attrs: {},
        domains: [{ values: [0, 1] }, "real", "real"],
      },
      { label: "broadcast", shapes: [[3, 1], [4], [3, 4]], attrs: {}, domains: [{ values: [0, 1] }, "real", "real"] },
      {
        label: "scalar condition",
        shapes: [[], [2, 3], [3]],
        attrs: {},
        domains: [{ values: [0, 1] }, "real", "real"],
      },
    ],
  },
});

const COMPARE = {
  greater: { wgsl: "select(0.0, 1.0, a > b)", cpu: (a, b) => (a > b ? 1 : 0) },
  greaterEqual: { wgsl: "select(0.0, 1.0, a >= b)", cpu: (a, b) => (a >= b ? 1 : 0) },
  less: { wgsl: "select(0.0, 1.0, a < b)", cpu: (a, b) => (a < b ? 1 : 0) },
  lessEqual: { wgsl: "select(0.0, 1.0, a <= b)", cpu: (a, b) => (a <= b ? 1 : 0) },
  equal: { wgsl: "select(0.0, 1.0, a == b)", cpu: (a, b) => (a === b ? 1 : 0) },
  notEqual: { wgsl: "select(0.0, 1.0, a != b)", cpu: (a, b) => (a !== b ? 1 : 0) },
} satisfies Record<string, BinaryRow>;
type CompareName = keyof typeof COMPARE;

function compareOp(name: CompareName) {
  const kernel = binaryKernel(name, COMPARE[name]);
  return defineOp<NoAttrs>({
    name,
    derivation: `y = 1[a ${name} b] ∈ {0, 1}; piecewise constant, so no gradient.`,
    forward: ([a, b]) => {
      const out = broadcastShapes(name, a.shape, b.shape);
      return { out: launch1(kernel, [a, b], out, broadcastParams(name, out, { a: a.shape, b: b.shape })) };
    },
    vjp: { none: "a comparison is piecewise constant: its derivative is 0 almost everywhere" },
    check: {
      cases: [
        {
          label: "row broadcast",
          shapes: [[3, 4], [4]],
          attrs: {},
          domains: [{ values: [0, 1, 2] }, { values: [0, 1, 2] }],
        },
        {
          label: "both sides",
          shapes: [
            [3, 1],
            [1, 4],
          ],
          attrs: {},
          domains: [{ values: [0, 1, 2] }, { values: [0, 1, 2] }],
        },
      ],
    },
  });
}

export const selectOps = {
  where: whereOp,
  ...(Object.fromEntries((Object.keys(COMPARE) as CompareName[]).map((n) => [n, compareOp(n)])) as Record<
    CompareName,
    ReturnType<typeof compareOp>
  >),
};

export const where = (cond: Tensor, a: Tensor, b: Tensor) => apply(whereOp, [cond, a, b], {});
const cmp = (name: CompareName) => (a: Tensor, b: Tensor) => apply(selectOps[name], [a, b], {});
export const greater = cmp("greater");
export const greaterEqual = cmp("greaterEqual");
export const less = cmp("less");
export const lessEqual = cmp("lessEqual");
export const equal = cmp("equal");
export const notEqual = cmp("notEqual");
