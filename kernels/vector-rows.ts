/**
 * Rows of d floats in storage read and written as vectors (vec4 or vec2 when d allows), for the
 * WGSL generators of kernels whose lanes each stream whole rows (pair contraction, mechanisms).
 *
 * Why: on lavapipe a kernel of this project is bound by its storage accesses, and fewer, wider
 * accesses move the same floats for less. The engine suite's probe (bench/raw-access.ts:
 * 129,600 lanes each reading or writing a row of 10 floats) measured, in three runs of session
 * 13, 1.11 / 1.00 / 1.08 ms a dispatch for 10 f32 loads a lane against 0.94 / 0.96 / 0.96 for 5
 * vec2 (0.96 / 0.96 / 0.97 for three vec4 of a 12-float row), and 1.02 / 0.96 / 1.02 ms for 10
 * f32 stores against 0.88 / 0.80 / 0.91 for 5 vec2 (an empty kernel: 0.60 / 0.37 / 0.53). A vector
 * binding needs its buffer a whole number of vectors long and each row to start on a vector:
 * both hold when the vector width divides d.
 */
import type { Binding } from "../engine/kernel.js";
import { seq } from "./unroll.js";

/**
 * Floats per storage access on rows of d (P, P̄, G): 4 or 2 when d allows, else 1. On lavapipe a
 * lane's load or store costs about the same whatever its width (each lane's address is handled on
 * its own), so vec2/vec4 rows cut the accesses that bound these kernels.
 */
export const vectorWidth = (d: number) => (d % 4 === 0 ? 4 : d % 2 === 0 ? 2 : 1);
export const vecType = (w: number) => (w === 1 ? "f32" : `vec${w}<f32>`);
/** A vector's components in WGSL order. */
export const COMPONENTS = ["x", "y", "z", "w"];

/** `name` as a binding of rows of d: vectors of vectorWidth(d) floats. */
export const rowBinding = (name: string, d: number): Binding => ({ name, element: vecType(vectorWidth(d)) });

/** Copies `count` floats from the vector binding `src` at vector offset `at` into the private `dst`. */
export function gatherFloats(dst: string, src: string, at: string, count: number, w: number): string {
  if (w === 1) return `for (var j = 0u; j < ${count}u; j++) { ${dst}[j] = ${src}[${at} + j]; }`;
  const parts = seq(w).map((c) => `${dst}[${w}u * j + ${c}u] = v.${COMPONENTS[c]};`);
  return `for (var j = 0u; j < ${count / w}u; j++) { let v = ${src}[${at} + j]; ${parts.join(" ")} }`;
}

/** The private `src` as `count / w` vectors (w floats each), for a store: the vector at j. */
export const vectorAt = (src: string, w: number) =>
  w === 1
    ? `${src}[j]`
    : `${vecType(w)}(${seq(w)
        .map((c) => `${src}[${w}u * j + ${c}u]`)
        .join(", ")})`;
