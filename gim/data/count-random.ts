/**
 * Count draws for the single-cell simulator: Gamma (Marsaglia–Tsang), Poisson (Knuth's product of
 * uniforms below λ = 30, the transformed-rejection PTRS of Hörmann 1993 above), and the negative
 * binomial as their mixture NB(μ, θ) = Poisson(Gamma(θ, μ/θ)), so Var = μ + μ²/θ.
 */
import type { Random } from "./random.js";

/** Gamma(shape, scale 1). */
export function gamma(rng: Random, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * rng.uniform() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = rng.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function logFactorial(k: number): number {
  if (k < 2) return 0;
  // Stirling with two correction terms: relative error < 1e-10 from k = 2 on, plenty for rejection.
  return (k + 0.5) * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * k) - 1 / (360 * k ** 3);
}

export function poisson(rng: Random, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda < 30) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = rng.uniform();
    while (p > limit) {
      k++;
      p *= rng.uniform();
    }
    return k;
  }
  const slam = Math.sqrt(lambda);
  const loglam = Math.log(lambda);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng.uniform() - 0.5;
    const v = rng.uniform();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lambda + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lambda + k * loglam - logFactorial(k))
      return k;
  }
}

/** Negative binomial with mean μ and inverse dispersion θ. */
export function negativeBinomial(rng: Random, mu: number, theta: number): number {
  return mu <= 0 ? 0 : poisson(rng, (gamma(rng, theta) * mu) / theta);
}
