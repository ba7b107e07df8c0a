/**
 * Shape ops. reshape is a view (no kernel); transpose, slice, concat and broadcastTo are strided
 * copies (kernels/strided.ts); gather has its own kernels below.
 *   reshape:     VJP reshapes ȳ back (a view).
 *   transpose:   y = x permuted by perm; x̄ = ȳ permuted by perm⁻¹.
 *   slice:       y = x[..., start:end, ...]; x̄ = zeros with ȳ written at [start:end].
 *   concat:      y = [x₀ | x₁ | …] along axis; x̄ᵢ = the matching slice of ȳ.
 *   broadcastTo: y = x read with stride 0 on broadcast axes; x̄ = Σ over those axes (sumToShape).
 *   gather:      y[o, q, r] = x[o, idx[q], r]; x̄[o, a, r] = Σ_{q: idx[q] = a} ȳ[o, q, r] (each x̄
 *                element loops over the indices: deterministic, no atomics). Indices live on the
 *                device, so their values cannot be checked when the op is queued: an index outside
 *                [0, axisLen) reads 0 and receives no gradient, the same on every backend.
 */
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { apply, defineOp, launch1 } from "../engine/op.js";
import {
  type Shape,
  ShapeError,
  broadcastShapes,
  broadcastStrides,
  fmt,
  normAxis,
  sameShape,
  sizeOf,
  stridesOf,
} from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import { MAX_RANK } from "./broadcast.js";
import common from "../engine/common.wgsl";
import { sumToShape } from "./elementwise-binary.js";
import { fill } from "../engine/fill.js";
import { stridedRead, stridedReadAfterZeros, stridedWrite } from "./strided.js";

type Attrs<T> = T & { [key: string]: unknown };

function view(x: Tensor, shape: Shape): Tensor {
  return new Tensor(x.backend, x.storage, shape);
}

