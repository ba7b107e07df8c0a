/**
 * The baseline the tiled matmul is measured against: one output per invocation, no tiling, no
 * reuse (every invocation reads a row of A and a column of B from storage). Kept in bench/ only.
 * Bindings: 0 A [m, k] read, 1 B [k, n] read, 2 C [m, n] write, 3 params {m, n, k}.
 * Workgroup 16×16 invocations; grid (⌈n/16⌉, ⌈m/16⌉). Math: C[i, j] = Σ_κ A[i, κ] B[κ, j].
 */
import { defineKernel } from "../engine/kernel.js";

export const naiveMatmul = defineKernel({
  name: "bench.naive_matmul",
  wgsl: /* wgsl */ `
struct Params { m: u32, n: u32, k: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(16, 16)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.y;
  let j = gid.x;
  if (i >= P.m || j >= P.n) { return; }
  var acc = 0.0;
  for (var k = 0u; k < P.k; k++) { acc += A[i * P.k + k] * B[k * P.n + j]; }
  C[i * P.n + j] = acc;
}`,
  entry: "naive",
  inputs: 2,
  outputs: 1,
  params: [["m", "u32"], ["n", "u32"], ["k", "u32"]],
  workgroups: (p) => [Math.ceil(p.n / 16), Math.ceil(p.m / 16), 1],
  cpu: ([a, b], [c], { m, n, k }) => {
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let q = 0; q < k; q++) acc += a[i * k + q] * b[q * n + j];
      c[i * n + j] = acc;
    }
  },
});
