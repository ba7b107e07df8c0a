/**
 * ZILN through the built CLI (cpu): `gim synth --noise ziln` writes count-like data (exact
 * zeros, no negatives); train (few steps) → predict → eval run; the predictions are
 * non-negative with zeros; incompatible flags exit 2 naming them; Gaussian data is refused.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadDataset } from "../../gim/data/dataset.js";
import { generateBenchmark } from "../../gim/data/synthetic.js";
import { runGim, scratchDir } from "../helpers.js";

const dir = scratchDir("gim-ziln-cli-");
const ZILN = ["--noise", "ziln", "--intervention", "ziln", "--mechanism", "mlp"];
const SYNTH = [
  "--d",
  "3",
  "--edges-per-node",
  "1",
  "--perturbations",
  "2",
  "--n-per-env",
  "20",
  "--n-obs",
  "80",
  "--q",
  "3",
  "--seed",
  "5",
];
const TRAIN = ["--backend", "cpu", "--mc-samples", "4", "--log-every", "5", "--steps", "20"];

const gim = (...args: string[]) => runGim(args);

function values(csv: string): number[] {
  return csv
    .trim()
    .split("\n")
    .slice(1)
    .flatMap((line) => line.split(",").slice(1).map(Number));
}

test("ZILN generator: observational zero fractions in [0.1, 0.4]; knock-downs add zeros and lower the level with dose", () => {
  const d = 4;
  const nObs = 2000;
  const data = generateBenchmark({
    d,
    graph: "er",
    edgesPerNode: 1,
    mechanism: "mlp",
    intervention: "ziln",
    noise: "ziln",
    perturbations: 6,
    nPerEnv: 300,
    nObs,
    q: 4,
    seed: 3,
  });
  const stats = (samples: Float64Array, n: number, j: number) => {
    let zeros = 0;
    let logs = 0;
    for (let r = 0; r < n; r++) {
      const v = samples[r * d + j];
      assert.ok(v >= 0 && Number.isFinite(v));
      if (v === 0) zeros++;
      else logs += Math.log(v);
    }
    return { zeros: zeros / n, meanLog: logs / Math.max(1, n - zeros) };
  };
  const obs = data.envs[0];
  const se = Math.sqrt(0.25 / nObs);
  for (let j = 0; j < d; j++) {
    const z = stats(obs.samples, obs.n, j).zeros;
    assert.ok(z > 0.1 - 4 * se && z < 0.4 + 4 * se, `x${j + 1}: observational zero fraction ${z}`);
  }
  let zeroGain = 0;
  let levelDrop = 0;
  let pairs = 0;
  for (const env of data.envs.filter((e) => e.id.endsWith("_s0.5") && data.truth.split[e.id] === "train")) {
    const high = data.envs.find((e) => e.id === env.id.replace("_s0.5", "_s4"))!;
    data.truth.targets[env.id].forEach((t, j) => {
      if (!t) return;
      const [lo, hi] = [stats(env.samples, env.n, j), stats(high.samples, high.n, j)];
      zeroGain += hi.zeros - lo.zeros;
      levelDrop += lo.meanLog - hi.meanLog;
      pairs++;
    });
  }
  assert.ok(pairs > 0);
  assert.ok(zeroGain / pairs > 0.05, `mean zero-fraction gain from dose 0.5 to 4: ${zeroGain / pairs}`);
  assert.ok(levelDrop / pairs > 0.3, `mean log-level drop from dose 0.5 to 4: ${levelDrop / pairs}`);
});

test("synth --noise ziln → train → predict → eval", () => {
  const data = join(dir, "data");
  const s = gim("synth", "--out", data, ...SYNTH, ...ZILN);
  assert.is(s.code, 0, s.err);
  const dataset = loadDataset(data);
  const x = dataset.envs.flatMap((e) => Array.from(e.samples));
  assert.ok(
    x.every((v) => v >= 0 && Number.isFinite(v)),
    "count-like data: finite, non-negative",
  );
  const zeros = x.filter((v) => v === 0).length / x.length;
  assert.ok(zeros > 0.05 && zeros < 0.8, `zero fraction ${zeros}`);

  const model = join(dir, "model.json");
  const t = gim("train", "--data", data, "--out", model, ...TRAIN, ...ZILN);
  assert.is(t.code, 0, t.err);
  const file = JSON.parse(readFileSync(model, "utf8"));
  assert.is(file.config.noise, "ziln");
  assert.equal(file.weights.zeta.shape, [3]);
  assert.ok(file.weights.zeta.values.every(Number.isFinite));
  assert.ok("hZeroLogit.W2" in file.weights && "hMean.W2" in file.weights && "hLogStd.W2" in file.weights);

  const pred = join(dir, "pred.csv");
  const p = gim(
    "predict",
    "--model",
    model,
    "--features",
    join(data, "features.csv"),
    "--n-per-env",
    "50",
    "--out",
    pred,
  );
  assert.is(p.code, 0, p.err);
  const predicted = values(readFileSync(pred, "utf8"));
  assert.is(predicted.length, dataset.envs.length * 50 * 3);
  assert.ok(
    predicted.every((v) => v >= 0 && Number.isFinite(v)),
    "ZILN predictions are finite and non-negative",
  );
  assert.ok(predicted.some((v) => v === 0) && predicted.some((v) => v > 0), "predictions hold zeros and positives");

  const e = gim("eval", "--model", model, "--data", data, "--json");
  assert.is(e.code, 0, e.err);
  const report = JSON.parse(e.out);
  const gimRows = report.splits.filter((r: { method: string }) => r.method === "GIM");
  assert.is(gimRows.length, 3);
  for (const r of gimRows)
    for (const k of ["meanDistance", "wasserstein", "kdeNll", "pearson"])
      assert.ok(Number.isFinite(r[k]), `${r.split} ${k} = ${r[k]}`);
});

test("incompatible flags exit 2 naming them; Gaussian data is refused for --noise ziln", () => {
  const data = join(dir, "gauss");
  assert.is(gim("synth", "--out", data, ...SYNTH).code, 0);
  const out = join(dir, "bad.json");
  const cases: [string[], RegExp][] = [
    [
      ["train", "--data", data, "--out", out, ...TRAIN, "--noise", "ziln"],
      /gim train: --noise ziln needs --intervention ziln \(got --intervention hard\)/,
    ],
    [
      ["train", "--data", data, "--out", out, ...TRAIN, "--noise", "ziln", "--intervention", "shift"],
      /--noise ziln needs --intervention ziln \(got --intervention shift\)/,
    ],
    [
      ["train", "--data", data, "--out", out, ...TRAIN, "--intervention", "ziln"],
      /gim train: --intervention ziln needs --noise ziln/,
    ],
    [
      ["synth", "--out", join(dir, "x"), ...SYNTH, "--noise", "ziln", "--intervention", "ziln"],
      /gim synth: --noise ziln needs --mechanism mlp/,
    ],
    [
      ["synth", "--out", join(dir, "x"), ...SYNTH, "--intervention", "ziln"],
      /gim synth: --intervention ziln needs --noise ziln/,
    ],
    [
      ["train", "--data", data, "--out", out, ...TRAIN, "--noise", "poisson"],
      /--noise: 'poisson' is not one of gaussian, ziln/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = gim(...args);
    assert.is(r.code, 2, args.join(" "));
    assert.match(r.err, message);
  }
  const r = gim("train", "--data", data, "--out", out, ...TRAIN, ...ZILN);
  assert.is(r.code, 1);
  assert.match(r.err, /gim train: --noise ziln needs non-negative data, but env '[^']+' has x\d = -/);
  for (const c of ["train", "synth"]) assert.match(gim(c, "--help").out, /--noise/);
});

test.run();
