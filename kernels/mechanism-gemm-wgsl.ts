/**
 * WGSL of the masked mechanisms as batched GEMMs (kernels/mechanism-gemm.ts has the math). For
 * graph sample m the hidden layer of all d mechanisms is one product X [N,d] · W̃_m [d, H·dp],
 * W̃_m[i, h·dp + j] = G[m,i,j] W1[j,i,h] (linear: H = 1, W1[j,i,0] = Θ[i,j]); dp = 4⌈d/4⌉.
 *
 * Tiling: kernels/matmul-wgsl.ts's, for the same lavapipe reasons (uniform A loads from workgroup
 * memory, one lane-varying vec4 load of B reused across R rows). A workgroup owns R rows of X
 * (staged KC = 32 columns at a time in workgroup memory as vec4s of 4 rows) and `lanes` quads of
 * outputs j; lane q holds the H hidden units of its 4 mechanisms j = 4q..4q+3 for R rows, R·H vec4
 * accumulators. So a mechanism's H columns sit in one lane: the epilogue (tanh, output layer, the
 * Gaussian log-density or its VJP) runs in registers with no cross-lane reduction, and B is the
 * prepared W1ᵀ (rows i·H + h, vec4 per quad) times the quad's mask G[m, i, 4q..4q+3], masked on
 * load: the [M, d, H·dp] masked weights are never formed, let alone the [M, N, d·H] activations.
 *
 * Prepared (mech_gemm_prep, one lane per element): WT [(d·H + 2H + 3), dp] holds W1ᵀ rows
 * i·H + h, then b1 (H rows), w2 (H rows), b2, c = −½(log 2π + ℓ), p = e^{−ℓ} (zero where unused
 * and in the pad columns); GP [M, d, dp] is G with its rows padded to dp.
 *
 * mech_gemm_fwd: 0 X [N_all, d], 1 GP, 2 WT read; 3 OUT [M, N_all, d] write (μ or L) at rows
 *   n0..n0+N−1; with `saved`, also 4 SAVE [M, N, H, dp]: the pre-activations A (before b1) of
 *   those rows, for the VJP (one SAVE per row chunk: the VJP's chunks, each under the binding limit).
 * mech_gemm_bwd: 0 X, 1 GP, 2 WT, 3 DY [M, N_all, d] (μ̄ or L̄) read; 4 ABAR [M, N, H, dp] (Ā, or
 *   μ̄ for linear, for rows n0..n0+N−1), 5 PART [M·groups, K, dp] write: per workgroup, the sums
 *   over its rows of K vec4 rows: Σ μ̄ T (H rows, mlp), Σ Ā (H rows, mlp), Σ μ̄, Σ ½ L̄ (r² p − 1).
 *   With `saved`: 0 X, 1 WT, 2 DY, 3 SAVE (the forward's, of the same row chunk) read (no GP),
 *   and A is read, not recomputed: the kernel is then an elementwise epilogue, no GEMM.
 * Params {N, n0, Nall, d, Q = dp/4, M, tpw (row tiles per workgroup)}; grid (⌈Q/lanes⌉, groups, M).
 */
import type { KernelSource } from "../engine/kernel.js";
import { seq } from "./unroll.js";

const KC = 32;

export interface GemmVariant {
  kind: "linear" | "mlp";
  H: number;
  /** "gaussian": the epilogue is the log-density (fwd) or its VJP (bwd); "none": μ / μ̄. */
  density: "gaussian" | "none";
  rows: 8 | 16 | 32;
  lanes: 8 | 16 | 32;
  /** The forward stores A in SAVE and the VJP reads it there instead of recomputing the GEMM. */
  saved: boolean;
}

export type GemmSource = Pick<
  KernelSource,
  "entry" | "inputs" | "outputs" | "params" | "workgroupSize" | "prelude" | "body"
>;

export const GEMM_PARAMS = [
  ["N", "u32"],
  ["n0", "u32"],
  ["Nall", "u32"],
  ["d", "u32"],
  ["Q", "u32"],
  ["M", "u32"],
  ["tpw", "u32"],
] as const;

/** vec4 rows of PART per workgroup. */
export const partRows = (kind: GemmVariant["kind"], H: number) => (kind === "mlp" ? 2 * H + 2 : 2);

/** Rows of WT: W1ᵀ (d·H), b1 (H), w2 (H), b2, c, p. */
export const wtRows = (d: number, H: number) => d * H + 2 * H + 3;

const PRELUDE = (R: number) => `
const LOG2PI: f32 = ${Math.log(2 * Math.PI)};
var<workgroup> As: array<vec4<f32>, ${(R * KC) / 4}>;
fn tanh4(x: vec4<f32>) -> vec4<f32> {
  let e = exp(2.0 * clamp(x, vec4<f32>(-20.0), vec4<f32>(20.0)));
  return vec4<f32>(1.0) - 2.0 / (e + vec4<f32>(1.0));
}`;

