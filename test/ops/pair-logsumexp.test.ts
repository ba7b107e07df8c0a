/**
 * pairLogsumexp and interventionMix against brute-force formulas (spec §5): a hard-intervention
 * estimator term computed by building Λ[m,r,n] explicitly, its gradients from an explicit softmax,
 * the observational env (y = a), very negative log-densities, envs in descending order and an
 * empty env, the chunk width, and the R = 1 case against interventionMix. Each case runs on cpu
 * (f64) and webgpu (f32).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/gradcheck.js";
import { backward } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import { interventionMix, pairLogsumexp } from "../../kernels/ops.js";
import { chunkLanes, pairEnvTable } from "../../kernels/pair-logsumexp.js";
import { assertClose, type Device, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("pair-logsumexp", {
  cpu: { dtype: "f64", tol: 1e-10 },
  webgpu: { dtype: "f32", tol: 2e-5 },
});

const rng = new HostRandom(5);
const normals = (n: number, scale = 1, shift = 0) => Array.from({ length: n }, () => shift + scale * rng.normal());

/** A hard-intervention problem: L^o [M,N,d], L^i [R,N,d], targets I [E,R,d] (env 0 observational). */
function hardProblem(M: number, R: number, N: number, d: number, E: number, env: number[], shift = 0) {
  const lo = normals(M * N * d, 1, shift);
  const li = normals(R * N * d, 1, shift);
  const I = Array.from({ length: E * R * d }, (_, k) => (k < R * d ? 0 : rng.uniform() < 0.4 ? 1 : 0));
  const a = Array.from({ length: M * N }, (_, t) => lo.slice(t * d, t * d + d).reduce((s, v) => s + v, 0));
  const b = Array.from({ length: R * N }, (_, t) => {
    const [r, n] = [Math.floor(t / N), t % N];
    let s = 0;
    for (let j = 0; j < d; j++) s += I[(env[n] * R + r) * d + j] * li[(r * N + n) * d + j];
    return s;
  });
  // Λ[m,r,n] = Σ_j (1 − I) L^o + I L^i, written out in full.
  const lambda = (m: number, r: number, n: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = I[(env[n] * R + r) * d + j];
      s += (1 - t) * lo[(m * N + n) * d + j] + t * li[(r * N + n) * d + j];
    }
    return s;
  };
  return { lo, li, I, a, b, lambda, q: I.map((v) => -v) };
}

function lse(values: number[]): number {
  const top = Math.max(...values);
  return top + Math.log(values.reduce((s, v) => s + Math.exp(v - top), 0));
}

function inputs(w: Device, shapes: number[][], values: number[][], grad: boolean[]): Tensor[] {
  return values.map((v, k) => tensor(v, shapes[k], { backend: w.backend, dtype: w.dtype, requiresGrad: grad[k] }));
}

const sortedEnv = (N: number, E: number) => Array.from({ length: N }, (_, n) => Math.floor((n * E) / N));

devices.each("hard interventions: y and every gradient match a brute-force Λ", async (w) => {
  const [M, R, N, d, E] = [3, 4, 11, 3, 3];
  const env = sortedEnv(N, E);
  const h = hardProblem(M, R, N, d, E, env);
  const [a, b, p, q, e] = inputs(
    w,
    [[M, N], [R, N], [M, N, d], [E, R, d], [N]],
    [h.a, h.b, h.lo, h.q, env],
    [true, true, true, true, false],
  );
  const y = pairLogsumexp(a, b, p, q, e);
  const dy = normals(M * N);
  backward(y, tensor(dy, [M, N], { backend: w.backend, dtype: w.dtype }));

  const yRef: number[] = [];
  const softmax: number[][] = [];
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      const l = Array.from({ length: R }, (_, r) => h.lambda(m, r, n));
      const z = lse(l);
      yRef.push(z - Math.log(R));
      softmax.push(l.map((v) => Math.exp(v - z)));
    }
  const db = new Array(R * N).fill(0);
  const dp = new Array(M * N * d).fill(0);
  const dq = new Array(E * R * d).fill(0);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++)
      for (let r = 0; r < R; r++) {
        const v = dy[m * N + n] * softmax[m * N + n][r];
        db[r * N + n] += v;
        for (let j = 0; j < d; j++) {
          dp[(m * N + n) * d + j] += v * h.q[(env[n] * R + r) * d + j];
          dq[(env[n] * R + r) * d + j] += v * h.lo[(m * N + n) * d + j];
        }
      }
  assertClose(await y.toArray(), yRef, w.tol, "y");
  assertClose(await a.grad!.toArray(), dy, w.tol, "ā");
  assertClose(await b.grad!.toArray(), db, w.tol, "b̄");
  assertClose(await p.grad!.toArray(), dp, w.tol, "P̄");
  assertClose(await q.grad!.toArray(), dq, w.tol, "Q̄");
});

