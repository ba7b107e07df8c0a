/**
 * Fused observational log-density (spec §3): for every graph sample m,
 *   L[m,n,j] = log N(x_j; μ_j, e^{ℓ_j}) = −½[log 2π + ℓ_j + (x_j − μ_j)² e^{−ℓ_j}],
 * with μ[m,n,j] the linear mechanism Σ_i X[n,i] G[m,i,j] Θ[i,j] or the masked one-hidden-layer
 * tanh MLP (kernels/linear-mechanism.ts, kernels/mlp-mechanism.ts have their formulas).
 * Inputs: linear X [N,d], G [M,d,d], Θ [d,d], ℓ [d]; mlp X, G, W1 [d,d,H], b1 [d,H], w2 [d,H],
 * b2 [d], ℓ [d]. Output L [M,N,d].
 *
 * Why fused: the likelihood needs L, never μ. The mechanism kernel computes μ in registers, so the
 * Gaussian term as its epilogue saves writing μ [M,N,d] and reading it back through a generic
 * broadcasting kernel (on lavapipe that pair of passes cost more than the mechanism itself).
 *
 * VJP. With r = x_j − μ_j and p = e^{−ℓ_j}: ∂L/∂μ = r p, ∂L/∂ℓ = ½(r² p − 1), ∂L/∂x_j = −r p
 * (directly, besides the path through μ). So μ̄ = L̄ r p and ℓ̄ = Σ_{m,n} ½ L̄ (r² p − 1); the
 * mechanism's VJP then maps μ̄ to Ḡ, the weights and X̄ (to which X̄ adds the direct −Σ_m μ̄).
 * Saves nothing: recomputing μ costs one mechanism pass, storing it would cost a write and a read.
 *  - linear, X̄ not asked (training): one kernel, mech_gwgrad, recomputes μ per row and
 *    accumulates R_m = Xᵀ μ̄_m and ℓ̄'s partials per row chunk; "lin_gauss_params" sums the
 *    chunks into Θ̄ = Σ_m R_m ⊙ G_m, Ḡ_m = R_m ⊙ Θ and ℓ̄. μ̄ never reaches memory.
 *  - otherwise: the "vjp" epilogue of mech_fwd writes μ̄ and ℓ̄ₑ [M,N,d]; ℓ̄ = Σ ℓ̄ₑ; then the
 *    mechanism op's own VJP.
 *
 * Kernels: mech_fwd from kernels/mechanism-wgsl.ts with the "logpdf" / "vjp" epilogue, and
 * mech_gwgrad, generated per (kind, d, H); grid (row chunks, M, column blocks), 64 lanes, params
 * {N, M, rpl}. lin_gauss_params: 0 S [C,M,d+1,d], 1 G, 2 Θ read; 3 Θ̄ [d,d], 4 Ḡ [M,d,d],
 * 5 ℓ̄ [d] write; one lane per output, 64 lanes, params {N, d, M, C}.
 */
import { type Kernel, defineKernel, groupsFor, kernelCache } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch, launch1 } from "../engine/op.js";
import { ShapeError, fmt } from "../engine/shape.js";
import type { Tensor } from "../engine/tensor.js";
import { add as binaryAdd, sumToShape } from "./elementwise-binary.js";
import { linearMechanismOp } from "./linear-mechanism.js";
import common from "../engine/common.wgsl";
import {
  type Epilogue,
  LANES,
  type MechShape,
  blockWidth,
  fwdSource,
  gaussianBlockWidth,
  gaussianWgradSource,
  rowsPerLane,
} from "./mechanism-wgsl.js";
import { mlpMechanismOp } from "./mlp-mechanism.js";
import { unaryOps } from "./elementwise-unary.js";

type Kind = MechShape["kind"];
type Attrs = { kind: Kind };
type Dims = { N: number; M: number; d: number; H: number; rpl: number; C: number };
const LOG_2PI = Math.log(2 * Math.PI);

