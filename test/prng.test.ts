/**
 * Philox4x32-10 and random tensors: Random123 known answers in TS and WGSL, bit-identical words
 * on cpu and webgpu over 2^20 counters, moments of the three distributions, and determinism.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { rand, randLogistic, randn } from "../engine/create.js";
import { defineKernel, groupsFor } from "../engine/kernel.js";
import { launch } from "../engine/launch.js";
import { mulhi32, philox4x32_10, philoxWord, uniform01 } from "../engine/prng.js";
import type { Backend } from "../engine/backend.js";
import common from "../engine/common.wgsl";
import prng from "../engine/prng.wgsl";
import { eachDevice, exitWhenDone } from "./helpers.js";

const devices = await eachDevice("prng");
const [cpu, gpu] = [devices.cpu.backend, devices.webgpu.backend];

const KNOWN: { ctr: number[]; key: number[]; out: number[] }[] = [
  { ctr: [0, 0, 0, 0], key: [0, 0], out: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
  {
    ctr: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    key: [0xffffffff, 0xffffffff],
    out: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  },
  {
    ctr: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    key: [0xa4093822, 0x299f31d0],
    out: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  },
];

/**
 * Debug kernel: invocation i runs Philox on a counter derived from i (all four counter words and
 * the key vary; i = 0 gives exactly (c, k)) and writes each word as two exact 16-bit halves, so
 * no bit pattern passes through float arithmetic (NaN payloads could be canonicalised).
 */
const wordsKernel = defineKernel({
  name: "test.philox_words",
  prelude: `${common}
${prng}`,
  body: `
  let i = flat_id(wid, nwg, lid, WG);
  if (i >= P.n) { return; }
  let ctr = vec4<u32>(P.c0 + i, P.c1 ^ (i * 0x9E3779B1u), P.c2 - i, P.c3 ^ (i << 7u));
  let key = vec2<u32>(P.k0, P.k1 ^ (i >> 12u));
  let w = philox4x32_10(ctr, key);
  for (var j = 0u; j < 4u; j++) {
    Y[8u * i + 2u * j] = f32(w[j] & 0xFFFFu);
    Y[8u * i + 2u * j + 1u] = f32(w[j] >> 16u);
  }`,
  workgroupSize: 256,
  entry: "words",
  inputs: [],
  outputs: ["Y"],
  params: ["n", "c0", "c1", "c2", "c3", "k0", "k1"].map((p) => [p, "u32"] as [string, "u32"]),
  workgroups: (p) => groupsFor(p.n, 256),
  cpu: (_in, [y], p) => {
    for (let i = 0; i < p.n; i++) {
      const w = twinWords(p, i);
      for (let j = 0; j < 4; j++) {
        y[8 * i + 2 * j] = w[j] & 0xffff;
        y[8 * i + 2 * j + 1] = w[j] >>> 16;
      }
    }
  },
});

function twinWords(p: Readonly<Record<string, number>>, i: number): number[] {
  const ctr = [(p.c0 + i) >>> 0, (p.c1 ^ Math.imul(i, 0x9e3779b1)) >>> 0, (p.c2 - i) >>> 0, (p.c3 ^ (i << 7)) >>> 0];
  return philox4x32_10(ctr, [p.k0, (p.k1 ^ (i >>> 12)) >>> 0]);
}

async function philoxOn(backend: Backend, n: number, ctr: number[], key: number[]): Promise<Uint32Array> {
  const params = { n, c0: ctr[0], c1: ctr[1], c2: ctr[2], c3: ctr[3], k0: key[0], k1: key[1] };
  const [t] = launch(wordsKernel, [], [[8 * n]], params, { backend, dtype: "f32" });
  const halves = await t.toArray();
  t.dispose();
  const words = new Uint32Array(4 * n);
  for (let k = 0; k < words.length; k++) words[k] = (halves[2 * k] + halves[2 * k + 1] * 65536) >>> 0;
  return words;
}

const hex = (w: ArrayLike<number>) => Array.from(w, (x) => (x >>> 0).toString(16).padStart(8, "0")).join(" ");

test("mulhi32 equals the high word of the exact product (BigInt)", () => {
  const cases = [
    [0xffffffff, 0xffffffff],
    [0xd2511f53, 0x12345678],
    [0xcd9e8d57, 0xffff0000],
    [1, 0xffffffff],
    [0x10000, 0x10000],
  ];
  for (const [a, b] of cases) assert.is(mulhi32(a, b), Number((BigInt(a) * BigInt(b)) >> 32n), `${a}·${b}`);
});

test("Random123 known answers (TypeScript)", () => {
  for (const k of KNOWN) assert.is(hex(philox4x32_10(k.ctr, k.key)), hex(k.out));
});

test("uniform01 maps the extreme words strictly inside (0, 1), exactly in f32", () => {
  const lo = uniform01(0);
  const hi = uniform01(0xffffffff);
  assert.is(lo, 2 ** -24);
  assert.is(hi, 1 - 2 ** -24);
  assert.is(Math.fround(hi), hi);
  assert.ok(1 - hi > 0);
});

devices.webgpu.test("Random123 known answers (WGSL)", async () => {
  for (const k of KNOWN) assert.is(hex(await philoxOn(gpu, 1, k.ctr, k.key)), hex(k.out));
});

