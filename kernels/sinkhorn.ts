/**
 * Entropic optimal transport between point clouds by log-domain Sinkhorn (spec §10), batched:
 *   x̂ [B, n, D], x [B, m, D];  a = 1/n, b = 1/m;  C_ij = ‖x̂_i − x_j‖²
 *   f_i ← −ε LSE_j[log b_j + (g_j − C_ij)/ε],  g_j ← −ε LSE_i[log a_i + (f_i − C_ij)/ε]
 *   stop when ‖P1 − a‖₁ < tolerance (P_ij = a_i b_j e^{(f_i + g_j − C_ij)/ε}) or after
 *   maxIterations updates;  W_ε = ⟨a, f⟩ + ⟨b, g⟩  (OTT's reg_ot_cost; not the debiased divergence).
 * Gradient, by the envelope theorem: W_ε(C) = max_{f,g} ⟨a,f⟩ + ⟨b,g⟩ − ε Σ a_i b_j (e^{(f_i+g_j−C_ij)/ε} − 1),
 * and at the maximiser the last sum vanishes, so ∂W/∂C_ij = a_i b_j e^{(f_i+g_j−C_ij)/ε} = P_ij with
 * f, g held fixed (they are not differentiated). With ∂C_ij/∂x̂_i = 2(x̂_i − x_j):
 *   x̂̄_i = 2 W̄ Σ_j P_ij (x̂_i − x_j),   x̄_j = −2 W̄ Σ_i P_ij (x̂_i − x_j).
 * Exact at convergence; off it the error is of the order of the marginal violation, so check
 * cases converge tightly. Saves f [B, n] and g [B, m]; the VJP recomputes C and P from them.
 * After a g-update the columns of P sum to b exactly, so ΣP = 1 and W equals the dual objective.
 *
 * Kernels (workgroup 256 unless noted, one output element per invocation, folded 2-D grid):
 *   sinkhorn_cost:  0 x̂ [B,n,D], 1 x [B,m,D] read; 2 C [B,n,m] write; params {total, n, m, D}
 *   sinkhorn_solve: kernels/sinkhorn.wgsl (one workgroup of 64 lanes per batch element, looping
 *                   internally until the device-side stop flag is set or the cap is reached)
 *   sinkhorn_plan:  0 C, 1 f, 2 g read; 3 P [B,n,m] write; params {total, n, m, epsilon}
 *   sinkhorn_grad:  0 P [B,n,m], 1 Y [B,rows,D], 2 Z [B,cols,D], 3 W̄ [B] read; 4 Ȳ [B,rows,D] write;
 *                   Ȳ_rk = 2 W̄ Σ_q P(r,q)(Y_rk − Z_qk) with P(r,q) = P[b, r·sr + q·sq]: x̂̄ is
 *                   (Y, Z) = (x̂, x), (sr, sq) = (m, 1); x̄ is (x, x̂), (1, m) — the same kernel.
 */
