/**
 * One layer of n small networks side by side (the GIM networks f_φ and h_φ, spec §4):
 *   y[t, k, j] = act(b_t[j] + Σ_i x_t[k, i] W_t[i, j]),   act = tanh or the identity,
 * for nets t < n ≤ 3, rows k < K, inputs x_t [K, I] (x [K, I] shared by every net, or [n, K, I]
 * one per net), W_t [I, O], b_t [O]. The output is [n, K, O] (net-major: the next layer's per-net
 * input) or [K, n, O] (row-major: the nets' outputs side by side per row, i.e. their concat along
 * the last axis as a view). It replaces, per layer and net, a matmul, a bias add and a tanh (and
 * their VJPs: the tanh's, the bias's sum and the two matmuls), where the networks' matrices are
 * far too small for any of those dispatches to pay for itself.
 *
 * VJP, with z̄ = ȳ ⊙ act′ (tanh: ȳ(1 − y²) from the saved output y; identity: ȳ):
 *   W̄_t[i, j] = Σ_k x_t[k, i] z̄[t, k, j],   b̄_t[j] = Σ_k z̄[t, k, j],
 *   x̄_t[k, i] = Σ_j z̄[t, k, j] W_t[i, j]     (a shared x gets Σ_t of them).
 *
 * WGSL (workgroup 64, lanes over the last index of what they write, so that the other operand's
 * read is the same for every lane: a scalar load on lavapipe, not a gather):
 *   dense.fwd:   0 X, 1 … n W_t, n+1 … 2n b_t read; 2n+1 Y write. Grid (⌈O/64⌉, K, n).
 *   dense.wgrad: 0 X, 1 Ȳ, 2 Y read; 3 DWB [n, I+1, O] write (row I: b̄_t). Grid (⌈O/64⌉, I+1, n);
 *                each lane loops over the K rows in order (deterministic). W̄_t and b̄_t are then
 *                copied out of DWB (buffer copies, not dispatches).
 *   dense.xgrad: 0 Ȳ, 1 Y, 2 … n+1 W_t read; n+2 X̄ [n, K, I] write. Grid (⌈I/64⌉, K, n).
 *   Params {K, I, O, n}; at most 2n + 2 ≤ 8 storage bindings (WebGPU's default). A kernel per
 *   layout (x shared or per net, output net- or row-major), so that no index needs a select.
 */
import { type Kernel, defineKernel, kernelCache } from "../engine/kernel.js";
import { type CheckCase, type OpDef, apply, defineOp, launch1 } from "../engine/op.js";
import { ShapeError, fmt, sizeOf } from "../engine/shape.js";
import { Tensor } from "../engine/tensor.js";
import { sumToShape } from "./elementwise-binary.js";
import { seq } from "./unroll.js";

const WG = 64;
/** Nets per layer call: X, n W, n b and Y stay within 8 storage bindings. */
export const DENSE_MAX_NETS = 3;

type Activation = "tanh" | "identity";
type Attrs = { activation: Activation; rowMajor: boolean };

const PARAMS = [
  ["K", "u32"],
  ["I", "u32"],
  ["O", "u32"],
  ["n", "u32"],
] as const;

type Dims = { K: number; I: number; O: number; n: number };
/** Whether x is shared by the nets ([K, I]) and whether the output is row-major ([K, n, O]). */
type Layout = { sharedX: boolean; rowMajor: boolean };
const layoutKey = (l: Layout) => `${l.sharedX ? "x1" : "xn"}.${l.rowMajor ? "rows" : "nets"}`;

const nets = (n: number) => Array.from({ length: n }, (_, t) => t);
/** Output (and ȳ) index of (t, k, j), as WGSL and on the host. */
const outAtWgsl = (l: Layout, k: string, j: string) =>
  l.rowMajor ? `(${k} * P.n + t) * P.O + ${j}` : `(t * P.K + ${k}) * P.O + ${j}`;
const outAt = (l: Layout, p: Dims, t: number, k: number, j: number) =>
  l.rowMajor ? (k * p.n + t) * p.O + j : (t * p.K + k) * p.O + j;
