/**
 * The baseline the tiled matmul is measured against: one output per invocation, no tiling, no
 * reuse (every invocation reads a row of A and a column of B from storage). Kept in bench/ only.
 * Bindings: 0 A [m, k] read, 1 B [k, n] read, 2 C [m, n] write, 3 params {m, n, k}.
 * Workgroup 16×16 invocations; grid (⌈n/16⌉, ⌈m/16⌉). Math: C[i, j] = Σ_κ A[i, κ] B[κ, j].
 */
import { defineKernel } from "../engine/kernel.js";

export const naiveMatmul = defineKernel({
  name: "bench.naive_matmul",
  entry: "naive",
  inputs: ["A", "B"],
  outputs: ["C"],
  params: [
    ["m", "u32"],
    ["n", "u32"],
    ["k", "u32"],
  ],
  // 2-D: the override WG is a single extent.
  workgroupSize: "16, 16",
  body: /* wgsl */ `
  let i = gid.y;
  let j = gid.x;
  if (i >= P.m || j >= P.n) { return; }
  var acc = 0.0;
  for (var k = 0u; k < P.k; k++) { acc += A[i * P.k + k] * B[k * P.n + j]; }
  C[i * P.n + j] = acc;`,
  workgroups: (p) => [Math.ceil(p.n / 16), Math.ceil(p.m / 16), 1],
  cpu: ([a, b], [c], { m, n, k }) => {
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let q = 0; q < k; q++) acc += a[i * k + q] * b[q * n + j];
        c[i * n + j] = acc;
      }
  },
});
