/**
 * ZILN noise and hard-ZILN interventions (spec §3 eq 15, §4 c = 3, §8), float64 on cpu: L^o, the
 * intervention term b and ℓ̂ against direct computations; the ζ init; the merged step's three
 * gradients against finite differences of each pass objective; the host sampler's zero fractions
 * (tolerance from the standard error); checkpoint round trip; refused combinations. On webgpu:
 * the replayed ZILN step equals the generic path.
 */
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { HostRandom } from "../../engine/host-random.js";
import { backward, noGrad, tidy } from "../../engine/index.js";
import type { TrainingSet } from "../../gim/data/training-set.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import {
  likelihood,
  noiseLogpdf,
  zilnInterventionBComposed,
  zilnInterventionTerms,
} from "../../gim/model/likelihood.js";
import type { ModelFile } from "../../gim/model/model-file.js";
import { stepObjective } from "../../gim/model/objective.js";
import { dimensionsOf, initParams, mechanismParams, param, paramSpecs, readParams } from "../../gim/model/params.js";
import { HostModel } from "../../gim/model/sampler.js";
import { Trainer } from "../../gim/train/trainer.js";
import { loadCheckpoint, saveCheckpoint } from "../../gim/train/checkpoint-file.js";
import { exitWhenDone, gpuOrSkip, gpuTest, scratchDir } from "../helpers.js";
import {
  logZiln,
  STEP_CONFIG,
  checkPassGradients,
  checkTermAgainstComposition,
  countSet,
  cpu,
  draw,
  f64,
  lse,
  naiveMean,
  stepGradients,
  stepInputs,
  stepScalars,
} from "./fixtures.js";

const ZILN: Partial<GimConfig> = { noise: "ziln", intervention: "ziln" };
const close = (got: number, want: number, what: string, rel = 1e-9) => {
  if (!(Math.abs(got - want) <= rel * Math.max(1, Math.abs(want))))
    throw new Error(`${what}: ${got}, direct computation ${want}`);
};

