/**
 * The synthetic benchmark of spec §9 (graphs, mechanisms, interventions, splits, normalisation,
 * PCA features) and the mean-shift baseline of D.5, checked against properties that follow from
 * the generating process rather than against stored outputs.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fitMeanShiftBaseline } from "../../gim/eval/baselines.js";
import type { Environment } from "../../gim/data/dataset.js";
import { erdosRenyi, scaleFree } from "../../gim/data/random-graphs.js";
import { isAcyclic } from "../../gim/graph/dag.js";
import { columnMeans } from "../../gim/eval/metrics.js";
import { applyPca, fitPca } from "../../gim/data/pca.js";
import { Random } from "../../gim/data/random.js";
import { type BenchmarkOptions, generateBenchmark } from "../../gim/data/synthetic.js";

const SMALL: BenchmarkOptions = {
  d: 6,
  graph: "er",
  edgesPerNode: 1,
  mechanism: "linear",
  intervention: "hard",
  perturbations: 3,
  nPerEnv: 200,
  nObs: 2000,
  q: 4,
  seed: 5,
};

const edges = (g: number[][]) => g.flat().reduce((a, b) => a + b, 0);
const inDegrees = (g: number[][]) => g[0].map((_, j) => g.reduce((s, row) => s + row[j], 0));

function columnVariances(samples: Float64Array, d: number): number[] {
  const mean = columnMeans(samples, d);
  const n = samples.length / d;
  return mean.map((m, j) => {
    let s = 0;
    for (let r = 0; r < n; r++) s += (samples[r * d + j] - m) ** 2;
    return s / n;
  });
}

test("ER: DAGs without self-loops, E = edgesPerNode·d edges on average", () => {
  const rng = new Random(1);
  const counts: number[] = [];
  for (let k = 0; k < 60; k++) {
    const g = erdosRenyi(20, 2, rng);
    assert.ok(isAcyclic(g));
    assert.ok(g.every((row, i) => row[i] === 0));
    counts.push(edges(g));
  }
  // Each draw has 190 Bernoulli(80/380) pairs: sd ≈ 5.6 per draw, ≈ 0.73 for the mean of 60.
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  assert.ok(Math.abs(mean - 40) < 3, `mean edge count ${mean}`);
  // The random permutation: not every draw is lower-triangular in the node labels.
  assert.ok(!erdosRenyi(20, 2, new Random(9)).every((row, i) => row.every((e, j) => !e || j < i)));
});

test("SF: Σ_v min(m, v) edges, out-degrees m, and hubs (in-degree ∝ in-degree + 1)", () => {
  const rng = new Random(2);
  let sfMax = 0;
  let erMax = 0;
  for (let k = 0; k < 40; k++) {
    const g = scaleFree(20, 2, rng);
    assert.ok(isAcyclic(g));
    assert.is(edges(g), 1 + 2 * 18);
    const outDegrees = g.map((row) => row.reduce((a, b) => a + b, 0)).sort((a, b) => a - b);
    assert.equal(outDegrees, [0, 1, ...new Array(18).fill(2)]);
    sfMax += Math.max(...inDegrees(g)) / 40;
    erMax += Math.max(...inDegrees(erdosRenyi(20, 37 / 20, rng))) / 40;
  }
  // Preferential attachment concentrates in-edges: the largest in-degree is far above ER's.
  assert.ok(sfMax > erMax + 2, `mean max in-degree SF ${sfMax} vs ER ${erMax}`);
});

test("splits, env ids, targets, and z-scoring with observational statistics", () => {
  const data = generateBenchmark(SMALL);
  const { d, perturbations: P } = SMALL;
  const split = (s: string) => data.envs.filter((e) => data.truth.split[e.id] === s);
  assert.is(data.envs[0].id, "obs");
  assert.ok(data.envs[0].observational && data.envs[0].n === SMALL.nObs);
  assert.is(split("train").length, P * 4);
  assert.is(split("partial-ood").length, P * 4);
  assert.is(split("full-ood").length, P * 4);
  assert.ok(data.envs.slice(1).every((e) => e.n === SMALL.nPerEnv && !e.observational));
  assert.ok(isAcyclic(data.truth.graph));
  const targetSet = (e: Environment) => data.truth.targets[e.id].flatMap((t, j) => (t ? [j] : [])).join();
  const trainSets = new Set(split("train").map(targetSet));
  assert.is(trainSets.size, P, "distinct perturbations");
  assert.equal(new Set(split("partial-ood").map(targetSet)), trainSets, "partial OOD: same perturbations");
  for (const e of split("full-ood")) assert.ok(!trainSets.has(targetSet(e)), "full OOD: new target sets");
  for (const e of data.envs.slice(1)) {
    const size = targetSet(e).split(",").length;
    assert.ok(size === 1 || size === 2);
  }
  // Observational samples are exactly standardised (population statistics).
  columnMeans(data.envs[0].samples, d).forEach((m) => assert.ok(Math.abs(m) < 1e-9));
  columnVariances(data.envs[0].samples, d).forEach((v) => assert.ok(Math.abs(v - 1) < 1e-9));
});

test("freshPerEnv: new samples of every training env with its features and targets; the rest unchanged", () => {
  const plain = generateBenchmark(SMALL);
  const data = generateBenchmark({ ...SMALL, freshPerEnv: 150 });
  assert.is(data.envs.length, plain.envs.length + SMALL.perturbations * 4);
  plain.envs.forEach((e, k) => {
    assert.is(data.envs[k].id, e.id);
    assert.equal(data.envs[k].samples, e.samples);
    assert.equal(data.envs[k].features, e.features);
  });
  const trainIds = plain.envs.filter((e) => plain.truth.split[e.id] === "train").map((e) => e.id);
  const fresh = data.envs.slice(plain.envs.length);
  assert.equal(
    fresh.map((e) => e.id),
    trainIds.map((id) => `${id}_fresh`),
  );
  for (const e of fresh) {
    const source = plain.envs.find((p) => `${p.id}_fresh` === e.id)!;
    assert.is(data.truth.split[e.id], "train-fresh");
    assert.is(e.n, 150);
    assert.equal(e.features, source.features);
    assert.equal(data.truth.targets[e.id], data.truth.targets[source.id]);
    // Same distribution, new draws: means agree within sampling error (z units; a hard target's
    // sd is √10, so 5 standard errors of a difference of means of 200 and 150 rows is ≈ 1.7).
    const [a, b] = [columnMeans(source.samples, SMALL.d), columnMeans(e.samples, SMALL.d)];
    a.forEach((m, j) => assert.ok(Math.abs(m - b[j]) < 1.7, `${e.id} x${j + 1}: ${m} vs ${b[j]}`));
    assert.not.equal(e.samples.slice(0, SMALL.d), source.samples.slice(0, SMALL.d));
  }
});

test("hard interventions on roots: x_j ~ N(ψ_j, 1) with ψ_j a Hill value in (0, 5)", () => {
  for (const mechanism of ["linear", "mlp"] as const) {
    const data = generateBenchmark({ ...SMALL, mechanism, perturbations: 6 });
    const roots = data.truth.graph[0].map((_, j) => j).filter((j) => data.truth.graph.every((row) => row[j] === 0));
    let checked = 0;
    for (const e of data.envs.slice(1)) {
      for (const j of roots.filter((r) => data.truth.targets[e.id][r])) {
        // A root's raw observational sd is σ_obs = √0.1, so in z units the intervened variable
        // has variance 1/0.1 = 10 (sd of the estimate ≈ 10·√(2/200) = 1) and mean ψ_j/√0.1.
        const variance = columnVariances(e.samples, SMALL.d)[j];
        assert.ok(Math.abs(variance - 10) < 4, `${mechanism} ${e.id} x${j + 1}: variance ${variance}`);
        const psi = columnMeans(e.samples, SMALL.d)[j] * Math.sqrt(0.1);
        assert.ok(psi > -0.3 && psi < 5.3, `${mechanism} ${e.id}: ψ ≈ ${psi}`);
        checked++;
      }
    }
    assert.ok(checked >= 4, `${mechanism}: only ${checked} root targets`);
  }
});

test("linear mechanisms: |w| ∈ [0.5, 2] shows as a z-scored correlation in [0.447, 0.894]", () => {
  // d = 2 with p = 1: always one edge; child = w·parent + ε, both with noise variance 0.1, so the
  // correlation is w/√(w² + 1).
  for (let seed = 0; seed < 6; seed++) {
    const data = generateBenchmark({ ...SMALL, d: 2, q: 2, perturbations: 1, seed });
    const x = data.envs[0].samples;
    let r = 0;
    for (let s = 0; s < data.envs[0].n; s++) r += (x[2 * s] * x[2 * s + 1]) / data.envs[0].n;
    assert.ok(Math.abs(r) > 0.4 && Math.abs(r) < 0.93, `seed ${seed}: correlation ${r}`);
  }
});

test("shift interventions: x_j = f_j(pa) + ψ_j + ε, ψ increasing in the dose (Hill)", () => {
  // An empty graph (edgesPerNode 0): every variable is a root with x_j = ψ_j + ε, ε ~ N(0, 0.1).
  const data = generateBenchmark({ ...SMALL, edgesPerNode: 0, intervention: "shift", perturbations: 4 });
  assert.is(edges(data.truth.graph), 0);
  for (let k = 0; k < 4; k++) {
    const envs = [0.5, 1, 2, 4].map((s) => data.envs.find((e) => e.id === `p${k}_s${s}`)!);
    const j = data.truth.targets[envs[0].id].indexOf(1);
    const psi = envs.map((e) => columnMeans(e.samples, SMALL.d)[j] * Math.sqrt(0.1));
    // Hill(4) − Hill(0.5) ≥ a(8/9 − 1/2) > 0.38 over the parameter ranges; noise sd of a mean ≈ 0.02.
    assert.ok(psi[3] - psi[0] > 0.3, `perturbation ${k}: ψ ${psi}`);
    assert.ok(psi.every((p) => p > -0.1 && p < 5.1));
    // Shift keeps the noise: variance 1 in z units.
    assert.ok(Math.abs(columnVariances(envs[3].samples, SMALL.d)[j] - 1) < 0.3);
  }
});

test("features: γ_obs = 0, no other zero row, PCA-whitened on the train envs", () => {
  const data = generateBenchmark(SMALL);
  const q = SMALL.q;
  assert.ok(data.envs[0].features.every((v) => v === 0));
  assert.ok(data.envs.slice(1).every((e) => e.features.length === q && e.features.some((v) => v !== 0)));
  const train = data.envs.filter((e) => data.truth.split[e.id] === "train").map((e) => e.features);
  const mean = Array.from({ length: q }, (_, a) => train.reduce((s, f) => s + f[a], 0) / train.length);
  mean.forEach((m) => assert.ok(Math.abs(m) < 1e-9, `train mean ${m}`));
  const cov = (a: number, b: number) => train.reduce((s, f) => s + f[a] * f[b], 0) / train.length;
  for (let a = 0; a < q; a++) {
    for (let b = a + 1; b < q; b++) assert.ok(Math.abs(cov(a, b)) < 1e-8, `cov(${a}, ${b}) = ${cov(a, b)}`);
    if (a > 0) assert.ok(cov(a, a) <= cov(a - 1, a - 1) + 1e-9, "variances non-increasing");
  }
});

test("PCA: zero-std columns become 0, rank-limited fits pad with zero columns", () => {
  // Width 3 with a constant column and rank 1: one informative component, q = 3 asks for more.
  const rows = [
    [1, 5, 2],
    [2, 5, 4],
    [3, 5, 6],
  ];
  const model = fitPca(rows, 3);
  const out = rows.map((r) => applyPca(model, r, 3));
  // Standardised columns 1 and 3 are both (−√1.5, 0, √1.5); the component is (1, 0, 1)/√2.
  assert.ok(Math.abs(Math.abs(out[0][0]) - Math.sqrt(3)) < 1e-9, `${out[0]}`);
  for (const row of out) for (const v of row.slice(1)) assert.ok(Math.abs(v) < 1e-9);
  assert.is(applyPca(model, [1, 5, 2], 5).length, 5);
});

test("same options → identical benchmark; another seed → different", () => {
  const a = generateBenchmark({ ...SMALL, graph: "sf", mechanism: "mlp" });
  const b = generateBenchmark({ ...SMALL, graph: "sf", mechanism: "mlp" });
  assert.equal(a.truth, b.truth);
  a.envs.forEach((e, k) => {
    assert.equal(e.features, b.envs[k].features);
    assert.equal(Array.from(e.samples), Array.from(b.envs[k].samples));
  });
  const c = generateBenchmark({ ...SMALL, graph: "sf", mechanism: "mlp", seed: 6 });
  assert.not.equal(Array.from(c.envs[0].samples.subarray(0, 12)), Array.from(a.envs[0].samples.subarray(0, 12)));
});

test("mean-shift baseline: fits the train envs' mean shifts, deterministic, zero for γ = 0", () => {
  const data = generateBenchmark({ ...SMALL, intervention: "shift", perturbations: 4, nPerEnv: 50, nObs: 500 });
  const d = SMALL.d;
  const obs = data.envs[0];
  const train = data.envs.filter((e) => data.truth.split[e.id] === "train");
  const model = fitMeanShiftBaseline(obs, train, d, { seed: 1, steps: 400 });
  const base = columnMeans(obs.samples, d);
  let err = 0;
  let size = 0;
  for (const e of train) {
    const truth = columnMeans(e.samples, d).map((m, j) => m - base[j]);
    const fit = model.shift(e.features);
    truth.forEach((t, j) => {
      err += (fit[j] - t) ** 2;
      size += t * t;
    });
  }
  assert.ok(err < 0.05 * size, `residual ${err} vs ${size}`);
  assert.equal(model.shift(new Array(SMALL.q).fill(0)), new Array(d).fill(0));
  const again = fitMeanShiftBaseline(obs, train, d, { seed: 1, steps: 400 });
  assert.equal(again.shift(train[3].features), model.shift(train[3].features));
});

test.run();
