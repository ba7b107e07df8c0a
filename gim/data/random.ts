/**
 * The seeded host generator of the data side (synthetic benchmark, random graphs, baselines):
 * `HostRandom` (mulberry32 + Box–Muller) plus the few draws those need. Everything is a pure
 * function of the seed and the call order, so the same seed gives the same files on any machine.
 */
import { HostRandom } from "../../engine/host-random.js";

export class Random extends HostRandom {
  /** U[lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in {0, …, n − 1}. */
  below(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }

  /** ±1 with probability ½ each. */
  sign(): number {
    return this.uniform() < 0.5 ? -1 : 1;
  }

  /** A uniform permutation of 0..n−1 (Fisher–Yates). */
  permutation(n: number): number[] {
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.below(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    return perm;
  }
}
