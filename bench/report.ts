/** Benchmark rows and the suite registry of `npm run bench`. */
// The suites time with timeIt; it lives in timing.ts and is re-exported here for them.
export { timeIt } from "./timing.js";

/**
 * One measurement: what was measured (`name`) on which backend, plus its coordinates and values,
 * e.g. `{ name: "matmul", backend: "webgpu", variant: "tiled", size: 1024, gflops: 9.8 }`.
 */
export interface Row {
  name: string;
  backend: string;
  [key: string]: unknown;
}

/** A suite logs human-readable lines through `log` and returns its rows. */
export type Suite = (log: (line: string) => void) => Promise<Row[]>;
export const suites = new Map<string, Suite>();

export function registerSuite(name: string, suite: Suite): void {
  suites.set(name, suite);
}
