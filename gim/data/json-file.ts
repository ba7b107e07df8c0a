/**
 * JSON files (checkpoints, model files): float arrays stored as base64 of their exact
 * binary (float32 or float64), so a value read back is bitwise the one written; atomic writes (a
 * temporary file in the same folder, then rename), so a crash never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { DType } from "../../engine/backend.js";

export interface EncodedArray {
  dtype: DType;
  base64: string;
}

export function encodeArray(values: ArrayLike<number>, dtype: DType): EncodedArray {
  const typed = dtype === "f64" ? Float64Array.from(values) : Float32Array.from(values);
  return { dtype, base64: Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString("base64") };
}

export function decodeArray(encoded: EncodedArray): Float32Array | Float64Array {
  const bytes = Buffer.from(encoded.base64, "base64");
  const copy = new Uint8Array(bytes).buffer;
  return encoded.dtype === "f64" ? new Float64Array(copy) : new Float32Array(copy);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, JSON.stringify(value));
  renameSync(temp, path);
}

export function readJson<T>(path: string, what: string): T {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${path}: cannot read ${what}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`${path}: not a valid ${what} (${(error as Error).message})`);
  }
}
