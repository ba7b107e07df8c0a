/**
 * Binary elementwise ops with NumPy broadcasting, and `sumToShape`, the reduction that every
 * broadcasting VJP ends with.
 *
 * WGSL (generated per row NAME):
 *   bin_NAME:  binding 0 a read, 1 b read, 2 out [n] write, 3 params {n, s0..s5, a0..a5, b0..b5}
 *              out[i] = f(a[index_a(i)], b[index_b(i)]), s = output shape, a/b = broadcast strides
 *   sum_to_shape: binding 0 x [F] read, 1 y [T] write, 2 params {n, count, t0..5, f0..5, q0..5}
 *              y[o] = Σ_{r < count} x[base(o) + offset(r)], reducing the axes where T is 1 and F
 *              is not; one output per invocation (outputs are few when reductions are large).
 *   sum_to_shape_wide: the same bindings; one workgroup of 64 per output, lanes stride over r,
 *              then a tree reduction in workgroup memory (few outputs, long reductions).
 *   workgroup 256 unless noted (the override WG), folded 2-D grid.
 *
 * VJPs (broadcast then reduced back with sumToShape = Σ over broadcast axes):
 *   add: ā = ȳ,  b̄ = ȳ          sub: ā = ȳ,  b̄ = −ȳ
 *   mul: ā = ȳb, b̄ = ȳa         div: ā = ȳ/b, b̄ = −ȳa/b² = −ȳ·y/b
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch1 } from "../engine/op.js";
import { type Shape, broadcastShapes, sameShape, sizeOf, stridesOf } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { MAX_RANK, broadcastParams, offsetTable, padShape, paramNames, readShape, wgslIndex } from "./broadcast.js";
import common from "../engine/common.wgsl";
import { unaryOps } from "./elementwise-unary.js";

const WG = 256;

export interface BinaryRow {
  wgsl: string;
  cpu: (a: number, b: number) => number;
}

const BINARY = {
  add: { wgsl: "a + b", cpu: (a, b) => a + b },
  sub: { wgsl: "a - b", cpu: (a, b) => a - b },
  mul: { wgsl: "a * b", cpu: (a, b) => a * b },
  div: { wgsl: "a / b", cpu: (a, b) => a / b },
} satisfies Record<string, BinaryRow>;
type BinaryName = keyof typeof BINARY;

const BIN_PARAMS = [["n", "u32"], ...paramNames("s"), ...paramNames("a"), ...paramNames("b")] as [string, "u32"][];

export function binaryKernel(name: string, row: BinaryRow) {
  return defineKernel({
    name: `${name}.fwd`,
    entry: `bin_${name}`,
    inputs: ["A", "B"],
    outputs: ["Y"],
    params: BIN_PARAMS,
    workgroupSize: WG,
    prelude: `${common}\n${wgslIndex("a")}\n${wgslIndex("b")}`,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let a = A[index_a(i)];
  let b = B[index_b(i)];
  Y[i] = ${row.wgsl};`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([a, b], [y], p) => {
      const s = readShape("s", p);
      const sa = readShape("a", p);
      const sb = readShape("b", p);
      const oa = offsetTable(p.n, s, sa);
      const ob = offsetTable(p.n, s, sb);
      for (let i = 0; i < p.n; i++) y[i] = row.cpu(a[oa ? oa[i] : i], b[ob ? ob[i] : i]);
    },
  });
}

const SUM_PARAMS = [["n", "u32"], ["count", "u32"], ...paramNames("t"), ...paramNames("f"), ...paramNames("q")] as [
  string,
  "u32",
][];

function decompose(prefixShape: string, prefixStride: string, v: string): string {
  const lines = [];
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    lines.push(`  c = r % P.${prefixShape}${k}; r = r / P.${prefixShape}${k}; o += c * P.${prefixStride}${k};`);
  }
  return `var r = ${v}; var c = 0u; var o = 0u;\n${lines.join("\n")}`;
}

/**
 * Reduction modes (in qsfx): 1 = only leading axes are reduced (x is [count, n]: base i,
 * offset r·n), 2 = only trailing axes (x is [n, count]: base i·count, offset r), 0 = general.
 * The fast modes avoid per-element division chains.
 */
