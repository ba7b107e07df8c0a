/**
 * Masked MLP mechanism (spec §3 eq 8, §11 "masked MLP"), one tanh layer of width H per variable:
 *   μ[m,n,j] = Σ_h w2[j,h] T[m,n,j,h] + b2[j],   T = tanh(A),
 *   A[m,n,j,h] = Σ_i X[n,i] W̃[m,i,j,h] + b1[j,h],   W̃[m,i,j,h] = G[m,i,j] W1[j,i,h]  (mask folded in).
 * Shapes: X [N,d], G [M,d,d], W1 [d,d,H] indexed [j,i,h], b1 [d,H], w2 [d,H], b2 [d] → μ [M,N,d].
 * VJP (§11): Ā = μ̄ w2 (1 − T²); W̃̄_m = Xᵀ Ā_m; W̄1[j,i,h] = Σ_m W̃̄ G; Ḡ[m,i,j] = Σ_h W̃̄ W1;
 * w̄2 = Σ μ̄ T; b̄1 = Σ Ā; b̄2 = Σ μ̄; X̄ = Σ_m Ā_m W̃_mᵀ. Saves nothing: T is [M,N,d,H] (115 MB at
 * M = 32, N = 9000, d = 20, H = 5), so the VJP recomputes A (one more forward's worth of FLOPs).
 *
 * Kernels: fwd and the weight-gradient partials S [C, M, d+3, dH] (columns c = j·H + h; rows
 * W̃̄, then Σ μ̄ T, Σ Ā, Σ μ̄) are generated per (d, H) by kernels/mechanism-wgsl.ts. Hand-written
 * here, WG = 64 lanes, params {N, d, M, H, C, rpl}:
 *   mlp_finish: 0 S, 1 G, 2 W1 read; 3 W̄1 [d,d,H], 4 Ḡ [M,d,d], 5 w̄2 [d,H], 6 b̄1 [d,H], 7 b̄2 [d]
 *               write; one lane per element of all five (one dispatch, not five), summing the
 *               chunks c in order: W̄1 = Σ_{c,m} S G, Ḡ = Σ_h (Σ_c S) W1, the rest Σ_{c,m} of rows d..d+2.
 *   mlp_dx:     0 X, 1 G, 2 W1, 3 b1, 4 w2, 5 μ̄ read; 6 X̄ [N,d] write; one lane per (n, i),
 *               recomputing A per (m, j, h). Only needed when X needs a gradient (never in
 *               training), so kept simple: d times the forward's FLOPs.
 */
import { type Kernel, defineKernel, groupsFor, kernelCache } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";
import { LANES, blockWidth, fwdSource, rowsPerLane, wgradSource } from "./mechanism-wgsl.js";

const WG = 64;
const PARAMS = [
  ["N", "u32"],
  ["d", "u32"],
  ["M", "u32"],
  ["H", "u32"],
  ["C", "u32"],
  ["rpl", "u32"],
] as const;
type Dims = { N: number; d: number; M: number; H: number; C: number; rpl: number };

