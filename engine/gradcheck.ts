/**
 * Checks used by the registry sweeps.
 * - `checkVjp` (float64, cpu): ⟨v, VJP(u)⟩ against the central difference
 *   ⟨(f(x+hv) − f(x−hv))/2h, u⟩ along random directions v, u (JAX's check_vjp): O(1) passes at
 *   any size, and it tests the VJP as a linear map, not one entry at a time.
 * - `runForwardAndVjp`: forward + VJP on any backend from the same host inputs, for parity.
 */
import type { Backend, DType } from "./backend.js";
import type { FloatArray } from "./kernel.js";
import type { Attrs, CheckCase, Domain, OpDef } from "./op.js";
import { apply } from "./op.js";
import { tidy } from "./scope.js";
import { sizeOf } from "./shape.js";
import { backward, noGrad } from "./tape.js";
import { Tensor } from "./tensor.js";
import { HostRandom } from "./host-random.js";

export { HostRandom };

export function drawInput(rng: HostRandom, n: number, domain: Domain = "real"): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (domain === "real") out[i] = rng.normal();
    else if (domain === "positive") out[i] = 0.5 + 1.5 * rng.uniform();
    else if (domain === "unit") out[i] = 0.1 + 0.8 * rng.uniform();
    else if ("ints" in domain) out[i] = Math.floor(rng.uniform() * domain.ints);
    else if ("fixed" in domain) out[i] = domain.fixed[i];
    else out[i] = domain.values[Math.floor(rng.uniform() * domain.values.length)];
  }
  return out;
}

export function drawCase<A>(c: CheckCase<A>, seed: number): Float64Array[] {
  const rng = new HostRandom(seed);
  return c.shapes.map((shape, i) => drawInput(rng, sizeOf(shape), c.domains?.[i] ?? "real"));
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface ForwardVjp {
  out: FloatArray;
  grads: (FloatArray | null)[];
}

/** Forward, then VJP with cotangent `u`, from host values; returns everything read back. */
export async function runForwardAndVjp<A extends Attrs>(
  op: OpDef<A>,
  c: CheckCase<A>,
  values: readonly Float64Array[],
  u: Float64Array | null,
  backend: Backend,
  dtype: DType,
): Promise<ForwardVjp> {
  const nondiff = new Set(op.check.nondiff ?? []);
  const inputs = values.map((v, i) => new Tensor(backend, backend.upload(v, dtype), c.shapes[i], !nondiff.has(i)));
  try {
    const out = tidy(() => apply(op, inputs, c.attrs));
    const outValues = await out.toArray();
    let grads: (FloatArray | null)[] = inputs.map(() => null);
    if (u && typeof op.vjp === "function" && out.requiresGrad) {
      const seed = new Tensor(backend, backend.upload(u, dtype), out.shape);
      tidy(() => backward(out, seed));
      grads = await Promise.all(inputs.map((t) => (t.grad ? t.grad.toArray() : Promise.resolve(null))));
      seed.dispose();
    }
    out.dispose();
    return { out: outValues, grads };
  } finally {
    for (const t of inputs) {
      t.grad?.dispose();
      t.dispose();
    }
  }
}

export interface VjpCheck {
  vjpSide: number;
  fdSide: number;
  error: number;
  ok: boolean;
}

export async function checkVjp<A extends Attrs>(
  op: OpDef<A>,
  c: CheckCase<A>,
  backend: Backend,
  seed = 1,
  h = 1e-5,
): Promise<VjpCheck> {
  const nondiff = new Set(op.check.nondiff ?? []);
  const values = drawCase(c, seed);
  const rng = new HostRandom(seed + 7919);
  const base = await evaluate(op, c, values, backend);
  const u = drawInput(rng, base.length);
  const { grads } = await runForwardAndVjp(op, c, values, u, backend, "f64");
  const directions = values.map((v, i) => (nondiff.has(i) ? null : drawInput(rng, v.length)));
  let vjpSide = 0;
  directions.forEach((v, i) => {
    if (v) vjpSide += grads[i] ? dot(v, grads[i]!) : 0;
  });
  const shifted = (sign: number) =>
    values.map((x, i) => (directions[i] ? x.map((xi, k) => xi + sign * h * directions[i]![k]) : x));
  const plus = await evaluate(op, c, shifted(1), backend);
  const minus = await evaluate(op, c, shifted(-1), backend);
  const fdSide = (dot(u, plus) - dot(u, minus)) / (2 * h);
  const error = Math.abs(vjpSide - fdSide) / Math.max(1e-3, Math.abs(vjpSide), Math.abs(fdSide));
  return { vjpSide, fdSide, error, ok: Number.isFinite(error) && error <= (op.check.gradTol ?? 1e-6) };
}

async function evaluate<A extends Attrs>(
  op: OpDef<A>,
  c: CheckCase<A>,
  values: readonly Float64Array[],
  backend: Backend,
): Promise<FloatArray> {
  const inputs = values.map((v, i) => new Tensor(backend, backend.upload(v, "f64"), c.shapes[i]));
  const out = noGrad(() => tidy(() => apply(op, inputs, c.attrs)));
  const result = await out.toArray();
  out.dispose();
  inputs.forEach((t) => t.dispose());
  return result;
}

/** Largest |a − b| relative to max(1, max|b|): the parity measure for float32 tensors. */
export function scaledMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  for (let i = 0; i < a.length; i++) {
    const diff = Math.abs(a[i] - b[i]);
    if (Number.isNaN(diff)) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return Infinity;
    } else if (diff > worst) worst = diff;
  }
  return worst / scale;
}
