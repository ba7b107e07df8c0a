/**
 * A kernel is one compute routine with two implementations that must agree: a WGSL entry point
 * (the product) and a plain TypeScript loop (the reference, also run in float64).
 *
 * Binding ABI shared by every WGSL kernel, so the backend needs no per-kernel glue:
 *   @group(0) @binding(0 .. I-1)     inputs,  var<storage, read>        array<f32>
 *   @group(0) @binding(I .. I+O-1)   outputs, var<storage, read_write>  array<f32>
 *   @group(0) @binding(I+O)          params,  var<uniform>              struct of 4-byte scalars
 * A kernel declares this interface once (`KernelSource`); `defineKernel` writes the WGSL for it.
 * Work is given as a workgroup count; when it exceeds 65535 the backend folds it into a 2-D
 * grid, so 1-D kernels must compute their linear workgroup index as
 * `wid.x + wid.y * nwg.x` (see `engine/common.wgsl`, `flat_id`).
 */
export type FloatArray = Float32Array | Float64Array;
export type ParamType = "u32" | "i32" | "f32";
export type ParamValues = Readonly<Record<string, number>>;

/** A storage binding: its WGSL name, and its element type when that is not f32. */
export type Binding = string | { readonly name: string; readonly element: string };

/**
 * The one declaration of a kernel's WGSL interface. `defineKernel` generates from it the
 * `struct Params`, every `@binding` line and the entry point's signature, so that the uniform's
 * field order, the binding order and the backend's bind-group layout cannot drift apart.
 */
export interface KernelSource {
  /** Label used for GPU objects and error messages, e.g. "matmul.tiled". */
  readonly name: string;
  readonly entry: string;
  /** Storage buffers read by the kernel, in binding order (0 … I−1). */
  readonly inputs: readonly Binding[];
  /** Storage buffers written (and possibly read) by the kernel, bindings I … I+O−1. */
  readonly outputs: readonly Binding[];
  /** Uniform fields, in order: the struct `Params`, bound as `P` at binding I+O. */
  readonly params: ReadonlyArray<readonly [string, ParamType]>;
  /**
   * Workgroup size. A number becomes the pipeline-overridable constant `WG` (also usable in the
   * body and in workgroup array sizes); a string is pasted as is, for shaders specialised at
   * generation time (e.g. "TILE, TILE").
   */
  readonly workgroupSize: number | string;
  /** WGSL placed before the bindings: shared helpers, constants, functions, workgroup memory. */
  readonly prelude?: string;
  /** Statements of the entry point. In scope: wid, nwg, lid, gid (vec3<u32>) and lindex (u32). */
  readonly body: string;
  /** Override constants baked into the pipeline (tile sizes; `WG` when it differs from the default). */
  readonly constants?: Readonly<Record<string, number>>;
  /** Number of workgroups for these params (x only; the backend folds large counts). */
  workgroups(params: ParamValues): number | readonly [number, number, number];
  /** Reference implementation: reads `inputs`, writes every element of `outputs`. */
  cpu(inputs: readonly FloatArray[], outputs: FloatArray[], params: ParamValues): void;
}

/** A kernel as the backends see it: the declaration plus its generated WGSL and binding counts. */
export interface Kernel extends Omit<KernelSource, "inputs" | "outputs"> {
  readonly wgsl: string;
  readonly inputs: number;
  readonly outputs: number;
  readonly bindings: { readonly inputs: readonly Binding[]; readonly outputs: readonly Binding[] };
}

const ENTRY_BUILTINS = [
  "@builtin(workgroup_id) wid: vec3<u32>",
  "@builtin(num_workgroups) nwg: vec3<u32>",
  "@builtin(local_invocation_id) lid: vec3<u32>",
  "@builtin(global_invocation_id) gid: vec3<u32>",
  "@builtin(local_invocation_index) lindex: u32",
].join(", ");

function bindingLine(binding: Binding, index: number, access: "read" | "read_write"): string {
  const { name, element } = typeof binding === "string" ? { name: binding, element: "f32" } : binding;
  return `@group(0) @binding(${index}) var<storage, ${access}> ${name}: array<${element}>;`;
}

/** The WGSL of a declaration: prelude, Params, bindings, then the entry point around `body`. */
export function generateWgsl(source: KernelSource): string {
  const { inputs, outputs, params } = source;
  const fields = params.map(([name, type]) => `${name}: ${type}`).join(", ");
  const size = typeof source.workgroupSize === "number" ? "WG" : source.workgroupSize;
  return [
    source.prelude ?? "",
    `// ${source.name}: generated interface (engine/kernel.ts)`,
    params.length > 0 ? `struct Params { ${fields} }` : "",
    ...inputs.map((b, k) => bindingLine(b, k, "read")),
    ...outputs.map((b, k) => bindingLine(b, inputs.length + k, "read_write")),
    params.length > 0 ? `@group(0) @binding(${inputs.length + outputs.length}) var<uniform> P: Params;` : "",
    typeof source.workgroupSize === "number" ? `override WG: u32 = ${source.workgroupSize}u;` : "",
    `@compute @workgroup_size(${size})`,
    `fn ${source.entry}(${ENTRY_BUILTINS}) {`,
    source.body.replace(/^\n+|\s+$/g, ""),
    "}",
  ]
    .filter((line) => line !== "")
    .join("\n");
}

export function defineKernel(source: KernelSource): Kernel {
  if (source.params.length === 0) throw new Error(`${source.name}: a kernel needs at least one uniform field`);
  return {
    ...source,
    wgsl: generateWgsl(source),
    inputs: source.inputs.length,
    outputs: source.outputs.length,
    bindings: { inputs: source.inputs, outputs: source.outputs },
  };
}

/** Workgroups needed to cover `n` invocations with groups of `size`. */
export function groupsFor(n: number, size: number): number {
  return Math.ceil(n / size);
}

/**
 * A cache of generated kernels by key: `cached(key, make)` makes each kernel once, so that a
 * variant asked for again is the same object (the backend's pipeline cache is keyed by it).
 */
export function kernelCache(): (key: string, make: () => Kernel) => Kernel {
  const kernels = new Map<string, Kernel>();
  return (key, make) => {
    let k = kernels.get(key);
    if (!k) kernels.set(key, (k = make()));
    return k;
  };
}
