/**
 * Log-domain Sinkhorn (W_ε, plan, envelope gradient) against facts that hold independently of
 * the code: the marginals of the plan, the assignment bounds OT ≤ W_ε ≤ OT + ε log n for equal
 * uniform clouds (brute force over permutations), symmetry, exact behaviour under translation,
 * primal–dual agreement, the host implementation in gim/eval/metrics.ts, and costs of order 1e4.
 * cpu runs in float64, webgpu in float32. The registry sweeps add the float64 gradient check and
 * webgpu-vs-cpu parity of W and its VJP.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { backward } from "../../engine/tape.js";
import { Tensor } from "../../engine/tensor.js";
import { entropicWasserstein } from "../../gim/eval/metrics.js";
import { sinkhorn, sinkhornPlan } from "../../kernels/ops.js";
import { eachDevice, exitWhenDone } from "../helpers.js";

const devices = await eachDevice("sinkhorn", { cpu: { dtype: "f64" }, webgpu: { dtype: "f32" } });
const rng = new HostRandom(10);
const cloud = (count: number, D: number, shift = 0) => Array.from({ length: count * D }, () => rng.normal() + shift);
const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: ${got} vs ${want} (tol ${tol})`);

/** (1/n) min over permutations σ of Σ_i ‖x̂_i − x_σ(i)‖²: OT between equal uniform clouds. */
function assignmentCost(xh: number[], x: number[], n: number, D: number): number {
  const cost = (i: number, j: number) =>
    Array.from({ length: D }, (_, k) => (xh[i * D + k] - x[j * D + k]) ** 2).reduce((a, b) => a + b, 0);
  let best = Infinity;
  const used = new Array<boolean>(n).fill(false);
  const search = (i: number, acc: number) => {
    if (acc >= best) return;
    if (i === n) return void (best = acc);
    for (let j = 0; j < n; j++) {
      if (used[j]) continue;
      used[j] = true;
      search(i + 1, acc + cost(i, j));
      used[j] = false;
    }
  };
  search(0, 0);
  return best / n;
}