devices.each("observational env (Q = 0, b = 0) gives y = a", async (w) => {
  const [M, R, N, d] = [2, 5, 7, 4];
  const av = normals(M * N);
  const [a, b, p, q, e] = inputs(
    w,
    [[M, N], [R, N], [M, N, d], [1, R, d], [N]],
    [av, new Array(R * N).fill(0), normals(M * N * d), new Array(R * d).fill(0), new Array(N).fill(0)],
    [false, false, false, false, false],
  );
  assertClose(await pairLogsumexp(a, b, p, q, e).toArray(), av, w.tol, "y");
});

devices.each("very negative and widely spread Λ: finite, exact LSE, softmax sums to one", async (w) => {
  const [M, R, N, d, E] = [2, 6, 9, 2, 2];
  const env = sortedEnv(N, E);
  const av = normals(M * N, 50, -1e4);
  const bv = Array.from({ length: R * N }, (_, t) => -3000 * Math.floor(t / N) + rng.normal());
  const pv = normals(M * N * d, 100);
  const qv = normals(E * R * d);
  const [a, b, p, q, e] = inputs(
    w,
    [[M, N], [R, N], [M, N, d], [E, R, d], [N]],
    [av, bv, pv, qv, env],
    [true, true, true, true, false],
  );
  const y = pairLogsumexp(a, b, p, q, e);
  const dy = new Array(M * N).fill(1);
  backward(y, tensor(dy, [M, N], { backend: w.backend, dtype: w.dtype }));
  const yRef = Array.from({ length: M * N }, (_, t) => {
    const n = t % N;
    const l = Array.from({ length: R }, (_, r) => {
      let s = av[t] + bv[r * N + n];
      for (let j = 0; j < d; j++) s += pv[t * d + j] * qv[(env[n] * R + r) * d + j];
      return s;
    });
    return lse(l) - Math.log(R);
  });
  const got = await y.toArray();
  assert.ok(got.every(Number.isFinite), "y finite");
  assertClose(got, yRef, w.tol, "y");
  const db = await b.grad!.toArray();
  assert.ok(
    [...db, ...(await p.grad!.toArray()), ...(await q.grad!.toArray())].every(Number.isFinite),
    "gradients finite",
  );
  // Σ_r w[m,r,n] = 1 for each (m, n), so Σ_r b̄[r,n] = Σ_m ȳ[m,n] = M. The backward recomputes w
  // as exp(Λ − y − log R) from the stored y, so in f32 w carries y's rounding, |y|·2⁻²⁴ ≈ 6e-4 here.
  const tol = w.dtype === "f32" ? 2e-3 : 1e-9;
  for (let n = 0; n < N; n++) {
    let s = 0;
    for (let r = 0; r < R; r++) s += db[r * N + n];
    assert.ok(Math.abs(s - M) < tol * M, `Σ_r b̄[r, ${n}] = ${s}, expected ${M}`);
  }
});

