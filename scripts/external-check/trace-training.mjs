// Traces a training: every 100 steps, the target probabilities of chosen envs (one character per
// variable: "1" above 0.995, "." below 0.005, else the tenths digit) and the edge probabilities
// of chosen pairs in both directions (i>j: p(i→j)/p(j→i)). Needs `npm run build` first.
//   node scripts/external-check/trace-training.mjs DATA_DIR ENV,ENV,… I-J,I-J,… ['{"seed":1,…}']
// The optional JSON overrides gim train's defaults (GimConfig field names).
import {
  GIM_DEFAULTS,
  HostModel,
  Trainer,
  createBackend,
  loadDataset,
  modelFromTrainer,
  trainingSubset,
} from "../../dist/index.js";

const [dir, envList, pairList, overrides] = process.argv.slice(2);
if (!dir || !envList || !pairList) {
  console.error("usage: node scripts/external-check/trace-training.mjs DATA_DIR ENV,… I-J,… ['{config overrides}']");
  process.exit(2);
}
const set = trainingSubset(loadDataset(dir));
const config = { ...GIM_DEFAULTS, ...(overrides ? JSON.parse(overrides) : {}) };
const trainer = new Trainer(config, set, await createBackend("webgpu"));
trainer.enableReplay();
const envs = envList.split(",").map((id) => {
  const env = set.envs.find((e) => e.id === id);
  if (!env) throw new Error(`${dir}: no training env '${id}'`);
  return env;
});
const pairs = pairList.split(",").map((p) => p.split("-").map(Number));
const digit = (p) => (p > 0.995 ? "1" : p < 0.005 ? "." : String(Math.min(9, Math.floor(p * 10))));
const EVERY = 100;
for (let stop = EVERY; stop <= config.steps; stop += EVERY) {
  await trainer.train({ shouldStop: () => trainer.step >= stop });
  const model = new HostModel(await modelFromTrainer(trainer, { stepsPerSecond: 0, wallSeconds: 0 }));
  const targets = envs.map((e) => `${e.id}[${model.targetProbabilities(e.features).map(digit).join("")}]`);
  const p = model.model.edgeProbabilities;
  const edges = pairs.map(([i, j]) => `${i}>${j}:${p[i][j].toFixed(2)}/${p[j][i].toFixed(2)}`);
  console.log(String(trainer.step).padStart(5), targets.join(" "), edges.join(" "));
}
