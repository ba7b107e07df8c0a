/**
 * Float arrays as base64 of their exact binary (float32 or float64), so a value read back is
 * bitwise the one written (checkpoints, model files). Plain JavaScript (atob/btoa, no Buffer), so
 * the browser build can use it too.
 */
import type { DType } from "../../engine/backend.js";

export interface EncodedArray {
  dtype: DType;
  base64: string;
}

/** btoa takes a "binary string"; chunks keep String.fromCharCode's argument list short. */
function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, bytes.length)));
  return btoa(binary);
}

export function encodeArray(values: ArrayLike<number>, dtype: DType): EncodedArray {
  const typed = dtype === "f64" ? Float64Array.from(values) : Float32Array.from(values);
  return { dtype, base64: toBase64(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength)) };
}

export function decodeArray(encoded: EncodedArray): Float32Array | Float64Array {
  const binary = atob(encoded.base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return encoded.dtype === "f64" ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer);
}