// Samples must be grouped by env (the kernels' grid assumes it), in any order of the envs.
devices.each("envs grouped in descending order and an env without samples: same values, permuted", async (w) => {
  const [M, R, N, d, E] = [2, 3, 70, 2, 3];
  const env = Array.from({ length: N }, (_, n) => (n < 40 ? 2 : 0));
  const perm = Array.from({ length: N }, (_, n) => n).sort((x, y) => env[x] - env[y] || x - y);
  const vals = [normals(M * N), normals(R * N), normals(M * N * d), normals(E * R * d)];
  // out[l, n, c] = v[l, perm[n], c] for a [lead, N, width] array.
  const permuted = (v: number[], lead: number, width: number) => {
    const out = new Array<number>(v.length);
    for (let l = 0; l < lead; l++)
      for (let n = 0; n < N; n++)
        for (let c = 0; c < width; c++) out[(l * N + n) * width + c] = v[(l * N + perm[n]) * width + c];
    return out;
  };
  const run = async (order: number[][], envOrder: number[]) => {
    const ts = inputs(
      w,
      [[M, N], [R, N], [M, N, d], [E, R, d], [N]],
      [...order, envOrder],
      [true, true, true, true, false],
    );
    const y = pairLogsumexp(ts[0], ts[1], ts[2], ts[3], ts[4]);
    backward(y, tensor(new Array(M * N).fill(1), [M, N], { backend: w.backend, dtype: w.dtype }));
    return { y: await y.toArray(), dq: await ts[3].grad!.toArray() };
  };
  const plain = await run(vals, env);
  const plainY = Array.from(plain.y);
  const sorted = await run(
    [permuted(vals[0], M, 1), permuted(vals[1], R, 1), permuted(vals[2], M, d), vals[3]],
    perm.map((n) => env[n]),
  );
  assertClose(sorted.y, permuted(plainY, M, 1), w.tol, "y (ascending vs descending envs)");
  assertClose(sorted.dq, plain.dq, 1e2 * w.tol, "Q̄ (ascending vs descending envs)");
  assertClose(plain.dq.slice(R * d, 2 * R * d), new Array(R * d).fill(0), 0, "Q̄ of the empty env");
});

devices.each("one intervention sample: pairLogsumexp = interventionMix per sample", async (w) => {
  const [M, N, d, E] = [3, 8, 4, 3];
  const env = sortedEnv(N, E);
  const h = hardProblem(M, 1, N, d, E, env);
  const [a, b, p, q, e] = inputs(
    w,
    [[M, N], [1, N], [M, N, d], [E, 1, d], [N]],
    [h.a, h.b, h.lo, h.q, env],
    [false, false, false, false, false],
  );
  const liRepeated = Array.from({ length: M * N * d }, (_, k) => h.li[k % (N * d)]);
  const perSample = env.flatMap((en) => h.I.slice(en * d, en * d + d));
  const [lo, li, I] = inputs(
    w,
    [
      [M, N, d],
      [M, N, d],
      [N, d],
    ],
    [h.lo, liRepeated, perSample],
    [false, false, false],
  );
  assertClose(await pairLogsumexp(a, b, p, q, e).toArray(), await interventionMix(lo, li, I).toArray(), w.tol, "y");
});

devices.each("interventionMix with soft targets broadcast over samples: values and summed Ī", async (w) => {
  const [R, N, d] = [2, 5, 3];
  const lov = normals(R * N * d);
  const liv = normals(R * N * d);
  const iv = Array.from({ length: R * d }, () => rng.uniform());
  const [lo, li, I] = inputs(
    w,
    [
      [R, N, d],
      [R, N, d],
      [R, 1, d],
    ],
    [lov, liv, iv],
    [true, true, true],
  );
  const y = interventionMix(lo, li, I);
  const dy = normals(R * N);
  backward(y, tensor(dy, [R, N], { backend: w.backend, dtype: w.dtype }));
  const yRef: number[] = [];
  const dI = new Array(R * d).fill(0);
  for (let r = 0; r < R; r++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let j = 0; j < d; j++) {
        const k = (r * N + n) * d + j;
        s += (1 - iv[r * d + j]) * lov[k] + iv[r * d + j] * liv[k];
        dI[r * d + j] += dy[r * N + n] * (liv[k] - lov[k]);
      }
      yRef.push(s);
    }
  assertClose(await y.toArray(), yRef, w.tol, "y");
  assertClose(await I.grad!.toArray(), dI, w.tol, "Ī");
  assertClose(
    await lo.grad!.toArray(),
    lov.map((_, k) => dy[Math.floor(k / d)] * (1 - iv[Math.floor(k / (N * d)) * d + (k % d)])),
    w.tol,
    "L̄^o",
  );
});