import { type FloatArray, defineKernel, groupsFor } from "../engine/kernel.js";
import { type CheckSpec, type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";
import solveWgsl from "./sinkhorn.wgsl";

const WG = 256;
const costKernel = defineKernel({
  name: "sinkhorn.cost",
  entry: "sinkhorn_cost",
  inputs: ["Xh", "X"],
  outputs: ["C"],
  params: [
    ["total", "u32"],
    ["n", "u32"],
    ["m", "u32"],
    ["D", "u32"],
  ],
  workgroupSize: WG,
  prelude: common,
  body: `
  let e = flat_id(wid, nwg, lid, WG);
  if (e >= P.total) { return; }
  let j = e % P.m;
  let bi = e / P.m;
  let b = bi / P.n;
  var c = 0.0;
  for (var k = 0u; k < P.D; k++) {
    let diff = Xh[bi * P.D + k] - X[(b * P.m + j) * P.D + k];
    c += diff * diff;
  }
  C[e] = c;`,
  workgroups: (p) => groupsFor(p.total, WG),
  cpu: ([xh, x], [C], p) => {
    for (let e = 0; e < p.total; e++) {
      const j = e % p.m;
      const bi = Math.floor(e / p.m);
      const b = Math.floor(bi / p.n);
      let c = 0;
      for (let k = 0; k < p.D; k++) c += (xh[bi * p.D + k] - x[(b * p.m + j) * p.D + k]) ** 2;
      C[e] = c;
    }
  },
});

/** −ε LSE_k[−log K + (h_k − c_k)/ε] over K terms, max-shifted: the potential update of one row or column. */
function potential(K: number, eps: number, term: (k: number) => number): number {
  let top = -Infinity;
  for (let k = 0; k < K; k++) top = Math.max(top, term(k));
  let s = 0;
  for (let k = 0; k < K; k++) s += Math.exp((term(k) - top) / eps);
  return eps * Math.log(K) - top - eps * Math.log(s);
}

function solveCpu([C]: readonly FloatArray[], [W, F, G, Fn]: FloatArray[], p: Readonly<Record<string, number>>): void {
  const { n, m, epsilon: eps } = p;
  for (let b = 0; b < p.B; b++) {
    const c = C.subarray(b * n * m, (b + 1) * n * m);
    const f = F.subarray(b * n, (b + 1) * n).fill(0);
    const g = G.subarray(b * m, (b + 1) * m).fill(0);
    const fn = Fn.subarray(b * n, (b + 1) * n);
    for (let t = 0; t < p.maxIterations; t++) {
      let err = 0;
      for (let i = 0; i < n; i++) {
        fn[i] = potential(m, eps, (j) => g[j] - c[i * m + j]);
        err += Math.abs(Math.exp((f[i] - fn[i]) / eps) - 1);
      }
      if (t > 0 && err / n < p.tolerance) break;
      f.set(fn);
      for (let j = 0; j < m; j++) g[j] = potential(n, eps, (i) => f[i] - c[i * m + j]);
    }
    let w = 0;
    for (let i = 0; i < n; i++) w += f[i] / n;
    for (let j = 0; j < m; j++) w += g[j] / m;
    W[b] = w;
  }
}

const solveKernel = defineKernel({
  name: "sinkhorn.solve",
  entry: "sinkhorn_solve",
  inputs: ["C"],
  outputs: ["W", "F", "G", "Fn"],
  params: [
    ["B", "u32"],
    ["n", "u32"],
    ["m", "u32"],
    ["epsilon", "f32"],
    ["maxIterations", "u32"],
    ["tolerance", "f32"],
  ],
  workgroupSize: 64,
  prelude: `${common}\n${solveWgsl}`,
  body: "  solve(flat_group(wid, nwg), lid.x);",
  workgroups: (p) => p.B,
  cpu: solveCpu,
});

const planKernel = defineKernel({
  name: "sinkhorn.plan",
  entry: "sinkhorn_plan",
  inputs: ["C", "F", "G"],
  outputs: ["Plan"],
  params: [
    ["total", "u32"],
    ["n", "u32"],
    ["m", "u32"],
    ["epsilon", "f32"],
  ],
  workgroupSize: WG,
  prelude: common,
  body: `
  let e = flat_id(wid, nwg, lid, WG);
  if (e >= P.total) { return; }
  let bi = e / P.m;
  let bj = (bi / P.n) * P.m + e % P.m;
  Plan[e] = exp((F[bi] + G[bj] - C[e]) / P.epsilon - log(f32(P.n)) - log(f32(P.m)));`,
  workgroups: (p) => groupsFor(p.total, WG),
  cpu: ([C, F, G], [plan], p) => {
    for (let e = 0; e < p.total; e++) {
      const bi = Math.floor(e / p.m);
      const bj = Math.floor(bi / p.n) * p.m + (e % p.m);
      plan[e] = Math.exp((F[bi] + G[bj] - C[e]) / p.epsilon - Math.log(p.n) - Math.log(p.m));
    }
  },
});

const GRAD_PARAMS = [
  ["total", "u32"],
  ["rows", "u32"],
  ["cols", "u32"],
  ["D", "u32"],
  ["sr", "u32"],
  ["sq", "u32"],
] as [string, "u32"][];
const gradKernel = defineKernel({
  name: "sinkhorn.grad",
  entry: "sinkhorn_grad",
  inputs: ["Plan", "Y", "Z", "DW"],
  outputs: ["DY"],
  params: GRAD_PARAMS,
  workgroupSize: WG,
  prelude: common,
  body: `
  let e = flat_id(wid, nwg, lid, WG);
  if (e >= P.total) { return; }
  let k = e % P.D;
  let r = (e / P.D) % P.rows;
  let b = e / (P.D * P.rows);
  let pb = b * P.rows * P.cols + r * P.sr;
  var mass = 0.0;
  var pull = 0.0;
  for (var q = 0u; q < P.cols; q++) {
    let w = Plan[pb + q * P.sq];
    mass += w;
    pull += w * Z[(b * P.cols + q) * P.D + k];
  }
  DY[e] = 2.0 * DW[b] * (mass * Y[e] - pull);`,
  workgroups: (p) => groupsFor(p.total, WG),
  cpu: ([plan, Y, Z, dW], [dY], p) => {
    for (let e = 0; e < p.total; e++) {
      const k = e % p.D;
      const r = Math.floor(e / p.D) % p.rows;
      const b = Math.floor(e / (p.D * p.rows));
      const pb = b * p.rows * p.cols + r * p.sr;
      let mass = 0;
      let pull = 0;
      for (let q = 0; q < p.cols; q++) {
        const w = plan[pb + q * p.sq];
        mass += w;
        pull += w * Z[(b * p.cols + q) * p.D + k];
      }
      dY[e] = 2 * dW[b] * (mass * Y[e] - pull);
    }
  },
});

export interface SinkhornAttrs {
  [key: string]: unknown;
  epsilon: number;
  maxIterations: number;
  tolerance: number;
}

function geometry(op: string, xhat: Tensor, x: Tensor) {
  if (xhat.rank !== 3 || x.rank !== 3 || xhat.shape[0] !== x.shape[0] || xhat.shape[2] !== x.shape[2]) {
    throw new ShapeError(op, `expected x̂ [B, n, D] and x [B, m, D], got ${fmt(xhat.shape)} and ${fmt(x.shape)}`);
  }
  const [B, n, D] = xhat.shape;
  const m = x.shape[1];
  if (n === 0 || m === 0) throw new ShapeError(op, `empty point cloud: ${fmt(xhat.shape)}, ${fmt(x.shape)}`);
  return { B, n, m, D };
}

function costs(op: string, xhat: Tensor, x: Tensor): Tensor {
  const { B, n, m, D } = geometry(op, xhat, x);
  return launch1(costKernel, [xhat, x], [B, n, m], { total: B * n * m, n, m, D });
}

/** Costs, then the Sinkhorn loop: W [B], f [B, n], g [B, m], and C [B, n, m] (the caller disposes it). */
function solve(op: string, xhat: Tensor, x: Tensor, a: SinkhornAttrs) {
  if (!(a.epsilon > 0)) throw new Error(`${op}: epsilon must be positive, got ${a.epsilon}`);
  const C = costs(op, xhat, x);
  const [B, n, m] = C.shape;
  const [W, F, G, Fn] = launch(solveKernel, [C], [[B], [B, n], [B, m], [B, n]], {
    B,
    n,
    m,
    epsilon: a.epsilon,
    maxIterations: a.maxIterations,
    tolerance: a.tolerance,
  });
  Fn.dispose();
  return { W, F, G, C };
}

function plan(C: Tensor, F: Tensor, G: Tensor, epsilon: number): Tensor {
  const [B, n, m] = C.shape;
  return launch1(planKernel, [C, F, G], [B, n, m], { total: B * n * m, n, m, epsilon });
}

const CASES: CheckSpec<SinkhornAttrs>["cases"] = [
  {
    label: "2 × (3 vs 4 points) in 2-D, ε = 0.5",
    shapes: [
      [2, 3, 2],
      [2, 4, 2],
    ],
    attrs: { epsilon: 0.5, maxIterations: 3000, tolerance: 1e-12 },
  },
  {
    label: "5 vs 5 points in 3-D, ε = 1",
    shapes: [
      [1, 5, 3],
      [1, 5, 3],
    ],
    attrs: { epsilon: 1, maxIterations: 3000, tolerance: 1e-12 },
  },
];

export const sinkhornOp: OpDef<SinkhornAttrs> = defineOp<SinkhornAttrs>({
  name: "sinkhorn",
  derivation:
    "W_ε = ⟨a,f⟩ + ⟨b,g⟩ after log-domain Sinkhorn on C_ij = ‖x̂_i − x_j‖²; envelope theorem: ∂W/∂C = P with f, g fixed, so x̂̄_i = 2W̄ Σ_j P_ij(x̂_i − x_j), x̄_j = −2W̄ Σ_i P_ij(x̂_i − x_j) (exact at convergence). Saves f, g; the VJP recomputes C and P.",
  forward: ([xhat, x], a) => {
    const { W, F, G, C } = solve("sinkhorn", xhat, x, a);
    C.dispose();
    return { out: W, saved: [F, G] };
  },
  vjp: ({ inputs: [xhat, x], saved: [F, G], attrs, needsGrad }, dW) => {
    const { B, n, m, D } = geometry("sinkhorn", xhat, x);
    const C = costs("sinkhorn", xhat, x);
    const P = plan(C, F, G, attrs.epsilon);
    C.dispose();
    const side = (Y: Tensor, Z: Tensor, rows: number, cols: number, sr: number, sq: number) =>
      launch1(gradKernel, [P, Y, Z, dW], Y.shape, { total: B * rows * D, rows, cols, D, sr, sq });
    const grads = [needsGrad[0] ? side(xhat, x, n, m, m, 1) : null, needsGrad[1] ? side(x, xhat, m, n, 1, m) : null];
    P.dispose();
    return grads;
  },
  check: { cases: CASES },
});

export const sinkhornPlanOp: OpDef<SinkhornAttrs> = defineOp<SinkhornAttrs>({
  name: "sinkhornPlan",
  derivation: "P_ij = a_i b_j e^{(f_i + g_j − C_ij)/ε} from the potentials of the Sinkhorn loop (see sinkhorn).",
  forward: ([xhat, x], a) => {
    const { W, F, G, C } = solve("sinkhornPlan", xhat, x, a);
    const P = plan(C, F, G, a.epsilon);
    for (const t of [W, F, G, C]) t.dispose();
    return { out: P };
  },
  vjp: { none: "the plan is a diagnostic (marginals, transport maps); differentiate W_ε with sinkhorn instead" },
  check: {
    cases: [
      {
        label: "3 vs 4 points, 300 updates",
        shapes: [
          [2, 3, 2],
          [2, 4, 2],
        ],
        attrs: { epsilon: 0.5, maxIterations: 300, tolerance: 0 },
      },
    ],
  },
});

export const sinkhornOps = { sinkhorn: sinkhornOp, sinkhornPlan: sinkhornPlanOp };

export interface SinkhornOptions {
  epsilon?: number;
  maxIterations?: number;
  tolerance?: number;
}
const attrsOf = ({ epsilon = 0.1, maxIterations = 2000, tolerance = 1e-3 }: SinkhornOptions): SinkhornAttrs => ({
  epsilon,
  maxIterations,
  tolerance,
});

/** W_ε [B] between x̂ [B, n, D] and x [B, m, D] (uniform weights, squared Euclidean cost). */
export const sinkhorn = (xhat: Tensor, x: Tensor, options: SinkhornOptions = {}) =>
  apply(sinkhornOp, [xhat, x], attrsOf(options));
/** The entropic plan P [B, n, m] at the same stopping point (no gradient). */
export const sinkhornPlan = (xhat: Tensor, x: Tensor, options: SinkhornOptions = {}) =>
  apply(sinkhornPlanOp, [xhat, x], attrsOf(options));
