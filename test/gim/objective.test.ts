/**
 * The objective against direct computations on tiny inputs (float64, cpu): the estimator ℓ̂ of
 * eq 10 for linear/MLP mechanisms, hard/shift interventions, per-sample and per-env; and the
 * merged one-backward step against finite differences of each of the three pass objectives; the
 * step chunked over N against the same step in one block.
 */
import { test } from "uvu";
import { HostRandom } from "../../engine/host-random.js";
import { backward, noGrad, tidy } from "../../engine/index.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { uploadData } from "../../gim/model/device-data.js";
import { likelihood } from "../../gim/model/likelihood.js";
import { stepObjective, targetLogits } from "../../gim/model/objective.js";
import { mechanismParams, param } from "../../gim/model/params.js";
import {
  logNormal,
  STEP_CONFIG,
  checkPassGradients,
  cpu,
  draw,
  f64,
  lse,
  makeSet,
  naiveMean,
  stepGradients,
  stepInputs,
  stepScalars,
} from "./fixtures.js";

interface Case {
  mechanism: GimConfig["mechanism"];
  intervention: GimConfig["intervention"];
  marginalize: GimConfig["marginalize"];
}

for (const c of [
  { mechanism: "linear", intervention: "hard", marginalize: "per-sample" },
  { mechanism: "linear", intervention: "shift", marginalize: "per-sample" },
  { mechanism: "mlp", intervention: "hard", marginalize: "per-sample" },
  { mechanism: "mlp", intervention: "shift", marginalize: "per-sample" },
  { mechanism: "linear", intervention: "hard", marginalize: "per-env" },
  { mechanism: "mlp", intervention: "shift", marginalize: "per-env" },
] as Case[]) {
  test(`ℓ̂ (eq 10) matches a direct computation: ${c.mechanism}, ${c.intervention}, ${c.marginalize}`, async () => {
    const rng = new HostRandom(11);
    const d = 3;
    const M = 3;
    const config: GimConfig = { ...DEFAULTS, ...c, mcSamples: M, hidden: 2 };
    const set = makeSet(rng, d, [5, 4, 3]);
    const { data, params } = stepInputs(config, set);
    const E = 3;
    const width = c.intervention === "hard" ? 2 * d : d;
    const G = draw(rng, M * d * d, (r) => r.uniform());
    const I = draw(rng, E * M * d, (r) => r.uniform());
    const psi = draw(rng, E * M * width, (r) => r.normal());
    for (let k = 0; k < M * d; k++) I[k] = 0; // env 0 is observational
    for (let k = 0; k < M * width; k++) psi[k] = 0;
    const ell = [0.3, -0.2, 0.1];
    const weights: Record<string, number[]> = {};
    for (const s of params.specs) weights[s.name] = Array.from(await param(params, s.name).toArray());
    weights.ell = ell;
    const ellT = f64(ell, [d]);
    const got = await noGrad(() =>
      likelihood(config, data, {
        graphs: f64(G, [M, d, d]),
        mech: mechanismParams(params, config),
        ell: ellT,
        targets: f64(I, [E, M, d]),
        psi: f64(psi, [E, M, width]),
      }),
    ).item();

    const c5 = config.logStdClamp;
    const perGraph: number[] = [];
    for (let m = 0; m < M; m++) {
      let A = 0;
      set.envs.forEach((env, e) => {
        const rowTerms: number[][] = []; // [n][r]
        for (let n = 0; n < env.n; n++) {
          const x = Array.from(env.samples.subarray(n * d, (n + 1) * d));
          const terms: number[] = [];
          for (let r = 0; r < M; r++) {
            let t = 0;
            for (let j = 0; j < d; j++) {
              const mu = naiveMean(config, x, G, m, j, d, weights);
              const Iv = I[(e * M + r) * d + j];
              const lo = logNormal(x[j], mu, ell[j]);
              const p0 = psi[(e * M + r) * width + j];
              const li =
                c.intervention === "hard"
                  ? logNormal(x[j], p0, 2 * c5 * Math.tanh(psi[(e * M + r) * width + d + j] / c5))
                  : logNormal(x[j], mu + p0, ell[j]);
              t += (1 - Iv) * lo + Iv * li;
            }
            terms.push(t);
          }
          rowTerms.push(terms);
        }
        if (c.marginalize === "per-sample") for (const terms of rowTerms) A += lse(terms) - Math.log(M);
        else A += lse(Array.from({ length: M }, (_, r) => rowTerms.reduce((s, t) => s + t[r], 0))) - Math.log(M);
      });
      perGraph.push(A);
    }
    const expected = lse(perGraph) - Math.log(M);
    if (!(Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected))))
      throw new Error(`ℓ̂ = ${got}, direct computation ${expected}`);
  });
}