// The trainer passes each dataset's env table once (pairEnvTable), so the step runs neither the
// table nor the scan kernel; the kernels must read it exactly as they read their own.
devices.each("an env table made on the host: the same y and gradients as the kernels' own", async (w) => {
  const [M, R, d, E] = [2, 3, 2, 4];
  const env = [...new Array<number>(50).fill(3), ...new Array<number>(90).fill(1), ...new Array<number>(10).fill(0)];
  const N = env.length;
  const vals = [normals(M * N), normals(R * N), normals(M * N * d), normals(E * R * d)];
  const shapes = [[M, N], [R, N], [M, N, d], [E, R, d], [N]];
  const dy = normals(M * N);
  const run = async (withTable: boolean) => {
    const ts = inputs(w, shapes, [...vals, env], [true, true, true, true, false]);
    const table = tensor(pairEnvTable(env, E), [3 * E + 1 + N], { backend: w.backend, dtype: w.dtype });
    const y = withTable
      ? pairLogsumexp(ts[0], ts[1], ts[2], ts[3], ts[4], table)
      : pairLogsumexp(ts[0], ts[1], ts[2], ts[3], ts[4]);
    backward(y, tensor(dy, [M, N], { backend: w.backend, dtype: w.dtype }));
    return [await y.toArray(), ...(await Promise.all(ts.slice(0, 4).map((t) => t.grad!.toArray())))];
  };
  const own = await run(false);
  const host = await run(true);
  ["y", "ā", "b̄", "P̄", "Q̄"].forEach((name, k) => assertClose(host[k], own[k], 0, name));
});

// Hard interventions have a = 0: passing none runs kernels that neither bind nor read it.
devices.each("no a: the same y and gradients as a = 0", async (w) => {
  const [M, R, d, E] = [3, 4, 2, 3];
  const env = sortedEnv(40, E);
  const N = env.length;
  const vals = [new Array<number>(M * N).fill(0), normals(R * N), normals(M * N * d), normals(E * R * d)];
  const shapes = [[M, N], [R, N], [M, N, d], [E, R, d], [N]];
  const dy = normals(M * N);
  const run = async (withA: boolean) => {
    const ts = inputs(w, shapes, [...vals, env], [false, true, true, true, false]);
    const y = pairLogsumexp(withA ? ts[0] : null, ts[1], ts[2], ts[3], ts[4]);
    backward(y, tensor(dy, [M, N], { backend: w.backend, dtype: w.dtype }));
    return [await y.toArray(), ...(await Promise.all(ts.slice(1, 4).map((t) => t.grad!.toArray())))];
  };
  const zero = await run(true);
  const none = await run(false);
  ["y", "b̄", "P̄", "Q̄"].forEach((name, k) => assertClose(none[k], zero[k], 0, name));
});

test("pairEnvTable: ranges, chunk starts and the env copy; a table of the wrong length is refused", () => {
  const env = [0, 0, 0, 2, 2];
  const t = pairEnvTable(env, 3);
  // lo, hi per env | chunk starts (8-lane chunks: one each for envs 0 and 2) and their total | env.
  assert.equal(t, [0, 3, 0, 0, 3, 5, 0, 1, 1, 2, ...env]);
  const b = (shape: number[]) => tensor(new Array(shape.reduce((p, v) => p * v, 1)).fill(0), shape);
  assert.throws(
    () => pairLogsumexp(b([1, 5]), b([2, 5]), b([1, 5, 2]), b([3, 2, 2]), tensor(env, [5]), b([9])),
    /env table of 5 samples in 3 envs is \[15\]/,
  );
});

test("chunk width: the smallest power of two from 8 to 32 that holds the mean env", () => {
  assert.is(chunkLanes(1024, 81), 16, "a minibatch of B = 1,024 over 81 envs (~13 rows each)");
  assert.is(chunkLanes(512, 81), 8, "~7 rows each");
  assert.is(chunkLanes(9000, 81), 32, "full batch, ~111 rows each: capped");
  assert.is(chunkLanes(6, 2), 8, "tiny");
  assert.is(chunkLanes(40, 2), 32, "20 rows each");
  assert.is(chunkLanes(24, 2), 16, "12 rows each");
});

exitWhenDone();
test.run();
