/**
 * Unary elementwise ops, one table row each: forward y = f(x) and the fused VJP kernel
 * x̄ = ȳ · f'(x) written in whichever of x or y is cheaper (the saved residual).
 * Every row generates two WGSL kernels (each its own module over the shared PRELUDE) and two
 * cpu loops.
 *
 * WGSL (declared in kernelsFor), for each row NAME:
 *   fwd_NAME: binding 0 x [n] read, 1 y [n] write, 2 params {n, p0, p1}
 *   vjp_NAME: binding 0 x [n], 1 y [n], 2 dy [n] read, 3 dx [n] write, 4 params {n, p0, p1}
 *   workgroup 256, one element per invocation, grid folded to 2-D above 65535 groups.
 */
import { type Kernel, defineKernel, groupsFor } from "../engine/kernel.js";
import { type OpDef, apply, defineOp, launch1 } from "../engine/op.js";
import { sigmoid, softplus } from "../engine/cpu-math.js";
import type { Tensor } from "../engine/tensor.js";
import common from "../engine/common.wgsl";

type Scalar = (x: number, p0: number, p1: number) => number;
type Grad = (x: number, y: number, dy: number, p0: number, p1: number) => number;

interface UnaryRow {
  /** f(x) in WGSL, in terms of x, p0, p1. */
  fwd: string;
  /** x̄ in WGSL, in terms of x, y, dy, p0, p1. */
  vjp: string;
  cpu: Scalar;
  cpuVjp: Grad;
  derivation: string;
  domain?: "real" | "positive";
}

const WG = 256;

/* prettier-ignore */
export const UNARY = {
  neg:        { fwd: "-x", vjp: "-dy", cpu: (x) => -x, cpuVjp: (_x, _y, dy) => -dy,
                derivation: "y = −x; ∂y/∂x = −1 ⇒ x̄ = −ȳ." },
  exp:        { fwd: "exp(x)", vjp: "dy * y", cpu: Math.exp, cpuVjp: (_x, y, dy) => dy * y,
                derivation: "y = eˣ; ∂y/∂x = eˣ = y ⇒ x̄ = ȳ·y (saves y)." },
  log:        { fwd: "log(x)", vjp: "dy / x", cpu: Math.log, cpuVjp: (x, _y, dy) => dy / x, domain: "positive",
                derivation: "y = log x; ∂y/∂x = 1/x ⇒ x̄ = ȳ/x." },
  tanh:       { fwd: "tanh_stable(x)", vjp: "dy * (1.0 - y * y)", cpu: Math.tanh, cpuVjp: (_x, y, dy) => dy * (1 - y * y),
                derivation: "y = tanh x; ∂y/∂x = 1 − tanh²x = 1 − y² ⇒ x̄ = ȳ(1 − y²) (saves y)." },
  sigmoid:    { fwd: "sigmoid_stable(x)", vjp: "dy * y * (1.0 - y)", cpu: sigmoid, cpuVjp: (_x, y, dy) => dy * y * (1 - y),
                derivation: "y = σ(x) = 1/(1+e⁻ˣ); σ' = σ(1−σ) ⇒ x̄ = ȳ·y(1−y) (saves y). Evaluated as e^x/(1+e^x) for x<0 so ±300 do not overflow." },
  softplus:   { fwd: "softplus_stable(x)", vjp: "dy * sigmoid_stable(x)", cpu: softplus, cpuVjp: (x, _y, dy) => dy * sigmoid(x),
                derivation: "y = log(1+eˣ) = max(x,0) + log1p(e^{−|x|}); ∂y/∂x = σ(x) ⇒ x̄ = ȳσ(x)." },
  logSigmoid: { fwd: "-softplus_stable(-x)", vjp: "dy * sigmoid_stable(-x)", cpu: (x) => -softplus(-x), cpuVjp: (x, _y, dy) => dy * sigmoid(-x),
                derivation: "y = log σ(x) = −softplus(−x); ∂y/∂x = σ(−x) = 1 − σ(x) ⇒ x̄ = ȳσ(−x)." },
  square:     { fwd: "x * x", vjp: "2.0 * x * dy", cpu: (x) => x * x, cpuVjp: (x, _y, dy) => 2 * x * dy,
                derivation: "y = x²; ∂y/∂x = 2x ⇒ x̄ = 2xȳ." },
  sqrt:       { fwd: "sqrt(x)", vjp: "dy * 0.5 / y", cpu: Math.sqrt, cpuVjp: (_x, y, dy) => (dy * 0.5) / y, domain: "positive",
                derivation: "y = √x; ∂y/∂x = 1/(2√x) = 1/(2y) ⇒ x̄ = ȳ/(2y) (saves y)." },
  abs:        { fwd: "abs(x)", vjp: "dy * sign(x)", cpu: Math.abs, cpuVjp: (x, _y, dy) => dy * Math.sign(x),
                derivation: "y = |x|; ∂y/∂x = sign(x) (0 at x = 0, the subgradient we pick) ⇒ x̄ = ȳ·sign(x)." },
  pow:        { fwd: "pow_signed(x, p0)", vjp: "dy * p0 * pow_signed(x, p0 - 1.0)", cpu: (x, p) => x ** p, cpuVjp: (x, _y, dy, p) => dy * p * x ** (p - 1), domain: "positive",
                derivation: "y = xᵖ (scalar p); ∂y/∂x = p·x^{p−1} ⇒ x̄ = ȳ·p·x^{p−1}. Defined for x > 0; integer p also for x < 0." },
  affine:     { fwd: "p0 * x + p1", vjp: "p0 * dy", cpu: (x, a, b) => a * x + b, cpuVjp: (_x, _y, dy, a) => a * dy,
                derivation: "y = p0·x + p1 (scalars); ∂y/∂x = p0 ⇒ x̄ = p0·ȳ. Scales and shifts without a constant tensor." },
  clamp:      { fwd: "clamp(x, p0, p1)", vjp: "select(0.0, dy, x > p0 && x < p1)", cpu: (x, lo, hi) => Math.min(Math.max(x, lo), hi),
                cpuVjp: (x, _y, dy, lo, hi) => (x > lo && x < hi ? dy : 0),
                derivation: "y = min(max(x, lo), hi); ∂y/∂x = 1 inside (lo, hi), 0 outside ⇒ x̄ = ȳ·1[lo < x < hi]." },
} satisfies Record<string, UnaryRow>;

