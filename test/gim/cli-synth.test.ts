/**
 * `gim synth` through the built CLI: the three files load as a valid dataset, the same seed gives
 * byte-identical files, every option reaches the generator, and bad flags exit 2 naming the flag.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadDataset } from "../../gim/data/dataset.js";
import { runGim, scratchDir } from "../helpers.js";

const dir = scratchDir("gim-synth-");
const SMALL = ["--d", "4", "--perturbations", "2", "--n-per-env", "10", "--n-obs", "30", "--q", "3"];
const FILES = ["samples.csv", "features.csv", "truth.json"];

const gim = (...args: string[]) => runGim(args, 60_000);

const read = (sub: string, file: string) => readFileSync(join(dir, sub, file), "utf8");

test("writes samples.csv, features.csv and truth.json that load as a dataset", () => {
  const r = gim("synth", "--out", join(dir, "a"), ...SMALL, "--seed", "3");
  assert.is(r.code, 0, r.err);
  assert.is(read("a", "samples.csv").split("\n")[0], "env,x1,x2,x3,x4");
  assert.is(read("a", "features.csv").split("\n")[0], "env,pc1,pc2,pc3");
  const data = loadDataset(join(dir, "a"));
  // 1 observational + 2 perturbations × (4 train + 4 partial-OOD dosages) + 2 new sets × 4 dosages.
  assert.is(data.envs.length, 1 + 2 * 4 * 3);
  assert.is(data.envs[0].n, 30);
  assert.ok(data.envs.slice(1).every((e) => e.n === 10));
  assert.ok(data.truth !== null);
  const splits = Object.values(data.truth!.split);
  assert.equal(
    ["observational", "train", "partial-ood", "full-ood"].map((s) => splits.filter((x) => x === s).length),
    [1, 8, 8, 8],
  );
});

test("same seed → byte-identical files; another seed → different files", () => {
  assert.is(gim("synth", "--out", join(dir, "b"), ...SMALL, "--seed", "3").code, 0);
  assert.is(gim("synth", "--out", join(dir, "c"), ...SMALL, "--seed", "4").code, 0);
  for (const f of FILES) {
    assert.is(read("b", f), read("a", f), f);
    assert.is.not(read("c", f), read("a", f), f);
  }
});

test("the options reach the generator (scale-free graph, MLP, shift, sizes)", () => {
  const args = [
    "--d",
    "7",
    "--graph",
    "sf",
    "--edges-per-node",
    "2",
    "--mechanism",
    "mlp",
    "--intervention",
    "shift",
    "--perturbations",
    "1",
    "--n-per-env",
    "5",
    "--n-obs",
    "20",
    "--q",
    "2",
    "--seed",
    "1",
  ];
  assert.is(gim("synth", "--out", join(dir, "sf"), ...args).code, 0);
  const data = loadDataset(join(dir, "sf"));
  assert.is(data.variables.length, 7);
  assert.is(data.featureNames.length, 2);
  // Barabási–Albert with m = 2: node v adds min(2, v) edges, 1 + 2·5 in all.
  assert.is(
    data.truth!.graph.flat().reduce((a, b) => a + b, 0),
    11,
  );
  assert.is(data.envs.length, 1 + 1 * 4 * 3);
  assert.ok(data.envs.slice(1).every((e) => e.n === 5));
});

test("--help prints every option and exits 0", () => {
  const r = gim("synth", "--help");
  assert.is(r.code, 0);
  for (const flag of [
    "--out",
    "--d",
    "--graph",
    "--edges-per-node",
    "--mechanism",
    "--intervention",
    "--perturbations",
    "--n-per-env",
    "--n-obs",
    "--q",
    "--seed",
  ]) {
    assert.ok(r.out.includes(flag), flag);
  }
});

test("bad flags and values exit 2 with 'gim synth: …' naming the flag", () => {
  const out = join(dir, "bad");
  const cases: [string[], RegExp][] = [
    [["--out", out, "--dd", "3"], /gim synth: unknown flag --dd/],
    [["--out", out, "--toString", "3"], /gim synth: unknown flag --toString/],
    [["--out", out, "--d", "three"], /gim synth: --d: 'three' is not a number/],
    [["--out", out, "--d", "2.5"], /gim synth: --d: '2.5' is not an integer/],
    [["--out", out, "--d", "1"], /gim synth: --d: 1 is below the minimum 2/],
    [["--out", out, "--graph", "tree"], /gim synth: --graph: 'tree' is not one of er, sf/],
    [["--out", out, "--mechanism", "gp"], /gim synth: --mechanism: 'gp' is not one of linear, mlp/],
    [["--out", out, "--seed"], /gim synth: --seed needs a value/],
    [["--out", out, "extra"], /gim synth: unexpected argument 'extra'/],
    [["--d", "3"], /gim synth: --out is required/],
  ];
  for (const [args, message] of cases) {
    const r = gim("synth", ...args);
    assert.is(r.code, 2, args.join(" "));
    assert.match(r.err, message);
  }
});

test.run();
