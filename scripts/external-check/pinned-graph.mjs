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

/** α is held constant so the pinning (Trainer.pinGraph, gim/train/refit.ts) holds from step 0. */
const ALPHA = 10;

const config = {
  ...GIM_DEFAULTS,
  steps: Number(flag("steps", GIM_DEFAULTS.steps)),
  seed: Number(flag("seed", 0)),
  alphaConstant: ALPHA,
};
const backend = await createBackend(flag("backend", "webgpu"));
const trainer = new Trainer(config, trainingSubset(data), backend);
await trainer.pinGraph(graph);
trainer.enableReplay();
const result = await trainer.train({});
const model = await modelFromTrainer(trainer, { stepsPerSecond: result.stepsPerSecond, wallSeconds: 0 });
writeFileSync(outPath, JSON.stringify(model));
const edges = model.graph.flat().reduce((a, b) => a + b, 0);
const samePinned = JSON.stringify(model.graph) === JSON.stringify(graph);
const pinned = [
  ...(await trainer.params.tensors.get("U").toArray()),
  ...(await trainer.params.tensors.get("V").toArray()),
];
const k = config.rank ?? graph.length;
const zPrior = (k * pinned.reduce((s, v) => s + v * v, 0)) / (2 * trainer.trainingRows);
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
