/**
 * The one interface both backends implement. Tensors hold an opaque `Storage`; ops call
 * `run(kernel, …)`. A backend may queue work: `read` and `sync` are the only waiting points.
 */
import type { FloatArray, Kernel, ParamValues } from "./kernel.js";

export type DType = "f32" | "f64";
export type BackendName = "cpu" | "webgpu";

export interface Storage {
  readonly length: number;
  readonly dtype: DType;
}

export interface Backend {
  readonly name: BackendName;
  /** Human-readable description, e.g. the adapter name. */
  readonly description: string;
  supports(dtype: DType): boolean;
  alloc(length: number, dtype: DType): Storage;
  upload(data: ArrayLike<number>, dtype: DType): Storage;
  /** Queues the kernel; outputs must be freshly allocated or owned by the caller. */
  run(kernel: Kernel, inputs: readonly Storage[], outputs: readonly Storage[], params: ParamValues): void;
  /** Queues a copy of `length` elements. */
  copy(src: Storage, srcOffset: number, dst: Storage, dstOffset: number, length: number): void;
  read(storage: Storage): Promise<FloatArray>;
  /** Hands queued work to the device without waiting (a no-op where work runs eagerly). */
  flush(): void;
  /** Resolves when all queued work has completed; rejects with any GPU error raised meanwhile. */
  sync(): Promise<void>;
  release(storage: Storage): void;
  destroy(): void;
}

export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackendError";
  }
}

export function arrayFor(dtype: DType, length: number): FloatArray {
  return dtype === "f64" ? new Float64Array(length) : new Float32Array(length);
}
