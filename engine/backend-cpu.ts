/**
 * Reference backend: every kernel's TypeScript loop on Float32Array or Float64Array. It is the
 * living definition of each op and the only backend with float64 (for gradient checks).
 */
import { type Backend, type DType, type Storage, arrayFor } from "./backend.js";
import type { FloatArray, Kernel, ParamValues } from "./kernel.js";

class CpuStorage implements Storage {
  constructor(readonly data: FloatArray) {}
  get length(): number {
    return this.data.length;
  }
  get dtype(): DType {
    return this.data instanceof Float64Array ? "f64" : "f32";
  }
}

function data(storage: Storage): FloatArray {
  if (!(storage instanceof CpuStorage)) throw new Error("cpu backend: storage belongs to another backend");
  return storage.data;
}

export class CpuBackend implements Backend {
  readonly name = "cpu" as const;
  readonly description = "cpu (TypeScript reference, float32 and float64)";

  supports(_dtype: DType): boolean {
    return true;
  }

  alloc(length: number, dtype: DType): Storage {
    return new CpuStorage(arrayFor(dtype, length));
  }

  upload(values: ArrayLike<number>, dtype: DType): Storage {
    const out = arrayFor(dtype, values.length);
    out.set(values as ArrayLike<number>);
    return new CpuStorage(out);
  }

  run(kernel: Kernel, inputs: readonly Storage[], outputs: readonly Storage[], params: ParamValues): void {
    kernel.cpu(inputs.map(data), outputs.map(data), params);
  }

  copy(src: Storage, srcOffset: number, dst: Storage, dstOffset: number, length: number): void {
    data(dst).set(data(src).subarray(srcOffset, srcOffset + length), dstOffset);
  }

  async read(storage: Storage): Promise<FloatArray> {
    return data(storage).slice();
  }

  async sync(): Promise<void> {}

  flush(): void {}

  release(_storage: Storage): void {}

  destroy(): void {}
}