for (const [mechanism, marginalize] of [
  ["linear", "per-sample"],
  ["mlp", "per-sample"],
  ["linear", "per-env"],
] as const) {
  test(`L^o, hard-ZILN b and ℓ̂ (eq 10) match a direct computation: ${mechanism}, ${marginalize}`, async () => {
    const rng = new HostRandom(21);
    const d = 3;
    const M = 3;
    const E = 3;
    const config: GimConfig = { ...DEFAULTS, ...ZILN, mechanism, marginalize, mcSamples: M, hidden: 2 };
    const set = countSet(rng, d, [5, 4, 3]);
    const { data, params } = stepInputs(config, set);
    const width = 3 * d;
    const G = draw(rng, M * d * d, (r) => r.uniform());
    const I = draw(rng, E * M * d, (r) => r.uniform());
    const psi = draw(rng, E * M * width, (r) => r.normal());
    for (let k = 0; k < M * d; k++) I[k] = 0; // env 0 is observational
    const ell = [0.3, -0.2, 0.1];
    const zeta = [-0.4, 0.2, 1.1];
    const weights: Record<string, number[]> = {};
    for (const s of params.specs) weights[s.name] = Array.from(await param(params, s.name).toArray());
    const mech = { ...mechanismParams(params, config), zeta: f64(zeta, [d]) };
    const rows = set.envs.flatMap((env, e) =>
      Array.from({ length: env.n }, (_, n) => ({ e, x: Array.from(env.samples.subarray(n * d, (n + 1) * d)) })),
    );
    const N = rows.length;
    const c5 = config.logStdClamp;
    const Li = (e: number, r: number, x: number[], j: number) => {
      const q = (e * M + r) * width;
      return logZiln(x[j], psi[q + d + j], 2 * c5 * Math.tanh(psi[q + 2 * d + j] / c5), psi[q + j]);
    };

    const muT = f64(
      draw(rng, M * N * d, (r) => r.normal()),
      [M, N, d],
    );
    const [LoT, bT, valueT] = noGrad(() => [
      noiseLogpdf(data.X, muT, f64(ell, [d]), mech),
      zilnInterventionTerms(data, f64(I, [E, M, d]), f64(psi, [E, M, width]), config).b,
      likelihood(config, data, {
        graphs: f64(G, [M, d, d]),
        mech,
        ell: f64(ell, [d]),
        targets: f64(I, [E, M, d]),
        psi: f64(psi, [E, M, width]),
      }),
    ]);
    const Lo = { mu: await muT.toArray(), got: await LoT.toArray() };
    const b = await bT.toArray();
    const total = await valueT.item();
    // L^o [M, N, d] for arbitrary means.
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < d; j++) {
          const k = (m * N + n) * d + j;
          close(Lo.got[k], logZiln(rows[n].x[j], Lo.mu[k], ell[j], zeta[j]), `L^o[${m},${n},${j}]`);
        }
    // b[r, n] = Σ_j I L^i.
    for (let r = 0; r < M; r++)
      for (let n = 0; n < N; n++) {
        const { e, x } = rows[n];
        let want = 0;
        for (let j = 0; j < d; j++) want += I[(e * M + r) * d + j] * Li(e, r, x, j);
        close(b[r * N + n], want, `b[${r},${n}]`);
      }
    // ℓ̂ = LSE_m[A_m] − log M with the per-sample (or per-env) inner LSE over r.
    const perGraph: number[] = [];
    for (let m = 0; m < M; m++) {
      let A = 0;
      for (let e = 0; e < E; e++) {
        const terms = rows
          .filter((row) => row.e === e)
          .map(({ x }) =>
            Array.from({ length: M }, (_, r) => {
              let t = 0;
              for (let j = 0; j < d; j++) {
                const Iv = I[(e * M + r) * d + j];
                t +=
                  (1 - Iv) * logZiln(x[j], naiveMean(config, x, G, m, j, d, weights), ell[j], zeta[j]) +
                  Iv * Li(e, r, x, j);
              }
              return t;
            }),
          );
        if (marginalize === "per-sample") for (const t of terms) A += lse(t) - Math.log(M);
        else A += lse(Array.from({ length: M }, (_, r) => terms.reduce((s, t) => s + t[r], 0))) - Math.log(M);
      }
      perGraph.push(A);
    }
    close(total, lse(perGraph) - Math.log(M), "ℓ̂");
  });
}

test("fused hard-ZILN b = its composition from gather + zilnLogpdf, values and VJPs (f64)", async () => {
  const rng = new HostRandom(4);
  const set = countSet(rng, 3, [5, 6, 4]);
  const config: GimConfig = { ...DEFAULTS, ...ZILN, logStdClamp: 1.5 };
  await checkTermAgainstComposition(
    rng,
    set,
    config,
    { R: 4, width: 3, psiScale: 2 },
    (data, t, p, c) => zilnInterventionTerms(data, t, p, c).b,
    zilnInterventionBComposed,
  );
});

test("ζ starts at the logit of each variable's zero fraction, clipped to [0.01, 0.99]", async () => {
  const d = 3;
  const n = 200;
  const samples = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    samples[r * d] = r % 4 === 0 ? 0 : 1.5; // 25 % zeros
    samples[r * d + 1] = 2; // none → 0.01
    samples[r * d + 2] = 0; // all → 0.99
  }
  const set: TrainingSet = {
    variables: ["a", "b", "c"],
    featureNames: ["f"],
    envs: [{ id: "obs", features: [0], samples, n }],
  };
  const config: GimConfig = { ...DEFAULTS, ...ZILN };
  const dims = { ...dimensionsOf(config, set), K: 1 };
  assert.equal(dims.zeroFraction, [0.25, 0, 1]);
  const zeta = Array.from(await param(initParams(config, dims, cpu, "f64"), "zeta").toArray());
  const logit = (p: number) => Math.log(p / (1 - p));
  [logit(0.25), logit(0.01), logit(0.99)].forEach((want, j) => close(zeta[j], want, `ζ_${j}`, 1e-12));
});

