/**
 * Broadcast indexing shared by the binary ops and the reductions that undo broadcasting.
 * Tensors up to rank 6. The uniform carries the output shape and, per operand, the strides
 * that read it at that shape (0 on broadcast axes), so one kernel serves every broadcast form.
 */
import { type Shape, ShapeError, broadcastStrides, fmt, sizeOf, stridesOf } from "../engine/shape.js";

export const MAX_RANK = 6;

/**
 * Per operand: six strides (or extents) and `<prefix>sfx`. When the operand is a suffix of the
 * output shape (leading broadcast only, the common case: x [N,d] or ℓ [d] against [M,N,d], or
 * the identity), sfx = its size and the index is i % sfx — one modulo instead of six div/mod
 * pairs, which matters on lavapipe where integer division is scalarised. Otherwise sfx = 0.
 */
export function paramNames(prefix: string): [string, "u32"][] {
  return [
    ...Array.from({ length: MAX_RANK }, (_, k) => [`${prefix}${k}`, "u32"] as [string, "u32"]),
    [`${prefix}sfx`, "u32"],
  ];
}

/** Pads a shape with leading 1s to MAX_RANK. */
export function padShape(op: string, shape: Shape): number[] {
  if (shape.length > MAX_RANK) throw new ShapeError(op, `rank ${shape.length} of ${fmt(shape)} exceeds ${MAX_RANK}`);
  return [...Array(MAX_RANK - shape.length).fill(1), ...shape];
}

export function packShape(prefix: string, shape: readonly number[], into: Record<string, number>): void {
  shape.forEach((v, k) => (into[`${prefix}${k}`] = v));
  into[`${prefix}sfx`] ??= 0;
}

/** Size of `operand` when it reads `out` as i % size (a suffix broadcast), else 0. */
function suffixSize(operand: readonly number[], out: readonly number[]): number {
  const first = operand.findIndex((s) => s !== 1);
  if (first < 0) return 1;
  for (let k = first; k < MAX_RANK; k++) if (operand[k] !== out[k]) return 0;
  return sizeOf(operand);
}

const paramCache = new Map<string, Record<string, number>>();

/**
 * Params describing each operand read at the broadcast shape `out`, padded to MAX_RANK.
 * Memoised by shapes (the same few shape combinations recur every step); callers must not
 * mutate the returned object.
 */
export function broadcastParams(op: string, out: Shape, operands: Record<string, Shape>): Record<string, number> {
  let key = out.join(",");
  for (const prefix in operands) key += `|${prefix}:${operands[prefix].join(",")}`;
  let cached = paramCache.get(key);
  if (!cached) {
    if (paramCache.size > 4096) paramCache.clear();
    cached = computeBroadcastParams(op, out, operands);
    paramCache.set(key, cached);
  }
  return cached;
}

function computeBroadcastParams(op: string, out: Shape, operands: Record<string, Shape>): Record<string, number> {
  const outP = padShape(op, out);
  const params: Record<string, number> = { n: sizeOf(out) };
  packShape("s", outP, params);
  for (const [prefix, shape] of Object.entries(operands)) {
    const padded = padShape(op, shape);
    packShape(prefix, broadcastStrides(padded, outP), params);
    params[`${prefix}sfx`] = suffixSize(padded, outP);
  }
  return params;
}

/** WGSL: flat output index i → flat operand index, given the per-axis strides in `P.<prefix>k`. */
export function wgslIndex(prefix: string): string {
  const lines = [];
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    lines.push(`  c = r % P.s${k}; r = r / P.s${k}; o += c * P.${prefix}${k};`);
  }
  return `fn index_${prefix}(i: u32) -> u32 {
  if (P.${prefix}sfx != 0u) { return i % P.${prefix}sfx; }
  var r = i; var c = 0u; var o = 0u;
${lines.join("\n")}
  return o;
}`;
}

/** TS twin of `wgslIndex`. */
export function cpuIndex(i: number, shape: readonly number[], strides: readonly number[]): number {
  let r = i;
  let o = 0;
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    const c = r % shape[k];
    r = Math.floor(r / shape[k]);
    o += c * strides[k];
  }
  return o;
}

export function readShape(prefix: string, p: Readonly<Record<string, number>>): number[] {
  return Array.from({ length: MAX_RANK }, (_, k) => p[`${prefix}${k}`]);
}

export { stridesOf };

/**
 * Offsets of elements 0..n−1 of `shape` read with `strides` (an odometer, no division per
 * element): the fast form of `cpuIndex` for the cpu loops. Null when the read is the identity.
 */
export function offsetTable(n: number, shape: readonly number[], strides: readonly number[]): Int32Array | null {
  let identity = true;
  let acc = 1;
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    if (shape[k] !== 1 && strides[k] !== acc) identity = false;
    acc *= shape[k];
  }
  if (identity) return null;
  const out = new Int32Array(n);
  const c = new Array<number>(MAX_RANK).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    out[i] = o;
    for (let k = MAX_RANK - 1; k >= 0; k--) {
      c[k]++;
      o += strides[k];
      if (c[k] < shape[k]) break;
      o -= c[k] * strides[k];
      c[k] = 0;
    }
  }
  return out;
}