devices.webgpu.test("webgpu and cpu give identical 32-bit words over 2^20 counters", async () => {
  const n = 1 << 20;
  const ctr = KNOWN[2].ctr;
  const key = KNOWN[2].key;
  const got = await philoxOn(gpu, n, ctr, key);
  const want = await philoxOn(cpu, n, ctr, key);
  for (let k = 0; k < want.length; k++) {
    if (got[k] !== want[k]) assert.unreachable(`word ${k}: webgpu ${hex([got[k]])}, cpu ${hex([want[k]])}`);
  }
});

devices.webgpu.test(
  "random tensors: webgpu equals cpu (uniform bit for bit, normal and logistic to f32 math accuracy)",
  async () => {
    const at = { seed: 1234, stream: 7, offset: 0xfffff000 }; // offset + i wraps past 2^32
    const shape = [300, 257];
    for (const [name, make, tol] of [
      ["uniform", rand, 0],
      ["normal", randn, 1e-4],
      ["logistic", randLogistic, 1e-5],
    ] as const) {
      // normal: lavapipe's f32 cos is off by a few 1e-6 absolute (WGSL allows 2⁻¹¹), times r ≤ 5.6.
      const g = make(shape, { ...at, backend: gpu });
      const c = make(shape, { ...at, backend: cpu, dtype: "f32" });
      const [gv, cv] = [await g.toArray(), await c.toArray()];
      let worst = 0;
      for (let i = 0; i < cv.length; i++)
        worst = Math.max(worst, Math.abs(gv[i] - cv[i]) / Math.max(1, Math.abs(cv[i])));
      console.log(`[info] prng ${name}: webgpu vs cpu worst error ${worst.toExponential(2)}`);
      assert.ok(worst <= tol, `${name}: worst error ${worst} > ${tol}`);
      g.dispose();
    }
  },
);

test("element i of a random tensor is draw (seed, stream, offset + i)", async () => {
  const t = await rand([64], { seed: 5, stream: 2, offset: 100, backend: cpu, dtype: "f64" }).toArray();
  for (let i = 0; i < 64; i++) assert.is(t[i], uniform01(philoxWord(5, 2, 100 + i)));
  const tail = await rand([32], { seed: 5, stream: 2, offset: 132, backend: cpu, dtype: "f64" }).toArray();
  assert.equal(Array.from(tail), Array.from(t.subarray(32)));
});

/** Sample mean, variance, skewness and kurtosis in float64. */
function moments(x: ArrayLike<number>): { mean: number; variance: number; skew: number; kurt: number } {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const mean = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i] - mean;
    m2 += d * d;
    m3 += d * d * d;
    m4 += d * d * d * d;
  }
  m2 /= n;
  return { mean, variance: m2, skew: m3 / n / m2 ** 1.5, kurt: m4 / n / (m2 * m2) };
}

function within(what: string, got: number, want: number, se: number): void {
  const z = Math.abs(got - want) / se;
  assert.ok(z < 4, `${what}: ${got}, expected ${want} ± 4·${se.toExponential(2)} (z = ${z.toFixed(2)})`);
}

/** Moments are checked on whichever backend draws fastest; parity above ties the two together. */
const drawBackend = () => (devices.webgpu.available ? gpu : cpu);
const N = 1 << 20;

test("uniform: mean 1/2, variance 1/12", async () => {
  const m = moments(await rand([N], { seed: 11, backend: drawBackend() }).toArray());
  within("mean", m.mean, 0.5, Math.sqrt(1 / 12 / N));
  within("variance", m.variance, 1 / 12, Math.sqrt(1 / 180 / N));
});

test("normal: mean 0, variance 1, skewness 0, kurtosis 3", async () => {
  const m = moments(await randn([N], { seed: 12, backend: drawBackend() }).toArray());
  within("mean", m.mean, 0, Math.sqrt(1 / N));
  within("variance", m.variance, 1, Math.sqrt(2 / N));
  within("skewness", m.skew, 0, Math.sqrt(6 / N));
  within("kurtosis", m.kurt, 3, Math.sqrt(24 / N));
});

test("logistic: mean 0, variance π²/3", async () => {
  const m = moments(await randLogistic([N], { seed: 13, backend: drawBackend() }).toArray());
  const variance = Math.PI ** 2 / 3;
  within("mean", m.mean, 0, Math.sqrt(variance / N));
  // Var of the sample variance ≈ (μ₄ − σ⁴)/n with μ₄ = 7π⁴/15 for the standard logistic.
  within("variance", m.variance, variance, Math.sqrt(((7 * Math.PI ** 4) / 15 - variance ** 2) / N));
});

test("same address → same numbers; another seed or stream → different, uncorrelated numbers", async () => {
  const b = drawBackend();
  const n = 1 << 16;
  const base = await randn([n], { seed: 21, stream: 0, backend: b }).toArray();
  assert.equal(Array.from(await randn([n], { seed: 21, stream: 0, backend: b }).toArray()), Array.from(base));
  for (const other of [
    { seed: 22, stream: 0 },
    { seed: 21, stream: 1 },
  ]) {
    const o = await randn([n], { ...other, backend: b }).toArray();
    let equal = 0;
    let dot = 0;
    for (let i = 0; i < n; i++) {
      if (o[i] === base[i]) equal++;
      dot += o[i] * base[i];
    }
    assert.ok(equal < 4, `${JSON.stringify(other)}: ${equal} equal draws`);
    within(`correlation with ${JSON.stringify(other)}`, dot / n, 0, 1 / Math.sqrt(n));
  }
});

exitWhenDone();
test.run();
