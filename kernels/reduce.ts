/**
 * Reductions.
 *   sum over axes:  y = Σ_axes x (sumToShape to the kept shape, then a reshape view);
 *                   x̄ = ȳ broadcast back to x's shape.
 *   mean:           sum · 1/count.
 *   max over axis:  y = max_k x_k; x̄_k = ȳ·1[x_k = y]/#{k: x_k = y} (ties share ȳ equally,
 *                   so the VJP is a valid subgradient and sums to ȳ).
 *   logsumexp:      y = c + log Σ_k e^{x_k − c}, c = max_k x_k; x̄_k = ȳ·e^{x_k − y} = ȳ·softmax_k.
 *                   Saves y. A slice that is all −∞ gives y = −∞ and x̄ = 0 (never NaN).
 * Single-axis kernels see x as [outer, size, inner]; one invocation per output (o, r) loops over
 * the axis (reduce_*), or per output element of x̄ (vjp kernels loop over the same slice).
 * WGSL: binding 0 x (and y, ȳ for VJPs) read, last output write, params {n, size, inner}; 256.
 */
import { type FloatArray, defineKernel, groupsFor } from "../engine/kernel.js";
import { apply, defineOp, launch1 } from "../engine/op.js";
import { type Shape, normAxis, sizeOf, splitAxis } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import common from "./common.wgsl";
import { sumToShape } from "./elementwise-binary.js";
import { unaryOps } from "./elementwise-unary.js";
import { broadcastTo } from "./shape-ops.js";

type Attrs<T> = T & { [key: string]: unknown };
const WG = 256;
const PARAMS = [["n", "u32"], ["size", "u32"], ["inner", "u32"]] as [string, "u32"][];
const ARGS = "@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>";

/**
 * A kernel over [outer, size, inner]: `body` sees the slice base b (stride `inner`), o (the output
 * index) and i (the invocation). `perInput`: one invocation per element of x (VJPs), else one per
 * output. The cpu twin gets (i, b).
 */
function axisKernel(name: string, inputs: number, bindings: string, body: string, cpu: (ins: readonly FloatArray[], out: FloatArray, o: number, base: number, size: number, inner: number) => void, perInput = false) {
  return defineKernel({
    name,
    wgsl: `${common}
struct Params { n: u32, size: u32, inner: u32 }
${bindings}
@compute @workgroup_size(${WG})
fn main(${ARGS}) {
  let i = flat_id(wid, nwg, lid, ${WG}u);
  if (i >= P.n) { return; }
  let inner = P.inner;
  let size = P.size;
  ${perInput ? "let o = (i / (size * inner)) * inner + i % inner; let b = (i / (size * inner)) * size * inner + i % inner;" : "let o = i; let b = (i / inner) * size * inner + i % inner;"}
  ${body}
}`,
    entry: "main",
    inputs,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: (ins, [out], p) => {
      for (let i = 0; i < p.n; i++) {
        const outer = perInput ? Math.floor(i / (p.size * p.inner)) : Math.floor(i / p.inner);
        cpu(ins, out, i, outer * p.size * p.inner + (i % p.inner), p.size, p.inner);
      }
    },
  });
}

const maxKernel = axisKernel(
  "max.fwd",
  1,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`,
  `var m = X[b];
  for (var k = 1u; k < size; k++) { m = max(m, X[b + k * inner]); }
  Y[o] = m;`,
  ([x], y, o, b, size, inner) => {
    let m = x[b];
    for (let k = 1; k < size; k++) m = Math.max(m, x[b + k * inner]);
    y[o] = m;
  },
);

const maxVjpKernel = axisKernel(
  "max.vjp",
  3,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;`,
  `let y = Yv[o];
  var ties = 0.0;
  for (var k = 0u; k < size; k++) { ties += select(0.0, 1.0, X[b + k * inner] == y); }
  DX[i] = select(0.0, DY[o] / ties, X[i] == y);`,
  ([x, y, dy], dx, i, b, size, inner) => {
    const o = Math.floor((b - (b % inner)) / (size * inner)) * inner + (b % inner);
    let ties = 0;
    for (let k = 0; k < size; k++) ties += x[b + k * inner] === y[o] ? 1 : 0;
    dx[i] = x[i] === y[o] ? dy[o] / ties : 0;
  },
  true,
);

const lseKernel = axisKernel(
  "logsumexp.fwd",
  1,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`,
  `var m = X[b];
  for (var k = 1u; k < size; k++) { m = max(m, X[b + k * inner]); }
  if (m < -3.0e38) { Y[o] = m; return; }
  var s = 0.0;
  for (var k = 0u; k < size; k++) { s += exp(X[b + k * inner] - m); }
  Y[o] = m + log(s);`,
  ([x], y, o, b, size, inner) => {
    let m = -Infinity;
    for (let k = 0; k < size; k++) m = Math.max(m, x[b + k * inner]);
    if (m === -Infinity) {
      y[o] = m;
      return;
    }
    let s = 0;
    for (let k = 0; k < size; k++) s += Math.exp(x[b + k * inner] - m);
    y[o] = m + Math.log(s);
  },
);

const lseVjpKernel = axisKernel(
  "logsumexp.vjp",
  3,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;`,
  `let y = Yv[o];
  DX[i] = select(DY[o] * exp(X[i] - y), 0.0, y < -3.0e38 || X[i] < -3.0e38);`,
  ([x, y, dy], dx, i, b, size, inner) => {
    const o = Math.floor((b - (b % inner)) / (size * inner)) * inner + (b % inner);
    dx[i] = y[o] === -Infinity || x[i] === -Infinity ? 0 : dy[o] * Math.exp(x[i] - y[o]);
  },
  true,
);

