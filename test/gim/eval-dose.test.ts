/**
 * The held-out-dose evaluation on hand-made data: perturbations.csv (reading and its errors), the
 * next-lower-dose baseline's choice of env, and `gim eval --json` on a `test` split scoring GIM,
 * observational, mean-shift MLP and next-lower dose, with the baselines' mean distance and
 * Pearson checked against values computed by hand.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Environment } from "../../gim/data/dataset.js";
import {
  loadPerturbations,
  readPerturbations,
  readPrepEnvs,
  writePerturbationsCsv,
} from "../../gim/data/perturbations.js";
import { nextLowerDoseEnv } from "../../gim/eval/baselines.js";
import { scratchDir } from "../helpers.js";

const CLI = join(process.env.GIM_BUILD_DIR ?? ".", "dist", "cli.js");
const dir = scratchDir("gim-eval-dose-");

/** Env id → [features, rows]; d = 3, two rows each (so 1,000 cycled predictions keep the mean). */
const ENVS: Record<string, [number[], number[][]]> = {
  Vehicle: [
    [0, 0, 0],
    [
      [1, 1, 1],
      [3, 3, 3],
    ],
  ],
  "D@10": [
    [1, 0, 0],
    [
      [2, 2, 2],
      [2, 2, 4],
    ],
  ],
  "D@100": [
    [1, 0, 0.5],
    [
      [4, 2, 2],
      [2, 2, 2],
    ],
  ],
  "D@1000": [
    [1, 0, 1],
    [
      [5, 1, 2],
      [3, 1, 2],
    ],
  ],
  "E@10": [
    [0, 1, 0],
    [
      [1, 1, 1],
      [1, 1, 1],
    ],
  ],
  "E@1000": [
    [0, 1, 1],
    [
      [0, 0, 0],
      [0, 0, 0],
    ],
  ],
};
const DOSE = (id: string) => (id === "Vehicle" ? 0 : Number(id.split("@")[1]));
const env = (id: string): Environment => ({
  id,
  features: ENVS[id][0],
  samples: Float64Array.from(ENVS[id][1].flat()),
  n: 2,
  observational: id === "Vehicle",
});

function writeData(out: string): void {
  mkdirSync(out, { recursive: true });
  const ids = Object.keys(ENVS);
  const samples = ids.flatMap((id) => ENVS[id][1].map((r) => [id, ...r].join(",")));
  writeFileSync(join(out, "samples.csv"), ["env,g1,g2,g3", ...samples, ""].join("\n"));
  const features = ids.map((id) => [id, ...ENVS[id][0]].join(","));
  writeFileSync(join(out, "features.csv"), ["env,drug_D,drug_E,log_dose", ...features, ""].join("\n"));
  const split = Object.fromEntries(
    ids.map((id) => [id, id === "Vehicle" ? "observational" : id === "D@1000" ? "test" : "train"]),
  );
  const truth = {
    variables: ["g1", "g2", "g3"],
    graph: [
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ],
    targets: {},
    split,
  };
  writeFileSync(join(out, "truth.json"), JSON.stringify(truth));
  const perts = new Map(
    ids.filter((id) => id !== "Vehicle").map((id) => [id, { perturbation: id[0], dose: DOSE(id) }]),
  );
  writePerturbationsCsv(join(out, "perturbations.csv"), perts);
}

test("perturbations.csv round-trips; bad rows name the file, line and column", () => {
  const data = join(dir, "a");
  writeData(data);
  const perts = loadPerturbations(data, Object.keys(ENVS))!;
  assert.equal(perts.get("D@100"), { perturbation: "D", dose: 100 });
  assert.is(perts.size, 5);
  assert.is(loadPerturbations(dir), null, "a folder without the file has no table");
  const bad = (text: string, pattern: RegExp, ids?: string[]) => {
    const path = join(dir, "bad.csv");
    writeFileSync(path, text);
    assert.throws(
      () => readPerturbations(path, ids),
      (e: Error) => pattern.test(e.message) && e.message.includes(path),
    );
  };
  bad("env,drug,dose\nD@1,D,1\n", /line 1: the header must be 'env,perturbation,dose'/);
  bad("env,perturbation,dose\nD@1,D,ten\n", /line 2, column 3 \(dose\): 'ten' is not a number/);
  bad("env,perturbation,dose\nD@1,D,1\nD@1,D,1\n", /line 3: env 'D@1' is listed twice/);
  bad("env,perturbation,dose\nD@1,,1\n", /line 2, column 2 \(perturbation\): empty name/);
  bad("env,perturbation,dose\nX@1,X,1\n", /line 2, column 1 \(env\): env 'X@1' is not in the dataset/, ["D@1"]);
});

