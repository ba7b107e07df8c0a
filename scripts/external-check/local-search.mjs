// Does a discrete search around G_MAP reach the true graph? (docs/tuning.md, session 8: no.) Scores
// every DAG one move away from a trained model's G_MAP — each edge deleted, each edge reversed where
// the result is acyclic, the `--additions` likeliest non-edges added — by training θ, ℓ and φ from
// their initialisation with Z pinned to it (Trainer.pinGraph) and taking the mean log-likelihood per
// holdout row (Trainer.holdoutScore). With the truth at hand it marks each move as towards the truth
// or away from it. Greedy: takes the best move while it gains more than 0.01 nats per row. Needs
// `npm run build` first.
//   node scripts/external-check/local-search.mjs DATA_DIR MODEL.json [--steps 300] [--rounds 1] [--additions 3]
import { Trainer, createBackend, loadDataset, loadModel, trainingSubset } from "../../dist/index.js";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? Number(args[k + 1]) : fallback;
};
const [dataDir, modelPath] = args;
if (!dataDir || !modelPath) {
  console.error(
    "usage: node scripts/external-check/local-search.mjs DATA_DIR MODEL.json [--steps 300] [--rounds 1] [--additions 3]",
  );
  process.exit(2);
}
const steps = flag("steps", 300);
const rounds = flag("rounds", 1);
const additions = flag("additions", 3);
const data = loadDataset(dataDir);
const model = loadModel(modelPath);
const truth = data.truth?.graph ?? null;
const set = trainingSubset(data);
const backend = await createBackend("webgpu");

function isAcyclic(g) {
  const d = g.length;
  const indegree = g[0].map((_, j) => g.reduce((a, row) => a + row[j], 0));
  const queue = indegree.flatMap((v, j) => (v === 0 ? [j] : []));
  let seen = 0;
  while (queue.length > 0) {
    const i = queue.shift();
    seen++;
    for (let j = 0; j < d; j++) if (g[i][j] && --indegree[j] === 0) queue.push(j);
  }
  return seen === d;
}

function applyMove(g, { kind, from, to }) {
  const moved = g.map((row) => [...row]);
  moved[from][to] = kind === "add" ? 1 : 0;
  if (kind === "reverse") moved[to][from] = 1;
  return moved;
}

function neighbours(g) {
  const d = g.length;
  const moves = [];
  const nonEdges = [];
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      if (i === j) continue;
      if (g[i][j]) moves.push({ kind: "delete", from: i, to: j }, { kind: "reverse", from: i, to: j });
      else if (!g[j][i]) nonEdges.push({ kind: "add", from: i, to: j, p: model.edgeProbabilities[i][j] });
    }
  nonEdges.sort((a, b) => b.p - a.p);
  const candidates = moves.map((move) => ({ move, graph: applyMove(g, move) })).filter((c) => isAcyclic(c.graph));
  let added = 0;
  for (const move of nonEdges) {
    if (added >= additions) break;
    const graph = applyMove(g, move);
    if (!isAcyclic(graph)) continue;
    candidates.push({ move, graph });
    added++;
  }
  return candidates;
}

/** Entries that differ from the truth (a reversal counts twice). */
const distance = (g) => (truth ? g.flat().filter((v, k) => v !== truth.flat()[k]).length : Number.NaN);

async function score(graph) {
  const trainer = new Trainer({ ...model.config, steps, refitSteps: 0, alphaConstant: 10 }, set, backend);
  try {
    await trainer.pinGraph(graph);
    trainer.enableReplay();
    await trainer.train({});
    return await trainer.holdoutScore();
  } finally {
    trainer.dispose();
  }
}

const name = (m) => `${m.kind} ${m.from}→${m.to}`;
let graph = model.graph;
let best = await score(graph);
const truthScore = truth ? await score(truth) : null;
console.log(JSON.stringify({ start: true, score: best, fromTruth: distance(graph), truth: truthScore }));
for (let round = 0; round < rounds; round++) {
  const scored = [];
  for (const c of neighbours(graph)) {
    const s = await score(c.graph);
    scored.push({ ...c, score: s });
    const towardsTruth = distance(c.graph) < distance(graph);
    console.log(JSON.stringify({ round: round + 1, move: name(c.move), score: s, gain: s - best, towardsTruth }));
  }
  const top = scored.reduce((a, b) => (b.score > a.score ? b : a), scored[0]);
  if (!top || !(top.score - best > 0.01)) break;
  graph = top.graph;
  best = top.score;
  console.log(JSON.stringify({ round: round + 1, took: name(top.move), score: best, fromTruth: distance(graph) }));
}
