/**
 * Waiting for the GPU without starving it. While a WebGPU promise is pending, dawn.node re-arms
 * its event poll through the global `setImmediate`, so the main thread spins on a core. With a CPU
 * Vulkan driver (lavapipe) on a 2-core machine that core is taken from the driver's worker
 * threads: the replayed d = 10 training step ran ~30 % slower while the host spun
 * (shared/notes/lavapipe-performance.md, "The polling effect"; bench/RESULTS.md).
 *
 * "hybrid" (the default) spins for the first SPIN_TICKS ticks of a wait, so short waits stay as
 * fast as spinning, then polls on 0 ms timers (~1 ms apart), which frees the core for long
 * kernels. "spin" is dawn.node's own behaviour. GIM_GPU_POLL=spin|hybrid sets the default.
 * Overlapping waits share one patch (reference-counted), restored when the last one ends.
 */
export type PollMode = "spin" | "hybrid";

const SPIN_TICKS = 64;

function initialMode(): PollMode {
  const env = typeof process !== "undefined" ? process.env.GIM_GPU_POLL : undefined;
  if (env === undefined || env === "") return "hybrid";
  if (env !== "spin" && env !== "hybrid") throw new Error(`GIM_GPU_POLL must be "spin" or "hybrid", got "${env}"`);
  return env;
}

let mode: PollMode = initialMode();
let waiting = 0;
let ticks = 0;
let original: typeof setImmediate | null = null;

export function setPollMode(next: PollMode): void {
  mode = next;
}

export function pollMode(): PollMode {
  return mode;
}

function politeImmediate(callback: (...args: unknown[]) => void, ...args: unknown[]) {
  return ticks++ < SPIN_TICKS ? original!(callback, ...args) : setTimeout(callback, 0, ...args);
}

/** Awaits a promise that dawn.node resolves by polling, with the current poll mode. */
export async function gpuWait<T>(promise: Promise<T>): Promise<T> {
  if (mode === "spin" || typeof globalThis.setImmediate !== "function") return promise;
  if (waiting++ === 0) {
    original = globalThis.setImmediate;
    ticks = 0;
    globalThis.setImmediate = politeImmediate as typeof setImmediate;
  }
  try {
    return await promise;
  } finally {
    if (--waiting === 0) {
      globalThis.setImmediate = original!;
      original = null;
    }
  }
}