function resolveShape(x: Tensor, shape: Shape): number[] {
  const free = shape.filter((s) => s === -1).length;
  if (free > 1) throw new ShapeError("reshape", `more than one -1 in ${fmt(shape)}`);
  const known = sizeOf(shape.filter((s) => s !== -1));
  if (free === 1 && known === 0)
    throw new ShapeError("reshape", `-1 in ${fmt(shape)} is ambiguous: the other axes hold no elements`);
  const out = shape.map((s) => (s === -1 ? x.size / Math.max(known, 1) : s));
  if (sizeOf(out) !== x.size || out.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ShapeError("reshape", `cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  return out;
}

export const reshapeOp = defineOp<Attrs<{ shape: readonly number[] }>>({
  name: "reshape",
  derivation: "y = x viewed with another shape (same storage); x̄ = ȳ viewed with x's shape.",
  forward: ([x], { shape }) => ({ out: view(x, resolveShape(x, shape)) }),
  vjp: ({ inputs: [x] }, dy) => [view(dy, x.shape)],
  check: { cases: [{ shapes: [[2, 6]], attrs: { shape: [3, -1] } }] },
});

/** The strided kernels index up to MAX_RANK axes. */
function assertRank(op: string, shape: Shape): void {
  if (shape.length > MAX_RANK) throw new ShapeError(op, `rank ${shape.length} of ${fmt(shape)} exceeds ${MAX_RANK}`);
}

function permuteChecked(x: Tensor, perm?: readonly number[]): number[] {
  const rank = x.rank;
  assertRank("transpose", x.shape);
  // The default swaps the last two axes; below rank 2 there is nothing to swap.
  const p =
    perm ??
    [...Array(rank).keys()].map((k) => (rank < 2 ? k : k === rank - 2 ? rank - 1 : k === rank - 1 ? rank - 2 : k));
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, k) => v !== k)) {
    throw new ShapeError("transpose", `perm ${JSON.stringify(p)} is not a permutation of the axes of ${fmt(x.shape)}`);
  }
  return [...p];
}

function permute(x: Tensor, perm: readonly number[]): Tensor {
  const strides = stridesOf(x.shape);
  return stridedRead(
    "transpose",
    x,
    perm.map((k) => x.shape[k]),
    perm.map((k) => strides[k]),
  );
}

export const transposeOp = defineOp<Attrs<{ perm?: readonly number[] }>>({
  name: "transpose",
  derivation: "y = x with axes permuted by perm; x̄ = ȳ permuted by the inverse permutation.",
  forward: ([x], { perm }) => ({ out: permute(x, permuteChecked(x, perm)) }),
  vjp: ({ inputs: [x], attrs }, dy) => {
    const perm = permuteChecked(x, attrs.perm);
    const inverse = perm.map((_, k) => perm.indexOf(k));
    return [permute(dy, inverse)];
  },
  check: {
    cases: [
      { label: "2-D", shapes: [[3, 5]], attrs: {} },
      { label: "3-D perm", shapes: [[2, 3, 4]], attrs: { perm: [1, 2, 0] } },
      { label: "rank 6", shapes: [[2, 1, 3, 2, 2, 3]], attrs: { perm: [5, 3, 0, 4, 1, 2] } },
    ],
  },
});

function sliceGeometry(shape: Shape, axis: number, start: number, end: number) {
  assertRank("slice", shape);
  const a = normAxis("slice", axis, shape.length);
  if (!(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= shape[a]))
    throw new ShapeError("slice", `range [${start}, ${end}) out of bounds for axis ${a} of ${fmt(shape)}`);
  const strides = stridesOf(shape);
  const out = shape.map((s, k) => (k === a ? end - start : s));
  return { out, strides, base: start * strides[a] };
}

export const sliceOp = defineOp<Attrs<{ axis: number; start: number; end: number }>>({
  name: "slice",
  derivation: "y = x[start:end] along axis; x̄ = zeros(x.shape) with ȳ written at [start:end].",
  forward: ([x], { axis, start, end }) => {
    const g = sliceGeometry(x.shape, axis, start, end);
    return { out: stridedRead("slice", x, g.out, g.strides, g.base) };
  },
  vjp: ({ inputs: [x], attrs }, dy) => {
    const g = sliceGeometry(x.shape, attrs.axis, attrs.start, attrs.end);
    const dx = fill(x.backend, x.dtype, x.shape, 0);
    stridedWrite("slice.vjp", dy, dx, g.strides, g.base);
    return [dx];
  },
  check: {
    cases: [
      { shapes: [[4, 6]], attrs: { axis: 1, start: 1, end: 4 } },
      { shapes: [[5, 2, 3]], attrs: { axis: 0, start: 2, end: 5 } },
    ],
  },
});

function concatShape(tensors: readonly Tensor[], axis: number): { a: number; out: number[] } {
  if (tensors.length === 0) throw new ShapeError("concat", "no tensors");
  const first = tensors[0].shape;
  assertRank("concat", first);
  const a = normAxis("concat", axis, first.length);
  for (const t of tensors) {
    if (t.rank !== first.length || t.shape.some((s, k) => k !== a && s !== first[k])) {
      throw new ShapeError("concat", `shapes ${tensors.map((x) => fmt(x.shape)).join(", ")} differ off axis ${a}`);
    }
  }
  return { a, out: first.map((s, k) => (k === a ? tensors.reduce((acc, t) => acc + t.shape[a], 0) : s)) };
}

export const concatOp = defineOp<Attrs<{ axis: number }>>({
  name: "concat",
  derivation: "y = [x₀ | x₁ | …] along axis; x̄ᵢ = ȳ[offsetᵢ : offsetᵢ + nᵢ] along axis.",
  forward: (inputs, { axis }) => {
    const { a, out } = concatShape(inputs, axis);
    // Every element is written by exactly one input, so the output needs no zero fill.
    const { backend, dtype } = inputs[0];
    const y = new Tensor(backend, backend.alloc(sizeOf(out), dtype), out);
    const strides = stridesOf(out);
    let offset = 0;
    for (const t of inputs) {
      stridedWrite("concat", t, y, strides, offset * strides[a]);
      offset += t.shape[a];
    }
    return { out: y };
  },
  vjp: ({ inputs, attrs, needsGrad }, dy) => {
    const { a } = concatShape(inputs, attrs.axis);
    let offset = 0;
    return inputs.map((t, i) => {
      const start = offset;
      offset += t.shape[a];
      if (!needsGrad[i]) return null;
      const g = sliceGeometry(dy.shape, a, start, offset);
      return stridedRead("concat.vjp", dy, g.out, g.strides, g.base);
    });
  },
  check: {
    cases: [
      {
        shapes: [
          [2, 3],
          [4, 3],
        ],
        attrs: { axis: 0 },
      },
      {
        shapes: [
          [2, 1],
          [2, 3],
          [2, 2],
        ],
        attrs: { axis: 1 },
      },
    ],
  },
});

/**
 * [zeros of `count` rows | x with axes permuted by perm] along axis 0: what concat of a zero block
 * and a transpose make in four dispatches (fill, two scatters, the transpose's gather), in one.
 */
function prependGeometry(x: Tensor, count: number, perm?: readonly number[]) {
  if (!Number.isInteger(count) || count < 0 || x.rank === 0)
    throw new ShapeError(
      "prependZeros",
      `needs count ≥ 0 rows before an input of rank ≥ 1; got ${count}, ${fmt(x.shape)}`,
    );
  const p = perm ? permuteChecked(x, perm) : [...x.shape.keys()];
  const shape = p.map((k) => x.shape[k]);
  const strides = stridesOf(x.shape);
  const lead = count * sizeOf(shape.slice(1));
  return { p, shape, strides: p.map((k) => strides[k]), lead, out: [count + shape[0], ...shape.slice(1)] };
}

export const prependZerosOp = defineOp<Attrs<{ count: number; perm?: readonly number[] }>>({
  name: "prependZeros",
  derivation:
    "y = [0 (count rows) | transpose(x, perm)] along axis 0; x̄ = ȳ past the zero rows, permuted back by the inverse of perm.",
  forward: ([x], { count, perm }) => {
    const g = prependGeometry(x, count, perm);
    return { out: stridedReadAfterZeros("prependZeros", x, g.out, g.shape, g.strides, g.lead) };
  },
  vjp: ({ inputs: [x], attrs }, dy) => {
    const g = prependGeometry(x, attrs.count, attrs.perm);
    // ȳ's rows past the zeros hold x permuted, contiguously: x's axis k is its axis p⁻¹(k).
    const region = stridesOf(g.shape);
    return [
      stridedRead(
        "prependZeros.vjp",
        dy,
        x.shape,
        x.shape.map((_, k) => region[g.p.indexOf(k)]),
        g.lead,
      ),
    ];
  },
  check: {
    cases: [
      { label: "one zero row", shapes: [[3, 2]], attrs: { count: 1 } },
      { label: "transposed first, two zero rows", shapes: [[2, 3, 4]], attrs: { count: 2, perm: [1, 0, 2] } },
      { label: "no zero rows, 3-D perm", shapes: [[2, 3, 4]], attrs: { count: 0, perm: [2, 0, 1] } },
    ],
  },
});

export const broadcastToOp = defineOp<Attrs<{ shape: readonly number[] }>>({
  name: "broadcastTo",
  derivation: "y = x repeated along broadcast axes; x̄ = Σ of ȳ over those axes.",
  forward: ([x], { shape }) => {
    assertRank("broadcastTo", shape);
    if (!sameShape(broadcastShapes("broadcastTo", x.shape, shape), shape))
      throw new ShapeError("broadcastTo", `cannot broadcast ${fmt(x.shape)} to ${fmt(shape)}`);
    return { out: stridedRead("broadcastTo", x, shape, broadcastStrides(x.shape, shape)) };
  },
  vjp: ({ inputs: [x] }, dy) => [sumToShape(dy, x.shape)],
  check: { cases: [{ shapes: [[3, 1]], attrs: { shape: [2, 3, 4] } }] },
});

const WG = 256;
/** The index test of both gather kernels (u32(k) truncates, as Math.trunc does). */
const inRange = (k: number, axisLen: number) => k >= 0 && k < axisLen;
const GATHER_PARAMS = [
  ["n", "u32"],
  ["outer", "u32"],
  ["axisLen", "u32"],
  ["count", "u32"],
  ["inner", "u32"],
] as [string, "u32"][];
const gatherKernel = defineKernel({
  name: "gather.fwd",
  // gather_fwd: 0 X [outer·axisLen·inner] read, 1 Idx [count] read (integer-valued floats),
  // 2 Y [outer·count·inner] write, 3 params; one invocation per y element, workgroup 256.
  entry: "gather_fwd",
  inputs: ["X", "Idx"],
  outputs: ["Y"],
  params: GATHER_PARAMS,
  workgroupSize: WG,
  prelude: common,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let r = i % P.inner;
  let q = (i / P.inner) % P.count;
  let o = i / (P.inner * P.count);
  let k = Idx[q];
  Y[i] = select(0.0, X[(o * P.axisLen + u32(k)) * P.inner + r], k >= 0.0 && k < f32(P.axisLen));`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([x, idx], [y], p) => {
    for (let i = 0; i < p.n; i++) {
      const r = i % p.inner;
      const q = Math.floor(i / p.inner) % p.count;
      const o = Math.floor(i / (p.inner * p.count));
      const k = idx[q];
      y[i] = inRange(k, p.axisLen) ? x[(o * p.axisLen + Math.trunc(k)) * p.inner + r] : 0;
    }
  },
});

const gatherVjpKernel = defineKernel({
  name: "gather.vjp",
  // gather_vjp: 0 DY [outer·count·inner] read, 1 Idx [count] read, 2 DX [outer·axisLen·inner]
  // write, 3 params; one invocation per x̄ element looping over all count indices, workgroup 256.
  entry: "gather_vjp",
  inputs: ["DY", "Idx"],
  outputs: ["DX"],
  params: GATHER_PARAMS,
  workgroupSize: WG,
  prelude: common,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let r = i % P.inner;
  let a = (i / P.inner) % P.axisLen;
  let o = i / (P.inner * P.axisLen);
  var acc = 0.0;
  for (var q = 0u; q < P.count; q++) {
    let k = Idx[q];
    if (k >= 0.0 && k < f32(P.axisLen) && u32(k) == a) { acc += DY[(o * P.count + q) * P.inner + r]; }
  }
  DX[i] = acc;`,
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([dy, idx], [dx], p) => {
    for (let i = 0; i < p.n; i++) {
      const r = i % p.inner;
      const a = Math.floor(i / p.inner) % p.axisLen;
      const o = Math.floor(i / (p.inner * p.axisLen));
      let acc = 0;
      for (let q = 0; q < p.count; q++)
        if (inRange(idx[q], p.axisLen) && Math.trunc(idx[q]) === a) acc += dy[(o * p.count + q) * p.inner + r];
      dx[i] = acc;
    }
  },
});

function gatherGeometry(x: Tensor, indices: Tensor, axis: number) {
  const a = normAxis("gather", axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const out = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return { out, params: { outer, axisLen: x.shape[a], count: indices.size, inner } };
}

export const gatherOp = defineOp<Attrs<{ axis: number }>>({
  name: "gather",
  derivation:
    "y[o, q, r] = x[o, idx[q], r]; x̄[o, a, r] = Σ_{q: idx[q] = a} ȳ[o, q, r] (deterministic scatter-add). Indices carry no gradient; one outside [0, axisLen) reads 0.",
  forward: ([x, indices], { axis }) => {
    const g = gatherGeometry(x, indices, axis);
    return { out: launch1(gatherKernel, [x, indices], g.out, { n: sizeOf(g.out), ...g.params }) };
  },
  vjp: ({ inputs: [x, indices], attrs }, dy) => {
    const g = gatherGeometry(x, indices, attrs.axis);
    return [launch1(gatherVjpKernel, [dy, indices], x.shape, { n: x.size, ...g.params }), null];
  },
  check: {
    nondiff: [1],
    cases: [
      { label: "rows", shapes: [[4, 3], [6]], attrs: { axis: 0 }, domains: ["real", { ints: 4 }] },
      {
        label: "middle axis",
        shapes: [
          [2, 5, 3],
          [2, 2],
        ],
        attrs: { axis: 1 },
        domains: ["real", { ints: 5 }],
      },
    ],
  },
});

export const shapeOps = {
  reshape: reshapeOp,
  transpose: transposeOp,
  slice: sliceOp,
  concat: concatOp,
  broadcastTo: broadcastToOp,
  gather: gatherOp,
  prependZeros: prependZerosOp,
};

export const reshape = (x: Tensor, shape: readonly number[]) => apply(reshapeOp, [x], { shape });
export const transpose = (x: Tensor, perm?: readonly number[]) => apply(transposeOp, [x], { perm });
export const slice = (x: Tensor, axis: number, start: number, end: number) => apply(sliceOp, [x], { axis, start, end });
export const concat = (tensors: readonly Tensor[], axis: number) => apply(concatOp, tensors, { axis });
export const broadcastTo = (x: Tensor, shape: readonly number[]) => apply(broadcastToOp, [x], { shape });
export const gather = (x: Tensor, indices: Tensor, axis = 0) => apply(gatherOp, [x, indices], { axis });
/** `count` zero rows, then x with axes permuted by `perm` (identity when omitted), along axis 0. */
export const prependZeros = (x: Tensor, count: number, perm?: readonly number[]) =>
  apply(prependZerosOp, [x], { count, perm });
