/** Tensor creation on a backend (the default one unless given). */
import type { Backend, DType } from "./backend.js";
import { defaultBackend, defaultDType } from "./context.js";
import type { FloatArray } from "./kernel.js";
import { type Shape, ShapeError, fmt, sizeOf } from "./shape.js";
import { Tensor } from "./tensor.js";
import { fill } from "./fill.js";
import { type DrawAddress, type Distribution, randomTensor } from "./random.js";

export interface CreateOptions {
  backend?: Backend;
  dtype?: DType;
  requiresGrad?: boolean;
}

function where(options: CreateOptions): { backend: Backend; dtype: DType } {
  const backend = options.backend ?? defaultBackend();
  return { backend, dtype: options.dtype ?? defaultDType(backend) };
}

/** A tensor from flat values (row-major) or nested arrays. */
export function tensor(
  values: ArrayLike<number> | number[][] | number,
  shape?: Shape,
  options: CreateOptions = {},
): Tensor {
  const { backend, dtype } = where(options);
  const flat: ArrayLike<number> =
    typeof values === "number"
      ? [values]
      : Array.isArray(values) && Array.isArray(values[0])
        ? (values as number[][]).flat()
        : (values as ArrayLike<number>);
  const inferred =
    shape ??
    (typeof values === "number"
      ? []
      : Array.isArray(values) && Array.isArray(values[0])
        ? [values.length, (values as number[][])[0].length]
        : [flat.length]);
  if (sizeOf(inferred) !== flat.length)
    throw new ShapeError("tensor", `${flat.length} values do not fill shape ${fmt(inferred)}`);
  const t = new Tensor(backend, backend.upload(flat, dtype), inferred, options.requiresGrad ?? false);
  return t;
}

export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  const { backend, dtype } = where(options);
  const t = fill(backend, dtype, shape, value);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

export const zeros = (shape: Shape, options: CreateOptions = {}) => full(shape, 0, options);
export const ones = (shape: Shape, options: CreateOptions = {}) => full(shape, 1, options);

/** Copies `t` onto another backend/dtype (through the host). */
export async function transfer(t: Tensor, backend: Backend, dtype: DType = defaultDType(backend)): Promise<Tensor> {
  const values: FloatArray = await t.toArray();
  return new Tensor(backend, backend.upload(values, dtype), t.shape, t.requiresGrad);
}

/** Where a random tensor's draws come from: Philox (seed, stream, offset + i), see engine/prng.ts. */
export type RandomOptions = CreateOptions & DrawAddress;

function random(dist: Distribution, shape: Shape, options: RandomOptions): Tensor {
  const { backend, dtype } = where(options);
  const t = randomTensor(dist, backend, dtype, shape, options);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}

/** Uniform draws in (0, 1). */
export const rand = (shape: Shape, options: RandomOptions) => random("uniform", shape, options);
/** Standard normal draws (Box–Muller). */
export const randn = (shape: Shape, options: RandomOptions) => random("normal", shape, options);
/** Standard logistic draws, log u − log(1 − u): the noise of Gumbel-sigmoid relaxations. */
export const randLogistic = (shape: Shape, options: RandomOptions) => random("logistic", shape, options);