/** μ[m,n,j] on the host (the cpu kernels' shared reference). */
function hostMean(
  kind: Kind,
  w: readonly ArrayLike<number>[],
  { d, H }: Dims,
  m: number,
  n: number,
  j: number,
): number {
  const [x, g, w1, b1, w2, b2] = w;
  if (kind === "linear") {
    let s = 0;
    for (let i = 0; i < d; i++) s += x[n * d + i] * g[(m * d + i) * d + j] * w1[i * d + j];
    return s;
  }
  let s = b2[j];
  for (let h = 0; h < H; h++) {
    let a = b1[j * H + h];
    for (let i = 0; i < d; i++) a += x[n * d + i] * g[(m * d + i) * d + j] * w1[(j * d + i) * H + h];
    s += w2[j * H + h] * Math.tanh(a);
  }
  return s;
}

const cpuFor =
  (kind: Kind, epilogue: Epilogue): Kernel["cpu"] =>
  (inputs, outputs, p) => {
    const dims = p as Dims;
    const { N, M, d } = dims;
    const weights = kind === "linear" ? 3 : 6;
    const ell = inputs[weights];
    const dlo = inputs[weights + 1];
    const x = inputs[0];
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < d; j++) {
          const k = (m * N + n) * d + j;
          const r = x[n * d + j] - hostMean(kind, inputs, dims, m, n, j);
          const q = Math.exp(-ell[j]);
          if (epilogue === "logpdf") outputs[0][k] = -0.5 * (LOG_2PI + ell[j] + r * r * q);
          else {
            outputs[0][k] = dlo[k] * r * q;
            outputs[1][k] = 0.5 * dlo[k] * (r * r * q - 1);
          }
        }
  };

const cached = kernelCache();
function kernelFor(kind: Kind, d: number, H: number, epilogue: Epilogue): Kernel {
  const key = `${kind} ${d} ${H} ${epilogue}`;
  return cached(key, () => {
    const shape: MechShape = { kind, d, H };
    const blocks = Math.ceil(d / blockWidth(shape));
    return defineKernel({
      name: `mechanism_logpdf.${epilogue === "logpdf" ? "fwd" : "vjp"}.${kind}.d${d}${kind === "mlp" ? `.H${H}` : ""}`,
      ...fwdSource(shape, epilogue),
      workgroups: (p) => [p.C, p.M, blocks],
      cpu: cpuFor(kind, epilogue),
    });
  });
}

/** S[c, m, i, j] = Σ_{n in chunk c} X[n,i] μ̄[m,n,j] (i < d); S[c, m, d, j] = Σ_n ½ L̄ (r² p − 1). */
const gwgradCpu: Kernel["cpu"] = (inputs, [s], p) => {
  const dims = p as Dims;
  const { N, M, d, rpl } = dims;
  const [x, , , ell, dlo] = inputs;
  s.fill(0);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      const base = (Math.floor(n / (LANES * rpl)) * M + m) * (d + 1) * d;
      for (let j = 0; j < d; j++) {
        const k = (m * N + n) * d + j;
        const r = x[n * d + j] - hostMean("linear", inputs, dims, m, n, j);
        const q = Math.exp(-ell[j]);
        const dmu = dlo[k] * r * q;
        for (let i = 0; i < d; i++) s[base + i * d + j] += x[n * d + i] * dmu;
        s[base + d * d + j] += 0.5 * dlo[k] * (r * r * q - 1);
      }
    }
};

const cachedGwgrad = kernelCache();
function gwgradKernel(d: number): Kernel {
  return cachedGwgrad(String(d), () => {
    const blocks = Math.ceil(d / gaussianBlockWidth(d));
    return defineKernel({
      name: `mechanism_logpdf.gwgrad.linear.d${d}`,
      ...gaussianWgradSource(d),
      workgroups: (p) => [p.C, p.M, blocks],
      cpu: gwgradCpu,
    });
  });
}

