/**
 * The engine alone: tensors, autograd, backends, kernels, the optimizer. The ops live a layer up
 * (kernels/); kernels/library.ts exports both (package export "./engine").
 */
export type { Backend, BackendName, DType, Storage } from "./backend.js";
export { BackendError } from "./backend.js";
export {
  type BackendChoice,
  createBackend,
  cpuBackend,
  defaultBackend,
  setDefaultBackend,
  webgpuBackend,
  webgpuUnavailable,
} from "./context.js";
export { full, ones, rand, randLogistic, randn, tensor, transfer, zeros } from "./create.js";
export type { CreateOptions, RandomOptions } from "./create.js";
export { type Kernel, type KernelSource, defineKernel } from "./kernel.js";
export { type OpDef, apply, defineOp, launch, launch1 } from "./op.js";
export { keep, tidy } from "./scope.js";
export { ShapeError, type Shape } from "./shape.js";
export { backward, detach, isRecording, noGrad } from "./tape.js";
export { Tensor } from "./tensor.js";
export { Adam, type AdamOptions, type AdamStepParams } from "./optim.js";
export { HostRandom } from "./host-random.js";