/** The GEMM for one row tile (row0): acc{r}_{h} = Σ_i X[n0 + row0 + r, i] W̃_m[i, h, quad]. */
function gemm({ H, rows: R, lanes }: GemmVariant): string {
  const hs = seq(H);
  const rs = seq(R);
  const step = (kk: string) => `{
        let i = k0 + ${kk};
        let g = GP[(m * P.d + i) * P.Q + qc];
        ${hs.map((h) => `let w${h} = g * WT[(i * ${H}u + ${h}u) * P.Q + qc];`).join(" ")}
        ${seq(R / 4)
          .map((q) => `let a${q} = As[${kk} * ${R / 4}u + ${q}u];`)
          .join(" ")}
        ${rs.map((r) => hs.map((h) => `acc${r}_${h} = fma(vec4<f32>(a${r >> 2}[${r & 3}]), w${h}, acc${r}_${h});`).join(" ")).join("\n        ")}
      }`;
  return `
    ${rs.map((r) => hs.map((h) => `var acc${r}_${h} = vec4<f32>();`).join(" ")).join("\n    ")}
    for (var k0 = 0u; k0 < P.d; k0 += ${KC}u) {
      for (var t = 0u; t < ${(R * KC) / lanes}u; t++) {
        let e = t * ${lanes}u + lid.x;
        let r = e / ${KC}u; let kk = e % ${KC}u; let i = k0 + kk; let n = row0 + r;
        var v = 0.0;
        if (n < P.N && i < P.d) { v = X[(P.n0 + n) * P.d + i]; }
        As[kk * ${R / 4}u + r / 4u][r % 4u] = v;
      }
      workgroupBarrier();
      if (k0 + ${KC}u <= P.d) {
        for (var kk = 0u; kk < ${KC}u; kk++) ${step("kk")}
      } else {
        for (var kk = 0u; kk < P.d - k0; kk++) ${step("kk")}
      }
      workgroupBarrier();
    }`;
}

const HEAD = (lanes: number) => `
  let m = wid.z;
  let q = wid.x * ${lanes}u + lid.x;
  let qc = min(q, P.Q - 1u);
  let live = q < P.Q;`;

/** Per-quad constants: b1{h}, v{h} (w2), o (b2), cc, pp. */
function hoist({ kind, H, density }: GemmVariant): string {
  const out: string[] = [];
  if (kind === "mlp") {
    for (const h of seq(H)) out.push(`let b1_${h} = WT[(${H}u * P.d + ${h}u) * P.Q + qc];`);
    for (const h of seq(H)) out.push(`let v${h} = WT[(${H}u * P.d + ${H + h}u) * P.Q + qc];`);
    out.push(`let o = WT[(${H}u * P.d + ${2 * H}u) * P.Q + qc];`);
  }
  if (density === "gaussian") {
    out.push(`let cc = WT[(${H}u * P.d + ${2 * H + 1}u) * P.Q + qc];`);
    out.push(`let pp = WT[(${H}u * P.d + ${2 * H + 2}u) * P.Q + qc];`);
  }
  return out.map((s) => `  ${s}`).join("\n");
}

/** μ of row r (and, for the MLP, T{h} = tanh(A)). */
function mean({ kind, H }: GemmVariant, r: number): string {
  if (kind === "linear") return `let mu = acc${r}_0;`;
  const hs = seq(H);
  return `${hs.map((h) => `let t${h} = tanh4(acc${r}_${h} + b1_${h});`).join(" ")}
      let mu = o + ${hs.map((h) => `v${h} * t${h}`).join(" + ")};`;
}

/** SAVE's vec4 index of (m, row `row` of the chunk, hidden unit h) in the quad's lane `lane`. */
const saveAt = (H: number, row: string, h: number, lane: string) =>
  `((m * P.N + ${row}) * ${H}u + ${h}u) * P.Q + ${lane}`;

