/**
 * The cpu twins of kernels/mechanism-gemm-wgsl.ts (layouts there): plain loops over (m, n, j),
 * in the precision of the arrays, writing exactly what the WGSL writes.
 */
import type { Kernel } from "../engine/kernel.js";
import { partRows, wtRows } from "./mechanism-gemm-wgsl.js";

type Kind = "linear" | "mlp";
type Cpu = Kernel["cpu"];
type Arr = ArrayLike<number>;
const LOG_2PI = Math.log(2 * Math.PI);

/** Hidden pre-activations a[h] of row n (absolute), output j, graph m, before b1. */
function preact(x: Arr, gp: Arr, wt: Arr, d: number, dp: number, H: number, m: number, n: number, j: number) {
  const a = new Array<number>(H).fill(0);
  for (let i = 0; i < d; i++) {
    const xg = x[n * d + i] * gp[(m * d + i) * dp + j];
    for (let h = 0; h < H; h++) a[h] += xg * wt[(i * H + h) * dp + j];
  }
  return a;
}

/** Index of A[m, n, h] at output j in SAVE [M, N, H, dp] (n: the row within the chunk). */
const saveIndex = (N: number, dp: number, H: number, m: number, n: number, h: number, j: number) =>
  ((m * N + n) * H + h) * dp + j;

/** A[h] of (m, n, j) as the forward saved it. */
function savedAt(save: Arr, N: number, dp: number, H: number, m: number, n: number, j: number) {
  return Array.from({ length: H }, (_, h) => save[saveIndex(N, dp, H, m, n, h, j)]);
}

/** μ and T = tanh(A + b1) (MLP) of one output j from its pre-activations a. */
function meanOf(kind: Kind, a: number[], wt: Arr, d: number, dp: number, H: number, j: number) {
  if (kind === "linear") return { mu: a[0], t: a };
  const t = a.map((v, h) => Math.tanh(v + wt[(d * H + h) * dp + j]));
  let mu = wt[(d * H + 2 * H) * dp + j];
  for (let h = 0; h < H; h++) mu += wt[(d * H + H + h) * dp + j] * t[h];
  return { mu, t };
}

export const prepCpu =
  (kind: Kind, gaussian: boolean): Cpu =>
  (inputs, [gp, wt], { d, dp, H, M }) => {
    const g = inputs[0];
    for (let m = 0; m < M; m++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < dp; j++) gp[(m * d + i) * dp + j] = j < d ? g[(m * d + i) * d + j] : 0;
    wt.fill(0);
    const row = (r: number) => r * dp;
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < d; i++)
        for (let h = 0; h < H; h++)
          wt[row(i * H + h) + j] = kind === "mlp" ? inputs[1][(j * d + i) * H + h] : inputs[1][i * d + j];
      if (kind === "mlp") {
        const [, , b1, w2, b2] = inputs;
        for (let h = 0; h < H; h++) {
          wt[row(d * H + h) + j] = b1[j * H + h];
          wt[row(d * H + H + h) + j] = w2[j * H + h];
        }
        wt[row(d * H + 2 * H) + j] = b2[j];
      }
      if (gaussian) {
        const ell = inputs[inputs.length - 1][j];
        wt[row(d * H + 2 * H + 1) + j] = -0.5 * (LOG_2PI + ell);
        wt[row(d * H + 2 * H + 2) + j] = Math.exp(-ell);
      }
    }
  };

export const fwdCpu =
  (kind: Kind, H: number, gaussian: boolean, saved: boolean): Cpu =>
  ([x, gp, wt], [out, save], { N, n0, Nall, d, Q, M }) => {
    const dp = 4 * Q;
    if (saved) save.fill(0);
    for (let m = 0; m < M; m++)
      for (let n = n0; n < n0 + N; n++)
        for (let j = 0; j < d; j++) {
          const a = preact(x, gp, wt, d, dp, H, m, n, j);
          if (saved) a.forEach((v, h) => (save[saveIndex(N, dp, H, m, n - n0, h, j)] = v));
          const { mu } = meanOf(kind, a, wt, d, dp, H, j);
          const r = x[n * d + j] - mu;
          const k = d * H + 2 * H;
          out[(m * Nall + n) * d + j] = gaussian ? wt[(k + 1) * dp + j] - 0.5 * r * r * wt[(k + 2) * dp + j] : mu;
        }
  };

export const bwdCpu =
  (kind: Kind, H: number, gaussian: boolean, R: number, saved: boolean): Cpu =>
  (inputs, [abar, part], { N, n0, Nall, d, Q, M, tpw }) => {
    const [x, gp, wt, dy, save] = saved ? [inputs[0], [], inputs[1], inputs[2], inputs[3]] : inputs;
    const dp = 4 * Q;
    const K = partRows(kind, H);
    const groups = Math.ceil(Math.ceil(N / R) / tpw);
    abar.fill(0);
    part.fill(0);
    const p = (d * H + 2 * H + 2) * dp;
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++) {
        const base = (m * groups + Math.floor(n / (R * tpw))) * K * dp;
        for (let j = 0; j < d; j++) {
          const a = saved ? savedAt(save, N, dp, H, m, n, j) : preact(x, gp, wt, d, dp, H, m, n0 + n, j);
          const { mu, t } = meanOf(kind, a, wt, d, dp, H, j);
          const g = dy[(m * Nall + n0 + n) * d + j];
          let mb = g;
          if (gaussian) {
            const r = x[(n0 + n) * d + j] - mu;
            const hq = g * wt[p + j];
            mb = hq * r;
            part[base + (K - 1) * dp + j] += 0.5 * (hq * r * r - g);
          }
          part[base + (K - 2) * dp + j] += mb;
          if (kind === "linear") {
            abar[(m * N + n) * dp + j] = mb;
            continue;
          }
          for (let h = 0; h < H; h++) {
            const ab = mb * wt[(d * H + H + h) * dp + j] * (1 - t[h] * t[h]);
            abar[((m * N + n) * H + h) * dp + j] = ab;
            part[base + h * dp + j] += mb * t[h];
            part[base + (H + h) * dp + j] += ab;
          }
        }
      }
  };

/** Outputs: mlp W̄1, Ḡ, b̄1, w̄2, b̄2 (ℓ̄); linear Θ̄, Ḡ (ℓ̄). Inputs WB, PS, G, W1 | Θ. */
export const finishCpu =
  (kind: Kind, gaussian: boolean): Cpu =>
  ([wb, ps, g, w], outs, { d, dp, H, M }) => {
    for (const o of outs) o.fill(0);
    const at = (m: number, i: number, h: number, j: number) => wb[((m * d + i) * H + h) * dp + j];
    const [dw, dg] = outs;
    for (let m = 0; m < M; m++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          const gij = g[(m * d + i) * d + j];
          for (let h = 0; h < H; h++) {
            const s = at(m, i, h, j);
            const wIdx = kind === "mlp" ? (j * d + i) * H + h : i * d + j;
            dw[wIdx] += s * gij;
            dg[(m * d + i) * d + j] += s * w[wIdx];
          }
        }
    const K = partRows(kind, H);
    if (kind === "mlp") {
      const [, , db1, dw2, db2] = outs;
      for (let j = 0; j < d; j++) {
        for (let h = 0; h < H; h++) {
          db1[j * H + h] = ps[(H + h) * dp + j];
          dw2[j * H + h] = ps[h * dp + j];
        }
        db2[j] = ps[2 * H * dp + j];
      }
    }
    if (gaussian) for (let j = 0; j < d; j++) outs[outs.length - 1][j] = ps[(K - 1) * dp + j];
  };

export { wtRows };
