/**
 * Phase labels for profiling. `inPhase(name, fn)` sets the label that every op run inside `fn`
 * carries: the tape node remembers the phase its forward ran in and backward runs the node's VJP
 * in that same phase, so a backward dispatch is charged to the phase of its forward. The webgpu
 * backend stores the label on each recorded dispatch; `profileReplay` times a recording by phase
 * with timestamp queries. Work queued outside any `inPhase` is labelled OTHER.
 */

export const OTHER = "other";

let current = OTHER;

export function currentPhase(): string {
  return current;
}

/** Runs `fn` with `name` as the current phase. */
export function inPhase<T>(name: string, fn: () => T): T {
  const outer = current;
  current = name;
  try {
    return fn();
  } finally {
    current = outer;
  }
}

/** GPU time of one profiled replay, in milliseconds. */
export interface PhaseProfile {
  /** First pass's start to last pass's end (includes the gaps between passes). */
  totalMs: number;
  /** Summed pass time per phase label. */
  phases: Record<string, number>;
  /** Time per kernel name; only in the per-kernel mode (one pass per dispatch). */
  kernels?: Record<string, number>;
}

/** One timestamped compute pass of a profiled replay: its phase, and its kernel if it holds one dispatch. */
export interface ProfiledPass {
  phase: string;
  kernel?: string;
}

/** Sums pass times by phase (and kernel). `stamps` holds [begin, end] in nanoseconds per pass. */
export function summarizePasses(stamps: BigUint64Array, passes: readonly ProfiledPass[]): PhaseProfile {
  const phases: Record<string, number> = {};
  const kernels: Record<string, number> = {};
  let first = Infinity;
  let last = -Infinity;
  passes.forEach(({ phase, kernel }, i) => {
    const begin = Number(stamps[2 * i]);
    const end = Number(stamps[2 * i + 1]);
    const ms = Math.max(0, end - begin) / 1e6;
    phases[phase] = (phases[phase] ?? 0) + ms;
    if (kernel !== undefined) kernels[kernel] = (kernels[kernel] ?? 0) + ms;
    first = Math.min(first, begin);
    last = Math.max(last, end);
  });
  const totalMs = passes.length > 0 ? Math.max(0, last - first) / 1e6 : 0;
  return Object.keys(kernels).length > 0 ? { totalMs, phases, kernels } : { totalMs, phases };
}