const finishKernel = defineKernel({
  name: "mlp_mechanism.finish",
  entry: "mlp_finish",
  inputs: ["S", "G", "W1"],
  outputs: ["DW1", "DG", "DW2", "DB1", "DB2"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: `${common}
// Σ over chunks of S[c, m, row, col].
fn s_sum(m: u32, row: u32, col: u32) -> f32 {
  let DH = P.d * P.H;
  var s = 0.0;
  for (var c = 0u; c < P.C; c++) { s += S[((c * P.M + m) * (P.d + 3u) + row) * DH + col]; }
  return s;
}`,
  body: `
  let d = P.d; let H = P.H; let M = P.M; let DH = d * H;
  var t = flat_id(wid, nwg, lid, WG);
  if (t < d * DH) {                       // W̄1[j,i,h]
    let h = t % H; let i = (t / H) % d; let j = t / DH;
    var s = 0.0;
    for (var m = 0u; m < M; m++) { s += s_sum(m, i, j * H + h) * G[(m * d + i) * d + j]; }
    DW1[t] = s;
    return;
  }
  t -= d * DH;
  if (t < M * d * d) {                    // Ḡ[m,i,j]
    let j = t % d; let i = (t / d) % d; let m = t / (d * d);
    var s = 0.0;
    for (var h = 0u; h < H; h++) { s += s_sum(m, i, j * H + h) * W1[(j * d + i) * H + h]; }
    DG[t] = s;
    return;
  }
  t -= M * d * d;
  if (t < 3u * DH) {                      // w̄2, b̄1, b̄2 (b̄2 sits at the h = 0 columns)
    let row = d + t / DH; let col = t % DH;
    var s = 0.0;
    for (var m = 0u; m < M; m++) { s += s_sum(m, row, col); }
    if (t < DH) { DW2[col] = s; } else if (t < 2u * DH) { DB1[col] = s; } else if (col % H == 0u) { DB2[col / H] = s; }
  }`,
  workgroups: (p) => groupsFor(p.d * p.d * p.H + p.M * p.d * p.d + 3 * p.d * p.H, WG),
  cpu: ([s, g, w1], [dw1, dg, dw2, db1, db2], { d, M, H, C }) => {
    const DH = d * H;
    const at = (m: number, row: number, col: number) => {
      let v = 0;
      for (let c = 0; c < C; c++) v += s[((c * M + m) * (d + 3) + row) * DH + col];
      return v;
    };
    for (const out of [dw1, dg, dw2, db1, db2]) out.fill(0);
    for (let m = 0; m < M; m++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++)
          for (let h = 0; h < H; h++) {
            const sv = at(m, i, j * H + h);
            dw1[(j * d + i) * H + h] += sv * g[(m * d + i) * d + j];
            dg[(m * d + i) * d + j] += sv * w1[(j * d + i) * H + h];
          }
    for (let m = 0; m < M; m++)
      for (let col = 0; col < DH; col++) {
        dw2[col] += at(m, d, col);
        db1[col] += at(m, d + 1, col);
        if (col % H === 0) db2[col / H] += at(m, d + 2, col);
      }
  },
});

const dxKernel = defineKernel({
  name: "mlp_mechanism.dx",
  entry: "mlp_dx",
  inputs: ["X", "G", "W1", "B1", "W2", "DMU"],
  outputs: ["DX"],
  params: PARAMS,
  workgroupSize: WG,
  prelude: `${common}
fn wt(m: u32, i: u32, j: u32, h: u32) -> f32 { return G[(m * P.d + i) * P.d + j] * W1[(j * P.d + i) * P.H + h]; }`,
  body: `
  let d = P.d; let H = P.H; let N = P.N;
  let u = flat_id(wid, nwg, lid, WG);
  if (u >= N * d) { return; }
  let n = u / d; let i = u % d;
  var s = 0.0;
  for (var m = 0u; m < P.M; m++) {
    for (var j = 0u; j < d; j++) {
      for (var h = 0u; h < H; h++) {
        var a = B1[j * H + h];
        for (var k = 0u; k < d; k++) { a += X[n * d + k] * wt(m, k, j, h); }
        let t = tanh(clamp(a, -20.0, 20.0));
        s += DMU[(m * N + n) * d + j] * W2[j * H + h] * (1.0 - t * t) * wt(m, i, j, h);
      }
    }
  }
  DX[u] = s;`,
  workgroups: (p) => groupsFor(p.N * p.d, WG),
  cpu: ([x, g, w1, b1, w2, dmu], [dx], p) => {
    const dims = p as Dims;
    const { N, d, M, H } = dims;
    dx.fill(0);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < d; j++)
          for (let h = 0; h < H; h++) {
            const t = Math.tanh(preact(x, g, w1, b1, dims, m, n, j, h));
            const e = dmu[(m * N + n) * d + j] * w2[j * H + h] * (1 - t * t);
            for (let i = 0; i < d; i++) dx[n * d + i] += e * g[(m * d + i) * d + j] * w1[(j * d + i) * H + h];
          }
  },
});

/** Reference pre-activation A[m,n,j,h] (the cpu loops share it). */
function preact(
  x: ArrayLike<number>,
  g: ArrayLike<number>,
  w1: ArrayLike<number>,
  b1: ArrayLike<number>,
  { d, H }: Dims,
  m: number,
  n: number,
  j: number,
  h: number,
): number {
  let a = b1[j * H + h];
  for (let i = 0; i < d; i++) a += x[n * d + i] * g[(m * d + i) * d + j] * w1[(j * d + i) * H + h];
  return a;
}

const fwdCpu: Kernel["cpu"] = ([x, g, w1, b1, w2, b2], [mu], p) => {
  const dims = p as Dims;
  const { N, d, M, H } = dims;
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++)
      for (let j = 0; j < d; j++) {
        let s = b2[j];
        for (let h = 0; h < H; h++) s += w2[j * H + h] * Math.tanh(preact(x, g, w1, b1, dims, m, n, j, h));
        mu[(m * N + n) * d + j] = s;
      }
};

/** S[c, m, ·, col] over the rows of chunk c: W̃̄ rows, then Σ μ̄ T, Σ Ā, Σ μ̄ (at h = 0). */
const wgradCpu: Kernel["cpu"] = ([x, g, w1, b1, w2, dmu], [s], p) => {
  const dims = p as Dims;
  const { N, d, M, H, rpl } = dims;
  const DH = d * H;
  s.fill(0);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      const base = (Math.floor(n / (LANES * rpl)) * M + m) * (d + 3) * DH;
      for (let j = 0; j < d; j++) {
        const gm = dmu[(m * N + n) * d + j];
        for (let h = 0; h < H; h++) {
          const c = j * H + h;
          const t = Math.tanh(preact(x, g, w1, b1, dims, m, n, j, h));
          const e = gm * w2[c] * (1 - t * t);
          for (let i = 0; i < d; i++) s[base + i * DH + c] += x[n * d + i] * e;
          s[base + d * DH + c] += gm * t;
          s[base + (d + 1) * DH + c] += e;
          if (h === 0) s[base + (d + 2) * DH + c] += gm;
        }
      }
    }
};

