/**
 * Linear and masked-MLP mechanisms (spec §3 eq 7–8, §11) against naive formulas written out
 * here: forward values and every input's gradient, the parent-mask convention (G[i,j] = 1 means
 * i → j, so only the parents of j move μ_j), and saturated tanh units. Each case runs on cpu (f64)
 * and webgpu (f32), at sizes that cross the kernels' row blocks (64) and lane counts.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tensor } from "../../engine/create.js";
import { HostRandom } from "../../engine/gradcheck.js";
import { backward } from "../../engine/tape.js";
import type { Tensor } from "../../engine/tensor.js";
import { linearMechanism, mlpMechanism } from "../../kernels/ops.js";
import { assertClose, type Device, eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("mechanisms", {
  cpu: { dtype: "f64", tol: 1e-10 },
  webgpu: { dtype: "f32", tol: 2e-5 },
});

const rng = new HostRandom(11);
const normals = (n: number, scale = 1) => Array.from({ length: n }, () => scale * rng.normal());
const units = (n: number) => Array.from({ length: n }, () => rng.uniform());
const make = (w: Device, values: number[], shape: number[], requiresGrad = true): Tensor =>
  tensor(values, shape, { backend: w.backend, dtype: w.dtype, requiresGrad });
const seedOf = (w: Device, values: number[], shape: number[]) =>
  tensor(values, shape, { backend: w.backend, dtype: w.dtype });

devices.each("linear: μ_m = X (G_m ⊙ Θ) and its VJP match the formulas", async (w) => {
  const [M, N, d] = [3, 70, 9];
  const [xv, gv, tv, dmu] = [normals(N * d), units(M * d * d), normals(d * d), normals(M * N * d)];
  const [x, g, th] = [make(w, xv, [N, d]), make(w, gv, [M, d, d]), make(w, tv, [d, d])];
  const mu = linearMechanism(x, g, th);
  backward(mu, seedOf(w, dmu, [M, N, d]));
  const muRef = new Array(M * N * d).fill(0);
  const dx = new Array(N * d).fill(0);
  const dg = new Array(M * d * d).fill(0);
  const dth = new Array(d * d).fill(0);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++)
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          const [xi, gij, tij, up] = [xv[n * d + i], gv[(m * d + i) * d + j], tv[i * d + j], dmu[(m * N + n) * d + j]];
          muRef[(m * N + n) * d + j] += xi * gij * tij;
          dx[n * d + i] += up * gij * tij;
          dg[(m * d + i) * d + j] += up * xi * tij;
          dth[i * d + j] += up * xi * gij;
        }
  assertClose(await mu.toArray(), muRef, w.tol, "μ");
  assertClose(await x.grad!.toArray(), dx, w.tol, "X̄");
  assertClose(await g.grad!.toArray(), dg, w.tol, "Ḡ");
  assertClose(await th.grad!.toArray(), dth, w.tol, "Θ̄");
});

/** Naive MLP mechanism: μ, and the pre-activation A for the VJP formulas. */
function mlpRef(
  xv: number[],
  gv: number[],
  w1: number[],
  b1: number[],
  w2: number[],
  b2: number[],
  M: number,
  N: number,
  d: number,
  H: number,
) {
  const A = (m: number, n: number, j: number, h: number) => {
    let a = b1[j * H + h];
    for (let i = 0; i < d; i++) a += xv[n * d + i] * gv[(m * d + i) * d + j] * w1[(j * d + i) * H + h];
    return a;
  };
  const mu = Array.from({ length: M * N * d }, (_, t) => {
    const [m, n, j] = [Math.floor(t / (N * d)), Math.floor(t / d) % N, t % d];
    let s = b2[j];
    for (let h = 0; h < H; h++) s += w2[j * H + h] * Math.tanh(A(m, n, j, h));
    return s;
  });
  return { A, mu };
}