/** First input index of row k of net t. */
const xAtWgsl = (l: Layout, k: string) => (l.sharedX ? `${k} * P.I` : `(t * P.K + ${k}) * P.I`);
const xAt = (l: Layout, p: Dims, t: number, k: number) => (l.sharedX ? 0 : t * p.K * p.I) + k * p.I;
/** z̄ = ȳ ⊙ act′(y) at output index o. */
const zbarWgsl = (act: Activation, o: string) =>
  act === "tanh" ? `(DY[${o}] * (1.0 - Y[${o}] * Y[${o}]))` : `DY[${o}]`;
const zbar = (act: Activation, dy: ArrayLike<number>, y: ArrayLike<number>, o: number) =>
  act === "tanh" ? dy[o] * (1 - y[o] * y[o]) : dy[o];

/** Rows per lane: each lane-varying load (a loop over the lanes on lavapipe) serves R FMAs. */
const R = 8;
const rs = seq(R);
/** One branch per net t (each reads its own bindings); t is uniform over a workgroup. */
const perNet = (n: number, body: (t: number) => string) =>
  nets(n)
    .map((t) => `${t > 0 ? "else " : ""}if (t == ${t}u) {${body(t)}}`)
    .join(" ");

const cached = kernelCache();

function fwdKernel(n: number, act: Activation, l: Layout): Kernel {
  return cached(`fwd ${n} ${act} ${layoutKey(l)}`, () =>
    defineKernel({
      name: `dense.fwd.n${n}.${act}.${layoutKey(l)}`,
      entry: "dense_fwd",
      inputs: ["X", ...nets(n).map((t) => `W${t}`), ...nets(n).map((t) => `B${t}`)],
      outputs: ["Y"],
      params: PARAMS,
      workgroupSize: WG,
      body: `
  let j = wid.x * WG + lid.x;
  let jc = min(j, P.O - 1u);
  let k0 = wid.y * ${R}u;
  let t = wid.z;
  ${rs.map((r) => `let x${r} = ${xAtWgsl(l, `min(k0 + ${r}u, P.K - 1u)`)}; var acc${r} = 0.0;`).join("\n  ")}
  ${perNet(
    n,
    (t) => `
    let b = B${t}[jc];
    ${rs.map((r) => `acc${r} = b;`).join(" ")}
    for (var i = 0u; i < P.I; i++) {
      let w = W${t}[i * P.O + jc];
      ${rs.map((r) => `acc${r} += X[x${r} + i] * w;`).join(" ")}
    }
  `,
  )}
  ${rs
    .map(
      (r) =>
        `if (j < P.O && k0 + ${r}u < P.K) { Y[${outAtWgsl(l, `(k0 + ${r}u)`, "j")}] = ${act === "tanh" ? `tanh(acc${r})` : `acc${r}`}; }`,
    )
    .join("\n  ")}`,
      workgroups: (p) => [Math.ceil(p.O / WG), Math.ceil(p.K / R), p.n],
      cpu: (inputs, [y], params) => {
        const p = params as Dims;
        const x = inputs[0];
        for (const t of nets(n)) {
          const [w, b] = [inputs[1 + t], inputs[1 + n + t]];
          for (let k = 0; k < p.K; k++)
            for (let j = 0; j < p.O; j++) {
              let acc = b[j];
              for (let i = 0; i < p.I; i++) acc += x[xAt(l, p, t, k) + i] * w[i * p.O + j];
              y[outAt(l, p, t, k, j)] = act === "tanh" ? Math.tanh(acc) : acc;
            }
        }
      },
    }),
  );
}

function wgradKernel(act: Activation, l: Layout): Kernel {
  return cached(`wgrad ${act} ${layoutKey(l)}`, () =>
    defineKernel({
      name: `dense.wgrad.${act}.${layoutKey(l)}`,
      entry: "dense_wgrad",
      inputs: ["X", "DY", "Y"],
      outputs: ["DWB"],
      params: PARAMS,
      workgroupSize: WG,
      body: `
  let j = wid.x * WG + lid.x;
  let jc = min(j, P.O - 1u);
  let i0 = wid.y * ${R}u;
  let t = wid.z;
  ${rs.map((r) => `var s${r} = 0.0;`).join(" ")}
  for (var k = 0u; k < P.K; k++) {
    let g = ${zbarWgsl(act, outAtWgsl(l, "k", "jc"))};
    let xb = ${xAtWgsl(l, "k")};
    ${rs.map((r) => `s${r} += select(1.0, X[xb + min(i0 + ${r}u, P.I - 1u)], i0 + ${r}u < P.I) * g;`).join("\n    ")}
  }
  ${rs.map((r) => `if (j < P.O && i0 + ${r}u <= P.I) { DWB[(t * (P.I + 1u) + i0 + ${r}u) * P.O + j] = s${r}; }`).join("\n  ")}`,
      workgroups: (p) => [Math.ceil(p.O / WG), Math.ceil((p.I + 1) / R), p.n],
      cpu: ([x, dy, y], [dwb], params) => {
        const p = params as Dims;
        for (const t of nets(p.n))
          for (let i = 0; i <= p.I; i++)
            for (let j = 0; j < p.O; j++) {
              let s = 0;
              for (let k = 0; k < p.K; k++)
                s += (i < p.I ? x[xAt(l, p, t, k) + i] : 1) * zbar(act, dy, y, outAt(l, p, t, k, j));
              dwb[(t * (p.I + 1) + i) * p.O + j] = s;
            }
      },
    }),
  );
}

