/** Every bad-input error of the dataset format names the file and the line and/or column. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadDataset, readFeatures, trainingSubset } from "../../gim/dataset.js";

const GOOD_SAMPLES = "env,a,b\nobs,0.1,0.2\nobs,0.3,0.4\ne1,1,2\ne1,1.5,2.5\n";
const GOOD_FEATURES = "env,f1,f2\nobs,0,0\ne1,1,0.5\n";

function dataset(samples: string, features: string, truth?: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "gim-data-"));
  writeFileSync(join(dir, "samples.csv"), samples);
  writeFileSync(join(dir, "features.csv"), features);
  if (truth) writeFileSync(join(dir, "truth.json"), JSON.stringify(truth));
  return dir;
}

function fails(samples: string, features: string, ...fragments: string[]): void {
  const dir = dataset(samples, features);
  try {
    loadDataset(dir);
  } catch (error) {
    const message = (error as Error).message;
    for (const f of fragments) assert.ok(message.includes(f), `'${message}' should mention '${f}'`);
    return;
  }
  assert.unreachable(`expected an error mentioning ${fragments.join(", ")}`);
}

test("a valid dataset loads with the observational env first", () => {
  const d = loadDataset(dataset(GOOD_SAMPLES, "env,f1,f2\ne1,1,0.5\nobs,0,0\n"));
  assert.equal(d.variables, ["a", "b"]);
  assert.equal(d.envs.map((e) => e.id), ["obs", "e1"]);
  assert.ok(d.envs[0].observational);
  assert.equal(Array.from(d.envs[1].samples), [1, 2, 1.5, 2.5]);
});

test("NaN and Inf values name file, line and column", () => {
  fails("env,a,b\nobs,0.1,NaN\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 2", "column 3 (b)", "NaN");
  fails("env,a,b\nobs,0.1,0.2\ne1,Infinity,2\n", GOOD_FEATURES, "samples.csv", "line 3", "column 2 (a)", "non-finite");
  fails(GOOD_SAMPLES, "env,f1,f2\nobs,0,0\ne1,-inf,1\n", "features.csv", "line 3", "column 2 (f1)");
});

test("ragged rows, non-numeric and empty cells", () => {
  fails("env,a,b\nobs,0.1\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 2", "2 fields", "header has 3");
  fails("env,a,b\nobs,0.1,abc\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 2", "column 3 (b)", "'abc' is not a number");
  fails("env,a,b\nobs,0.1,\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 2", "column 3 (b)", "empty cell");
});

test("feature-width mismatch", () => {
  fails(GOOD_SAMPLES, "env,f1,f2\nobs,0,0\ne1,1\n", "features.csv", "line 3", "2 fields");
});

test("an env without a features row, and a features row without samples", () => {
  fails(GOOD_SAMPLES + "e2,1,1\n", GOOD_FEATURES, "features.csv", "'e2'", "no features row");
  fails(GOOD_SAMPLES, GOOD_FEATURES + "e3,2,2\n", "samples.csv", "'e3'", "no samples");
});

test("two all-zero feature rows, or none", () => {
  fails(GOOD_SAMPLES + "e2,1,1\n", GOOD_FEATURES + "e2,0,0\n", "features.csv", "all-zero", "'obs'", "'e2'");
  fails(GOOD_SAMPLES, "env,f1,f2\nobs,1,0\ne1,1,0.5\n", "features.csv", "no observational");
});

test("duplicate names, duplicate features rows, missing files, bad header", () => {
  fails("env,a,a\nobs,1,2\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 1", "duplicate variable name 'a'");
  fails(GOOD_SAMPLES, GOOD_FEATURES + "e1,2,2\n", "features.csv", "line 4", "'e1' already has a features row");
  fails("id,a,b\nobs,1,2\n", GOOD_FEATURES, "samples.csv", "line 1", "'env'");
  const dir = mkdtempSync(join(tmpdir(), "gim-empty-"));
  assert.throws(() => loadDataset(dir), /samples\.csv: file not found/);
  assert.throws(() => readFeatures(join(dir, "nope.csv")), /nope\.csv: cannot read file/);
});

test("truth.json: the train split is selected and inconsistencies are named", () => {
  const truth = { variables: ["a", "b"], graph: [[0, 1], [0, 0]], targets: { obs: [0, 0], e1: [1, 0] }, split: { obs: "observational", e1: "full-ood" } };
  const d = loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, truth));
  assert.equal(trainingSubset(d).envs.map((e) => e.id), ["obs"]);
  assert.throws(() => loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, { ...truth, variables: ["a", "c"] })), /truth\.json: 'variables' differ/);
  assert.throws(() => loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, { ...truth, split: { obs: "observational" } })), /truth\.json: 'split' has no entry for env 'e1'/);
});

test.run();
