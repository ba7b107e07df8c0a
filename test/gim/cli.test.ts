/**
 * The `gim` CLI end to end on small data (cpu backend): synth determinism, every bad input and
 * flag error, train → predict on unseen features, resume giving the same result as an
 * uninterrupted run (bitwise on cpu), and eval's table.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CLI, runGim, TINY_SYNTH, scratchDir } from "../helpers.js";
import { loadDataset, trainingSubset } from "../../gim/data/dataset.js";

const dir = scratchDir("gim-cli-");

const gim = (...args: string[]) => runGim(args);

const SYNTH = TINY_SYNTH;
const TRAIN = ["--backend", "cpu", "--mc-samples", "4", "--log-every", "5"];

test("synth writes the three files, deterministically per seed", () => {
  assert.is(gim("synth", "--out", join(dir, "a"), ...SYNTH).code, 0);
  assert.is(gim("synth", "--out", join(dir, "b"), ...SYNTH).code, 0);
  for (const f of ["samples.csv", "features.csv", "truth.json"])
    assert.is(readFileSync(join(dir, "a", f), "utf8"), readFileSync(join(dir, "b", f), "utf8"), f);
  const truth = JSON.parse(readFileSync(join(dir, "a", "truth.json"), "utf8"));
  assert.equal(Object.values(truth.split).filter((s) => s === "train").length, 8);
});

test("every command has --help; bad flags and values name the flag", () => {
  for (const c of ["synth", "train", "predict", "eval", "report", "demo", "backends"]) {
    const r = gim(c, "--help");
    assert.is(r.code, 0, c);
    assert.ok(r.out.includes(`gim ${c}`), c);
  }
  assert.match(gim("synth", "--out", dir, "--dd", "3").err, /unknown flag --dd/);
  assert.match(gim("synth", "--out", dir, "--d", "three").err, /--d: 'three' is not a number/);
  assert.match(gim("train", "--data", dir).err, /--out is required/);
  assert.match(
    gim("train", "--data", join(dir, "a"), "--out", join(dir, "m.json"), "--backend", "tpu").err,
    /--backend: 'tpu' is not one of auto, webgpu, cpu/,
  );
  assert.is(gim("nope").code, 2);
});

test("train on bad data reports the file and line", () => {
  const bad = join(dir, "bad");
  assert.is(gim("synth", "--out", bad, ...SYNTH).code, 0);
  const samples = readFileSync(join(bad, "samples.csv"), "utf8").split("\n");
  samples[5] = samples[5].replace(/,[^,]*$/, ",nan");
  writeFileSync(join(bad, "samples.csv"), samples.join("\n"));
  const r = gim("train", "--data", bad, "--out", join(dir, "bad.json"), ...TRAIN, "--steps", "2");
  assert.is(r.code, 1);
  assert.match(r.err, /samples\.csv, line 6, column 4 \(x3\): NaN is not allowed/);
});

test("Ctrl-C writes a checkpoint; --resume continues to the same result as an uninterrupted run (bitwise on cpu)", async () => {
  const data = join(dir, "a");
  const steps = ["--steps", "300"];
  assert.is(gim("train", "--data", data, "--out", join(dir, "full.json"), ...TRAIN, ...steps).code, 0);
  const ckpt = join(dir, "run.ckpt.json");
  const args = [
    "train",
    "--data",
    data,
    "--out",
    join(dir, "resumed.json"),
    ...TRAIN,
    ...steps,
    "--checkpoint",
    ckpt,
    "--checkpoint-every",
    "5",
  ];
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  for (let k = 0; k < 400 && !existsSync(ckpt); k++) await new Promise((r) => setTimeout(r, 50));
  child.kill("SIGINT");
  const code = await exited;
  // The signal follows the first checkpoint (step 5 of 300), so the run must stop early.
  assert.is(code, 130, stderr);
  assert.match(stderr, /interrupted: writing a checkpoint/);
  const stoppedAt = JSON.parse(readFileSync(ckpt, "utf8")).step;
  assert.ok(stoppedAt > 0 && stoppedAt < 300, `stopped at ${stoppedAt}`);
  const r = gim(...args, "--resume");
  assert.is(r.code, 0, r.err);
  assert.match(r.err, new RegExp(`resumed from .* at step ${stoppedAt}`));
  const full = JSON.parse(readFileSync(join(dir, "full.json"), "utf8"));
  const resumed = JSON.parse(readFileSync(join(dir, "resumed.json"), "utf8"));
  assert.equal(resumed.weights, full.weights);
  assert.equal(resumed.graph, full.graph);
  assert.equal(resumed.history, full.history);
});

test("predict samples unseen features; a mismatched features file is refused", () => {
  const model = join(dir, "full.json");
  const features = join(dir, "unseen.csv");
  writeFileSync(features, "env,pc1,pc2,pc3\nobs,0,0,0\nnew1,0.3,-1.2,2\n");
  const out = join(dir, "pred.csv");
  const r = gim(
    "predict",
    "--model",
    model,
    "--features",
    features,
    "--n-per-env",
    "7",
    "--out",
    out,
    "--targets-out",
    join(dir, "targets.csv"),
  );
  assert.is(r.code, 0, r.err);
  const lines = readFileSync(out, "utf8").trim().split("\n");
  assert.is(lines[0], "env,x1,x2,x3");
  assert.is(lines.length, 1 + 14);
  assert.ok(
    lines.slice(1).every((l) =>
      l
        .split(",")
        .slice(1)
        .every((v) => Number.isFinite(Number(v))),
    ),
  );
  const targets = readFileSync(join(dir, "targets.csv"), "utf8").trim().split("\n");
  assert.is(targets[1], "obs,0,0,0");
  writeFileSync(features, "env,a,b\nobs,0,0\n");
  assert.match(
    gim("predict", "--model", model, "--features", features, "--out", out).err,
    /features \[a, b\] differ from the model's \[pc1, pc2, pc3\]/,
  );
});

test("eval prints graph metrics and every split for GIM and both baselines", () => {
  const r = gim("eval", "--model", join(dir, "full.json"), "--data", join(dir, "a"), "--json");
  assert.is(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  assert.ok(report.graph.edgeF1 >= 0 && report.graph.edgeF1 <= 1);
  const methods = new Set(report.splits.map((s: { method: string }) => s.method));
  assert.equal([...methods].sort(), ["GIM", "mean-shift MLP", "observational"]);
  assert.equal(
    [...new Set(report.splits.map((s: { split: string }) => s.split))],
    ["train", "partial-ood", "full-ood"],
  );
});

test("--fresh-per-env: new samples of the training envs, scored as train-fresh, never trained on", () => {
  const fresh = join(dir, "fresh");
  assert.is(gim("synth", "--out", fresh, ...SYNTH, "--fresh-per-env", "30").code, 0);
  // Drawn after everything else: the other envs' rows and features are those without the flag.
  for (const f of ["samples.csv", "features.csv"]) {
    const [plain, withFresh] = [join(dir, "a", f), join(fresh, f)].map((p) => readFileSync(p, "utf8"));
    assert.ok(withFresh.startsWith(plain) && withFresh.length > plain.length, f);
  }
  const truth = JSON.parse(readFileSync(join(fresh, "truth.json"), "utf8"));
  const freshIds = Object.keys(truth.split).filter((id) => truth.split[id] === "train-fresh");
  assert.equal(
    freshIds,
    Object.keys(truth.split)
      .filter((id) => truth.split[id] === "train")
      .map((id) => `${id}_fresh`),
  );
  for (const id of freshIds) assert.equal(truth.targets[id], truth.targets[id.replace(/_fresh$/, "")]);

  const r = gim("eval", "--model", join(dir, "full.json"), "--data", fresh, "--json");
  assert.is(r.code, 0, r.err);
  const report = JSON.parse(r.out);
  const score = (method: string, split: string) =>
    report.splits.find((s: { method: string; split: string }) => s.method === method && s.split === split);
  assert.is(score("GIM", "train-fresh").envs, freshIds.length);
  // The mean-shift MLP is fitted to the training envs' sample means: on their new samples it
  // loses that advantage (the point of the split).
  const mlp = (split: string) => score("mean-shift MLP", split).meanDistance;
  assert.ok(mlp("train-fresh") > 2 * mlp("train"), `MLP train ${mlp("train")} vs train-fresh ${mlp("train-fresh")}`);
  // Training on the fresh dataset sees the same envs as on the plain one.
  const trainIds = (folder: string) => trainingSubset(loadDataset(folder)).envs.map((e) => e.id);
  assert.equal(trainIds(fresh), trainIds(join(dir, "a")));
});

test.run();
