/**
 * Kernel launches without the tape: what ops' forwards and VJPs call, and what the engine's own
 * kernels (fill, accumulate, random) call. Apart from engine/op.ts so that the tape can launch
 * its kernels without importing the op layer that records onto it.
 */
import type { Backend, DType } from "./backend.js";
import type { Kernel, ParamValues } from "./kernel.js";
import { type Shape, sizeOf } from "./shape.js";
import { Tensor } from "./tensor.js";

/** Allocates outputs of the given shapes and queues one kernel (no tape). */
export function launch(
  kernel: Kernel,
  inputs: readonly Tensor[],
  outShapes: readonly Shape[],
  params: ParamValues,
  on?: { backend: Backend; dtype: DType },
): Tensor[] {
  const backend = on?.backend ?? inputs[0].backend;
  const dtype = on?.dtype ?? inputs[0].dtype;
  const outs = outShapes.map((shape) => new Tensor(backend, backend.alloc(sizeOf(shape), dtype), shape));
  backend.run(
    kernel,
    inputs.map((t) => t.storage),
    outs.map((t) => t.storage),
    params,
  );
  return outs;
}

/** `launch` for the common one-output case. */
export function launch1(kernel: Kernel, inputs: readonly Tensor[], outShape: Shape, params: ParamValues): Tensor {
  return launch(kernel, inputs, [outShape], params)[0];
}