function xgradKernel(n: number, act: Activation, l: Layout): Kernel {
  return cached(`xgrad ${n} ${act} ${layoutKey(l)}`, () =>
    defineKernel({
      name: `dense.xgrad.n${n}.${act}.${layoutKey(l)}`,
      entry: "dense_xgrad",
      inputs: ["DY", "Y", ...nets(n).map((t) => `W${t}`)],
      outputs: ["DX"],
      params: PARAMS,
      workgroupSize: WG,
      body: `
  let i = wid.x * WG + lid.x;
  let ic = min(i, P.I - 1u);
  let k0 = wid.y * ${R}u;
  let t = wid.z;
  ${rs.map((r) => `let row${r} = min(k0 + ${r}u, P.K - 1u); var s${r} = 0.0;`).join("\n  ")}
  ${perNet(
    n,
    (t) => `
    for (var j = 0u; j < P.O; j++) {
      let w = W${t}[ic * P.O + j];
      ${rs.map((r) => `s${r} += ${zbarWgsl(act, outAtWgsl(l, `row${r}`, "j"))} * w;`).join("\n      ")}
    }
  `,
  )}
  ${rs.map((r) => `if (i < P.I && k0 + ${r}u < P.K) { DX[(t * P.K + k0 + ${r}u) * P.I + i] = s${r}; }`).join("\n  ")}`,
      workgroups: (p) => [Math.ceil(p.I / WG), Math.ceil(p.K / R), p.n],
      cpu: (inputs, [dx], params) => {
        const p = params as Dims;
        const [dy, y] = inputs;
        for (const t of nets(n)) {
          const w = inputs[2 + t];
          for (let k = 0; k < p.K; k++)
            for (let i = 0; i < p.I; i++) {
              let s = 0;
              for (let j = 0; j < p.O; j++) s += zbar(act, dy, y, outAt(l, p, t, k, j)) * w[i * p.O + j];
              dx[(t * p.K + k) * p.I + i] = s;
            }
        }
      },
    }),
  );
}

/** Inputs: x, then W_0 … W_{n−1}, then b_0 … b_{n−1}. */
function dimsOf(inputs: readonly Tensor[], rowMajor: boolean): Dims & { layout: Layout } {
  const n = (inputs.length - 1) / 2;
  const [x, w0] = [inputs[0], inputs[1]];
  const sharedX = x.rank === 2;
  const [I, O] = w0?.shape ?? [];
  const K = x.shape[x.rank - 2];
  const ok =
    Number.isInteger(n) &&
    n >= 1 &&
    n <= DENSE_MAX_NETS &&
    (sharedX || (x.rank === 3 && x.shape[0] === n)) &&
    x.shape[x.rank - 1] === I &&
    inputs.slice(1, 1 + n).every((w) => w.rank === 2 && w.shape[0] === I && w.shape[1] === O) &&
    inputs.slice(1 + n).every((b) => b.rank === 1 && b.shape[0] === O);
  if (!ok)
    throw new ShapeError(
      "denseLayer",
      `expected x [K, I] or [n, K, I], n ≤ ${DENSE_MAX_NETS} weights [I, O] and as many biases [O]; got ${inputs.map((t) => fmt(t.shape)).join(", ")}`,
    );
  return { K, I, O, n, layout: { sharedX, rowMajor } };
}

/** The uniforms of a call. */
const params = ({ K, I, O, n }: Dims): Dims => ({ K, I, O, n });

