// Where GIM's predicted means go wrong on the environments it was trained on (issue #13): a manual
// diagnosis for linear-Gaussian models with hard interventions, not run in CI. Needs `npm run build`.
//   node scripts/external-check/predict-breakdown.mjs MODEL.json DATA_DIR [--split train] [--worst 5] [--json]
//
// For a linear SCM the predicted mean is exact without sampling: a variable targeted with
// probability p_j has E[x_j] = p_j m_j + (1 − p_j) Σ_i Θ_ij E[x_i] (the Bernoulli draw is
// independent of the parents), so every variant below is a deterministic mean vector. "Truth" is
// what the data themselves say, so the script works for any generator: the true graph of
// truth.json with weights refitted by least squares on every row where the child is not targeted
// (the oracle SCM), the true targets, and each target's observed env mean as its ψ. Variants, each
// scored by the mean distance to the env's sample mean (gim eval's metric, without its
// 1,000-sample Monte Carlo noise):
//   sampled   learned SCM, Bernoulli targets p = σ(f_φ(γ)), learned m    (what gim eval scores)
//   map       learned SCM, targets 1[p > 0.5], learned m                 ((d): sampled vs MAP)
//   trueI     learned SCM, true targets, learned m                       ((a): missed/added targets)
//   trueIψ    learned SCM, true targets, true ψ                          ((c): graph and weights only)
//   oracleSCM oracle SCM, MAP targets, learned m                         (targets + ψ only)
//   oracle    oracle SCM, true targets, true ψ                           (the floor)
// With --means FILE (scripts/external-check/true-means.py, generate.py data only) also the
// population means: "population" is the distance of the true mean to the sample mean (what
// even the data-generating model scores), and ψ errors are taken against the true Hill values.
// The squared error of the sampled prediction is split over the variables by what they are in
// the env: a target found (ψ error), a target missed, a target added, or none (downstream).
//   node scripts/external-check/predict-breakdown.mjs MODEL.json DATA_DIR [--means FILE] [--split S] [--worst K] [--json]
import { readFileSync } from "node:fs";
import { HostModel, fitMeanShiftBaseline, loadDataset, loadModel } from "../../dist/index.js";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = args.indexOf(`--${name}`);
  return k < 0 ? fallback : args[k + 1];
};
const [modelPath, dataDir] = args.filter((a, k) => !a.startsWith("--") && !args[k - 1]?.startsWith("--"));
if (!modelPath || !dataDir) {
  console.error("usage: node scripts/external-check/predict-breakdown.mjs MODEL.json DATA_DIR [--split S] [--worst K]");
  process.exit(2);
}
const model = loadModel(modelPath);
if (model.config.mechanism !== "linear" || model.config.intervention !== "hard")
  throw new Error("predict-breakdown handles linear mechanisms with hard interventions only");
const data = loadDataset(dataDir);
const truth = data.truth;
if (!truth) throw new Error(`${dataDir}: no truth.json`);
const d = data.variables.length;
const host = new HostModel(model);
const split = flag("split", "train");
const worst = Number(flag("worst", "5"));
const means = flag("means") ? JSON.parse(readFileSync(flag("means"), "utf8")) : null;

const colMeans = (env) => {
  const m = new Array(d).fill(0);
  for (let r = 0; r < env.n; r++) for (let j = 0; j < d; j++) m[j] += env.samples[r * d + j] / env.n;
  return m;
};
const dist = (a, b) => Math.sqrt(a.reduce((s, v, j) => s + (v - b[j]) ** 2, 0));