for (const device of devices) {
  const { backend: b, dtype } = device;
  const t = (values: number[], shape: number[], requiresGrad = false) =>
    new Tensor(b, b.upload(values, dtype), shape, requiresGrad);
  const f64 = dtype === "f64";

  device.test(
    `${device.name}: at convergence the plan has both marginals within 1e-3 and W = primal objective`,
    async () => {
      const [B, n, m, D] = [3, 20, 30, 4];
      const xh = cloud(B * n, D);
      const x = cloud(B * m, D, 0.5);
      const options = { epsilon: 0.1, tolerance: 1e-4, maxIterations: 5000 };
      const P = await sinkhornPlan(t(xh, [B, n, D]), t(x, [B, m, D]), options).toArray();
      const W = await sinkhorn(t(xh, [B, n, D]), t(x, [B, m, D]), options).toArray();
      for (let k = 0; k < B; k++) {
        let rowErr = 0;
        let colErr = 0;
        let primal = 0;
        for (let i = 0; i < n; i++) {
          let r = 0;
          for (let j = 0; j < m; j++) r += P[(k * n + i) * m + j];
          rowErr += Math.abs(r - 1 / n);
        }
        for (let j = 0; j < m; j++) {
          let c = 0;
          for (let i = 0; i < n; i++) c += P[(k * n + i) * m + j];
          colErr += Math.abs(c - 1 / m);
        }
        // ⟨C, P⟩ + ε KL(P ‖ a⊗b) − ε(ΣP − 1): the primal objective, equal to W at the optimum.
        let mass = 0;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < m; j++) {
            const p = P[(k * n + i) * m + j];
            let c = 0;
            for (let q = 0; q < D; q++) c += (xh[(k * n + i) * D + q] - x[(k * m + j) * D + q]) ** 2;
            primal += p * c + (p > 0 ? options.epsilon * p * Math.log(p * n * m) : 0);
            mass += p;
          }
        }
        primal -= options.epsilon * (mass - 1);
        assert.ok(rowErr < 1e-3 && colErr < 1e-3, `batch ${k}: ‖P1 − a‖₁ = ${rowErr}, ‖Pᵀ1 − b‖₁ = ${colErr}`);
        close(primal, W[k], f64 ? 1e-3 : 2e-3, `batch ${k}: primal vs W`);
      }
    },
  );

  device.test(
    `${device.name}: equal clouds (n ≤ 6; n = 1 gives W = C): OT ≤ W_ε ≤ OT + ε log n; W_ε − ε log n → OT as ε → 0 when the optimum is isolated`,
    async () => {
      // P* = (1/n)·permutation is feasible with KL(P*‖a⊗b) = log n, and KL ≥ 0: hence the bounds.
      for (const n of [1, 3, 5, 6]) {
        const D = 2;
        const xh = cloud(n, D);
        const x = cloud(n, D);
        const ot = assignmentCost(xh, x, n, D);
        for (const epsilon of [1, 0.1, 0.01]) {
          const W = await sinkhorn(t(xh, [1, n, D]), t(x, [1, n, D]), {
            epsilon,
            tolerance: 1e-6,
            maxIterations: 20000,
          }).item();
          const slack = 1e-5 * Math.max(1, ot);
          assert.ok(
            W >= ot - slack && W <= ot + epsilon * Math.log(n) + slack,
            `n = ${n}, ε = ${epsilon}: W = ${W}, OT = ${ot}`,
          );
        }
        // Points on a circle of radius 3 against a shuffled copy jittered by 0.05: the optimal
        // permutation beats every other by a cost gap ≫ ε, so the entropic plan is that
        // permutation up to e^{−gap/ε} and W_ε = OT + ε log n up to that.
        const ring = Array.from({ length: n }, (_, i) => [
          3 * Math.cos((2 * Math.PI * i) / n),
          3 * Math.sin((2 * Math.PI * i) / n),
        ]);
        const order = Array.from({ length: n }, (_, i) => n - 1 - i);
        const near = order.flatMap((i) => ring[i].map((v) => v + 0.05 * rng.normal()));
        const otNear = assignmentCost(ring.flat(), near, n, D);
        for (const epsilon of [0.1, 0.01]) {
          const W = await sinkhorn(t(ring.flat(), [1, n, D]), t(near, [1, n, D]), {
            epsilon,
            tolerance: 1e-6,
            maxIterations: 20000,
          }).item();
          close(W - epsilon * Math.log(n), otNear, 1e-3 * epsilon, `n = ${n}, ε = ${epsilon}: W − ε log n vs OT`);
        }
      }
    },
  );

  device.test(
    `${device.name}: symmetric in its arguments; translation: both clouds → unchanged, one by τ → + ‖τ‖² + 2⟨τ, x̄̂ − x̄⟩`,
    async () => {
      const [n, m, D] = [7, 11, 3];
      const xh = cloud(n, D);
      const x = cloud(m, D);
      const options = { epsilon: 0.2, tolerance: f64 ? 1e-10 : 1e-5, maxIterations: 20000 };
      const W = (a: number[], na: number, c: number[], nc: number) =>
        sinkhorn(t(a, [1, na, D]), t(c, [1, nc, D]), options).item();
      const base = await W(xh, n, x, m);
      const tol = f64 ? 1e-8 : 1e-4;
      close(await W(x, m, xh, n), base, tol, "swapped");
      const tau = [0.7, -1.2, 0.4];
      const move = (c: number[]) => c.map((v, k) => v + tau[k % D]);
      close(await W(move(xh), n, move(x), m), base, tol, "both translated");
      const mean = (c: number[], count: number, k: number) =>
        c.filter((_, q) => q % D === k).reduce((s, v) => s + v, 0) / count;
      const shift = tau.reduce((s, tk, k) => s + tk * tk + 2 * tk * (mean(xh, n, k) - mean(x, m, k)), 0);
      close(await W(move(xh), n, x, m), base + shift, tol, "x̂ translated");
    },
  );

  device.test(
    `${device.name}: envelope gradient: Σ_i x̂̄_i = 2W̄(x̄̂ − x̄) = −Σ_j x̄_j; finite differences agree`,
    async () => {
      const [B, n, m, D] = [2, 9, 6, 3];
      const xh = cloud(B * n, D);
      const x = cloud(B * m, D);
      const options = { epsilon: 0.3, tolerance: f64 ? 1e-11 : 1e-6, maxIterations: 20000 };
      const Xh = t(xh, [B, n, D], true);
      const X = t(x, [B, m, D], true);
      const seed = [1.5, -0.5];
      const W = sinkhorn(Xh, X, options);
      backward(W, t(seed, [B]));
      const gh = await Xh.grad!.toArray();
      const g = await X.grad!.toArray();
      for (let k = 0; k < B; k++) {
        for (let q = 0; q < D; q++) {
          let sh = 0;
          let s = 0;
          let mh = 0;
          let mx = 0;
          for (let i = 0; i < n; i++) ((sh += gh[(k * n + i) * D + q]), (mh += xh[(k * n + i) * D + q] / n));
          for (let j = 0; j < m; j++) ((s += g[(k * m + j) * D + q]), (mx += x[(k * m + j) * D + q] / m));
          close(sh, 2 * seed[k] * (mh - mx), f64 ? 1e-8 : 1e-4, `batch ${k}, axis ${q}: Σ x̂̄`);
          close(s, -sh, f64 ? 1e-10 : 1e-5, `batch ${k}, axis ${q}: Σ x̄`);
        }
      }
      if (!f64) return;
      const h = 1e-6;
      for (const [which, idx] of [
        [0, 4],
        [0, 20],
        [1, 2],
        [1, 17],
      ] as const) {
        const bump = (s: number) => {
          const a = xh.slice();
          const c = x.slice();
          (which === 0 ? a : c)[idx] += s * h;
          return sinkhorn(t(a, [B, n, D]), t(c, [B, m, D]), options).toArray();
        };
        const [plus, minus] = [await bump(1), await bump(-1)];
        const fd = seed.reduce((acc, w, k) => acc + (w * (plus[k] - minus[k])) / (2 * h), 0);
        close((which === 0 ? gh : g)[idx], fd, 1e-6, `∂/∂${which === 0 ? "x̂" : "x"}[${idx}]`);
      }
    },
  );

  device.test(
    `${device.name}: batched W matches the host implementation (gim/eval/metrics.ts) element by element`,
    async () => {
      const [B, n, m, D] = [3, 12, 8, 5];
      const xh = cloud(B * n, D);
      const x = cloud(B * m, D, 0.3);
      const W = await sinkhorn(t(xh, [B, n, D]), t(x, [B, m, D])).toArray();
      for (let k = 0; k < B; k++) {
        const want = entropicWasserstein(xh.slice(k * n * D, (k + 1) * n * D), x.slice(k * m * D, (k + 1) * m * D), D);
        close(W[k], want, f64 ? 1e-9 : 1e-3, `batch ${k}`);
      }
    },
  );

  device.test(
    `${device.name}: costs of order 1e4 (clouds 100 apart, ε = 0.1): finite, near OT + ε log n, no NaN in the plan`,
    async () => {
      const [n, D] = [5, 2];
      const xh = cloud(n, D);
      const x = cloud(n, D, 70);
      const ot = assignmentCost(xh, x, n, D);
      assert.ok(ot > 5e3, `OT ${ot}`);
      const W = await sinkhorn(t(xh, [1, n, D]), t(x, [1, n, D])).item();
      close(W, ot + 0.1 * Math.log(n), 1e-5, "W at large costs");
      const P = await sinkhornPlan(t(xh, [1, n, D]), t(x, [1, n, D])).toArray();
      assert.ok(P.every(Number.isFinite), "finite plan");
      let mass = 0;
      for (const p of P) mass += p;
      close(mass, 1, 1e-2, "plan mass");
    },
  );
}

exitWhenDone();
test.run();
