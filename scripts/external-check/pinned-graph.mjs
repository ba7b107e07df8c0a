// Does the objective prefer the true graph? Trains θ, ℓ and φ from scratch with every graph sample
// pinned to one fixed DAG (Z frozen, as in the refit phase: gim/train/refit.ts), so two graphs can
// be compared by the objective each reaches with everything else trained the same way. A true
// graph that ends at a lower loss than the learned one means the search over Z, not the objective,
// is what misses it. Needs `npm run build` first.
//   node scripts/external-check/pinned-graph.mjs DATA_DIR (truth | MODEL.json) OUT.json [--steps N] [--seed S] [--backend B]
// Prints one JSON line: the final loss −J/N, the pinned Z's constant prior term in it (k‖Z‖²/(2N),
// the same for every pinned graph) and the loss without it; OUT.json is a model file (score it
// with quick-score.mjs).
import { writeFileSync } from "node:fs";
import {
  GIM_DEFAULTS,
  Trainer,
  createBackend,
  loadDataset,
  loadModel,
  modelFromTrainer,
  trainingSubset,
} from "../../dist/index.js";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : fallback;
};
const [dataDir, graphSource, outPath] = args;
if (!dataDir || !graphSource || !outPath) {
  console.error(
    "usage: node scripts/external-check/pinned-graph.mjs DATA_DIR (truth | MODEL.json) OUT.json [--steps N] [--seed S]",
  );
  process.exit(2);
}
const data = loadDataset(dataDir);
const graph = graphSource === "truth" ? data.truth?.graph : loadModel(graphSource).graph;
if (!graph) throw new Error(`${dataDir}: no truth.json with a graph`);

/** The refit's pinning (gim/train/refit.ts): |α S| = 200 on every entry, U = c(2G − 1), V = c·I. */
const ALPHA = 10;
const d = graph.length;
const c = Math.sqrt(200 / ALPHA);
const U = Array.from({ length: d * d }, (_, k) => (graph[Math.floor(k / d)][k % d] ? c : -c));
const V = Array.from({ length: d * d }, (_, k) => (Math.floor(k / d) === k % d ? c : 0));

const config = {
  ...GIM_DEFAULTS,
  steps: Number(flag("steps", GIM_DEFAULTS.steps)),
  seed: Number(flag("seed", 0)),
  alphaConstant: ALPHA,
};
const backend = await createBackend(flag("backend", "webgpu"));
const trainer = new Trainer(config, trainingSubset(data), backend);
for (const [name, values] of [
  ["U", U],
  ["V", V],
]) {
  const t = trainer.params.tensors.get(name);
  const staged = backend.upload(values, t.dtype);
  backend.copy(staged, 0, t.storage, 0, values.length);
  backend.release(staged);
}
trainer.refit = { fromStep: 0, cycleEdgesDropped: 0, edgeProbabilities: graph.map((row) => [...row]) };
trainer.enableReplay();
const result = await trainer.train({});
const model = await modelFromTrainer(trainer, { stepsPerSecond: result.stepsPerSecond, wallSeconds: 0 });
writeFileSync(outPath, JSON.stringify(model));
const edges = model.graph.flat().reduce((a, b) => a + b, 0);
const samePinned = JSON.stringify(model.graph) === JSON.stringify(graph);
const zPrior = (d * [...U, ...V].reduce((s, v) => s + v * v, 0)) / (2 * trainer.trainingRows);
console.log(
  JSON.stringify({
    graph: graphSource,
    finalLoss: result.finalLoss,
    zPrior,
    lossWithoutZPrior: result.finalLoss - zPrior,
    edges,
    samePinned,
  }),
);