const PARAMS_WG = 64;
const paramsKernel = defineKernel({
  name: "mechanism_logpdf.params.linear",
  entry: "lin_gauss_params",
  inputs: ["S", "G", "TH"],
  outputs: ["DTH", "DG", "DELL"],
  params: [
    ["N", "u32"],
    ["d", "u32"],
    ["M", "u32"],
    ["C", "u32"],
  ],
  workgroupSize: PARAMS_WG,
  prelude: `${common}
// R_m[t] = Σ_c S[c, m, t] for t < d²; the ℓ̄ row sits at t = d² + j.
fn chunk_sum(m: u32, t: u32) -> f32 {
  let stride = (P.d + 1u) * P.d;
  var r = 0.0;
  for (var c = 0u; c < P.C; c++) { r += S[(c * P.M + m) * stride + t]; }
  return r;
}`,
  body: `
  let dd = P.d * P.d;
  let u = flat_id(wid, nwg, lid, WG);
  if (u < dd) {
    var s = 0.0;
    for (var m = 0u; m < P.M; m++) { s += chunk_sum(m, u) * G[m * dd + u]; }
    DTH[u] = s;
  } else if (u < dd + P.M * dd) {
    let t = u - dd;
    DG[t] = chunk_sum(t / dd, t % dd) * TH[t % dd];
  } else if (u < dd + P.M * dd + P.d) {
    let j = u - dd - P.M * dd;
    var s = 0.0;
    for (var m = 0u; m < P.M; m++) { s += chunk_sum(m, dd + j); }
    DELL[j] = s;
  }`,
  workgroups: (p) => groupsFor((p.M + 1) * p.d * p.d + p.d, PARAMS_WG),
  cpu: ([s, g, th], [dth, dg, dell], { d, M, C }) => {
    const dd = d * d;
    const stride = (d + 1) * d;
    const chunkSum = (m: number, t: number) => {
      let r = 0;
      for (let c = 0; c < C; c++) r += s[(c * M + m) * stride + t];
      return r;
    };
    dth.fill(0);
    dell.fill(0);
    for (let m = 0; m < M; m++) {
      for (let t = 0; t < dd; t++) {
        const r = chunkSum(m, t);
        dth[t] += r * g[m * dd + t];
        dg[m * dd + t] = r * th[t];
      }
      for (let j = 0; j < d; j++) dell[j] += chunkSum(m, dd + j);
    }
  },
});

/** Linear, X̄ not asked: Ḡ, Θ̄ and ℓ̄ from L̄ without storing μ̄ (see the file comment). */
function linearVjp(
  inputs: readonly Tensor[],
  needsGrad: readonly boolean[],
  dlo: Tensor,
  dims: Dims,
): (Tensor | null)[] {
  const [x, g, theta, ell] = inputs;
  const { M, d, C } = dims;
  const s = launch1(gwgradKernel(d), [x, g, theta, ell, dlo], [C, M, d + 1, d], dims);
  const [dtheta, dg, dell] = launch(paramsKernel, [s, g, theta], [theta.shape, g.shape, ell.shape], dims);
  s.dispose();
  const keep = (t: Tensor, i: number) => {
    if (needsGrad[i]) return t;
    t.dispose();
    return null;
  };
  return [null, keep(dg, 1), keep(dtheta, 2), keep(dell, 3)];
}

function dimsOf(kind: Kind, inputs: readonly Tensor[]): Dims {
  const x = inputs[0];
  const g = inputs[1];
  const [N, d] = x.shape;
  const M = g.shape[0];
  const H = kind === "mlp" ? inputs[2].shape[2] : 1;
  const is = (t: Tensor | undefined, s: number[]) =>
    t !== undefined && t.rank === s.length && t.shape.every((v, k) => v === s[k]);
  const expected =
    kind === "linear" ? [[N, d], [M, d, d], [d, d], [d]] : [[N, d], [M, d, d], [d, d, H], [d, H], [d, H], [d], [d]];
  if (x.rank !== 2 || inputs.length !== expected.length || !expected.every((s, k) => is(inputs[k], s))) {
    const want =
      kind === "linear"
        ? "X [N,d], G [M,d,d], Θ [d,d], ℓ [d]"
        : "X [N,d], G [M,d,d], W1 [d,d,H], b1 [d,H], w2 [d,H], b2 [d], ℓ [d]";
    throw new ShapeError(
      `mechanismLogpdf(${kind})`,
      `expected ${want}; got ${inputs.map((t) => fmt(t.shape)).join(", ")}`,
    );
  }
  const rpl = rowsPerLane(N, M);
  return { N, M, d, H, rpl, C: Math.ceil(N / (LANES * rpl)) };
}

