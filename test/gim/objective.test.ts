/**
 * The objective against direct computations on tiny inputs (float64, cpu): the estimator ℓ̂ of
 * eq 10 for linear/MLP mechanisms, hard/shift interventions, per-sample and per-env; and the
 * merged one-backward step against finite differences of each of the three pass objectives; the
 * step chunked over N against the same step in one block.
 */
import { test } from "uvu";
import { cpuBackend } from "../../engine/context.js";
import { HostRandom } from "../../engine/host-random.js";
import { backward, noGrad, tidy } from "../../engine/index.js";
import { Tensor } from "../../engine/tensor.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { likelihood, passObjectives, scalarsAt, stepObjective } from "../../gim/model/objective.js";
import { type GimParams, groupParams, initParams, mechanismParams, param } from "../../gim/model/params.js";
import type { TrainingSet } from "../../gim/data/training-set.js";
import { featureMatrix, uploadData } from "../../gim/model/device-data.js";
import { stepGradients } from "./step-gradients.js";

const cpu = cpuBackend();
const LOG2PI = Math.log(2 * Math.PI);
const logN = (x: number, m: number, logVar: number) => -0.5 * (LOG2PI + logVar + (x - m) ** 2 * Math.exp(-logVar));
const lse = (v: number[]) => {
  const c = Math.max(...v);
  return c + Math.log(v.reduce((s, x) => s + Math.exp(x - c), 0));
};

function makeSet(rng: HostRandom, d: number, sizes: number[], p = 2): TrainingSet {
  return {
    variables: Array.from({ length: d }, (_, j) => `x${j}`),
    featureNames: Array.from({ length: p }, (_, j) => `f${j}`),
    envs: sizes.map((n, e) => ({
      id: `e${e}`,
      features: e === 0 ? new Array(p).fill(0) : Array.from({ length: p }, () => rng.normal()),
      samples: Float64Array.from({ length: n * d }, () => rng.normal()),
      n,
    })),
  };
}

const f64 = (values: ArrayLike<number>, shape: number[]) => new Tensor(cpu, cpu.upload(values, "f64"), shape);
const draw = (rng: HostRandom, n: number, f: (r: HostRandom) => number) => Array.from({ length: n }, () => f(rng));

interface Case {
  mechanism: GimConfig["mechanism"];
  intervention: GimConfig["intervention"];
  marginalize: GimConfig["marginalize"];
}

function naiveMean(config: GimConfig, x: number[], G: number[], m: number, j: number, d: number, w: Record<string, number[]>): number {
  if (config.mechanism === "linear") {
    let mu = 0;
    for (let i = 0; i < d; i++) mu += x[i] * G[(m * d + i) * d + j] * w.Theta[i * d + j];
    return mu;
  }
  const H = config.hidden;
  let mu = w.b2[j];
  for (let h = 0; h < H; h++) {
    let pre = w.b1[j * H + h];
    for (let i = 0; i < d; i++) pre += x[i] * G[(m * d + i) * d + j] * w.W1[(j * d + i) * H + h];
    mu += w.w2[j * H + h] * Math.tanh(pre);
  }
  return mu;
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
    const data = uploadData(set, cpu, "f64", c.marginalize === "per-env");
    const params = initParams(config, { d, p: 2, K: 2 }, cpu, "f64");
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
      likelihood(config, data, f64(G, [M, d, d]), mechanismParams(params, config), ellT, f64(I, [E, M, d]), f64(psi, [E, M, width])).value,
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
              const lo = logN(x[j], mu, ell[j]);
              const p0 = psi[(e * M + r) * width + j];
              const li = c.intervention === "hard" ? logN(x[j], p0, 2 * c5 * Math.tanh(psi[(e * M + r) * width + d + j] / c5)) : logN(x[j], mu + p0, ell[j]);
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
    if (!(Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected)))) throw new Error(`ℓ̂ = ${got}, direct computation ${expected}`);
  });
}

