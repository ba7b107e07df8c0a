// Quick score for tuning runs (seconds, where `gim eval` takes minutes): Edge-F1 with the number
// of reversed edges, Target-F1 with its precision and recall per split, and the mean distance of
// GIM's predicted means against the observational baseline's. Needs `npm run build` first.
//   node scripts/external-check/quick-score.mjs MODEL.json DATA_DIR   → one JSON line
import { HostModel, HostRandom, loadDataset, loadModel, metrics } from "../../dist/index.js";

const [modelPath, dataDir] = process.argv.slice(2);
if (!modelPath || !dataDir) {
  console.error("usage: node scripts/external-check/quick-score.mjs MODEL.json DATA_DIR");
  process.exit(2);
}
const model = loadModel(modelPath);
const data = loadDataset(dataDir);
const truth = data.truth;
if (!truth) throw new Error(`${dataDir}: no truth.json to score against`);
const d = data.variables.length;
const host = new HostModel(model);

let tp = 0;
let fp = 0;
let fn = 0;
let reversed = 0;
for (let i = 0; i < d; i++) {
  for (let j = 0; j < d; j++) {
    if (i === j) continue;
    const real = truth.graph[i][j];
    const found = model.graph[i][j];
    if (real && found) tp++;
    else if (found) {
      fp++;
      if (truth.graph[j][i]) reversed++;
    } else if (real) fn++;
  }
}
const round = (v, k = 3) => Number(v.toFixed(k));
const report = {
  edgeF1: round(metrics.edgeF1(truth.graph, model.graph)),
  edges: tp + fp,
  trueEdges: tp + fn,
  truePositives: tp,
  reversed,
};

const observational = data.envs.find((e) => e.observational);
for (const split of ["train", "partial-ood", "full-ood"]) {
  const envs = data.envs.filter((e) => !e.observational && truth.split[e.id] === split);
  if (envs.length === 0) continue;
  const truths = envs.map((env) => truth.targets[env.id]);
  const estimates = envs.map((env) => host.targetProbabilities(env.features).map((p) => (p > 0.5 ? 1 : 0)));
  let hit = 0;
  let extra = 0;
  let missed = 0;
  truths.forEach((real, k) => {
    for (let j = 0; j < d; j++) {
      if (estimates[k][j] && real[j]) hit++;
      else if (estimates[k][j]) extra++;
      else if (real[j]) missed++;
    }
  });
  // The same sampling seeds as `gim eval --seed 0`, so the mean distances agree with it.
  const gim = envs.map((env, k) =>
    metrics.meanDistance(host.sample(env.features, 1000, new HostRandom(k)), env.samples, d),
  );
  const obs = envs.map((env) => metrics.meanDistance(observational.samples, env.samples, d));
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  report[split] = {
    targetF1: round(metrics.targetF1(truths, estimates)),
    precision: round(hit / Math.max(hit + extra, 1), 2),
    recall: round(hit / Math.max(hit + missed, 1), 2),
    meanDistance: round(mean(gim), 2),
    observational: round(mean(obs), 2),
  };
}
console.log(JSON.stringify(report));