const cached = kernelCache();
/** The generated fwd or weight-gradient kernel for this (d, H). */
function generatedKernel(which: "fwd" | "wgrad", d: number, H: number): Kernel {
  const key = `${which} ${d} ${H}`;
  return cached(key, () => {
    const shape = { kind: "mlp", d, H } as const;
    const blocks = Math.ceil(d / blockWidth(shape, which === "wgrad"));
    return defineKernel({
      name: `mlp_mechanism.${which}.d${d}.H${H}`,
      ...(which === "fwd" ? fwdSource(shape) : wgradSource(shape)),
      workgroups: (p) => [p.C, p.M, blocks],
      cpu: which === "fwd" ? fwdCpu : wgradCpu,
    });
  });
}

function dimsOf(x: Tensor, g: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor): Dims {
  const [N, d] = x.shape;
  const M = g.shape[0];
  const H = w1.shape[2];
  const is = (t: Tensor, s: number[]) => t.rank === s.length && t.shape.every((v, k) => v === s[k]);
  const ok = x.rank === 2 && is(g, [M, d, d]) && is(w1, [d, d, H]) && is(b1, [d, H]) && is(w2, [d, H]) && is(b2, [d]);
  if (!ok) {
    const got = [x, g, w1, b1, w2, b2].map((t) => fmt(t.shape)).join(", ");
    throw new ShapeError(
      "mlpMechanism",
      `expected X [N,d], G [M,d,d], W1 [d,d,H], b1 [d,H], w2 [d,H], b2 [d]; got ${got}`,
    );
  }
  const rpl = rowsPerLane(N, M);
  return { N, d, M, H, rpl, C: Math.ceil(N / (LANES * rpl)) };
}

/** Elements of the VJP's weight-gradient partials S [C, M, d+3, dH] for N rows (memory budgets). */
export function mlpPartialElements(N: number, M: number, d: number, H: number): number {
  return Math.ceil(N / (LANES * rowsPerLane(N, M))) * M * (d + 3) * d * H;
}

type NoAttrs = Record<string, never>;
type Six = [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];

export const mlpMechanismOp: OpDef<NoAttrs> = defineOp<NoAttrs>({
  name: "mlpMechanism",
  derivation:
    "μ = Σ_h w2 T + b2, T = tanh(A), A = X W̃_m + b1, W̃[m,i,j,h] = G[m,i,j] W1[j,i,h]. " +
    "Ā = μ̄ w2 (1 − T²); W̃̄_m = Xᵀ Ā_m; W̄1[j,i,h] = Σ_m W̃̄ G; Ḡ[m,i,j] = Σ_h W̃̄ W1; w̄2 = Σ μ̄ T; b̄1 = Σ Ā; " +
    "b̄2 = Σ μ̄; X̄ = Σ_m Ā_m W̃_mᵀ. Saves nothing: the VJP recomputes A from the inputs.",
  forward: (inputs) => {
    const dims = dimsOf(...(inputs as Six));
    return { out: launch1(generatedKernel("fwd", dims.d, dims.H), inputs, [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs, needsGrad }, dmu) => {
    const [x, g, w1, b1, w2, b2] = inputs;
    const dims = dimsOf(...(inputs as Six));
    const { d, M, H, C } = dims;
    const args = [x, g, w1, b1, w2, dmu];
    const dx = needsGrad[0] ? launch1(dxKernel, args, x.shape, dims) : null;
    if (!needsGrad.slice(1).some(Boolean)) return [dx, null, null, null, null, null];
    const s = launch1(generatedKernel("wgrad", d, H), args, [C, M, d + 3, d * H], dims);
    const [dw1, dg, dw2, db1, db2] = launch(
      finishKernel,
      [s, g, w1],
      [w1.shape, g.shape, w2.shape, b1.shape, b2.shape],
      dims,
    );
    s.dispose();
    // One dispatch wrote all five; keep the ones asked for (input order: X, G, W1, b1, w2, b2).
    return [dx, dg, dw1, db1, dw2, db2].map((t, k) => {
      if (k === 0 || needsGrad[k]) return t;
      t?.dispose();
      return null;
    });
  },
  check: {
    cases: [
      {
        label: "small",
        shapes: [[5, 3], [2, 3, 3], [3, 3, 2], [3, 2], [3, 2], [3]],
        attrs: {},
        domains: ["real", "unit"],
      },
      {
        label: "rows past one chunk, ragged",
        shapes: [[150, 2], [1, 2, 2], [2, 2, 5], [2, 5], [2, 5], [2]],
        attrs: {},
        domains: ["real", "unit"],
      },
      {
        label: "several column blocks",
        shapes: [[3, 14], [2, 14, 14], [14, 14, 5], [14, 5], [14, 5], [14]],
        attrs: {},
        domains: ["real", "unit"],
      },
    ],
  },
});

/** Masked MLP mechanism for every graph sample: see the file header for shapes. */
export const mlpMechanism = (x: Tensor, g: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) =>
  apply(mlpMechanismOp, [x, g, w1, b1, w2, b2], {});

export const mlpMechanismOps = { mlpMechanism: mlpMechanismOp };
