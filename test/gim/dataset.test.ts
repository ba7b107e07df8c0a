/** Every bad-input error of the dataset format names the file and the line and/or column. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  loadDataset,
  readFeatures,
  subsetEnvs,
  trainingSubset,
  writeFeaturesCsv,
  writeSamplesCsv,
} from "../../gim/data/dataset.js";
import { scratchDir } from "../helpers.js";

const GOOD_SAMPLES = "env,a,b\nobs,0.1,0.2\nobs,0.3,0.4\ne1,1,2\ne1,1.5,2.5\n";
const GOOD_FEATURES = "env,f1,f2\nobs,0,0\ne1,1,0.5\n";

function dataset(samples: string, features: string, truth?: unknown): string {
  const dir = scratchDir("gim-data-");
  writeFileSync(join(dir, "samples.csv"), samples);
  writeFileSync(join(dir, "features.csv"), features);
  if (truth) writeFileSync(join(dir, "truth.json"), typeof truth === "string" ? truth : JSON.stringify(truth));
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
  assert.equal(
    d.envs.map((e) => e.id),
    ["obs", "e1"],
  );
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
  fails(
    "env,a,b\nobs,0.1,abc\ne1,1,2\n",
    GOOD_FEATURES,
    "samples.csv",
    "line 2",
    "column 3 (b)",
    "'abc' is not a number",
  );
  fails("env,a,b\nobs,0.1,\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 2", "column 3 (b)", "empty cell");
});

test("feature-width mismatch", () => {
  fails(GOOD_SAMPLES, "env,f1,f2\nobs,0,0\ne1,1\n", "features.csv", "line 3", "2 fields");
});

test("an env without a features row, and a features row without samples", () => {
  fails(GOOD_SAMPLES + "e2,1,1\n", GOOD_FEATURES, "samples.csv, line 6", "'e2'", "no features row", "features.csv");
  fails(GOOD_SAMPLES, GOOD_FEATURES + "e3,2,2\n", "features.csv, line 4", "'e3'", "no samples", "samples.csv");
});

test("two all-zero feature rows, or none", () => {
  fails(
    GOOD_SAMPLES + "e2,1,1\n",
    GOOD_FEATURES + "e2,0,0\n",
    "features.csv",
    "all-zero",
    "'obs' (line 2)",
    "'e2' (line 4)",
  );
  fails(GOOD_SAMPLES, "env,f1,f2\nobs,1,0\ne1,1,0.5\n", "features.csv", "no observational");
});

test("duplicate names, duplicate features rows, missing files, bad header", () => {
  fails("env,a,a\nobs,1,2\ne1,1,2\n", GOOD_FEATURES, "samples.csv", "line 1", "duplicate variable name 'a'");
  fails(GOOD_SAMPLES, GOOD_FEATURES + "e1,2,2\n", "features.csv", "line 4", "'e1' already has a features row");
  fails("id,a,b\nobs,1,2\n", GOOD_FEATURES, "samples.csv", "line 1", "'env'");
  const dir = scratchDir("gim-empty-");
  assert.throws(() => loadDataset(dir), /samples\.csv: file not found/);
  assert.throws(() => readFeatures(join(dir, "nope.csv")), /nope\.csv: cannot read file/);
});

test("a header without rows is refused", () => {
  fails("env,a,b\n", GOOD_FEATURES, "samples.csv", "no samples");
  fails(GOOD_SAMPLES, "env,f1,f2\n", "features.csv", "no environments");
});

test("write → load round trip; subsetEnvs keeps the observational env and refuses unknown ids", () => {
  const dir = scratchDir("gim-rt-");
  const envs = [
    { id: "ctrl", features: [0, 0], samples: [0.125, -3, 1e-7, 2.5], n: 2 },
    { id: "k1", features: [1.5, -0.25], samples: [10, 20], n: 1 },
    { id: "k2", features: [0, 2], samples: [-1, 1], n: 1 },
  ];
  writeSamplesCsv(join(dir, "samples.csv"), ["u", "v"], [envs[1], envs[0], envs[2]]);
  writeFeaturesCsv(join(dir, "features.csv"), ["f", "g"], [envs[2], envs[0], envs[1]]);
  const d = loadDataset(dir);
  // Observational first, then the order of first appearance in samples.csv (k1 before k2).
  assert.equal(
    d.envs.map((e) => [e.id, e.n, e.observational, e.features, Array.from(e.samples)]),
    envs.map((e, k) => [e.id, e.n, k === 0, e.features, e.samples]),
  );
  assert.equal(readFeatures(join(dir, "features.csv")).envs[2], { id: "k1", features: [1.5, -0.25], line: 4 });
  assert.equal(
    subsetEnvs(d, ["k2"]).envs.map((e) => e.id),
    ["ctrl", "k2"],
  );
  assert.throws(() => subsetEnvs(d, ["k3"]), /no env 'k3'/);
});

test("truth.json: the train split is selected and inconsistencies are named", () => {
  const truth = {
    variables: ["a", "b"],
    graph: [
      [0, 1],
      [0, 0],
    ],
    targets: { obs: [0, 0], e1: [1, 0] },
    split: { obs: "observational", e1: "full-ood" },
  };
  const d = loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, truth));
  assert.equal(
    trainingSubset(d).envs.map((e) => e.id),
    ["obs"],
  );
  assert.throws(
    () => loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, { ...truth, variables: ["a", "c"] })),
    /truth\.json: 'variables' differ/,
  );
  assert.throws(
    () => loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, { ...truth, split: { obs: "observational" } })),
    /truth\.json: 'split' has no entry for env 'e1'/,
  );
  const refused = (change: object, pattern: RegExp) =>
    assert.throws(() => loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, { ...truth, ...change })), pattern);
  refused(
    {
      graph: [
        [0, 1],
        [1, 0],
      ],
    },
    /truth\.json: 'graph' has a directed cycle/,
  );
  refused(
    {
      graph: [
        [1, 0],
        [0, 0],
      ],
    },
    /truth\.json: 'graph' has a self-loop/,
  );
  refused(
    {
      graph: [
        [0, 2],
        [0, 0],
      ],
    },
    /truth\.json: 'graph' must be a 2×2 matrix of 0\/1/,
  );
  refused({ graph: [[0, 1]] }, /'graph' must be a 2×2 matrix/);
  refused({ targets: { obs: [0, 0], e1: [1] } }, /'targets' of env 'e1' must be 2 entries of 0\/1/);
  refused({ targets: { obs: [1, 0], e1: [1, 0] } }, /the observational env 'obs' has targets/);
  refused({ targets: { obs: [0, 0], e9: [1, 0] } }, /'targets' names env 'e9', which has no data/);
  refused({ split: { obs: "observational", e1: "holdout" } }, /'split' of env 'e1' is 'holdout'/);
  refused({ split: { obs: "train", e1: "train" } }, /env 'obs' is the observational env .* its split is 'train'/);
  refused({ split: { obs: "observational", e1: "observational" } }, /env 'e1' is not the observational env/);
  assert.throws(() => loadDataset(dataset(GOOD_SAMPLES, GOOD_FEATURES, "{ nope")), /truth\.json: not valid JSON/);
});

test("split.json (gim prep): 'test' envs leave the training subset; bad entries are named", () => {
  const dir = dataset(GOOD_SAMPLES + "e2,3,4\n", GOOD_FEATURES + "e2,0,1\n");
  writeFileSync(join(dir, "split.json"), JSON.stringify({ obs: "observational", e1: "train", e2: "test" }));
  const d = loadDataset(dir);
  assert.equal(d.split, { obs: "observational", e1: "train", e2: "test" });
  assert.equal(
    trainingSubset(d).envs.map((e) => e.id),
    ["obs", "e1"],
  );
  writeFileSync(join(dir, "split.json"), JSON.stringify({ obs: "observational", e1: "train" }));
  assert.throws(() => loadDataset(dir), /split\.json: 'split' has no entry for env 'e2'/);
  writeFileSync(join(dir, "split.json"), JSON.stringify({ obs: "test", e1: "train", e2: "test" }));
  assert.throws(() => loadDataset(dir), /split\.json: env 'obs' is the observational env .* its split is 'test'/);
});

test.run();