devices.each("masked MLP: μ and all six gradients match the §11 formulas", async (w) => {
  const [M, N, d, H] = [2, 67, 4, 3];
  const v = {
    x: normals(N * d),
    g: units(M * d * d),
    w1: normals(d * d * H),
    b1: normals(d * H),
    w2: normals(d * H),
    b2: normals(d),
  };
  const t = [
    make(w, v.x, [N, d]),
    make(w, v.g, [M, d, d]),
    make(w, v.w1, [d, d, H]),
    make(w, v.b1, [d, H]),
    make(w, v.w2, [d, H]),
    make(w, v.b2, [d]),
  ];
  const mu = mlpMechanism(t[0], t[1], t[2], t[3], t[4], t[5]);
  const dmu = normals(M * N * d);
  backward(mu, seedOf(w, dmu, [M, N, d]));
  const ref = mlpRef(v.x, v.g, v.w1, v.b1, v.w2, v.b2, M, N, d, H);
  const grad = {
    x: new Array(N * d).fill(0),
    g: new Array(M * d * d).fill(0),
    w1: new Array(d * d * H).fill(0),
    b1: new Array(d * H).fill(0),
    w2: new Array(d * H).fill(0),
    b2: new Array(d).fill(0),
  };
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++)
      for (let j = 0; j < d; j++) {
        const up = dmu[(m * N + n) * d + j];
        grad.b2[j] += up;
        for (let h = 0; h < H; h++) {
          const T = Math.tanh(ref.A(m, n, j, h));
          const abar = up * v.w2[j * H + h] * (1 - T * T); // Ā = μ̄ w2 (1 − T²)
          grad.w2[j * H + h] += up * T;
          grad.b1[j * H + h] += abar;
          for (let i = 0; i < d; i++) {
            const wt = v.x[n * d + i] * abar; // W̃̄[m,i,j,h] = Σ_n X[n,i] Ā
            grad.w1[(j * d + i) * H + h] += wt * v.g[(m * d + i) * d + j];
            grad.g[(m * d + i) * d + j] += wt * v.w1[(j * d + i) * H + h];
            grad.x[n * d + i] += abar * v.g[(m * d + i) * d + j] * v.w1[(j * d + i) * H + h];
          }
        }
      }
  assertClose(await mu.toArray(), ref.mu, w.tol, "μ");
  const names = ["x", "g", "w1", "b1", "w2", "b2"] as const;
  for (const [k, name] of names.entries()) assertClose(await t[k].grad!.toArray(), grad[name], w.tol, `${name}̄`);
});

devices.each("hard G: μ_j moves with its parents' columns of X and with nothing else", async (w) => {
  const [N, d, H] = [5, 4, 2];
  // One graph: 0 → 2, 1 → 2, 2 → 3 (G[i,j] = 1 means i → j).
  const gv = new Array(d * d).fill(0);
  for (const [i, j] of [
    [0, 2],
    [1, 2],
    [2, 3],
  ])
    gv[i * d + j] = 1;
  const parents = (j: number) => [0, 1, 2, 3].filter((i) => gv[i * d + j] === 1);
  const xv = normals(N * d);
  const [th, w1, b1, w2, b2] = [normals(d * d), normals(d * d * H), normals(d * H), normals(d * H), normals(d)];
  const run = async (xs: number[]) => {
    const [x, g] = [make(w, xs, [N, d], false), make(w, gv, [1, d, d], false)];
    const lin = await linearMechanism(x, g, make(w, th, [d, d], false)).toArray();
    const mlp = await mlpMechanism(
      x,
      g,
      make(w, w1, [d, d, H], false),
      make(w, b1, [d, H], false),
      make(w, w2, [d, H], false),
      make(w, b2, [d], false),
    ).toArray();
    return [lin, mlp];
  };
  const base = await run(xv);
  for (let i = 0; i < d; i++) {
    const moved = await run(xv.map((v, k) => (k % d === i ? v + 1 : v)));
    for (let j = 0; j < d; j++)
      for (const [which, out] of moved.entries()) {
        const changed = Array.from({ length: N }, (_, n) => Math.abs(out[n * d + j] - base[which][n * d + j])).some(
          (dv) => dv > 1e-6,
        );
        assert.is(changed, parents(j).includes(i), `${which === 0 ? "linear" : "MLP"}: μ_${j} after moving x_${i}`);
      }
  }
});

devices.each("saturated tanh units: finite μ, vanishing weight gradients", async (w) => {
  const [M, N, d, H] = [1, 3, 2, 2];
  const t = [
    make(w, normals(N * d), [N, d]),
    make(w, [1, 1, 1, 1], [M, d, d]),
    make(w, normals(d * d * H, 1e4), [d, d, H]),
    make(w, normals(d * H, 1e4), [d, H]),
    make(w, normals(d * H), [d, H]),
    make(w, normals(d), [d]),
  ];
  const mu = mlpMechanism(t[0], t[1], t[2], t[3], t[4], t[5]);
  backward(mu, seedOf(w, new Array(M * N * d).fill(1), [M, N, d]));
  assert.ok((await mu.toArray()).every(Number.isFinite), "μ finite");
  const dw1 = await t[2].grad!.toArray();
  assert.ok(
    dw1.every((v) => Number.isFinite(v) && Math.abs(v) < 1e-3),
    `W̄1 vanishes: ${Array.from(dw1)}`,
  );
});

exitWhenDone();
test.run();
