// Per-gene breakdown of one held-out dose of scripts/single-cell-e2e.mjs: where GIM's mean distance
// comes from, gene by gene, beside the next-lower-dose baseline's. For each of the K genes: the true
// mean shift of the held-out env from the control cells, the next-lower dose's shift, GIM's
// predicted shift there and at the next-lower dose (a training env), GIM's target probability at
// both, and each method's squared error. Also GIM's fit of its control and next-lower envs.
//
//   node scripts/single-cell-breakdown.mjs WORK/LINE-DRUG [--n 2000] [--top 12]
//
// WORK/LINE-DRUG is one setting's folder (data/ from gim prep, model.json from gim train); it runs
// `gim predict` once (pred.csv, targets.csv in that folder). GIM_CLI=path/to/cli.js as in the e2e.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = argv.indexOf(`--${name}`);
  return k < 0 ? fallback : argv[k + 1];
};
const dir = argv[0];
if (!dir || dir.startsWith("--")) {
  console.error("usage: node scripts/single-cell-breakdown.mjs WORK/LINE-DRUG [--n 2000] [--top 12]");
  process.exit(2);
}
const data = join(dir, "data");
const prep = JSON.parse(readFileSync(join(data, "prep.json"), "utf8"));
const split = JSON.parse(readFileSync(join(data, "split.json"), "utf8"));
const envOf = (s) => Object.keys(split).find((k) => split[k] === s);
const test = envOf("test");
const control = envOf("observational");
const held = prep.envs.find((e) => e.id === test);
const lower = prep.envs
  .filter((e) => e.perturbation === held.perturbation && e.dose !== null && e.dose < held.dose)
  .sort((a, b) => b.dose - a.dose)[0];
if (!lower) throw new Error(`${test}: no lower dose of ${held.perturbation} in the training envs`);

/** Per-env row lists of a samples.csv-layout file. */
function load(path) {
  const lines = readFileSync(path, "utf8").trim().split("\n");
  const rows = new Map();
  for (const line of lines.slice(1)) {
    const cells = line.split(",");
    if (!rows.has(cells[0])) rows.set(cells[0], []);
    rows.get(cells[0]).push(cells.slice(1).map(Number));
  }
  return { genes: lines[0].split(",").slice(1), rows };
}
const mean = (rows) => rows[0].map((_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
const distance = (a, b) => Math.sqrt(a.reduce((s, x, j) => s + (x - b[j]) ** 2, 0));

const predicted = join(dir, "pred.csv");
if (!existsSync(predicted)) {
  const args = ["predict", "--model", join(dir, "model.json"), "--features", join(data, "features.csv")];
  args.push("--out", predicted, "--targets-out", join(dir, "targets.csv"), "--n-per-env", flag("n", "2000"));
  const run = spawnSync(process.execPath, [process.env.GIM_CLI ?? "dist/cli.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
  });
  if (run.status !== 0) throw new Error(`gim predict failed (exit ${run.status}):\n${run.stderr}`);
}
const cells = load(join(data, "samples.csv"));
const gim = load(predicted);
const probabilities = load(join(dir, "targets.csv"));
const [c, t, nl] = [control, test, lower.id].map((e) => mean(cells.rows.get(e)));
const [gc, gt, gnl] = [control, test, lower.id].map((e) => mean(gim.rows.get(e)));
const [pt, pnl] = [test, lower.id].map((e) => probabilities.rows.get(e)[0]);

console.log(`${dir}: held out ${test}, next-lower dose ${lower.id}`);
console.log(
  `mean distance: GIM ${distance(gt, t).toFixed(3)}, next-lower ${distance(nl, t).toFixed(3)}, observational ${distance(c, t).toFixed(3)}; ` +
    `GIM's own fit: next-lower env ${distance(gnl, nl).toFixed(3)}, control ${distance(gc, c).toFixed(3)}`,
);
const genes = cells.genes.map((g, j) => ({
  g,
  values: [
    t[j] - c[j],
    nl[j] - c[j],
    gt[j] - c[j],
    gnl[j] - c[j],
    pt[j],
    pnl[j],
    (gt[j] - t[j]) ** 2,
    (nl[j] - t[j]) ** 2,
  ],
}));
genes.sort((a, b) => Math.max(b.values[6], b.values[7]) - Math.max(a.values[6], a.values[7]));
console.log(
  "gene       true Δ  next-lower Δ  GIM Δ  GIM Δ at next-lower  p(target) held out  p at next-lower  GIM err²  next-lower err²",
);
for (const { g, values } of genes.slice(0, Number(flag("top", "12"))))
  console.log(`${g.padEnd(9)} ${values.map((v) => v.toFixed(3).padStart(7)).join(" ")}`);
const total = (k) => genes.reduce((s, r) => s + r.values[k], 0);
console.log(`Σ err²: GIM ${total(6).toFixed(3)}, next-lower ${total(7).toFixed(3)}`);
