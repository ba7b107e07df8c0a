/**
 * JSON files (checkpoints, model files), float arrays in them as base64 of their exact binary
 * (gim/data/encoded-array.ts); atomic writes (a temporary file in the same folder, then rename), so
 * a crash never leaves half a file. Node only; the browser build never imports this file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
export { type EncodedArray, decodeArray, encodeArray } from "./encoded-array.js";

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
