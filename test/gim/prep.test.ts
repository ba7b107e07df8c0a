/**
 * `gim prep` on tiny .h5ad files: values normalised by hand, the same result from every encoding,
 * held-out doses in split `test`, the paper's features, a drug's target genes among the markers on
 * a small simulated screen, every bad input named in issue #12 (file + key), and `gim train`
 * taking its defaults from prep.json.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AnnData } from "../../gim/data/anndata/anndata.js";
import { type ObsColumns, createH5ad } from "../../gim/data/anndata/write.js";
import { loadDataset, trainingSubset } from "../../gim/data/dataset.js";
import { Random } from "../../gim/data/random.js";
import { writePrepared } from "../../gim/data/prep/output.js";
import { type PrepOptions, prepare } from "../../gim/data/prep/prep.js";
import { scratchDir } from "../helpers.js";

const FIXTURES = join(process.cwd(), "test", "fixtures", "h5ad");
const CLI = join(process.env.GIM_BUILD_DIR ?? ".", "dist", "cli.js");
const dir = scratchDir("gim-prep-");
const BASE: PrepOptions = {
  perturbationKey: "perturbation",
  doseKey: "dose",
  controlValue: "control",
  holdout: [],
  nTopGenes: 4,
  nMarkers: 3,
  minCounts: 1,
  minCells: 1,
  selectOn: "all",
  blockEntries: 5,
};

async function prep(file: string, options: Partial<PrepOptions> = {}) {
  const a = await AnnData.open(file);
  try {
    return prepare(a, { ...BASE, ...options });
  } finally {
    a.close();
  }
}

async function fails(file: string, options: Partial<PrepOptions>, ...fragments: (string | RegExp)[]) {
  try {
    await prep(file, options);
  } catch (error) {
    const message = (error as Error).message;
    for (const f of fragments)
      assert.ok(typeof f === "string" ? message.includes(f) : f.test(message), `'${message}' should mention ${f}`);
    return;
  }
  assert.unreachable(`expected an error mentioning ${fragments.join(", ")}`);
}

/** A screen of `n` cells per env: Poisson(λ) counts, drug `d` multiplying gene `targets[d]` by 6. */
async function screen(path: string, genes: number, n: number, integer = true): Promise<void> {
  const rng = new Random(3);
  const poisson = (lambda: number) => {
    let [k, p] = [0, Math.exp(-lambda)];
    let s = p;
    const u = rng.uniform();
    while (u > s && k < 200) ((p *= lambda / ++k), (s += p));
    return k;
  };
  const envs = [["Vehicle", 0], ...["drugA", "drugB"].flatMap((d) => [10, 100, 1000].map((dose) => [d, dose]))];
  const targets: Record<string, number> = { drugA: 3, drugB: 11 };
  const obs: ObsColumns = { product_name: [], dose: [], cell_type: [] };
  const rows: number[][] = [];
  for (const [drug, dose] of envs)
    for (let c = 0; c < n; c++) {
      (obs.product_name as string[]).push(drug as string);
      (obs.dose as number[]).push(dose as number);
      (obs.cell_type as string[]).push(c % 2 ? "A549" : "K562");
      const fold = (j: number) => (targets[drug] === j ? 1 + (5 * (dose as number)) / ((dose as number) + 50) : 1);
      rows.push(Array.from({ length: genes }, (_, j) => poisson(2 * fold(j) * (1 + (j % 5) / 2))));
    }
  if (!integer) rows[0][0] = 0.5;
  const w = await createH5ad(
    path,
    rows.map((_, i) => `c${i}`),
    obs,
    Array.from({ length: genes }, (_, j) => `G${j}`),
  );
  const indptr = [0];
  const indices: number[] = [];
  const data: number[] = [];
  for (const row of rows) {
    row.forEach((v, j) => v !== 0 && (indices.push(j), data.push(v)));
    indptr.push(indices.length);
  }
  w.append(indptr, indices, data);
  w.close();
}

test("normalised to the control median and log1p'd: values by hand; every encoding gives the same", async () => {
  const r = await prep(join(FIXTURES, "csr.h5ad"), { nMarkers: 5, nTopGenes: 5 });
  // control totals 4, 5, 2, 5 → median 4.5; cell 0 = [1, 0, 0, 2, 1] → log1p(x · 4.5/4)
  assert.is(r.targetSum, 4.5);
  assert.equal(r.genes, ["ENSG00000", "ENSG00001", "ENSG00002", "ENSG00003", "ENSG00004"]);
  const expected = [1, 0, 0, 2, 1].map((x) => Math.log1p((x * 4.5) / 4));
  assert.equal([...r.samples[0].subarray(0, 5)], expected);
  for (const name of ["dense", "dense_gzip", "csc"]) {
    const other = await prep(join(FIXTURES, `${name}.h5ad`), { nMarkers: 5, nTopGenes: 5 });
    assert.equal(other.samples, r.samples, name);
  }
});

