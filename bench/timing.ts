/**
 * Timing for the benchmark suites: tinybench medians of calls that await completed work, and a
 * switch between the engine's GPU poll modes (engine/gpu-wait.ts) for side-by-side comparisons.
 */
import { Bench } from "tinybench";
import { type PollMode, pollMode, setPollMode } from "../engine/gpu-wait.js";

/**
 * Median milliseconds per call of `fn` (which must await completed GPU work), by tinybench. The
 * median, not the mean: the machines are shared, and a few preempted samples skew the mean.
 * tinybench runs until BOTH `time` ms and `iterations` calls are spent, and likewise for its
 * warm-up (default 16 calls): so warm-up is capped at `warmup` calls (0 = none), which matters for
 * calls that take seconds.
 */
export async function timeIt(
  name: string,
  fn: () => Promise<unknown>,
  { time = 1500, iterations = 3, warmup = 1 } = {},
): Promise<number> {
  const bench = new Bench({ time, iterations, warmup: warmup > 0, warmupIterations: warmup, warmupTime: 0 });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result as { period?: number; latency?: { p50: number }; error?: unknown } | undefined;
  if (!result || result.error) throw new Error(`benchmark ${name} failed: ${String(result?.error)}`);
  return result.latency?.p50 ?? result.period!;
}

export type { PollMode };

/** `fn` with the given GPU poll mode (engine/gpu-wait.ts), restored afterwards. */
export function withPoll<T>(mode: PollMode, fn: () => Promise<T>): () => Promise<T> {
  return async () => {
    const previous = pollMode();
    setPollMode(mode);
    try {
      return await fn();
    } finally {
      setPollMode(previous);
    }
  };
}
