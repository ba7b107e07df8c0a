/**
 * Timing for the benchmark suites: tinybench medians of calls that await completed work, and the
 * "hybrid poll" wait for long GPU calls (bench only; the library always waits the default way).
 */
import { Bench } from "tinybench";

/**
 * Median milliseconds per call of `fn` (which must await completed GPU work), by tinybench. The
 * median, not the mean: the machines are shared, and a few preempted samples skew the mean.
 * tinybench runs until BOTH `time` ms and `iterations` calls are spent, and likewise for its
 * warm-up (default 16 calls): so warm-up is capped at `warmup` calls (0 = none), which matters for
 * calls that take seconds.
 */
export async function timeIt(name: string, fn: () => Promise<unknown>, { time = 1500, iterations = 3, warmup = 1 } = {}): Promise<number> {
  const bench = new Bench({ time, iterations, warmup: warmup > 0, warmupIterations: warmup, warmupTime: 0 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result as { period?: number; latency?: { p50: number }; error?: unknown } | undefined;
  if (!result || result.error) throw new Error(`benchmark ${name} failed: ${String(result?.error)}`);
  return result.latency?.p50 ?? result.period!;
}

export type PollMode = "spin" | "hybrid";

/** Ticks of one wait that still spin before the hybrid poll falls back to 0 ms timers. */
const SPIN_TICKS = 64;

/**
 * `fn` with the given wait. While a GPU wait is pending, dawn.node re-arms a tick through the
 * global `setImmediate`, so the main thread spins on one of the machine's two cores, which
 * lavapipe's worker threads then lack (shared/notes/lavapipe-performance.md, "The polling
 * effect"). "hybrid" spins for the first 64 ticks of the call (short waits stay fast), then ticks
 * on 0 ms timers (~1 ms apart), which frees the core for long kernels but slows long chains of
 * tiny dispatches. "spin" is dawn.node's default, what a library user gets.
 */
export function withPoll<T>(mode: PollMode, fn: () => Promise<T>): () => Promise<T> {
  if (mode === "spin") return fn;
  return async () => {
    const immediate = globalThis.setImmediate;
    let ticks = 0;
    globalThis.setImmediate = ((callback: (...args: unknown[]) => void, ...args: unknown[]) =>
      ticks++ < SPIN_TICKS ? immediate(callback, ...args) : setTimeout(callback, 0, ...args)) as typeof setImmediate;
    try {
      return await fn();
    } finally {
      globalThis.setImmediate = immediate;
    }
  };
}
