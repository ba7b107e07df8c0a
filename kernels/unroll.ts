/**
 * Helpers for WGSL generated with its inner loops unrolled at build time, one kernel per shape.
 *
 * Why (measured on lavapipe, shared/notes/lavapipe-performance.md and h5's sweep): every memory
 * access — uniform or per-lane storage load, workgroup memory, or a private array indexed by a
 * loop counter — costs ~8–10 ns per 8-lane SIMD vector, a loop iteration ~3–5 ns, an FMA on
 * registers ~1 ns. So a kernel should keep its reused operand in named values (registers; LLVM
 * spills cheaply) and stream the other one, one row per lane. That needs the row length known
 * when the WGSL is generated, hence these generators instead of runtime loops.
 */

/** [from, from + n). */
export function seq(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, k) => from + k);
}

/** Balanced reduction of WGSL expressions (short dependency chains, more parallel FMAs). */
export function tree(
  terms: readonly string[],
  join: (a: string, b: string) => string = (a, b) => `(${a} + ${b})`,
): string {
  if (terms.length === 0) return "0.0";
  if (terms.length === 1) return terms[0];
  const half = terms.length >> 1;
  return join(tree(terms.slice(0, half), join), tree(terms.slice(half), join));
}

export const maxTree = (terms: readonly string[]) => tree(terms, (a, b) => `max(${a}, ${b})`);

/** Splits [0, n) into the fewest near-equal blocks of at most `size` (≥ 1) each. */
export function blocks(n: number, size: number): [number, number][] {
  const count = Math.ceil(n / Math.max(1, size));
  const out: [number, number][] = [];
  for (let k = 0; k < count; k++) out.push([Math.floor((k * n) / count), Math.floor(((k + 1) * n) / count)]);
  return out;
}

/** One line per item, indented. */
export const lines = (items: readonly string[], indent = "    ") => items.map((s) => indent + s).join("\n");