test("hard-ZILN ψ starts at the data's ZILN fit: output biases (ζ', m, λ) = zero logit, mean and log-std of log x > 0", async () => {
  const d = 2;
  const n = 8;
  const samples = new Float64Array(n * d);
  const positives = [1, 2, 4, 8, 0.5, 3];
  for (let r = 0; r < n; r++) {
    samples[r * d] = r < positives.length ? positives[r] : 0; // 2 of 8 zeros
    samples[r * d + 1] = Math.E; // log x = 1 everywhere: variance 0, floored at 1e-4
  }
  const set: TrainingSet = {
    variables: ["a", "b"],
    featureNames: ["f"],
    envs: [{ id: "obs", features: [0], samples, n }],
  };
  const logs = positives.map(Math.log);
  const mean = logs.reduce((a, b) => a + b) / logs.length;
  const variance = logs.reduce((a, b) => a + (b - mean) ** 2, 0) / logs.length;
  for (const amortize of [true, false]) {
    const config: GimConfig = { ...DEFAULTS, ...ZILN, amortize };
    const dims = { ...dimensionsOf(config, set), K: 2 };
    const params = initParams(config, dims, cpu, "f64");
    const want = [
      Math.log(0.25 / 0.75),
      Math.log(0.01 / 0.99),
      mean,
      1,
      0.5 * Math.log(variance),
      0.5 * Math.log(1e-4),
    ];
    const got = amortize
      ? (
          await Promise.all(["hZeroLogit", "hMean", "hLogStd"].map((net) => param(params, `${net}.b2`).toArray()))
        ).flatMap((b) => Array.from(b))
      : Array.from(await param(params, "psiFree").toArray()).slice(3 * d, 6 * d); // env 2's row
    want.forEach((w, k) => close(got[k], w, `${amortize ? "amortized" : "BaCaDI*"} ψ bias ${k}`, 1e-12));
  }
});

for (const mechanism of ["linear", "mlp"] as const) {
  test(`merged step gradient = ∇ of each pass objective (Z, φ, θ ∋ ζ) in f64, d = 3: ${mechanism}, ZILN`, async () => {
    const rng = new HostRandom(5);
    const d = 3;
    const config: GimConfig = { ...DEFAULTS, ...ZILN, mechanism, ...STEP_CONFIG, powerIterations: 200 };
    const inputs = stepInputs(config, countSet(rng, d, [6, 4, 4]));
    const scalars = stepScalars(config);
    tidy(() => backward(stepObjective(inputs, scalars).loss));
    const zetaGrad = Array.from(await param(inputs.params, "zeta").grad!.toArray());
    assert.ok(
      zetaGrad.some((g) => Math.abs(g) > 1e-6),
      `ζ gets a gradient: ${zetaGrad}`,
    );
    await checkPassGradients(inputs, scalars, rng);
  });
}

test("ZILN step chunked over N (blocks of 5 rows, splitting envs) = one block: loss and every gradient, f64", async () => {
  const d = 3;
  const config: GimConfig = { ...DEFAULTS, ...ZILN, mechanism: "mlp", ...STEP_CONFIG, powerIterations: 50 };
  const set = countSet(new HostRandom(21), d, [6, 4, 4]);
  const whole = await stepGradients(config, set, Number.POSITIVE_INFINITY);
  const chunked = await stepGradients(config, set, 5);
  assert.equal([whole.blocks, chunked.blocks], [0, 3]);
  close(chunked.loss, whole.loss, "chunked loss", 1e-10);
  for (const [name, g] of Object.entries(whole.grads))
    g.forEach((x, i) => close(chunked.grads[name][i], x, `${name}[${i}] chunked gradient`, 1e-10));
});

