/**
 * WGSL of the linear and masked-MLP mechanisms (spec §3), generated per (d, H) with the i and
 * column loops unrolled (kernels/unroll.ts says why). The linear mechanism is the MLP with H = 1,
 * W1 = Θ (so W̃[m,i,j] = G[m,i,j] Θ[i,j]), no biases and the identity in place of tanh.
 * Columns c = jl·H + h of a block cover outputs j = jb·JB + jl; the block is the grid's z axis
 * (named values inside a runtime loop made lavapipe's compile ~10× slower: 32 s at d = 20).
 * Every kernel: WG = LANES = 64 lanes (the override WG), one row n per lane at a time, rpl rows
 * per lane; grid (⌈N / (64·rpl)⌉ chunks, M, ⌈d/JB⌉ blocks); params {N, M, rpl}. The block of
 * W̃_m (and b1, w2, b2) is staged in workgroup memory and named at constant addresses, so it
 * sits in registers; per row the lane copies X[n,:] into a private array with a short loop and
 * names it.
 *
 * mech_fwd:   0 X [N,d], 1 G [M,d,d], 2 W (Θ [d,d] | W1 [d,d,H]), MLP also 3 b1 [d,H], 4 w2 [d,H],
 *             5 b2 [d] read; then μ [M,N,d] write. d·JB·H FMAs per row (≤ 400 named weights).
 * mech_wgrad: linear 0 X, 1 μ̄ read; MLP 0 X, 1 G, 2 W1, 3 b1, 4 w2, 5 μ̄ read; then S write.
 *             Per lane, over its rows: linear S = Σ_n X[n,i] μ̄[m,n,j] (= R_m);
 *             MLP (Ā = μ̄ w2 (1 − T²), A recomputed) rows 0..d−1: Σ_n X[n,i] Ā[m,n,c] (= W̃̄),
 *             row d: Σ_n μ̄ T, row d+1: Σ_n Ā, row d+2: Σ_n μ̄ (at h = 0; 0 elsewhere).
 *             Lanes' sums are added in workgroup memory (WG² floats), WG values at a time, in
 *             a fixed order; S [chunks, M, rows, DH] holds one partial per chunk (no atomics,
 *             deterministic).
 */
import type { Binding, KernelSource } from "../engine/kernel.js";
import common from "../engine/common.wgsl";
import { lines, seq, tree } from "./unroll.js";
import { COMPONENTS, gatherFloats, rowBinding, vecType, vectorWidth } from "./vector-rows.js";

/** Lanes per workgroup, the override `WG` of every generated kernel (the host sizes chunks by it). */
export const LANES = 64;

/** What this file generates of a kernel's declaration; the op adds its name, grid and cpu twin. */
export type MechSource = Pick<
  KernelSource,
  "entry" | "inputs" | "outputs" | "params" | "workgroupSize" | "prelude" | "body"
>;
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

/**
 * Rows per lane: about 32 workgroups in all (M graph samples × row chunks), as many rows as that
 * allows (≤ 64). Each workgroup of a weight gradient ends by summing its lanes' (d + 1)·JB
 * partials through workgroup memory, which at 8 rows a lane (the old target of 128 workgroups)
 * cost more than the rows: at the default size (d = 10, M = 16, N = 4,050) the two
 * mech_gwgrad dispatches took 6.2–6.4 ms a step against 3.2–3.3 at 32 rows a lane (session 13,
 * per-kernel profile, two runs each). 32 workgroups still keep lavapipe's threads busy.
 */
export function rowsPerLane(N: number, M: number): number {
  const chunks = Math.max(1, Math.ceil(32 / Math.max(M, 1)));
  return Math.min(64, Math.max(1, Math.ceil(N / (LANES * chunks))));
}

const TANH = `fn tanh_stable(x: f32) -> f32 {
  let e = exp(2.0 * clamp(x, -20.0, 20.0));
  return 1.0 - 2.0 / (e + 1.0);
}`;

