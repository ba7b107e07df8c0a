/**
 * A kernel is one compute routine with two implementations that must agree: a WGSL entry point
 * (the product) and a plain TypeScript loop (the reference, also run in float64).
 *
 * Binding ABI shared by every WGSL kernel, so the backend needs no per-kernel glue:
 *   @group(0) @binding(0 .. I-1)     inputs,  var<storage, read>        array<f32>
 *   @group(0) @binding(I .. I+O-1)   outputs, var<storage, read_write>  array<f32>
 *   @group(0) @binding(I+O)          params,  var<uniform>              struct of 4-byte scalars
 * Params are declared in `params` in the same order as the WGSL struct fields.
 * Work is given as a workgroup count; when it exceeds 65535 the backend folds it into a 2-D
 * grid, so 1-D kernels must compute their linear workgroup index as
 * `wid.x + wid.y * nwg.x` (see `kernels/common.wgsl`, `flat_id`).
 */
export type FloatArray = Float32Array | Float64Array;
export type ParamType = "u32" | "i32" | "f32";
export type ParamValues = Readonly<Record<string, number>>;

export interface Kernel {
  /** Label used for GPU objects and error messages, e.g. "matmul.tiled". */
  readonly name: string;
  readonly wgsl: string;
  readonly entry: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly params: ReadonlyArray<readonly [string, ParamType]>;
  /** Override constants baked into the pipeline (workgroup and tile sizes). */
  readonly constants?: Readonly<Record<string, number>>;
  /** Number of workgroups for these params (x only; the backend folds large counts). */
  workgroups(params: ParamValues): number | readonly [number, number, number];
  /** Reference implementation: reads `inputs`, writes every element of `outputs`. */
  cpu(inputs: readonly FloatArray[], outputs: FloatArray[], params: ParamValues): void;
}

export function defineKernel(kernel: Kernel): Kernel {
  return kernel;
}

/** Workgroups needed to cover `n` invocations with groups of `size`. */
export function groupsFor(n: number, size: number): number {
  return Math.ceil(n / size);
}