test("without perturbations.csv, prep.json's envs say the drug and dose", () => {
  const data = join(dir, "prep");
  mkdirSync(data, { recursive: true });
  const envs = [
    { id: "Vehicle", perturbation: "Vehicle", dose: null, cells: 2, split: "observational" },
    { id: "D@10", perturbation: "D", dose: 10, cells: 2, split: "train" },
  ];
  writeFileSync(join(data, "prep.json"), JSON.stringify({ genes: ["g1"], envs }));
  assert.equal([...loadPerturbations(data)!], [["D@10", { perturbation: "D", dose: 10 }]]);
  const path = join(data, "prep.json");
  writeFileSync(path, JSON.stringify({ envs: [{ id: "D@10", perturbation: "D", dose: "10" }] }));
  assert.throws(() => readPrepEnvs(path), /prep\.json: envs\[0\] \('D@10'\): 'dose' must be a number or null/);
  writeFileSync(path, JSON.stringify({ genes: [] }));
  assert.throws(() => readPrepEnvs(path), /prep\.json: no 'envs' list/);
});

test("next-lower dose: the same perturbation's largest training dose below the env's, else none", () => {
  const perts = new Map(Object.keys(ENVS).map((id) => [id, { perturbation: id[0], dose: DOSE(id) }]));
  const train = ["D@10", "D@100", "E@10", "E@1000"].map(env);
  assert.is(nextLowerDoseEnv(env("D@1000"), train, perts)?.id, "D@100");
  assert.is(nextLowerDoseEnv(env("D@100"), train, perts)?.id, "D@10");
  assert.is(nextLowerDoseEnv(env("E@1000"), train, perts)?.id, "E@10");
  assert.is(nextLowerDoseEnv(env("D@10"), train, perts), null, "the lowest dose: the control (dose 0) is next");
  perts.set("E@5", { perturbation: "E", dose: 5 });
  assert.is(nextLowerDoseEnv({ ...env("E@10"), id: "E@5" }, train, perts), null);
  perts.delete("D@1000");
  assert.throws(() => nextLowerDoseEnv(env("D@1000"), train, perts), /env 'D@1000' has no row in perturbations\.csv/);
});

test("gim eval scores the test split for GIM and the three baselines; baselines match hand values", () => {
  const data = join(dir, "a");
  writeData(data);
  const model = join(dir, "m.json");
  const run = (...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120_000 });
  const t = run("train", "--data", data, "--out", model, "--backend", "cpu", "--steps", "3", "--mc-samples", "2");
  assert.is(t.status, 0, t.stderr);
  const r = run("eval", "--model", model, "--data", data, "--json", "--splits", "test", "--wasserstein", "false");
  assert.is(r.status, 0, r.stderr);
  type Row = { method: string; split: string; envs: number; meanDistance: number; kdeNll: number; pearson: number };
  const rows: Row[] = JSON.parse(r.stdout).splits;
  assert.equal(
    rows.map((s) => [s.split, s.method, s.envs]),
    ["GIM", "observational", "mean-shift MLP", "next-lower dose"].map((m) => ["test", m, 1]),
  );
  const by = Object.fromEntries(rows.map((s) => [s.method, s]));
  // Test mean [4, 1, 2]; control mean [2, 2, 2]; next-lower dose (D@100) mean [3, 2, 2].
  assert.ok(Math.abs(by.observational.meanDistance - Math.sqrt(5)) < 1e-12);
  assert.ok(Math.abs(by["next-lower dose"].meanDistance - Math.sqrt(2)) < 1e-12);
  // Shifts [1, 0, 0] vs [2, −1, 0]: r = 15 / √252.
  assert.ok(Math.abs(by["next-lower dose"].pearson - 15 / Math.sqrt(252)) < 1e-12);
  assert.is(by.observational.pearson, 0, "a zero predicted shift has no correlation");
  for (const s of rows) assert.ok(Number.isFinite(s.kdeNll) && Number.isFinite(s.meanDistance), s.method);
  const bad = run("eval", "--model", model, "--data", data, "--splits", "test,heldout");
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /--splits: 'heldout' is not one of train, train-fresh, partial-ood, full-ood, test/);
});

test.run();