// Oracle SCM: least squares of x_j on its true parents over the rows where j is not targeted.
function solve(A, b) {
  const n = b.length;
  const M = A.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k];
    }
  }
  return M.map((row, i) => row[n] / row[i]);
}
const trueTargets = (env) => (env.observational ? new Array(d).fill(0) : truth.targets[env.id]);
const oracleTheta = Array.from({ length: d }, () => new Array(d).fill(0));
const oracleVar = new Array(d).fill(0);
const trainEnvs = data.envs.filter((e) => e.observational || truth.split[e.id] === "train");
for (let j = 0; j < d; j++) {
  const parents = [...Array(d).keys()].filter((i) => truth.graph[i][j]);
  const rows = [];
  for (const env of trainEnvs) {
    if (trueTargets(env)[j]) continue;
    for (let r = 0; r < env.n; r++) rows.push(env.samples.subarray(r * d, (r + 1) * d));
  }
  const A = parents.map((a) => parents.map((b) => rows.reduce((s, x) => s + x[a] * x[b], 0)));
  const b = parents.map((a) => rows.reduce((s, x) => s + x[a] * x[j], 0));
  const w = parents.length ? solve(A, b) : [];
  parents.forEach((i, k) => (oracleTheta[i][j] = w[k]));
  oracleVar[j] =
    rows.reduce((s, x) => s + (x[j] - parents.reduce((t, i, k) => t + w[k] * x[i], 0)) ** 2, 0) / rows.length;
}
const order = (graph) => {
  const indeg = graph[0].map((_, j) => graph.reduce((s, row) => s + row[j], 0));
  const queue = indeg.map((v, j) => (v === 0 ? j : -1)).filter((j) => j >= 0);
  const out = [];
  while (queue.length) {
    const i = queue.shift();
    out.push(i);
    for (let j = 0; j < d; j++) if (graph[i][j] && --indeg[j] === 0) queue.push(j);
  }
  return out;
};
const learnedTheta = model.weights.Theta.values;
const learned = { graph: model.graph, weight: (i, j) => learnedTheta[i * d + j], order: order(model.graph) };
const oracle = { graph: truth.graph, weight: (i, j) => oracleTheta[i][j], order: order(truth.graph) };

/** Exact predicted mean: p[j] targeting probability, m[j] the targeted mean. */
function predictMean(scm, p, m) {
  const mu = new Array(d).fill(0);
  for (const j of scm.order) {
    let parentMean = 0;
    for (let i = 0; i < d; i++) if (scm.graph[i][j]) parentMean += scm.weight(i, j) * mu[i];
    mu[j] = p[j] * m[j] + (1 - p[j]) * parentMean;
  }
  return mu;
}

// Every split's exact mean distances, with the baselines of gim eval (their predicted means are
// the observational sample mean, plus the mean-shift MLP's shift).
const obsEnv = data.envs.find((e) => e.observational);
const obsMean = colMeans(obsEnv);
const mlp = fitMeanShiftBaseline(
  obsEnv,
  data.envs.filter((e) => !e.observational && truth.split[e.id] === "train"),
  d,
  { seed: 0 },
);
const splits = {};
for (const s of ["train", "partial-ood", "full-ood"]) {
  const envs = data.envs.filter((e) => !e.observational && truth.split[e.id] === s);
  const sum = { gimSampled: 0, gimMap: 0, meanShiftMlp: 0, observational: 0, population: 0 };
  for (const env of envs) {
    const observed = colMeans(env);
    const probs = host.targetProbabilities(env.features);
    const m = host.psiMean(env.features).slice(0, d);
    sum.gimSampled += dist(predictMean(learned, probs, m), observed);
    sum.gimMap += dist(
      predictMean(
        learned,
        probs.map((q) => (q > 0.5 ? 1 : 0)),
        m,
      ),
      observed,
    );
    const shift = mlp.shift(env.features);
    sum.meanShiftMlp += dist(
      obsMean.map((v, j) => v + shift[j]),
      observed,
    );
    sum.observational += dist(obsMean, observed);
    sum.population += means ? dist(means[env.id].mean, observed) : Number.NaN;
  }
  splits[s] = Object.fromEntries(Object.entries(sum).map(([k, v]) => [k, Number((v / envs.length).toFixed(3))]));
}