/** d = 2, x0 → x1 (Θ01 = 0.5), BaCaDI*-style free parameters for one training env. */
function tinyModel(): ModelFile {
  const logit = (p: number) => Math.log(p / (1 - p));
  const weights: ModelFile["weights"] = {
    Theta: { shape: [2, 2], values: [0, 0.5, 0, 0] },
    ell: { shape: [2], values: [Math.log(0.09), Math.log(0.25)] },
    zeta: { shape: [2], values: [logit(0.3), logit(0.6)] },
    targetLogits: { shape: [1, 2], values: [40, -40] },
    // ψ = (ζ', m, λ): x0 targeted, zero w.p. 0.8, else exp(1 + 0.2 ε).
    psiFree: { shape: [1, 6], values: [logit(0.8), 0, 1, 0, Math.log(0.2), 0] },
  };
  return {
    format: "gim-webgpu-model/1",
    variables: ["x0", "x1"],
    featureNames: ["f"],
    graph: [
      [0, 1],
      [0, 0],
    ],
    edgeProbabilities: [],
    cycleEdgesDropped: 0,
    trainEnvs: ["p"],
    trainFeatures: [[1]],
    config: { ...DEFAULTS, ...ZILN, amortize: false, sigmaPsi: 0 },
    seed: 0,
    backend: "cpu",
    adapter: "",
    steps: 0,
    throughput: { stepsPerSecond: 0, wallSeconds: 0 },
    augmentedLagrangian: { alpha: 0, mu: 1, checks: [] },
    weights,
  };
}

test("sampler: zero fractions π = σ(ζ) and σ(ζ'), log-levels μ and m, within 4 standard errors", () => {
  const host = new HostModel(tinyModel());
  const n = 20000;
  const stats = (x: Float64Array, j: number) => {
    let zeros = 0;
    let logSum = 0;
    for (let s = 0; s < n; s++) {
      const v = x[s * 2 + j];
      assert.ok(v >= 0, "samples are non-negative");
      if (v === 0) zeros++;
      else logSum += Math.log(v);
    }
    return { zeroFraction: zeros / n, meanLog: logSum / (n - zeros), positives: n - zeros };
  };
  const within = (got: number, want: number, se: number, what: string) =>
    assert.ok(Math.abs(got - want) <= 4 * se, `${what}: ${got}, expected ${want} ± 4·${se.toFixed(4)}`);
  const bernSe = (p: number) => Math.sqrt((p * (1 - p)) / n);
  const obs = host.sample([0], n, new HostRandom(3));
  const x0 = stats(obs, 0);
  const x1 = stats(obs, 1);
  within(x0.zeroFraction, 0.3, bernSe(0.3), "observational zero fraction of x0");
  within(x1.zeroFraction, 0.6, bernSe(0.6), "observational zero fraction of x1");
  within(x0.meanLog, 0, 0.3 / Math.sqrt(x0.positives), "E[log x0 | x0 > 0]");
  // log x1 = 0.5·x0 + 0.5 ε, independent of x1's zero draw; E[x0] = 0.7·e^{0.09/2}.
  const meanX0 = 0.7 * Math.exp(0.045);
  const sdLog1 = Math.sqrt(0.25 * (0.7 * Math.exp(0.18) - meanX0 ** 2) + 0.25);
  within(x1.meanLog, 0.5 * meanX0, sdLog1 / Math.sqrt(x1.positives), "E[log x1 | x1 > 0]");
  const hit = host.sample([1], n, new HostRandom(4));
  const t0 = stats(hit, 0);
  within(t0.zeroFraction, 0.8, bernSe(0.8), "hard-ZILN zero fraction of the target");
  within(t0.meanLog, 1, 0.2 / Math.sqrt(t0.positives), "hard-ZILN log-level m of the target");
  within(stats(hit, 1).zeroFraction, 0.6, bernSe(0.6), "the untargeted child keeps π = σ(ζ)");
});

test("refused: --noise ziln with a Gaussian intervention type, --intervention ziln without ZILN noise, negative data", () => {
  const dims = { d: 2, p: 1, K: 1, zeroFraction: [0.5, 0.5] };
  assert.throws(
    () => paramSpecs({ ...DEFAULTS, noise: "ziln", intervention: "hard" }, dims),
    /--noise ziln needs --intervention ziln/,
  );
  assert.throws(
    () => paramSpecs({ ...DEFAULTS, noise: "ziln", intervention: "shift" }, dims),
    /--noise ziln needs --intervention ziln/,
  );
  assert.throws(
    () => paramSpecs({ ...DEFAULTS, intervention: "ziln" }, dims),
    /--intervention ziln needs --noise ziln/,
  );
  const set = countSet(new HostRandom(1), 2, [4, 3], 1);
  set.envs[1].samples[3] = -0.5;
  assert.throws(
    () => dimensionsOf({ ...DEFAULTS, ...ZILN }, set),
    /--noise ziln needs non-negative data, but env 'e1' has x1 = -0.5 \(row 2\)/,
  );
  assert.not.throws(() => dimensionsOf(DEFAULTS, set));
});