function keptShape(shape: Shape, axes: readonly number[]): number[] {
  return shape.map((s, k) => (axes.includes(k) ? 1 : s));
}

function finalShape(shape: Shape, axes: readonly number[], keepDims: boolean): number[] {
  return keepDims ? keptShape(shape, axes) : shape.filter((_, k) => !axes.includes(k));
}

function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  return [...new Set((typeof axes === "number" ? [axes] : axes).map((a) => normAxis(op, a, rank)))];
}

const view = (t: Tensor, shape: Shape) => new Tensor(t.backend, t.storage, shape);

type SumAttrs = Attrs<{ axes?: number | readonly number[]; keepDims: boolean; scale: number }>;

function sumLike(name: string, scaled: boolean) {
  return defineOp<SumAttrs>({
    name,
    derivation: scaled ? "y = (1/count)·Σ_axes x; x̄ = ȳ/count broadcast back to x's shape." : "y = Σ_axes x; x̄ = ȳ broadcast back to x's shape.",
    forward: ([x], { axes, keepDims }) => {
      const ax = normAxes(name, axes, x.rank);
      let y = sumToShape(x, keptShape(x.shape, ax));
      if (scaled) y = unaryOps.affine.forward([y], { p0: 1 / Math.max(1, sizeOf(ax.map((a) => x.shape[a]))), p1: 0 }).out;
      return { out: view(y, finalShape(x.shape, ax, keepDims)) };
    },
    vjp: ({ inputs: [x], attrs }, dy) => {
      const ax = normAxes(name, attrs.axes, x.rank);
      let g = broadcastTo(view(dy, keptShape(x.shape, ax)), x.shape);
      if (scaled) g = unaryOps.affine.forward([g], { p0: 1 / Math.max(1, sizeOf(ax.map((a) => x.shape[a]))), p1: 0 }).out;
      return [g];
    },
    check: {
      cases: [
        { label: "all", shapes: [[3, 4]], attrs: { keepDims: false, scale: 1 } },
        { label: "axis 1 keepDims", shapes: [[2, 3, 4]], attrs: { axes: 1, keepDims: true, scale: 1 } },
        { label: "axes 0,2", shapes: [[2, 3, 4]], attrs: { axes: [0, 2], keepDims: false, scale: 1 } },
      ],
    },
  });
}

type AxisAttrs = Attrs<{ axis: number; keepDims: boolean }>;

function axisOp(name: "max" | "logsumexp", fwd: ReturnType<typeof axisKernel>, vjp: ReturnType<typeof axisKernel>, derivation: string) {
  return defineOp<AxisAttrs>({
    name,
    derivation,
    forward: ([x], { axis, keepDims }) => {
      const a = normAxis(name, axis, x.rank);
      const [outer, size, inner] = splitAxis(x.shape, a);
      const y = launch1(fwd, [x], keptShape(x.shape, [a]), { n: outer * inner, size, inner });
      return { out: keepDims ? y : view(y, finalShape(x.shape, [a], false)) };
    },
    vjp: ({ inputs: [x], out, attrs }, dy) => {
      const a = normAxis(name, attrs.axis, x.rank);
      const [, size, inner] = splitAxis(x.shape, a);
      return [launch1(vjp, [x, out, dy], x.shape, { n: x.size, size, inner })];
    },
    check: {
      cases: [
        { label: "last axis", shapes: [[3, 5]], attrs: { axis: -1, keepDims: false } },
        { label: "middle axis keepDims", shapes: [[2, 4, 3]], attrs: { axis: 1, keepDims: true } },
      ],
    },
  });
}

export const reduceOps = {
  sum: sumLike("sum", false),
  mean: sumLike("mean", true),
  max: axisOp("max", maxKernel, maxVjpKernel, "y = max_k x_k; x̄_k = ȳ·1[x_k = y]/#ties (ties share ȳ equally)."),
  logsumexp: axisOp("logsumexp", lseKernel, lseVjpKernel, "y = c + log Σ e^{x−c}, c = max x; x̄ = ȳ·e^{x−y} (saves y); all −∞ ⇒ y = −∞, x̄ = 0."),
};

export const sum = (x: Tensor, axes?: number | readonly number[], keepDims = false) => apply(reduceOps.sum, [x], { axes, keepDims, scale: 1 });
export const mean = (x: Tensor, axes?: number | readonly number[], keepDims = false) => apply(reduceOps.mean, [x], { axes, keepDims, scale: 1 });
export const max = (x: Tensor, axis: number, keepDims = false) => apply(reduceOps.max, [x], { axis, keepDims });
export const logsumexp = (x: Tensor, axis: number, keepDims = false) => apply(reduceOps.logsumexp, [x], { axis, keepDims });
