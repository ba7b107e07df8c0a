/**
 * Counter-based random numbers: Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC'11; Random123). TypeScript twin of engine/prng.wgsl: both give the same 32-bit
 * words for the same counter, so a draw is a pure function of its address on every backend and
 * backward passes never need stored noise.
 *
 * Counter layout, the one used everywhere (seed, stream, index are u32):
 *   key = (seed, stream),  ctr = (index, 0, 0, 0)
 *   word x of that call is the uniform/logistic source; words x, y feed Box–Muller for a normal.
 *   Draws of different purposes (edge noise, init, …) take different streams.
 *
 *   uniform01(w) = ((w >>> 9) + ½) · 2⁻²³ = (2k+1)·2⁻²⁴, k < 2²³ — exact in f32, in (0, 1), and
 *     1 − u is exact as well (24 bits would round the top value up to 1).
 *   logistic(u) = log u − log(1 − u)             ~ Logistic(0, 1), variance π²/3
 *   boxMuller(w0, w1) = √(−2 log u₀) · cos(2π u₁)  ~ N(0, 1)
 */

export type Words4 = [number, number, number, number];

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;
const TWO_POW_32 = 4294967296;

/**
 * High word of the exact 64-bit product a·b (a, b < 2³²). With b = bₕ·2¹⁶ + bₗ both partial
 * products a·bₗ and a·bₕ are below 2⁴⁸, so doubles hold them exactly and the carry is explicit.
 */
export function mulhi32(a: number, b: number): number {
  const pl = a * (b & 0xffff);
  const ph = a * (b >>> 16);
  return (Math.floor(ph / 65536) + Math.floor((pl + (ph % 65536) * 65536) / TWO_POW_32)) >>> 0;
}

/** Philox4x32 with 10 rounds; `ctr` and `key` are u32 words. */
export function philox4x32_10(ctr: readonly number[], key: readonly number[]): Words4 {
  let c0 = ctr[0] >>> 0;
  let c1 = ctr[1] >>> 0;
  let c2 = ctr[2] >>> 0;
  let c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = (k0 + W0) >>> 0;
      k1 = (k1 + W1) >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}

/** The Philox block of draw (seed, stream, index). */
export function philoxBlock(seed: number, stream: number, index: number): Words4 {
  return philox4x32_10([index, 0, 0, 0], [seed, stream]);
}

export function philoxWord(seed: number, stream: number, index: number): number {
  return philoxBlock(seed, stream, index)[0];
}

export function uniform01(word: number): number {
  return ((word >>> 9) + 0.5) * 2 ** -23;
}

export function logistic(u: number): number {
  return Math.log(u) - Math.log(1 - u);
}

export function boxMuller(w0: number, w1: number): number {
  // Same form as the WGSL twin, whose cos is only accurate on (−π, π).
  return -Math.sqrt(-2 * Math.log(uniform01(w0))) * Math.cos(2 * Math.PI * (uniform01(w1) - 0.5));
}

export function uniformNoise(seed: number, stream: number, index: number): number {
  return uniform01(philoxWord(seed, stream, index));
}

export function logisticNoise(seed: number, stream: number, index: number): number {
  return logistic(uniformNoise(seed, stream, index));
}

export function normalNoise(seed: number, stream: number, index: number): number {
  const [w0, w1] = philoxBlock(seed, stream, index);
  return boxMuller(w0, w1);
}