/** A tensor of `shape` holding `length` values of `from` at `offset` (a buffer copy). */
function copyOut(from: Tensor, offset: number, shape: number[]): Tensor {
  const out = new Tensor(from.backend, from.backend.alloc(sizeOf(shape), from.dtype), shape);
  from.backend.copy(from.storage, offset, out.storage, 0, out.size);
  return out;
}

export const denseLayerOp: OpDef<Attrs> = defineOp<Attrs>({
  name: "denseLayer",
  derivation:
    "y[t,k,j] = act(b_t[j] + Σ_i x_t[k,i] W_t[i,j]) for n nets side by side (act = tanh or identity; out [n,K,O] or [K,n,O]). " +
    "With z̄ = ȳ act′ (tanh: ȳ(1 − y²), y the saved output): W̄_t = x_tᵀ z̄_t, b̄_t = Σ_k z̄_t, x̄_t = z̄_t W_tᵀ (shared x: Σ_t).",
  forward: (inputs, { activation, rowMajor }) => {
    const p = dimsOf(inputs, rowMajor);
    const shape = rowMajor ? [p.K, p.n, p.O] : [p.n, p.K, p.O];
    return { out: launch1(fwdKernel(p.n, activation, p.layout), inputs, shape, params(p)) };
  },
  vjp: ({ inputs, out, attrs: { activation, rowMajor }, needsGrad }, dy) => {
    const p = dimsOf(inputs, rowMajor);
    const x = inputs[0];
    const weights = inputs.slice(1, 1 + p.n);
    let dx: Tensor | null = null;
    if (needsGrad[0]) {
      const perNet = launch1(xgradKernel(p.n, activation, p.layout), [dy, out, ...weights], [p.n, p.K, p.I], params(p));
      if (!p.layout.sharedX) dx = perNet;
      else {
        // Σ_t; with one net sumToShape returns perNet itself, so the view is made before either goes.
        const summed = sumToShape(perNet, [1, p.K, p.I]);
        dx = new Tensor(summed.backend, summed.storage, x.shape);
        perNet.dispose();
        if (summed !== perNet) summed.dispose();
      }
    }
    const wantParams = needsGrad.slice(1).some((g) => g);
    const dwb = wantParams
      ? launch1(wgradKernel(activation, p.layout), [x, dy, out], [p.n, p.I + 1, p.O], params(p))
      : null;
    const block = (p.I + 1) * p.O;
    const dW = weights.map((_, t) => (dwb && needsGrad[1 + t] ? copyOut(dwb, t * block, [p.I, p.O]) : null));
    const db = weights.map((_, t) =>
      dwb && needsGrad[1 + p.n + t] ? copyOut(dwb, t * block + p.I * p.O, [p.O]) : null,
    );
    dwb?.dispose();
    return [dx, ...dW, ...db];
  },
  check: {
    cases: (
      [
        ["one net, shared x, tanh", [3, 4], 1, 5, "tanh", false],
        ["two nets, shared x, tanh", [3, 4], 2, 5, "tanh", false],
        ["three nets, per-net x, identity, side by side", [3, 2, 4], 3, 3, "identity", true],
        ["two nets, per-net x, tanh, wider than a workgroup", [2, 3, 2], 2, 70, "tanh", false],
        ["two nets, more rows and inputs than a lane's block of 8", [2, 11, 9], 2, 3, "tanh", true],
      ] as const
    ).map(
      ([label, x, n, O, activation, rowMajor]): CheckCase<Attrs> => ({
        label,
        shapes: [x, ...nets(n).map(() => [x[x.length - 1], O]), ...nets(n).map(() => [O])],
        attrs: { activation, rowMajor },
      }),
    ) as [CheckCase<Attrs>, ...CheckCase<Attrs>[]],
  },
});

export const denseLayerOps = { denseLayer: denseLayerOp };

/**
 * act(x_t W_t + b_t) for the nets t side by side: x [K, I] shared or [n, K, I]; out [n, K, O],
 * or [K, n, O] with `rowMajor`. See the file comment.
 */
export const denseLayer = (
  x: Tensor,
  weights: readonly Tensor[],
  biases: readonly Tensor[],
  { activation, rowMajor = false }: { activation: Activation; rowMajor?: boolean },
) => {
  if (weights.length !== biases.length)
    throw new ShapeError("denseLayer", `${weights.length} weights but ${biases.length} biases`);
  return apply(denseLayerOp, [x, ...weights, ...biases], { activation, rowMajor });
};
