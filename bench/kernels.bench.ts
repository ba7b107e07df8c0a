/**
 * Kernel suite: forward + VJP (cotangent of ones) of each GIM kernel at GIM sizes (M = 32, N = 9,000; d = 20 and
 * 100), webgpu vs cpu in the same run, time to completed work. `npm run bench -- kernels`.
 * hardBernoulli has no VJP (forward only). Sinkhorn: a batch of 4 pairs of 300-point clouds in
 * dimension d (an eval-sized W_ε). The cpu backend skips the cases marked cpuMaxD beyond that d,
 * where one call takes minutes; `--d=20` runs one d only (`--d=10,50` a list), `--only=mlp` the
 * cases whose name contains "mlp". The "(GEMM)" cases are the same ops as batched GEMMs
 * (kernels/mechanism-gemm.ts), next to the per-row kernels they replace at large d. `--gpu-only`
 * skips the cpu backend.
 */
import type { Backend } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import { backward } from "../engine/tape.js";
import { tidy } from "../engine/scope.js";
import { Tensor } from "../engine/tensor.js";
import { fill } from "../engine/fill.js";
import {
  gumbelSigmoid,
  hardBernoulli,
  hardInterventionB,
  interventionMix,
  linearGaussianLogpdf,
  linearMechanism,
  mechanismGemmLogpdf,
  mechanismGemmMean,
  mlpGaussianLogpdf,
  mlpMechanism,
  normalLogpdf,
  pairLogsumexp,
  sinkhorn,
  spectralRadius,
  zilnLogpdf,
} from "../kernels/ops.js";
import { type Row, registerSuite, timeIt } from "./report.js";

const M = 32;
const N = 9000;
const E = 81;

function random(b: Backend, shape: number[], seed: number, positive = false): Tensor {
  const rng = new HostRandom(seed);
  const n = shape.reduce((p, v) => p * v, 1);
  return new Tensor(
    b,
    b.upload(
      Float32Array.from({ length: n }, () => (positive ? rng.uniform() : rng.normal())),
      "f32",
    ),
    shape,
    true,
  );
}

/** Observed data: no gradient, as in training (X̄ kernels exist for completeness, not for speed). */
function data(b: Backend, shape: number[], seed: number, positive = false): Tensor {
  const t = random(b, shape, seed, positive);
  t.requiresGrad = false;
  return t;
}

type Case = { name: string; build: (b: Backend, d: number) => () => Tensor; cpuMaxD: number; forwardOnly?: boolean };

function envRows(b: Backend): Tensor {
  return new Tensor(
    b,
    b.upload(
      Float32Array.from({ length: N }, (_, n) => Math.min(E - 1, Math.floor(n / 112))),
      "f32",
    ),
    [N],
  );
}

function envStarts(b: Backend): Tensor {
  return new Tensor(
    b,
    b.upload(
      Float32Array.from({ length: E + 1 }, (_, e) => Math.min(N, e * 112)),
      "f32",
    ),
    [E + 1],
  );
}

