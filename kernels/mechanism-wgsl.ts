/**
 * WGSL of the linear and masked-MLP mechanisms (spec §3), generated per (d, H) with the i and
 * column loops unrolled (kernels/unroll.ts says why). The linear mechanism is the MLP with H = 1,
 * W1 = Θ (so W̃[m,i,j] = G[m,i,j] Θ[i,j]), no biases and the identity in place of tanh.
 * Columns c = jl·H + h of a block cover outputs j = jb·JB + jl; the block is the grid's z axis
 * (named values inside a runtime loop made lavapipe's compile ~10× slower: 32 s at d = 20).
 * Both kernels: 64 lanes, one row n per lane at a time, rpl rows per lane; grid
 * (⌈N / (64·rpl)⌉ chunks, M, ⌈d/JB⌉ blocks); params {N, M, rpl}. The block of W̃_m (and b1, w2,
 * b2) is staged in workgroup memory and named at constant addresses, so it sits in registers;
 * per row the lane copies X[n,:] into a private array with a short loop and names it.
 *
 * mech_fwd:   0 X [N,d], 1 G [M,d,d], 2 W (Θ [d,d] | W1 [d,d,H]), MLP also 3 b1 [d,H], 4 w2 [d,H],
 *             5 b2 [d] read; then μ [M,N,d] write. d·JB·H FMAs per row (≤ 400 named weights).
 * mech_wgrad: linear 0 X, 1 μ̄ read; MLP 0 X, 1 G, 2 W1, 3 b1, 4 w2, 5 μ̄ read; then S write.
 *             Per lane, over its rows: linear S = Σ_n X[n,i] μ̄[m,n,j] (= R_m);
 *             MLP (Ā = μ̄ w2 (1 − T²), A recomputed) rows 0..d−1: Σ_n X[n,i] Ā[m,n,c] (= W̃̄),
 *             row d: Σ_n μ̄ T, row d+1: Σ_n Ā, row d+2: Σ_n μ̄ (at h = 0; 0 elsewhere).
 *             Lanes' sums are added in workgroup memory, 64 values at a time, in a fixed order;
 *             S [chunks, M, rows, DH] holds one partial per chunk (no atomics, deterministic).
 */
import common from "./common.wgsl";
import { lines, seq, tree } from "./unroll.js";

export const LANES = 64;
/** The params of the generated kernels, in the order of their WGSL struct. */
export const GENERATED_PARAMS = [["N", "u32"], ["M", "u32"], ["rpl", "u32"]] as const;
const FWD_BUDGET = 400;
const GRAD_BUDGET = 200;

export interface MechShape {
  kind: "linear" | "mlp";
  d: number;
  H: number;
}

/** Outputs j per column block: the named weights (and, for the gradient, accumulators) fit the budget. */
export function blockWidth({ kind, d, H }: MechShape, grad = false): number {
  const budget = grad && kind === "linear" ? 2 * GRAD_BUDGET : grad ? GRAD_BUDGET : FWD_BUDGET;
  return Math.max(1, Math.min(d, Math.floor(budget / (d * H))));
}

/** Rows of S: the W̃ (or R) rows, plus w̄2, b̄1, b̄2 for the MLP. */
export const gradRows = ({ kind, d }: MechShape) => (kind === "mlp" ? d + 3 : d);

/** Rows per lane: enough workgroups for both cores, as many rows as that allows (≤ 16). */
export function rowsPerLane(N: number, M: number): number {
  const chunks = Math.max(1, Math.ceil(128 / Math.max(M, 1)));
  return Math.min(16, Math.max(1, Math.ceil(N / (LANES * chunks))));
}

const TANH = `fn tanh_stable(x: f32) -> f32 {
  let e = exp(2.0 * clamp(x, -20.0, 20.0));
  return 1.0 - 2.0 / (e + 1.0);
}`;

function bindings(names: string[]): string {
  return names.map((name, k) => `@group(0) @binding(${k}) var<storage, read> ${name}: array<f32>;`).join("\n");
}

