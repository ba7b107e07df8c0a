/** `--parallel`: how many independent trainings (restarts, tuning trials) share the device at once. */
import type { Backend } from "../../../engine/backend.js";
import { defineFlags } from "../args.js";

export const PARALLEL_FLAG = defineFlags({
  parallel: {
    type: "number",
    integer: true,
    min: 0,
    default: 0,
    help: "trainings in flight at once, interleaved on the device (0: 1 on cpu, 4 on webgpu)",
  },
});

export function parallelFor(requested: number, backend: Backend): number {
  if (requested > 0) return requested;
  return backend.name === "webgpu" ? 4 : 1;
}
