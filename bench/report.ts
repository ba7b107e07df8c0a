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
 */
export async function timeIt(name: string, fn: () => Promise<unknown>, { time = 1500, iterations = 3 } = {}): Promise<number> {
  const bench = new Bench({ time, iterations, warmup: true });
  bench.add(name, fn);
  await bench.run();
  const result = bench.tasks[0].result as { period?: number; latency?: { p50: number }; error?: unknown } | undefined;
  if (!result || result.error) throw new Error(`benchmark ${name} failed: ${String(result?.error)}`);
  return result.latency?.p50 ?? result.period!;
}
