/** Benchmark rows and the suite registry of `npm run bench`. */
import { Bench } from "tinybench";

export interface Row {
  name: string;
  backend: string;
  [key: string]: unknown;
}

export type Suite = (log: (line: string) => void) => Promise<Row[]>;
export const suites = new Map<string, Suite>();

export function registerSuite(name: string, suite: Suite): void {
  suites.set(name, suite);
}

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
