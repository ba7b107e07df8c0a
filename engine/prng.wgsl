// prng.wgsl — counter-based random numbers (Philox4x32-10, Random123), prepended by sampling
// kernels. No bindings, no entry points: a function library. Twin of engine/prng.ts; the two
// agree bit for bit on every 32-bit word (test/prng.test.ts checks 2^20 counters).
//
// Counter layout, the one used everywhere (seed, stream, index are u32):
//   key = (seed, stream),  ctr = (index, 0, 0, 0)
//   draw (seed, stream, index) = one Philox call; word x is the uniform/logistic source, words
//   x and y feed Box–Muller for a normal. Words z, w are unused (one call per element keeps
//   kernels free of index arithmetic). Draws of different purposes take different streams.
//
// Maps from a 32-bit word w:
//   uniform01(w) = ((w >> 9) + ½) · 2⁻²³ = (2k+1) · 2⁻²⁴ with k < 2²³: exact in f32, in (0, 1),
//     and 1 − u is exact too, so log(u) and log(1−u) are finite. (23 bits, not 24: with 24 the
//     top value 2²⁴ − ½ needs 25 significant bits and rounds to 2²⁴, i.e. u = 1.)
//   logistic(u) = log u − log(1−u)           ~ Logistic(0, 1): mean 0, variance π²/3
//   box_muller(w0, w1) = √(−2 log u0) · cos(2π u1)  ~ N(0, 1), evaluated as −√(…)·cos(2π(u1 − ½))

const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// (hi, lo) of the 64-bit product a·b. WGSL has no 64-bit integers: the high word is assembled
// from 16-bit halves, a = aₕ·2¹⁶ + aₗ, b = bₕ·2¹⁶ + bₗ; the low word is the wrapping u32 product.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xFFFFu;
  let ah = a >> 16u;
  let bl = b & 0xFFFFu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  let hi = ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, a * b);
}

fn philox_round(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let p0 = philox_mulhilo(PHILOX_M0, ctr.x);
  let p1 = philox_mulhilo(PHILOX_M1, ctr.z);
  return vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);
}

// Ten rounds, the key bumped by the Weyl constants between rounds.
fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  c = philox_round(c, k);
  for (var r = 1u; r < 10u; r++) {
    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);
    c = philox_round(c, k);
  }
  return c;
}

fn philox_block(seed: u32, stream: u32, index: u32) -> vec4<u32> {
  return philox4x32_10(vec4<u32>(index, 0u, 0u, 0u), vec2<u32>(seed, stream));
}

fn philox_word(seed: u32, stream: u32, index: u32) -> u32 {
  return philox_block(seed, stream, index).x;
}

fn uniform01(w: u32) -> f32 {
  return (f32(w >> 9u) + 0.5) * 1.1920928955078125e-7;  // 2⁻²³
}

fn logistic(u: f32) -> f32 {
  return log(u) - log(1.0 - u);
}

// cos(2πu) = −cos(2π(u − ½)): the argument stays in (−π, π), where WGSL bounds cos's error
// (2⁻¹¹ absolute at worst; lavapipe is within a few f32 ulps there), and u − ½ is exact.
fn box_muller(w0: u32, w1: u32) -> f32 {
  return -sqrt(-2.0 * log(uniform01(w0))) * cos(6.283185307179586 * (uniform01(w1) - 0.5));
}

fn uniform_noise(seed: u32, stream: u32, index: u32) -> f32 {
  return uniform01(philox_word(seed, stream, index));
}

fn logistic_noise(seed: u32, stream: u32, index: u32) -> f32 {
  return logistic(uniform_noise(seed, stream, index));
}

fn normal_noise(seed: u32, stream: u32, index: u32) -> f32 {
  let b = philox_block(seed, stream, index);
  return box_muller(b.x, b.y);
}