test("held-out dose → split test; features one-hot drug, one-hot dose, log dose; train reads it", async () => {
  const file = join(FIXTURES, "csr.h5ad");
  const out = join(dir, "fixture");
  const options = { ...BASE, holdout: ["drugA@1"] };
  const r = await prep(file, options);
  writePrepared(out, r, { ...options, data: file });
  const d = loadDataset(out);
  assert.equal(
    d.envs.map((e) => [e.id, d.split![e.id], e.n]),
    [
      ["control", "observational", 4],
      ["drugA@0.1", "train", 2],
      ["drugA@1", "test", 2],
      ["drugB@10", "train", 4],
    ],
  );
  assert.equal(d.featureNames, [
    "perturbation=drugA",
    "perturbation=drugB",
    "dose=0.1",
    "dose=1",
    "dose=10",
    "log-dose",
  ]);
  assert.equal(d.envs[2].features.slice(0, 5), [1, 0, 0, 1, 0]);
  assert.ok(Math.abs(d.envs[2].features[5] - Math.log1p(1) / Math.log1p(10)) < 1e-8, "log(1 + dose)/log(1 + max dose)");
  assert.equal(d.envs[0].features, [0, 0, 0, 0, 0, 0]);
  assert.equal(
    trainingSubset(d).envs.map((e) => e.id),
    ["control", "drugA@0.1", "drugB@10"],
  );
  const record = JSON.parse(readFileSync(join(out, "prep.json"), "utf8"));
  assert.equal(record.genes, d.variables);
  assert.is(record.counts.cellsKept, 12);
  assert.is(record.trainDefaults.noise, "ziln");
  assert.is(record.trainDefaults["target-prior"], "softplus");
  assert.is(record.trainDefaults["lr-end"], 0.1);
  assert.is(record.trainDefaults["psi-marginal-fit"], true);
  assert.is(record.trainDefaults["ziln-mean-scale"], "linear");
  assert.is(record.trainDefaults["target-logit-std"], 3);
});

test("--dose-features log: no one-hot dose, the log dose alone after the drug block; prep.json says so", async () => {
  const file = join(FIXTURES, "csr.h5ad");
  const out = join(dir, "fixture-log-dose");
  const options = { ...BASE, holdout: ["drugA@1"] };
  writePrepared(out, await prep(file, options), { ...options, data: file, doseFeatures: "log" });
  const d = loadDataset(out);
  assert.equal(d.featureNames, ["perturbation=drugA", "perturbation=drugB", "log-dose"]);
  assert.equal(d.envs[2].features.slice(0, 2), [1, 0]);
  assert.ok(Math.abs(d.envs[2].features[2] - Math.log1p(1) / Math.log1p(10)) < 1e-8);
  assert.equal(d.envs[0].features, [0, 0, 0]);
  const record = JSON.parse(readFileSync(join(out, "prep.json"), "utf8"));
  assert.is(record.features.dose, "log");
  assert.is(record.features.source, "one-hot perturbation, log(1 + dose)/log(1 + max dose)");
});

test("--dose-features per-drug: the drug block, then each drug column times the log dose; prep.json says so", async () => {
  const file = join(FIXTURES, "csr.h5ad");
  const out = join(dir, "fixture-per-drug-dose");
  const options = { ...BASE, holdout: ["drugA@1"] };
  writePrepared(out, await prep(file, options), { ...options, data: file, doseFeatures: "per-drug" });
  const d = loadDataset(out);
  assert.equal(d.featureNames, [
    "perturbation=drugA",
    "perturbation=drugB",
    "log-dose*perturbation=drugA",
    "log-dose*perturbation=drugB",
  ]);
  const drugA1 = d.envs.find((e) => e.id === "drugA@1")!.features;
  assert.equal(drugA1.slice(0, 2), [1, 0]);
  assert.ok(Math.abs(drugA1[2] - Math.log1p(1) / Math.log1p(10)) < 1e-8, "drug A's own log dose");
  assert.is(drugA1[3], 0, "no dose on another drug's column");
  assert.equal(d.envs.find((e) => e.id === "drugB@10")!.features, [0, 1, 0, 1]);
  assert.equal(d.envs[0].features, [0, 0, 0, 0]);
  const record = JSON.parse(readFileSync(join(out, "prep.json"), "utf8"));
  assert.is(record.features.dose, "per-drug");
  assert.is(record.features.source, "one-hot perturbation, each perturbation column × log(1 + dose)/log(1 + max dose)");
});