const CASES: Case[] = [
  {
    name: "gumbelSigmoid",
    cpuMaxD: 100,
    build: (b, d) => {
      const z = random(b, [d, d], 1);
      return () => gumbelSigmoid(z, { samples: M, seed: 1, stream: 0, zeroDiagonal: true });
    },
  },
  {
    name: "spectralRadius",
    cpuMaxD: 100,
    build: (b, d) => {
      const A = random(b, [M, d, d], 2, true);
      return () => spectralRadius(A, { iterations: 10, seed: 3 });
    },
  },
  {
    name: "linearMechanism",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 4);
      const G = random(b, [M, d, d], 5, true);
      const T = random(b, [d, d], 6);
      return () => linearMechanism(X, G, T);
    },
  },
  {
    name: "mlpMechanism",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 7);
      const G = random(b, [M, d, d], 8, true);
      const W1 = random(b, [d, d, 5], 9);
      const b1 = random(b, [d, 5], 10);
      const w2 = random(b, [d, 5], 11);
      const b2 = random(b, [d], 12);
      return () => mlpMechanism(X, G, W1, b1, w2, b2);
    },
  },
  {
    name: "normalLogpdf",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 13);
      const mu = random(b, [M, N, d], 14);
      const l = random(b, [d], 15);
      return () => normalLogpdf(X, mu, l);
    },
  },
  {
    name: "hardBernoulli",
    cpuMaxD: 100,
    forwardOnly: true,
    build: (b, d) => {
      const z = random(b, [d, d], 20);
      return () => hardBernoulli(z, { samples: M, seed: 1, stream: 0, zeroDiagonal: true });
    },
  },
  {
    name: "linearGaussianLogpdf",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 21);
      const G = random(b, [M, d, d], 22, true);
      const T = random(b, [d, d], 23);
      const l = random(b, [d], 24);
      return () => linearGaussianLogpdf(X, G, T, l);
    },
  },
  {
    name: "mlpGaussianLogpdf",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 25);
      const [G, W1, b1, w2, b2, l] = [
        random(b, [M, d, d], 26, true),
        random(b, [d, d, 5], 27),
        random(b, [d, 5], 28),
        random(b, [d, 5], 29),
        random(b, [d], 30),
        random(b, [d], 31),
      ];
      return () => mlpGaussianLogpdf(X, G, W1, b1, w2, b2, l);
    },
  },
  {
    name: "mlpMechanism (GEMM)",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 7);
      const weights = [random(b, [d, d, 5], 9), random(b, [d, 5], 10), random(b, [d, 5], 11), random(b, [d], 12)];
      const G = random(b, [M, d, d], 8, true);
      return () => mechanismGemmMean("mlp", X, G, weights);
    },
  },
  {
    name: "linearGaussianLogpdf (GEMM)",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 21);
      const G = random(b, [M, d, d], 22, true);
      const [T, l] = [random(b, [d, d], 23), random(b, [d], 24)];
      return () => mechanismGemmLogpdf("linear", X, G, [T], l);
    },
  },
  {
    name: "mlpGaussianLogpdf (GEMM)",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 25);
      const G = random(b, [M, d, d], 26, true);
      const weights = [random(b, [d, d, 5], 27), random(b, [d, 5], 28), random(b, [d, 5], 29), random(b, [d], 30)];
      return () => mechanismGemmLogpdf("mlp", X, G, weights, random(b, [d], 31));
    },
  },
  {
    name: "zilnLogpdf",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 32, true);
      const mu = random(b, [M, N, d], 33);
      const l = random(b, [d], 34);
      const z = random(b, [d], 35);
      return () => zilnLogpdf(X, mu, l, z);
    },
  },
  {
    name: "interventionMix",
    cpuMaxD: 20,
    build: (b, d) => {
      const lo = random(b, [M, N, d], 36);
      const li = random(b, [M, N, d], 37);
      const i = random(b, [M, 1, d], 38, true);
      return () => interventionMix(lo, li, i);
    },
  },
  {
    name: "hardInterventionB",
    cpuMaxD: 20,
    build: (b, d) => {
      const X = data(b, [N, d], 39);
      const [I, psi] = [random(b, [E, M, d], 40, true), random(b, [E, M, 2 * d], 41)];
      return () => hardInterventionB(X, envRows(b), envStarts(b), I, psi, 2);
    },
  },
  {
    name: "sinkhorn",
    cpuMaxD: 20,
    build: (b, d) => {
      const xh = random(b, [4, 300, d], 43);
      const x = data(b, [4, 300, d], 44);
      return () => sinkhorn(xh, x, { epsilon: 0.1 * d });
    },
  },
  {
    name: "pairLogsumexp",
    cpuMaxD: 20,
    build: (b, d) => {
      const a = random(b, [M, N], 16);
      const bb = random(b, [M, N], 17);
      const P = random(b, [M, N, d], 18);
      const Q = random(b, [E, M, d], 19);
      const env = envRows(b);
      return () => pairLogsumexp(a, bb, P, Q, env);
    },
  },
];

registerSuite("kernels", async (log) => {
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  // `--flag=value`, like every bench flag: a bare word is a suite name for bench/run.ts.
  const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const dims = flag("d")?.split(",").map(Number) ?? [20, 100];
  const pick = flag("only");
  const cases = pick !== undefined ? CASES.filter((c) => c.name.includes(pick)) : CASES;
  for (const d of dims) {
    for (const c of cases) {
      for (const b of [gpu, process.argv.includes("--gpu-only") ? null : cpuBackend()]) {
        if (!b || (b.name === "cpu" && d > c.cpuMaxD)) continue;
        const run = c.build(b, d);
        const ms = await timeIt(
          `${c.name} ${b.name} d=${d}`,
          async () => {
            tidy(() => {
              const y = run();
              if (!c.forwardOnly) backward(y, fill(b, "f32", y.shape, 1));
            });
            await b.sync();
          },
          { time: b.name === "cpu" ? 100 : 1000, iterations: 1 },
        );
        rows.push({
          name: "kernel",
          kernel: c.name,
          backend: b.name,
          d,
          M,
          N,
          [c.forwardOnly ? "msForward" : "msForwardAndVjp"]: ms,
        });
        log(
          `kernel ${c.name.padEnd(20)} ${b.name.padEnd(6)} d=${String(d).padStart(3)}: ${ms.toFixed(2)} ms forward${c.forwardOnly ? "" : " + VJP"}`,
        );
      }
    }
  }
  return rows;
});