for (const mechanism of ["linear", "mlp"] as const) {
  for (const intervention of ["hard", "shift"] as const) {
    test(`merged step gradient = ∇ of each pass objective (Z, φ, θ) in f64: ${mechanism}, ${intervention}`, async () => {
      const rng = new HostRandom(5);
      const d = 3;
      const config: GimConfig = { ...DEFAULTS, mechanism, intervention, ...STEP_CONFIG, powerIterations: 200 };
      const inputs = stepInputs(config, makeSet(rng, d, [6, 4, 4]));
      const scalars = stepScalars(config);
      tidy(() => backward(stepObjective(inputs, scalars).loss));
      await checkPassGradients(inputs, scalars, rng);
    });
  }
}

for (const mechanism of ["linear", "mlp"] as const) {
  for (const intervention of ["hard", "shift"] as const) {
    test(`step chunked over N (blocks of 4 rows, splitting the observational and both interventional envs) = one block: loss and every gradient, f64: ${mechanism}, ${intervention}`, async () => {
      const d = 3;
      const config: GimConfig = { ...DEFAULTS, mechanism, intervention, ...STEP_CONFIG, powerIterations: 50 };
      const set = makeSet(new HostRandom(21), d, [6, 4, 4]);
      const whole = await stepGradients(config, set, Number.POSITIVE_INFINITY);
      const chunked = await stepGradients(config, set, 4); // envs at rows 0–5, 6–9, 10–13; blocks 0–3, 4–7, 8–11, 12–13
      if (whole.blocks !== 0 || chunked.blocks !== 4)
        throw new Error(`expected 0 and 4 chunks, got ${whole.blocks} and ${chunked.blocks}`);
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-10 * Math.max(1, Math.abs(b));
      if (!close(chunked.loss, whole.loss)) throw new Error(`loss: chunked ${chunked.loss}, one block ${whole.loss}`);
      for (const [name, g] of Object.entries(whole.grads)) {
        const worst = g.reduce(
          (w, x, i) => Math.max(w, Math.abs(x - chunked.grads[name][i]) / Math.max(1, Math.abs(x))),
          0,
        );
        if (!(worst <= 1e-10)) throw new Error(`${name}: chunked gradient differs by ${worst} (relative)`);
      }
    });
  }
}

for (const mechanism of ["linear", "mlp"] as const) {
  for (const chunkRows of [Number.POSITIVE_INFINITY, 4]) {
    test(`priors in the optimizer: the same loss, and each gradient + δ·w (Adam's fold) = the gradient with the priors back-propagated, f64: ${mechanism}, blocks of ${chunkRows} rows`, async () => {
      const config: GimConfig = { ...DEFAULTS, mechanism, ...STEP_CONFIG, powerIterations: 50 };
      const set = makeSet(new HostRandom(22), 3, [6, 4, 4]);
      const plain = await stepGradients(config, set, chunkRows);
      const folded = await stepGradients(config, set, chunkRows, true);
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b));
      if (!close(folded.loss, plain.loss))
        throw new Error(`loss: folded ${folded.loss}, back-propagated ${plain.loss}`);
      let moved = 0;
      for (const [name, g] of Object.entries(plain.grads)) {
        const delta = folded.decay[name];
        const w = folded.values[name];
        g.forEach((x, i) => {
          const got = folded.grads[name][i] + delta * w[i];
          if (!close(got, x)) throw new Error(`${name}[${i}]: folded ${got}, back-propagated ${x} (δ = ${delta})`);
          if (delta * w[i] !== 0) moved++;
        });
      }
      // The fold is not vacuous: the priors reach most entries (those not at zero, e.g. biases).
      if (moved < 20) throw new Error(`only ${moved} entries carry a prior gradient`);
      const without = Object.keys(folded.decay).filter((name) => !(folded.decay[name] > 0));
      if (without.length > 0) throw new Error(`parameters without a prior: ${without.join(", ")}`);
    });
  }
}