function trainingSet(): TrainingSet {
  const rng = new HostRandom(8);
  const count = (shift: number) => (rng.uniform() < 0.25 ? 0 : Math.exp(0.4 * rng.normal() + shift));
  const envs = [
    { id: "obs", features: [0, 0, 0], samples: Float64Array.from({ length: 60 * 4 }, () => count(0)), n: 60 },
  ];
  for (let k = 0; k < 4; k++)
    envs.push({
      id: `e${k}`,
      features: [k + 1, (k % 2) - 0.5, 0.3],
      samples: Float64Array.from({ length: 25 * 4 }, () => count(0.3 * k)),
      n: 25,
    });
  return { variables: ["a", "b", "c", "d"], featureNames: ["f1", "f2", "f3"], envs };
}

test("checkpoint round trip: ζ and the three ψ heads are saved; resuming continues bitwise (cpu)", async () => {
  const config: GimConfig = {
    ...DEFAULTS,
    ...ZILN,
    mechanism: "mlp",
    mcSamples: 4,
    acyclicitySamples: 3,
    gimHidden: 8,
    hidden: 3,
    steps: 100,
    holdoutFraction: 0,
  };
  const path = join(scratchDir("gim-ziln-"), "ckpt.json");
  const run = async (trainer: Trainer, steps: number) => {
    for (let s = 0; s < steps; s++) {
      const { loss, acyclicity } = trainer.queueStep();
      loss.dispose();
      acyclicity.dispose();
    }
  };
  const a = new Trainer(config, trainingSet(), cpu, "f64");
  assert.ok(
    a.params.specs.some((s) => s.name === "hZeroLogit.W0"),
    "ψ has a zero-logit head",
  );
  await run(a, 3);
  await saveCheckpoint(path, a);
  await run(a, 2);
  const b = new Trainer(config, trainingSet(), cpu, "f64");
  await loadCheckpoint(path, b);
  await run(b, 2);
  const [pa, pb] = [await readParams(a.params), await readParams(b.params)];
  assert.ok(pa.zeta.some((z, j) => z !== pb.zeta[j]) === false, "ζ after resume");
  for (const name of Object.keys(pa)) assert.equal(pb[name], pa[name], name);
});

const gpu = await gpuOrSkip("ZILN step replay");
gpuTest(gpu)("webgpu: replayed ZILN step = generic path after 10 steps (linear mean, hard-ZILN)", async () => {
  const config: GimConfig = {
    ...DEFAULTS,
    ...ZILN,
    mechanism: "linear",
    mcSamples: 6,
    acyclicitySamples: 4,
    gimHidden: 16,
    hidden: 3,
    alphaLinear: 0.05,
    steps: 100,
    holdoutFraction: 0,
  };
  const trainTen = async (replay: boolean) => {
    const trainer = new Trainer(config, trainingSet(), gpu!);
    if (replay) assert.ok(trainer.enableReplay(), "replay should be available on webgpu");
    for (let s = 0; s < 10; s++) {
      const { loss, acyclicity } = trainer.queueStep();
      if (!replay) {
        loss.dispose();
        acyclicity.dispose();
      }
    }
    return readParams(trainer.params);
  };
  const generic = await trainTen(false);
  const replayed = await trainTen(true);
  for (const name of Object.keys(generic)) {
    const a = generic[name];
    const b = replayed[name];
    const scale = Math.max(1, ...a.map(Math.abs));
    const worst = Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    assert.ok(worst <= 1e-4 * scale, `${name}: replay differs from the generic path by ${worst}`);
  }
  assert.ok(generic.zeta.length === 4 && generic.zeta.every(Number.isFinite));
});

exitWhenDone();
test.run();