/** Stages W̃ block jb (and b1, w2, b2 for the MLP) and names it: w{i}_{c}, b{c}, v{c}, o{jl}. */
function stage(s: MechShape, JB: number, withB2: boolean): { decls: string; code: string } {
  const { d, H } = s;
  const mlp = s.kind === "mlp";
  const CB = JB * H;
  const cols = seq(CB);
  const wt = mlp
    ? `G[(m * ${d}u + i) * ${d}u + jc] * W[(jc * ${d}u + i) * ${H}u + c % ${H}u]`
    : `G[(m * ${d}u + i) * ${d}u + jc] * W[i * ${d}u + jc]`;
  const extras = `    for (var c = lid.x; c < ${CB}u; c += WG) {
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
    code: `    for (var k = lid.x; k < ${d * CB}u; k += WG) {
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
const rowHead = (d: number) => `      let n = row0 + t * WG + lid.x;
      let nc = min(n, N - 1u);
      var xv: array<f32, ${d}>;
      ${gatherFloats("xv", "X", `nc * ${d / vectorWidth(d)}u`, d, vectorWidth(d))}
${lines(
  seq(d).map((i) => `let x${i} = xv[${i}u];`),
  "      ",
)}`;

/**
 * gv[jl] = `name`[m, n, jb·JB + jl] of this lane's row, 0 past N or d: as vectors when the block is
 * the whole row (JB = d, kernels/vector-rows.ts), else one float per column.
 */
function columnRow(name: string, JB: number, d: number): string {
  const head = `    var gv: array<f32, ${JB}>;`;
  if (JB === d && vectorWidth(d) > 1) {
    const w = vectorWidth(d);
    return `${head}
    ${gatherFloats("gv", name, `(m * N + nc) * ${d / w}u`, d, w)}
    if (n >= N) { for (var jl = 0u; jl < ${d}u; jl++) { gv[jl] = 0.0; } }`;
  }
  return `${head}
    for (var jl = 0u; jl < ${JB}u; jl++) {
      let j = jb * ${JB}u + jl;
      gv[jl] = select(0.0, ${name}[(m * N + nc) * ${d}u + min(j, ${d - 1}u)], n < N && j < ${d}u);
    }`;
}

/** The binding columnRow reads. */
const columnBinding = (name: string, JB: number, d: number): Binding => (JB === d ? rowBinding(name, d) : name);

const pre = (d: number, c: number, mlp: boolean) =>
  `${mlp ? `b${c} + ` : ""}${tree(seq(d).map((i) => `x${i} * w${i}_${c}`))}`;

/** The declaration around `body`: params {N, M, rpl}, one lane per row, grid (chunks, M, blocks). */
function kernel(entry: string, inputs: Binding[], outputs: Binding[], decls: string, body: string): MechSource {
  return {
    entry,
    inputs,
    outputs,
    params: [
      ["N", "u32"],
      ["M", "u32"],
      ["rpl", "u32"],
    ],
    workgroupSize: LANES,
    prelude: `${common}
const LOG2PI: f32 = ${Math.log(2 * Math.PI)};
${decls}
${TANH}`,
    body: `
  let N = P.N;
  let m = wid.y;
  let jb = wid.z;
  let row0 = wid.x * P.rpl * WG;
${body}`,
  };
}

/**
 * What mech_fwd does with μ[m,n,j] (the Gaussian epilogues fuse the observational log-density of
 * spec §3 into the mechanism, so μ never reaches memory):
 *   mean:   μ [M,N,d] write.
 *   logpdf: also reads ℓ [d]; writes L = −½[log 2π + ℓ_j + (x_j − μ_j)² e^{−ℓ_j}].
 *   vjp:    also reads ℓ [d], L̄ [M,N,d]; writes μ̄ = L̄ (x_j − μ_j) e^{−ℓ_j} and
 *           ℓ̄ₑ = ½ L̄ ((x_j − μ_j)² e^{−ℓ_j} − 1) (elementwise; the caller sums it over m, n).
 */
export type Epilogue = "mean" | "logpdf" | "vjp";

/**
 * Per epilogue: extra reads, outputs, constants hoisted per column (c{jl} = −½(log 2π + ℓ_j),
 * p{jl} = e^{−ℓ_j}), the row it reads per column (L̄ as g{jl}, at k = (m·N + n)·d + j), and the
 * statements that name each output's value at column jl, with r{jl} = x_j − μ_j.
 */
interface EpilogueCode {
  reads: string[];
  outs: string[];
  hoist: (jl: number, j: string) => string;
  /** A row read per column into g{jl} (vjp: L̄). */
  rowIn?: string;
  values: (jl: number) => string;
  /** Output → the name of its value at column jl. */
  value: Record<string, (jl: number) => string>;
}
const EPILOGUES: Record<Epilogue, EpilogueCode> = {
  mean: { reads: [], outs: ["MU"], hoist: () => "", values: () => "", value: { MU: (jl) => `ov[${jl}u]` } },
  logpdf: {
    reads: ["ELL"],
    outs: ["LO"],
    hoist: (jl, j) => `let c${jl} = -0.5 * (LOG2PI + ELL[${j}]); let p${jl} = exp(-ELL[${j}]);`,
    values: (jl) => `let lo${jl} = c${jl} - 0.5 * r${jl} * r${jl} * p${jl};`,
    value: { LO: (jl) => `lo${jl}` },
  },
  vjp: {
    reads: ["ELL", "DLO"],
    outs: ["DMU", "DELL"],
    hoist: (jl, j) => `let p${jl} = exp(-ELL[${j}]);`,
    rowIn: "DLO",
    values: (jl) =>
      `let h${jl} = g${jl} * p${jl}; let dmu${jl} = h${jl} * r${jl}; let dell${jl} = 0.5 * (h${jl} * r${jl} * r${jl} - g${jl});`,
    value: { DMU: (jl) => `dmu${jl}`, DELL: (jl) => `dell${jl}` },
  },
};

/**
 * The epilogue's stores of one row. With one column block (JB = d) and d a multiple of the vector
 * width, the row is read and written as vectors (kernels/vector-rows.ts), unrolled: d/w accesses
 * per output; otherwise one float per column, guarded by the block's width jn.
 */
function epilogueStores(
  ep: EpilogueCode,
  cols: number[],
  d: number,
  single: boolean,
  residual: (jl: number) => string,
) {
  const w = single ? vectorWidth(d) : 1;
  const per = (jl: number) => [
    residual(jl),
    ...(ep.rowIn && w === 1 ? [`let g${jl} = ${ep.rowIn}[k0 + ${jl}u];`] : []),
    ep.values(jl),
  ];
  if (w === 1) {
    const store = (jl: number) =>
      [...per(jl), ...ep.outs.map((o) => `${o}[k0 + ${jl}u] = ${ep.value[o](jl)};`)].join(" ");
    return lines(single ? cols.map(store) : cols.map((jl) => `if (${jl}u < jn) { ${store(jl)} }`), "      ");
  }
  const quads = seq(d / w);
  const loads = ep.rowIn
    ? quads.flatMap((q) => [
        `let gq${q} = ${ep.rowIn}[kw + ${q}u];`,
        ...seq(w).map((c) => `let g${q * w + c} = gq${q}.${COMPONENTS[c]};`),
      ])
    : [];
  const stores = ep.outs.flatMap((o) =>
    quads.map(
      (q) =>
        `${o}[kw + ${q}u] = ${vecType(w)}(${seq(w)
          .map((c) => ep.value[o](q * w + c))
          .join(", ")});`,
    ),
  );
  return lines([`let kw = (m * N + n) * ${d / w}u;`, ...loads, ...cols.flatMap(per), ...stores], "      ");
}

export function fwdSource(s: MechShape, epilogue: Epilogue = "mean"): MechSource {
  const { d, H } = s;
  const mlp = s.kind === "mlp";
  const JB = blockWidth(s);
  const single = JB === d;
  const st = stage(s, JB, true);
  const cols = seq(JB);
  const ep = EPILOGUES[epilogue];
  const outputs = cols.map((jl) => {
    if (!mlp) return `ov[${jl}u] = ${pre(d, jl, false)};`;
    return `ov[${jl}u] = o${jl} + ${tree(seq(H).map((h) => `v${jl * H + h} * tanh_stable(${pre(d, jl * H + h, true)})`))};`;
  });
  // With one column block (JB = d) column jl is variable jl, so x_j is the named x{jl}.
  const column = (jl: number) => (single ? `${jl}u` : `min(jb * ${JB}u + ${jl}u, ${d - 1}u)`);
  const residual = (jl: number) =>
    epilogue === "mean" ? "" : `let r${jl} = ${single ? `x${jl}` : `xv[${column(jl)}]`} - ov[${jl}u];`;
  const stores = epilogueStores(ep, cols, d, single, residual);
  const body = `${st.code}
  let jn = min(${JB}u, ${d}u - jb * ${JB}u);
${lines(
  cols.map((jl) => ep.hoist(jl, column(jl))),
  "  ",
)}
  for (var t = 0u; t < P.rpl; t++) {
${rowHead(d)}
    var ov: array<f32, ${JB}>;
${lines(outputs, "    ")}
    if (n < N) {
      let k0 = (m * N + n) * ${d}u + jb * ${JB}u;
${stores}
    }
  }`;
  const rows = (name: string): Binding => (single ? rowBinding(name, d) : name);
  const reads = [
    ...(mlp ? [rowBinding("X", d), "G", "W", "B1", "W2", "B2"] : [rowBinding("X", d), "G", "W"]),
    ...ep.reads.map((r) => (r === ep.rowIn ? rows(r) : r)),
  ];
  return kernel("mech_fwd", reads, ep.outs.map(rows), st.decls, body);
}

export function wgradSource(s: MechShape): MechSource {
  const { d, H } = s;
  const mlp = s.kind === "mlp";
  const JB = blockWidth(s, true);
  const CB = JB * H;
  const rows = gradRows(s);
  const DH = d * H;
  const st = mlp ? stage(s, JB, false) : { decls: "", code: "" };
  const acc = seq(d).flatMap((i) => seq(CB).map((c) => [i, c] as const));
  const perRow = mlp
    ? [
        ...seq(CB).flatMap((c) => {
          const jl = Math.floor(c / H);
          return [
            `let t${c} = tanh_stable(${pre(d, c, true)});`,
            `let e${c} = g${jl} * v${c} * (1.0 - t${c} * t${c});`,
            `sw${c} += g${jl} * t${c};`,
            `sb${c} += e${c};`,
          ];
        }),
        ...seq(JB).map((jl) => `so${jl} += g${jl};`),
        ...acc.map(([i, c]) => `a${i}_${c} += x${i} * e${c};`),
      ]
    : acc.map(([i, c]) => `a${i}_${c} += x${i} * g${c};`);
  const pack = [
    ...acc.map(([i, c]) => `pv[${i * CB + c}u] = a${i}_${c};`),
    ...(mlp
      ? seq(CB).flatMap((c) => [
          `pv[${d * CB + c}u] = sw${c};`,
          `pv[${(d + 1) * CB + c}u] = sb${c};`,
          `pv[${(d + 2) * CB + c}u] = ${c % H === 0 ? `so${c / H}` : "0.0"};`,
        ])
      : []),
  ];
  const body = `${st.code}
${lines([...acc.map(([i, c]) => `var a${i}_${c} = 0.0;`), ...(mlp ? seq(CB).flatMap((c) => [`var sw${c} = 0.0;`, `var sb${c} = 0.0;`]) : []), ...(mlp ? seq(JB).map((j) => `var so${j} = 0.0;`) : [])], "  ")}
  for (var t = 0u; t < P.rpl; t++) {
${rowHead(d)}
${columnRow("DMU", JB, d)}
${lines(
  seq(JB).map((jl) => `let g${jl} = gv[${jl}u];`),
  "    ",
)}
${lines(perRow, "    ")}
  }
${reduceLanes(pack, rows, CB, DH)}`;
  const dmu = columnBinding("DMU", JB, d);
  const io = mlp ? [rowBinding("X", d), "G", "W", "B1", "W2", dmu] : [rowBinding("X", d), dmu];
  return kernel("mech_wgrad", io, ["OUT"], `${st.decls}\nvar<workgroup> RED: array<f32, WG * WG>;`, body);
}

/**
 * Adds the lanes' partial sums (`pack` fills pv[rows·CB]) in workgroup memory, 64 values at a
 * time in a fixed order, and writes this chunk's row block of OUT [chunks, M, rows, DH].
 */
function reduceLanes(pack: string[], rows: number, CB: number, DH: number): string {
  const K = rows * CB;
  return `  var pv: array<f32, ${K}>;
${lines(pack, "  ")}
  let base = (wid.x * P.M + m) * ${rows * DH}u + jb * ${CB}u;
  for (var k0 = 0u; k0 < ${K}u; k0 += WG) {
    workgroupBarrier();
    for (var kk = 0u; kk < min(WG, ${K}u - k0); kk++) { RED[lid.x * WG + kk] = pv[k0 + kk]; }
    workgroupBarrier();
    let k = k0 + lid.x;
    var sum = 0.0;
    for (var l = 0u; l < WG; l++) { sum += RED[l * WG + min(lid.x, WG - 1u)]; }
    if (k < ${K}u && jb * ${CB}u + k % ${CB}u < ${DH}u) { OUT[base + (k / ${CB}u) * ${DH}u + k % ${CB}u] = sum; }
  }`;
}

/**
 * mech_gwgrad (linear only): the weight gradient of the fused Gaussian log-density
 * (kernels/mechanism-logpdf.ts) straight from L̄, μ̄ never stored. 0 X, 1 G, 2 Θ, 3 ℓ, 4 L̄ read;
 * S [chunks, M, d + 1, d] write. Per row, with W̃_m's column block staged and named (as the MLP
 * does): μ_c = Σ_i x_i w̃_ic, r = x_j − μ_c, μ̄ = L̄ r e^{−ℓ_j}; rows 0..d−1 accumulate
 * Σ_n x_i μ̄ (= R_m = Xᵀ μ̄_m), row d accumulates Σ_n ½ L̄ (r² e^{−ℓ_j} − 1) (ℓ̄'s partial).
 */
export function gaussianWgradSource(d: number): MechSource {
  const s: MechShape = { kind: "linear", d, H: 1 };
  const JB = gaussianBlockWidth(d);
  const st = stage(s, JB, false);
  const cols = seq(JB);
  const acc = seq(d).flatMap((i) => cols.map((c) => [i, c] as const));
  const perRow = [
    ...cols.flatMap((c) => [
      `let r${c} = ${JB === d ? `x${c}` : `xv[min(jb * ${JB}u + ${c}u, ${d - 1}u)]`} - ${pre(d, c, false)};`,
      `let h${c} = gv[${c}u] * p${c};`,
      `let g${c} = h${c} * r${c};`,
      `sl${c} += 0.5 * (g${c} * r${c} - gv[${c}u]);`,
    ]),
    ...acc.map(([i, c]) => `a${i}_${c} += x${i} * g${c};`),
  ];
  const pack = [
    ...acc.map(([i, c]) => `pv[${i * JB + c}u] = a${i}_${c};`),
    ...cols.map((c) => `pv[${d * JB + c}u] = sl${c};`),
  ];
  const body = `${st.code}
${lines(
  cols.map((c) => `let p${c} = exp(-ELL[min(jb * ${JB}u + ${c}u, ${d - 1}u)]);`),
  "  ",
)}
${lines([...acc.map(([i, c]) => `var a${i}_${c} = 0.0;`), ...cols.map((c) => `var sl${c} = 0.0;`)], "  ")}
  for (var t = 0u; t < P.rpl; t++) {
${rowHead(d)}
${columnRow("DLO", JB, d)}
${lines(perRow, "    ")}
  }
${reduceLanes(pack, d + 1, JB, d)}`;
  return kernel(
    "mech_gwgrad",
    [rowBinding("X", d), "G", "W", "ELL", columnBinding("DLO", JB, d)],
    ["OUT"],
    `${st.decls}\nvar<workgroup> RED: array<f32, WG * WG>;`,
    body,
  );
}

/** Column block of mech_gwgrad: W̃'s block and the accumulators share the gradient budget. */
export const gaussianBlockWidth = (d: number) => Math.max(1, Math.min(d, Math.floor(GRAD_BUDGET / d)));