test("a simulated screen: each drug's target gene is among the markers; covariate and filters count", async () => {
  const path = join(dir, "screen.h5ad");
  await screen(path, 40, 60);
  const r = await prep(path, {
    perturbationKey: "product_name",
    controlValue: "Vehicle",
    covariateKey: "cell_type",
    covariate: "A549",
    minCounts: 20,
    minCells: 5,
    nTopGenes: 20,
    nMarkers: 5,
    holdout: ["drugB@1000"],
    blockEntries: 1000,
  });
  assert.ok(r.genes.includes("G3") && r.genes.includes("G11"), `markers ${r.genes}`);
  assert.is(r.counts.cellsDropped_otherCovariate, 7 * 30);
  assert.is(r.counts.cellsKept + r.counts.cellsDropped_belowMinCounts, 7 * 30);
});

test("bad input names the file and the key", async () => {
  const csr = join(FIXTURES, "csr.h5ad");
  await fails(csr, { perturbationKey: "product_name" }, "csr.h5ad", "obs has no column 'product_name'");
  await fails(csr, { controlValue: "Vehicle" }, "csr.h5ad", "'perturbation' = 'Vehicle' (--control-value)");
  await fails(csr, { holdout: ["drugA@5"] }, "csr.h5ad", "no cells", "'perturbation' = 'drugA'", "doses: 0.1, 1");
  await fails(csr, { perturbations: ["drugC"] }, "csr.h5ad", "'drugC'", "has no cells");
  await fails(csr, { covariateKey: "cell_line", covariate: "MCF7" }, "csr.h5ad", "'cell_line' = 'MCF7'", "A549, K562");
  await fails(csr, { minCells: 10 }, "csr.h5ad", "--min-cells 10", "keeps 0 of 5 genes of 'X'");
  await fails(csr, { minCounts: 100 }, "csr.h5ad", "no cells with ≥ 100 counts in 'X'");
  const path = join(dir, "logged.h5ad");
  await screen(path, 6, 3, false);
  await fails(
    path,
    { perturbationKey: "product_name", controlValue: "Vehicle" },
    "logged.h5ad",
    "'X' holds 0.5 at cell 'c0', gene 'G0'",
    "--layer",
  );
});

test("gim prep + gim train: defaults from prep.json unless given; --holdout repeatable", () => {
  const out = join(dir, "cli");
  const gim = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
  const p = gim(
    "prep",
    ...["--data", join(FIXTURES, "csr.h5ad"), "--out", out, "--perturbation-key", "perturbation"],
    ...["--dose-key", "dose", "--control-value", "control", "--min-counts", "1", "--min-cells", "1"],
    ...["--n-top-genes", "4", "--n-markers", "3", "--holdout", "drugA@1", "--holdout", "drugA@0.1"],
  );
  assert.is(p.status, 0, p.stderr);
  assert.match(p.stdout, /12 cells in 4 envs \(2 held out\), 3 genes/);
  const t = gim(
    "train",
    "--data",
    out,
    "--out",
    join(dir, "m.json"),
    "--backend",
    "cpu",
    "--steps",
    "2",
    "--noise",
    "ziln",
  );
  assert.is(t.status, 0, t.stderr);
  assert.match(
    t.stderr,
    /defaults from .*prep\.json: --mechanism mlp --intervention ziln --lambda-targets 5 --lambda-targets-end 1 --target-prior softplus --lr-end 0.1 --psi-marginal-fit true --ziln-mean-scale linear --target-logit-std 3 --mc-samples 4 --batch-size 1024\n/,
  );
  const model = JSON.parse(readFileSync(join(dir, "m.json"), "utf8"));
  const { mechanism, noise, intervention, lambdaTargets, lambdaTargetsEnd, mcSamples } = model.config;
  assert.equal(
    [mechanism, noise, intervention, lambdaTargets, lambdaTargetsEnd, mcSamples],
    ["mlp", "ziln", "ziln", 5, 1, 4],
  );
});

test.run();