test("target-logit prior: −J/N grows by Σ a²/(2σ_a² N) over the training envs' logits, and the merged step's gradients match each pass objective (f64)", async () => {
  const d = 3;
  const base: GimConfig = { ...DEFAULTS, ...STEP_CONFIG, powerIterations: 200 };
  const set = makeSet(new HostRandom(8), d, [6, 4, 4]);
  const loss = async (config: GimConfig) => {
    const inputs = stepInputs(config, set);
    const value = noGrad(() => tidy(() => stepObjective(inputs, stepScalars(config)).loss));
    const logits = await noGrad(() => targetLogits(inputs.params, config, inputs.gamma)).toArray();
    return {
      value: await value.item(),
      sumSquares: Array.from(logits).reduce((s, a) => s + a * a, 0),
      N: inputs.data.N,
    };
  };
  const std = 1.5;
  const off = await loss(base);
  const on = await loss({ ...base, targetLogitStd: std });
  if (!(off.sumSquares > 0)) throw new Error("the test needs non-zero target logits");
  const expected = off.sumSquares / (2 * std * std * off.N);
  if (!(Math.abs(on.value - off.value - expected) <= 1e-10 * Math.max(1, Math.abs(on.value))))
    throw new Error(`loss moved by ${on.value - off.value}, expected Σa²/(2σ²N) = ${expected}`);
  const config = { ...base, targetLogitStd: std };
  const inputs = stepInputs(config, set);
  const scalars = stepScalars(config);
  tidy(() => backward(stepObjective(inputs, scalars).loss));
  await checkPassGradients(inputs, scalars, new HostRandom(9));
});

test("softplus target prior: −J/N grows by λ_I Σ (softplus(a) − σ(a)) / N over the training envs' logits, and the merged step's gradients match each pass objective (f64)", async () => {
  const base: GimConfig = { ...DEFAULTS, ...STEP_CONFIG, powerIterations: 200 };
  const set = makeSet(new HostRandom(8), 3, [6, 4, 4]);
  const loss = async (config: GimConfig) => {
    const inputs = stepInputs(config, set);
    const value = noGrad(() => tidy(() => stepObjective(inputs, stepScalars(config)).loss));
    const logits = Array.from(await noGrad(() => targetLogits(inputs.params, config, inputs.gamma)).toArray());
    return { value: await value.item(), logits, N: inputs.data.N };
  };
  const spec = await loss(base);
  const soft = await loss({ ...base, targetPrior: "softplus" });
  const softplus = (a: number) => Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a)));
  const sigmoid = (a: number) => 1 / (1 + Math.exp(-a));
  const gap = spec.logits.reduce((s, a) => s + softplus(a) - sigmoid(a), 0);
  if (!(Math.abs(gap) > 1e-3)) throw new Error("the test needs logits where the two priors differ");
  const expected = (base.lambdaTargets * gap) / spec.N;
  if (!(Math.abs(soft.value - spec.value - expected) <= 1e-10 * Math.max(1, Math.abs(soft.value))))
    throw new Error(`loss moved by ${soft.value - spec.value}, expected λ_I Σ(softplus − σ)/N = ${expected}`);
  const config: GimConfig = { ...base, targetPrior: "softplus" };
  const inputs = stepInputs(config, set);
  const scalars = stepScalars(config);
  tidy(() => backward(stepObjective(inputs, scalars).loss));
  await checkPassGradients(inputs, scalars, new HostRandom(9));
});

test("per-env marginalisation refuses to split rows into chunks, naming the option", () => {
  const set = makeSet(new HostRandom(3), 2, [6, 4]);
  let message = "";
  try {
    uploadData(set, cpu, "f64", true, 5);
  } catch (error) {
    message = (error as Error).message;
  }
  if (!/per-env/.test(message) || !/--chunk-rows/.test(message)) throw new Error(`unexpected error: "${message}"`);
});

test.run();