const FAST_INDEX = `
fn base_of(v: u32) -> u32 {
  if (P.qsfx == 1u) { return v; }
  if (P.qsfx == 2u) { return v * P.count; }
  ${decompose("t", "f", "v")} return o;
}
fn offset_of(v: u32) -> u32 {
  if (P.qsfx == 1u) { return v * P.n; }
  if (P.qsfx == 2u) { return v; }
  ${decompose("q", "f", "v")} return o;
}`;

const SUM_SOURCE = {
  inputs: ["X"],
  outputs: ["Y"],
  params: SUM_PARAMS,
  prelude: `${common}\n${FAST_INDEX}`,
} as const;

const sumToShapeKernel = defineKernel({
  ...SUM_SOURCE,
  name: "sum_to_shape",
  entry: "sum_to_shape",
  workgroupSize: WG,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let base = base_of(i);
  var acc = 0.0;
  for (var r = 0u; r < P.count; r++) { acc += X[base + offset_of(r)]; }
  Y[i] = acc;`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([x], [y], p) => {
    const t = readShape("t", p);
    const f = readShape("f", p);
    const q = readShape("q", p);
    const bases = offsetTable(p.n, t, f);
    const offsets = offsetTable(p.count, q, f);
    for (let i = 0; i < p.n; i++) {
      const base = bases ? bases[i] : i;
      let acc = 0;
      if (offsets) for (let r = 0; r < p.count; r++) acc += x[base + offsets[r]];
      else for (let r = 0; r < p.count; r++) acc += x[base + r];
      y[i] = acc;
    }
  },
});

const RED_WG = 64;

/** Few outputs, long reductions: one workgroup per output, lanes stride over r, tree reduce. */
const sumToShapeWideKernel = defineKernel({
  ...SUM_SOURCE,
  name: "sum_to_shape.wide",
  entry: "sum_to_shape_wide",
  workgroupSize: RED_WG,
  // The tree reduction halves WG each step, so WG must stay a power of two.
  prelude: `${SUM_SOURCE.prelude}\nvar<workgroup> partial: array<f32, WG>;`,
  body: `
  let i = flat_group(wid, nwg);
  if (i >= P.n) { return; }
  let base = base_of(i);
  var acc = 0.0;
  for (var r = lid.x; r < P.count; r += WG) { acc += X[base + offset_of(r)]; }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width = width / 2u) {
    if (lid.x < width) { partial[lid.x] += partial[lid.x + width]; }
    workgroupBarrier();
  }
  if (lid.x == 0u) { Y[i] = partial[0]; }`,
  workgroups: (p) => p.n,
  cpu: sumToShapeKernel.cpu,
});

/** Σ of `x` over the axes where `target` broadcasts (size 1 or missing): the adjoint of broadcasting. */
export function sumToShape(x: Tensor, target: Shape): Tensor {
  if (sameShape(x.shape, target)) return x;
  const full = padShape("sumToShape", x.shape);
  const t = padShape("sumToShape", target);
  const fs = stridesOf(full);
  const q = full.map((d, k) => (t[k] === 1 && d !== 1 ? d : 1));
  const params: Record<string, number> = { n: sizeOf(target), count: sizeOf(q) };
  for (let k = 0; k < MAX_RANK; k++) {
    if (t[k] !== 1 && t[k] !== full[k]) throw new Error(`sumToShape: cannot reduce ${x.shape} to ${target}`);
    params[`t${k}`] = t[k];
    params[`f${k}`] = fs[k];
    params[`q${k}`] = q[k];
  }
  const reduced = q.map((e) => e !== 1);
  const firstKept = reduced.findIndex((r, k) => !r && full[k] !== 1);
  const leading = reduced.every((r, k) => !r || k < firstKept || firstKept < 0);
  const lastKept = MAX_RANK - 1 - [...reduced].reverse().findIndex((r, k) => !r && full[MAX_RANK - 1 - k] !== 1);
  const trailing = reduced.every((r, k) => !r || k > lastKept);
  params.tsfx = 0;
  params.fsfx = 0;
  params.qsfx = leading ? 1 : trailing ? 2 : 0;
  const wide = params.count >= 256 && params.n <= 4096;
  return launch1(wide ? sumToShapeWideKernel : sumToShapeKernel, [x], target, params);
}

export const binaryKernels = Object.fromEntries(
  (Object.entries(BINARY) as [BinaryName, BinaryRow][]).map(([name, row]) => [name, binaryKernel(name, row)]),
) as Record<BinaryName, ReturnType<typeof binaryKernel>>;

export function runBinary(name: BinaryName, a: Tensor, b: Tensor): Tensor {
  const out = broadcastShapes(name, a.shape, b.shape);
  return launch1(binaryKernels[name], [a, b], out, broadcastParams(name, out, { a: a.shape, b: b.shape }));
}

type NoAttrs = Record<string, never>;
const CASES = [
  {
    label: "same shape",
    shapes: [
      [3, 4],
      [3, 4],
    ],
    attrs: {},
  },
  { label: "row broadcast", shapes: [[3, 4], [4]], attrs: {} },
  {
    label: "column broadcast",
    shapes: [
      [3, 1],
      [3, 4],
    ],
    attrs: {},
  },
  { label: "scalar", shapes: [[2, 3], []], attrs: {} },
  {
    label: "both sides",
    shapes: [
      [2, 1, 4],
      [3, 1],
    ],
    attrs: {},
  },
] as const;

function binaryOp(
  name: BinaryName,
  derivation: string,
  vjp: OpDef<NoAttrs>["vjp"],
  domains?: ("real" | "positive")[],
): OpDef<NoAttrs> {
  return defineOp<NoAttrs>({
    name,
    derivation,
    forward: ([a, b]) => ({ out: runBinary(name, a, b) }),
    vjp,
    check: { cases: [{ ...CASES[0], domains }, ...CASES.slice(1).map((c) => ({ ...c, domains }))] },
  });
}

export const binaryOps = {
  add: binaryOp("add", "y = a + b; ā = Σ_bcast ȳ, b̄ = Σ_bcast ȳ.", ({ inputs: [a, b], needsGrad }, dy) => [
    needsGrad[0] ? sumToShape(dy, a.shape) : null,
    needsGrad[1] ? sumToShape(dy, b.shape) : null,
  ]),
  sub: binaryOp("sub", "y = a − b; ā = Σ_bcast ȳ, b̄ = −Σ_bcast ȳ.", ({ inputs: [a, b], needsGrad }, dy) => [
    needsGrad[0] ? sumToShape(dy, a.shape) : null,
    needsGrad[1] ? sumToShape(negate(dy), b.shape) : null,
  ]),
  mul: binaryOp("mul", "y = a·b; ā = Σ_bcast ȳb, b̄ = Σ_bcast ȳa.", ({ inputs: [a, b], needsGrad }, dy) => [
    needsGrad[0] ? sumToShape(runBinary("mul", dy, b), a.shape) : null,
    needsGrad[1] ? sumToShape(runBinary("mul", dy, a), b.shape) : null,
  ]),
  div: binaryOp(
    "div",
    "y = a/b; ∂y/∂a = 1/b, ∂y/∂b = −a/b² = −y/b ⇒ ā = Σ_bcast ȳ/b, b̄ = −Σ_bcast ȳ·y/b (saves y).",
    ({ inputs: [a, b], out, needsGrad }, dy) => [
      needsGrad[0] ? sumToShape(runBinary("div", dy, b), a.shape) : null,
      needsGrad[1] ? sumToShape(negate(runBinary("div", runBinary("mul", dy, out), b)), b.shape) : null,
    ],
    ["real", "positive"],
  ),
} satisfies Record<BinaryName, OpDef<NoAttrs>>;

function negate(t: Tensor): Tensor {
  return unaryOps.neg.forward([t], { p0: 0, p1: 0 }).out;
}

export const add = (a: Tensor, b: Tensor) => apply(binaryOps.add, [a, b], {});
export const sub = (a: Tensor, b: Tensor) => apply(binaryOps.sub, [a, b], {});
export const mul = (a: Tensor, b: Tensor) => apply(binaryOps.mul, [a, b], {});
export const div = (a: Tensor, b: Tensor) => apply(binaryOps.div, [a, b], {});