export const mechanismLogpdfOp: OpDef<Attrs> = defineOp<Attrs>({
  name: "mechanismLogpdf",
  derivation:
    "L[m,n,j] = −½[log 2π + ℓ_j + (x_j − μ_j)² e^{−ℓ_j}], μ = linear or MLP mechanism of G_m ⊙ x, fused. With r = x_j − μ_j, p = e^{−ℓ_j}: " +
    "μ̄ = L̄ r p, ℓ̄ = Σ_{m,n} ½ L̄ (r² p − 1), then the mechanism's VJP with μ̄; X̄ also gets −Σ_m μ̄. Linear without X̄: one kernel recomputes μ and " +
    "accumulates Xᵀμ̄_m and ℓ̄ directly (μ̄ never stored). Saves nothing.",
  forward: (inputs, { kind }) => {
    const dims = dimsOf(kind, inputs);
    return { out: launch1(kernelFor(kind, dims.d, dims.H, "logpdf"), inputs, [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs, needsGrad, attrs: { kind } }, dlo) => {
    const dims = dimsOf(kind, inputs);
    if (kind === "linear" && !needsGrad[0]) return linearVjp(inputs, needsGrad, dlo, dims);
    const { M, N, d } = dims;
    const weights = inputs.length - 1;
    const [dmu, dellE] = launch(
      kernelFor(kind, d, dims.H, "vjp"),
      [...inputs, dlo],
      [
        [M, N, d],
        [M, N, d],
      ],
      dims,
    );
    const dell = needsGrad[weights] ? sumToShape(dellE, [d]) : null;
    if (dell !== dellE) dellE.dispose();
    const mechanism = kind === "linear" ? linearMechanismOp : mlpMechanismOp;
    const mechVjp = mechanism.vjp as Exclude<typeof mechanism.vjp, { none: string }>;
    const mechInputs = inputs.slice(0, weights);
    const mechGrads =
      needsGrad.slice(1, weights).some(Boolean) || needsGrad[0]
        ? mechVjp({ inputs: mechInputs, out: dlo, saved: [], attrs: {}, needsGrad: needsGrad.slice(0, weights) }, dmu)
        : mechInputs.map(() => null);
    if (needsGrad[0]) {
      const direct = unaryOps.neg.forward([sumToShape(dmu, [N, d])], { p0: 0, p1: 0 }).out;
      const viaMean = mechGrads[0]!;
      mechGrads[0] = binaryAdd(direct, viaMean);
    }
    dmu.dispose();
    return [...mechGrads, dell];
  },
  check: {
    cases: [
      {
        label: "linear",
        shapes: [[5, 3], [2, 3, 3], [3, 3], [3]],
        attrs: { kind: "linear" },
        domains: ["real", "unit", "real", "real"],
      },
      {
        label: "linear, rows past one chunk",
        shapes: [[150, 4], [1, 4, 4], [4, 4], [4]],
        attrs: { kind: "linear" },
        domains: ["real", "unit", "real", "real"],
      },
      {
        label: "linear, several column blocks",
        shapes: [[3, 23], [2, 23, 23], [23, 23], [23]],
        attrs: { kind: "linear" },
        domains: ["real", "unit", "real", "real"],
      },
      {
        label: "mlp",
        shapes: [[6, 3], [2, 3, 3], [3, 3, 2], [3, 2], [3, 2], [3], [3]],
        attrs: { kind: "mlp" },
        domains: ["real", "unit", "real", "real", "real", "real", "real"],
      },
    ],
  },
});

/** L = log N(x; μ, e^ℓ) with μ = X (G_m ⊙ Θ), fused: X [N,d], G [M,d,d], Θ [d,d], ℓ [d] → [M,N,d]. */
export const linearGaussianLogpdf = (x: Tensor, g: Tensor, theta: Tensor, ell: Tensor) =>
  apply(mechanismLogpdfOp, [x, g, theta, ell], { kind: "linear" as Kind });

/** L = log N(x; μ, e^ℓ) with μ the masked MLP (W1 [d,d,H], b1 [d,H], w2 [d,H], b2 [d]), fused. */
export const mlpGaussianLogpdf = (x: Tensor, g: Tensor, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor, ell: Tensor) =>
  apply(mechanismLogpdfOp, [x, g, w1, b1, w2, b2, ell], { kind: "mlp" as Kind });

export const mechanismLogpdfOps = { mechanismLogpdf: mechanismLogpdfOp };