/** Random direction over a parameter group, ⟨v, g⟩ and the central difference of f along v. */
async function directional(group: Tensor[], grads: Float64Array[], f: () => Promise<number>, rng: HostRandom, h = 1e-6) {
  const base = await Promise.all(group.map((t) => t.toArray()));
  const v = group.map((t) => Float64Array.from({ length: t.size }, () => rng.normal()));
  const set = (sign: number) => group.forEach((t, k) => t.backend.copy(t.backend.upload(base[k].map((x, i) => x + sign * h * v[k][i]), "f64"), 0, t.storage, 0, t.size));
  set(1);
  const plus = await f();
  set(-1);
  const minus = await f();
  set(0);
  const analytic = v.reduce((s, vk, k) => s + vk.reduce((a, x, i) => a + x * grads[k][i], 0), 0);
  return { analytic, numeric: (plus - minus) / (2 * h) };
}

for (const mechanism of ["linear", "mlp"] as const) {
  for (const intervention of ["hard", "shift"] as const) {
    test(`merged step gradient = ∇ of each pass objective (Z, φ, θ) in f64: ${mechanism}, ${intervention}`, async () => {
      const rng = new HostRandom(5);
      const d = 3;
      const config: GimConfig = { ...DEFAULTS, mechanism, intervention, mcSamples: 4, acyclicitySamples: 3, hidden: 2, gimHidden: 6, alphaLinear: 0.5, powerIterations: 200 };
      const set = makeSet(rng, d, [6, 4, 4]);
      const data = uploadData(set, cpu, "f64", false);
      const gamma = featureMatrix(set, cpu, "f64");
      const params: GimParams = initParams(config, { d, p: 2, K: 2 }, cpu, "f64");
      const scalars = scalarsAt(config, 3, { alpha: 0.7, mu: 2 });
      tidy(() => backward(stepObjective(params, config, data, gamma, scalars).loss));
      const groups = { z: groupParams(params, "z"), phi: groupParams(params, "phi"), theta: groupParams(params, "theta") };
      for (const [name, group] of Object.entries(groups) as [keyof typeof groups, Tensor[]][]) {
        const grads = await Promise.all(group.map(async (t) => Float64Array.from(await t.grad!.toArray())));
        const f = async () => {
          const value = noGrad(() => tidy(() => passObjectives(params, config, data, gamma, scalars)[name]));
          const out = await value.item();
          value.dispose();
          return out;
        };
        const { analytic, numeric } = await directional(group, grads, f, rng);
        const err = Math.abs(analytic - numeric) / Math.max(1e-6, Math.abs(numeric));
        if (!(err < 1e-5)) throw new Error(`${name} pass: merged-step gradient ${analytic}, finite difference ${numeric} (rel. error ${err})`);
      }
    });
  }
}

for (const mechanism of ["linear", "mlp"] as const) {
  for (const intervention of ["hard", "shift"] as const) {
    test(`step chunked over N (blocks of 4 rows, splitting the observational and both interventional envs) = one block: loss and every gradient, f64: ${mechanism}, ${intervention}`, async () => {
      const d = 3;
      const config: GimConfig = { ...DEFAULTS, mechanism, intervention, mcSamples: 4, acyclicitySamples: 3, hidden: 2, gimHidden: 6, alphaLinear: 0.5, powerIterations: 50 };
      const set = makeSet(new HostRandom(21), d, [6, 4, 4]);
      const whole = await stepGradients(config, set, Number.POSITIVE_INFINITY);
      const chunked = await stepGradients(config, set, 4); // envs at rows 0–5, 6–9, 10–13; blocks 0–3, 4–7, 8–11, 12–13
      if (whole.blocks !== 0 || chunked.blocks !== 4) throw new Error(`expected 0 and 4 chunks, got ${whole.blocks} and ${chunked.blocks}`);
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-10 * Math.max(1, Math.abs(b));
      if (!close(chunked.loss, whole.loss)) throw new Error(`loss: chunked ${chunked.loss}, one block ${whole.loss}`);
      for (const [name, g] of Object.entries(whole.grads)) {
        const worst = g.reduce((w, x, i) => Math.max(w, Math.abs(x - chunked.grads[name][i]) / Math.max(1, Math.abs(x))), 0);
        if (!(worst <= 1e-10)) throw new Error(`${name}: chunked gradient differs by ${worst} (relative)`);
      }
    });
  }
}

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