export type UnaryName = keyof typeof UNARY;

const PRELUDE = /* wgsl */ `${common}
fn tanh_stable(x: f32) -> f32 {
  // tanh(x) = 1 − 2/(e^{2x} + 1); clamp keeps e^{2x} finite.
  let e = exp(2.0 * clamp(x, -20.0, 20.0));
  return 1.0 - 2.0 / (e + 1.0);
}
// x^p with the sign rule of integer exponents, so (−2)^3 = −8 as in Math.pow.
fn pow_signed(x: f32, p: f32) -> f32 {
  if (x >= 0.0) { return pow(x, p); }
  let m = pow(-x, p);
  if (p == round(p) && (i32(p) & 1) == 1) { return -m; }
  if (p == round(p)) { return m; }
  return pow(x, p);  // NaN for a negative base and fractional p, as in Math.pow
}
`;

const PARAMS = [
  ["n", "u32"],
  ["p0", "f32"],
  ["p1", "f32"],
] as const;

function kernelsFor(name: string, row: UnaryRow): { fwd: Kernel; vjp: Kernel } {
  const fwd = defineKernel({
    name: `${name}.fwd`,
    entry: `fwd_${name}`,
    inputs: ["X"],
    outputs: ["Y"],
    params: PARAMS,
    workgroupSize: WG,
    prelude: PRELUDE,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let x = X[i]; let p0 = P.p0; let p1 = P.p1;
  Y[i] = ${row.fwd};`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([x], [y], p) => {
      for (let i = 0; i < p.n; i++) y[i] = row.cpu(x[i], p.p0, p.p1);
    },
  });
  const vjp = defineKernel({
    name: `${name}.vjp`,
    entry: `vjp_${name}`,
    inputs: ["X", "Yv", "DY"],
    outputs: ["DX"],
    params: PARAMS,
    workgroupSize: WG,
    prelude: PRELUDE,
    body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let x = X[i]; let y = Yv[i]; let dy = DY[i]; let p0 = P.p0; let p1 = P.p1;
  DX[i] = ${row.vjp};`,
    workgroups: (p) => groupsFor(p.n, WG),
    cpu: ([x, y, dy], [dx], p) => {
      for (let i = 0; i < p.n; i++) dx[i] = row.cpuVjp(x[i], y[i], dy[i], p.p0, p.p1);
    },
  });
  return { fwd, vjp };
}

export interface UnaryAttrs {
  [key: string]: unknown;
  p0: number;
  p1: number;
}

function unaryOp(name: UnaryName, row: UnaryRow, attrs: UnaryAttrs): OpDef<UnaryAttrs> {
  const k = kernelsFor(name, row);
  return defineOp<UnaryAttrs>({
    name,
    derivation: row.derivation,
    forward: ([x], a) => ({ out: launch1(k.fwd, [x], x.shape, { n: x.size, p0: a.p0, p1: a.p1 }) }),
    vjp: ({ inputs: [x], out, attrs: a }, dy) => [
      launch1(k.vjp, [x, out, dy], x.shape, { n: x.size, p0: a.p0, p1: a.p1 }),
    ],
    check: {
      cases: [
        { shapes: [[7]], attrs, domains: [row.domain ?? "real"] },
        { shapes: [[3, 5]], attrs, domains: [row.domain ?? "real"] },
      ],
    },
  });
}

const NO_PARAMS: UnaryAttrs = { p0: 0, p1: 0 };
export const unaryOps = Object.fromEntries(
  (Object.entries(UNARY) as [UnaryName, UnaryRow][]).map(([name, row]) => {
    const attrs =
      name === "pow"
        ? { p0: 2.5, p1: 0 }
        : name === "clamp"
          ? { p0: -0.5, p1: 0.5 }
          : name === "affine"
            ? { p0: -1.5, p1: 0.25 }
            : NO_PARAMS;
    return [name, unaryOp(name, row, attrs)];
  }),
) as Record<UnaryName, OpDef<UnaryAttrs>>;

const u = (name: UnaryName) => (x: Tensor) => apply(unaryOps[name], [x], NO_PARAMS);
export const neg = u("neg");
export const exp = u("exp");
export const log = u("log");
export const tanh = u("tanh");
export const sigmoidOf = u("sigmoid");
export const softplusOf = u("softplus");
export const logSigmoid = u("logSigmoid");
export const square = u("square");
export const sqrt = u("sqrt");
export const abs = u("abs");
export const pow = (x: Tensor, p: number) => apply(unaryOps.pow, [x], { p0: p, p1: 0 });
/** y = scale·x + shift. */
export const affine = (x: Tensor, scale: number, shift = 0) => apply(unaryOps.affine, [x], { p0: scale, p1: shift });
export const clamp = (x: Tensor, lo: number, hi: number) => apply(unaryOps.clamp, [x], { p0: lo, p1: hi });