/** Stages W̃ block jb (and b1, w2, b2 for the MLP) and names it: w{i}_{c}, b{c}, v{c}, o{jl}. */
function stage(s: MechShape, JB: number, withB2: boolean): { decls: string; code: string } {
  const { d, H } = s;
  const mlp = s.kind === "mlp";
  const CB = JB * H;
  const cols = seq(CB);
  const wt = mlp ? `G[(m * ${d}u + i) * ${d}u + jc] * W[(jc * ${d}u + i) * ${H}u + c % ${H}u]` : `G[(m * ${d}u + i) * ${d}u + jc] * W[i * ${d}u + jc]`;
  const extras = `    for (var c = lid.x; c < ${CB}u; c += ${LANES}u) {
      let j = jb * ${JB}u + c / ${H}u;
      let ok = j < ${d}u;
      let jc = min(j, ${d - 1}u);
      SB[c] = select(0.0, B1[jc * ${H}u + c % ${H}u], ok);
      SB[${CB}u + c] = select(0.0, W2[jc * ${H}u + c % ${H}u], ok);
${withB2 ? `      SB[${2 * CB}u + c / ${H}u] = select(0.0, B2[jc], ok);` : ""}
    }`;
  const names = [
    ...seq(d).flatMap((i) => cols.map((c) => `let w${i}_${c} = SW[${i * CB + c}u];`)),
    ...(mlp ? cols.flatMap((c) => [`let b${c} = SB[${c}u];`, `let v${c} = SB[${CB + c}u];`]) : []),
    ...(mlp && withB2 ? seq(JB).map((j) => `let o${j} = SB[${2 * CB + j}u];`) : []),
  ];
  return {
    decls: `var<workgroup> SW: array<f32, ${d * CB}>;\n${mlp ? `var<workgroup> SB: array<f32, ${2 * CB + JB}>;` : ""}`,
    code: `    for (var k = lid.x; k < ${d * CB}u; k += ${LANES}u) {
      let i = k / ${CB}u;
      let c = k % ${CB}u;
      let j = jb * ${JB}u + c / ${H}u;
      let jc = min(j, ${d - 1}u);
      SW[k] = select(0.0, ${wt}, j < ${d}u);
    }
${mlp ? extras : ""}
    workgroupBarrier();
${lines(names)}`,
  };
}

/** Row n of this lane for rows-loop step t; x{i} = X[n, i]. */
const rowHead = (d: number) => `      let n = row0 + t * ${LANES}u + lid.x;
      let nc = min(n, N - 1u);
      var xv: array<f32, ${d}>;
      for (var i = 0u; i < ${d}u; i++) { xv[i] = X[nc * ${d}u + i]; }
${lines(seq(d).map((i) => `let x${i} = xv[${i}u];`), "      ")}`;

const pre = (d: number, c: number, mlp: boolean) => `${mlp ? `b${c} + ` : ""}${tree(seq(d).map((i) => `x${i} * w${i}_${c}`))}`;

function kernel(name: string, io: string[], out: string, decls: string, body: string): string {
  return `${common}
struct Params { N: u32, M: u32, rpl: u32 }
${bindings(io)}
@group(0) @binding(${io.length}) var<storage, read_write> ${out}: array<f32>;
@group(0) @binding(${io.length + 1}) var<uniform> P: Params;
${decls}
${TANH}
@compute @workgroup_size(${LANES})
fn ${name}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let N = P.N;
  let m = wid.y;
  let jb = wid.z;
  let row0 = wid.x * P.rpl * ${LANES}u;
${body}
}`;
}

export function fwdSource(s: MechShape): string {
  const { d, H } = s;
  const mlp = s.kind === "mlp";
  const JB = blockWidth(s);
  const st = stage(s, JB, true);
  const outputs = seq(JB).map((jl) => {
    if (!mlp) return `ov[${jl}u] = ${pre(d, jl, false)};`;
    return `ov[${jl}u] = o${jl} + ${tree(seq(H).map((h) => `v${jl * H + h} * tanh_stable(${pre(d, jl * H + h, true)})`))};`;
  });
  const body = `${st.code}
  let jn = min(${JB}u, ${d}u - jb * ${JB}u);
  for (var t = 0u; t < P.rpl; t++) {
${rowHead(d)}
    var ov: array<f32, ${JB}>;
${lines(outputs, "    ")}
    if (n < N) {
      for (var jl = 0u; jl < jn; jl++) { MU[(m * N + n) * ${d}u + jb * ${JB}u + jl] = ov[jl]; }
    }
  }`;
  return kernel("mech_fwd", mlp ? ["X", "G", "W", "B1", "W2", "B2"] : ["X", "G", "W"], "MU", st.decls, body);
}