export function fwdSource(v: GemmVariant): GemmSource {
  const { rows: R, lanes, density, H, saved } = v;
  const store = (r: number) =>
    saved
      ? seq(H)
          .map((h) => `SAVE[${saveAt(H, "n", h, "q")}] = acc${r}_${h};`)
          .join(" ")
      : "";
  const value = density === "gaussian" ? "cc[t] - 0.5 * (X[xb + t] - mu[t]) * (X[xb + t] - mu[t]) * pp[t]" : "mu[t]";
  const epilogue = seq(R).map(
    (r) => `{
      let n = row0 + ${r}u;
      ${mean(v, r)}
      if (live && n < P.N) {
        let xb = (P.n0 + n) * P.d + q * 4u;
        let ob = (m * P.Nall + P.n0 + n) * P.d + q * 4u;
        for (var t = 0u; t < 4u; t++) { if (q * 4u + t < P.d) { OUT[ob + t] = ${value}; } }
        ${store(r)}
      }
    }`,
  );
  return {
    entry: "mech_gemm_fwd",
    inputs: ["X", { name: "GP", element: "vec4<f32>" }, { name: "WT", element: "vec4<f32>" }],
    outputs: saved ? ["OUT", { name: "SAVE", element: "vec4<f32>" }] : ["OUT"],
    params: GEMM_PARAMS,
    workgroupSize: `${lanes}`,
    prelude: PRELUDE(R),
    body: `${HEAD(lanes)}
${hoist(v)}
  let row0 = wid.y * ${R}u;
  ${gemm(v)}
    ${epilogue.join("\n    ")}`,
  };
}

/**
 * vec4 of row `base` at the quad's 4 columns, 0 past d or for dead rows. Four clamped scalar
 * loads, not a loop with dynamic component writes: those made lavapipe's compile take minutes.
 */
const load = (name: string, buf: string, base: string) =>
  `let ${name} = vec4<f32>(${seq(4)
    .map((t) => `select(0.0, ${buf}[${base} + min(q * 4u + ${t}u, P.d - 1u)], ok && q * 4u + ${t}u < P.d)`)
    .join(", ")});`;

/** The saved A of the tile's R rows, in the accumulators the GEMM would have filled. */
function loadSaved({ H, rows: R }: GemmVariant): string {
  return seq(R)
    .map((r) =>
      seq(H)
        .map((h) => `let acc${r}_${h} = SAVE[${saveAt(H, `min(row0 + ${r}u, P.N - 1u)`, h, "qc")}];`)
        .join(" "),
    )
    .join("\n    ");
}

export function bwdSource(v: GemmVariant): GemmSource {
  const { kind, H, rows: R, lanes, density, saved } = v;
  const hs = seq(H);
  const K = partRows(kind, H);
  const mlp = kind === "mlp";
  const sums = [...(mlp ? hs.map((h) => `sw${h}`) : []), ...(mlp ? hs.map((h) => `sb${h}`) : []), "so", "sl"];
  const mubar =
    density === "gaussian"
      ? `let res = xv - mu; let hq = dy * pp; let mb = hq * res; sl += 0.5 * (hq * res * res - dy);`
      : `let mb = dy;`;
  const grads = mlp
    ? hs
        .map(
          (h) => `let ab${h} = mb * v${h} * (vec4<f32>(1.0) - t${h} * t${h}); sw${h} += mb * t${h}; sb${h} += ab${h};
      if (live && n < P.N) { ABAR[((m * P.N + n) * ${H}u + ${h}u) * P.Q + q] = ab${h}; }`,
        )
        .join("\n      ")
    : `if (live && n < P.N) { ABAR[(m * P.N + n) * P.Q + q] = mb; }`;
  const epilogue = seq(R).map(
    (r) => `{
      let n = row0 + ${r}u;
      let nb = P.n0 + min(n, P.N - 1u);
      let ok = live && n < P.N;
      ${load("dy", "DY", "(m * P.Nall + nb) * P.d")}
      ${load("xv", "X", "nb * P.d")}
      ${mean(v, r)}
      ${mubar}
      so += mb;
      ${grads}
    }`,
  );
  return {
    entry: "mech_gemm_bwd",
    inputs: saved
      ? ["X", { name: "WT", element: "vec4<f32>" }, "DY", { name: "SAVE", element: "vec4<f32>" }]
      : ["X", { name: "GP", element: "vec4<f32>" }, { name: "WT", element: "vec4<f32>" }, "DY"],
    outputs: [
      { name: "ABAR", element: "vec4<f32>" },
      { name: "PART", element: "vec4<f32>" },
    ],
    params: GEMM_PARAMS,
    workgroupSize: `${lanes}`,
    prelude: PRELUDE(R),
    body: `${HEAD(lanes)}
${hoist(v)}
  ${sums.map((s) => `var ${s} = vec4<f32>();`).join(" ")}
  for (var tile = 0u; tile < P.tpw; tile++) {
    let row0 = (wid.y * P.tpw + tile) * ${R}u;
    ${saved ? loadSaved(v) : gemm(v)}
    ${epilogue.join("\n    ")}
  }
  if (live) {
    let base = (m * nwg.y + wid.y) * ${K}u;
    ${sums.map((s, k) => `PART[(base + ${k}u) * P.Q + q] = ${s};`).join("\n    ")}
  }`,
  };
}