const rows = [];
for (const env of data.envs.filter((e) => !e.observational && truth.split[e.id] === split)) {
  const observed = colMeans(env);
  const probs = host.targetProbabilities(env.features);
  const mapI = probs.map((q) => (q > 0.5 ? 1 : 0));
  const psi = host.psiMean(env.features);
  const m = psi.slice(0, d);
  const trueI = trueTargets(env);
  const truePsi = observed.map((v, j) => (trueI[j] ? v : 0));
  const variants = {
    sampled: predictMean(learned, probs, m),
    map: predictMean(learned, mapI, m),
    trueI: predictMean(learned, trueI, m),
    trueIpsi: predictMean(learned, trueI, truePsi),
    oracleSCM: predictMean(oracle, mapI, m),
    oracle: predictMean(oracle, trueI, truePsi),
  };
  if (means) variants.population = means[env.id].mean;
  const score = Object.fromEntries(Object.entries(variants).map(([k, v]) => [k, dist(v, observed)]));
  const kind = (j) => (trueI[j] ? (mapI[j] ? "found" : "missed") : mapI[j] ? "added" : "downstream");
  const perVar = [...Array(d).keys()].map((j) => ({
    j,
    truth: trueI[j],
    p: probs[j],
    m: m[j],
    logStd: psi[d + j],
    observed: observed[j],
    kind: kind(j),
    truePsi: means ? means[env.id].psi[j] : trueI[j] ? observed[j] : null,
    sampledErr: variants.sampled[j] - observed[j],
    mapErr: variants.map[j] - observed[j],
  }));
  rows.push({
    env: env.id,
    score,
    perVar,
    missed: trueI.filter((t, j) => t && !mapI[j]).length,
    added: mapI.filter((t, j) => t && !trueI[j]).length,
  });
}
const mean = (key) => rows.reduce((s, r) => s + r.score[key], 0) / rows.length;
const summary = Object.fromEntries(Object.keys(rows[0].score).map((k) => [k, Number(mean(k).toFixed(3))]));
// Target probabilities of true targets: how far from 0/1 the Bernoulli draws are.
const trueP = rows.flatMap((r) => r.perVar.filter((v) => v.truth).map((v) => v.p));
const falseP = rows.flatMap((r) => r.perVar.filter((v) => !v.truth).map((v) => v.p));
const psiErr = rows.flatMap((r) => r.perVar.filter((v) => v.kind === "found").map((v) => Math.abs(v.m - v.truePsi)));
const squared = {};
for (const r of rows)
  for (const v of r.perVar) squared[v.kind] = (squared[v.kind] ?? 0) + v.sampledErr ** 2 / rows.length;
const avg = (a) => (a.length ? a.reduce((s, v) => s + v, 0) / a.length : Number.NaN);
const ell = model.weights.ell.values;
const report = {
  splits,
  split,
  envs: rows.length,
  meanDistance: summary,
  missedTargets: rows.reduce((s, r) => s + r.missed, 0),
  addedTargets: rows.reduce((s, r) => s + r.added, 0),
  trueTargetP: { mean: Number(avg(trueP).toFixed(3)), below09: trueP.filter((q) => q < 0.9).length, of: trueP.length },
  otherP: { mean: Number(avg(falseP).toFixed(4)), above01: falseP.filter((q) => q > 0.1).length, of: falseP.length },
  psiAbsErrorFoundTargets: Number(avg(psiErr).toFixed(3)),
  squaredErrorByKind: Object.fromEntries(Object.entries(squared).map(([k, v]) => [k, Number(v.toFixed(3))])),
  noise: [...Array(d).keys()].map((j) => ({
    j,
    learnedStd: Number(Math.exp(0.5 * ell[j]).toFixed(3)),
    oracleStd: Number(Math.sqrt(oracleVar[j]).toFixed(3)),
  })),
};
if (args.includes("--json")) {
  console.log(JSON.stringify({ ...report, rows }));
} else {
  console.log(JSON.stringify(report));
  const fmt = (v) => (v >= 0 ? " " : "") + v.toFixed(2);
  for (const r of [...rows].sort((a, b) => b.score.sampled - a.score.sampled).slice(0, worst)) {
    console.log(
      `\n${r.env}: ${Object.entries(r.score)
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(", ")}`,
    );
    console.log("  j  true  p      m      obs    err(sampled) err(map)");
    for (const v of r.perVar) {
      if (Math.abs(v.sampledErr) < 0.1 && Math.abs(v.mapErr) < 0.1 && !v.truth && v.p < 0.1) continue;
      console.log(
        `  ${v.j}  ${v.truth}    ${v.p.toFixed(2)}  ${fmt(v.m)}  ${fmt(v.observed)}  ${fmt(v.sampledErr)}        ${fmt(v.mapErr)}`,
      );
    }
  }
}