export function wgradSource(s: MechShape): string {
  const { d, H } = s;
  const mlp = s.kind === "mlp";
  const JB = blockWidth(s, true);
  const CB = JB * H;
  const rows = gradRows(s);
  const DH = d * H;
  const K = rows * CB;
  const st = mlp ? stage(s, JB, false) : { decls: "", code: "" };
  const acc = seq(d).flatMap((i) => seq(CB).map((c) => [i, c] as const));
  const perRow = mlp
    ? [
        ...seq(CB).flatMap((c) => {
          const jl = Math.floor(c / H);
          return [`let t${c} = tanh_stable(${pre(d, c, true)});`, `let e${c} = g${jl} * v${c} * (1.0 - t${c} * t${c});`, `sw${c} += g${jl} * t${c};`, `sb${c} += e${c};`];
        }),
        ...seq(JB).map((jl) => `so${jl} += g${jl};`),
        ...acc.map(([i, c]) => `a${i}_${c} += x${i} * e${c};`),
      ]
    : acc.map(([i, c]) => `a${i}_${c} += x${i} * g${c};`);
  const pack = [
    ...acc.map(([i, c]) => `pv[${i * CB + c}u] = a${i}_${c};`),
    ...(mlp ? seq(CB).flatMap((c) => [`pv[${d * CB + c}u] = sw${c};`, `pv[${(d + 1) * CB + c}u] = sb${c};`, `pv[${(d + 2) * CB + c}u] = ${c % H === 0 ? `so${c / H}` : "0.0"};`]) : []),
  ];
  const body = `${st.code}
${lines([...acc.map(([i, c]) => `var a${i}_${c} = 0.0;`), ...(mlp ? seq(CB).flatMap((c) => [`var sw${c} = 0.0;`, `var sb${c} = 0.0;`]) : []), ...(mlp ? seq(JB).map((j) => `var so${j} = 0.0;`) : [])], "  ")}
  for (var t = 0u; t < P.rpl; t++) {
${rowHead(d)}
    var gv: array<f32, ${JB}>;
    for (var jl = 0u; jl < ${JB}u; jl++) {
      let j = jb * ${JB}u + jl;
      gv[jl] = select(0.0, DMU[(m * N + nc) * ${d}u + min(j, ${d - 1}u)], n < N && j < ${d}u);
    }
${lines(seq(JB).map((jl) => `let g${jl} = gv[${jl}u];`), "    ")}
${lines(perRow, "    ")}
  }
  var pv: array<f32, ${K}>;
${lines(pack, "  ")}
  let base = (wid.x * P.M + m) * ${rows * DH}u + jb * ${CB}u;
  for (var k0 = 0u; k0 < ${K}u; k0 += ${LANES}u) {
    workgroupBarrier();
    for (var kk = 0u; kk < min(${LANES}u, ${K}u - k0); kk++) { RED[lid.x * ${LANES}u + kk] = pv[k0 + kk]; }
    workgroupBarrier();
    let k = k0 + lid.x;
    var sum = 0.0;
    for (var l = 0u; l < ${LANES}u; l++) { sum += RED[l * ${LANES}u + min(lid.x, ${LANES - 1}u)]; }
    if (k < ${K}u && jb * ${CB}u + k % ${CB}u < ${DH}u) { OUT[base + (k / ${CB}u) * ${DH}u + k % ${CB}u] = sum; }
  }`;
  const io = mlp ? ["X", "G", "W", "B1", "W2", "DMU"] : ["X", "DMU"];
  return kernel("mech_wgrad", io, "OUT", `${st.decls}\nvar<workgroup> RED: array<f32, ${LANES * LANES}>;`, body);
}
