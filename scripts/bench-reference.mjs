// Our training step and the PyTorch reference of the spec (../shared/reference/torch_gim.py) in
// one sitting, row by row, on data of the same shape: for each configuration, `node dist/bench.js
// gim --json --rows=…` (webgpu with step replay), then torch_gim.py on a CSV dataset of the bench's
// layout (80 envs × 100 + 1,000 observational rows of d standard normals, 10 features; the default
// size: 40 × 100 + 500, with `gim train`'s holdout, M and T_AL). Prints one markdown row per
// configuration with both steps/s, their ratio and the load average around each run. With
// `--pairs K` (default 1) each configuration runs K pairs in turn (ours, then the reference) and
// a last line gives the median of each side and of the K ratios: on a shared machine either side
// can run 30 % slower from one run to the next (bench/RESULTS.md, session 13), and one pair is not
// a measurement. Not part of CI (it needs /usr/bin/python3 with torch); for bench/RESULTS.md and
// the device machine.
//
//   node scripts/bench-reference.mjs [--configs "10 linear,50 mlp,default"] [--device cpu|cuda]
//        [--threads 2] [--reference-steps 60] [--budget-s 120] [--pairs 1] [--python /usr/bin/python3]
//        [--reference ../shared/reference/torch_gim.py]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const k = argv.indexOf(`--${name}`);
  return k < 0 ? fallback : argv[k + 1];
};
const configs = flag("configs", "10 linear,50 mlp,default")
  .split(",")
  .map((c) => c.trim());
const device = flag("device", "cpu");
const threads = flag("threads", "2");
const referenceSteps = Number(flag("reference-steps", "60"));
const budgetS = flag("budget-s", "120");
const pairs = Number(flag("pairs", "1"));
if (!Number.isInteger(pairs) || pairs < 1)
  throw new Error(`--pairs must be a positive integer, got '${flag("pairs")}'`);
const python = flag("python", "/usr/bin/python3");
const reference = resolve(flag("reference", join(root, "..", "shared", "reference", "torch_gim.py")));
const bench = process.env.GIM_BENCH ?? join(root, "dist", "bench.js");
// The default-size row trains with `gim train`'s defaults; the reference is given the same ones.
const { GIM_DEFAULTS } = await import(pathToFileURL(join(dirname(bench), "index.js")).href);

/** Deterministic standard normals (Box–Muller on a 32-bit LCG): the data only needs the shape. */
function normals(seed) {
  let s = seed >>> 0 || 1;
  const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function writeDataset(dir, d, perEnv, nObs, envs) {
  const next = normals(d);
  const vars = Array.from({ length: d }, (_, j) => `x${j}`);
  const samples = [["env", ...vars].join(",")];
  const features = [["env", ...Array.from({ length: 10 }, (_, j) => `f${j}`)].join(",")];
  const block = (id, n) => {
    for (let r = 0; r < n; r++) samples.push([id, ...vars.map(() => next().toFixed(5))].join(","));
  };
  block("obs", nObs);
  features.push(["obs", ...new Array(10).fill(0)].join(","));
  for (let k = 0; k < envs; k++) {
    block(`e${k}`, perEnv);
    features.push([`e${k}`, ...Array.from({ length: 10 }, () => next().toFixed(5))].join(","));
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "samples.csv"), samples.join("\n") + "\n");
  writeFileSync(join(dir, "features.csv"), features.join("\n") + "\n");
}

function median(values) {
  const v = [...values].sort((x, y) => x - y);
  const h = v.length >> 1;
  return v.length % 2 === 1 ? v[h] : (v[h - 1] + v[h]) / 2;
}

function run(cmd, args) {
  const load = loadavg()[0];
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    maxBuffer: 1 << 26,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
  return { out: r.stdout, err: r.stderr, load: `${load.toFixed(1)}→${loadavg()[0].toFixed(1)}` };
}

function ours(config) {
  const rows = config.kind === "default" ? "webgpu default size" : `webgpu d=${config.d} ${config.mechanism}`;
  const r = run(process.execPath, [bench, "gim", "--json", `--rows=${rows}`, `--budget-s=${budgetS}`]);
  const { adapter, results } = JSON.parse(r.out);
  const row = results.find(
    (x) =>
      x.backend === "webgpu" &&
      (config.kind === "default" ? x.name === "gim-train-default" : x.d === config.d && x.batch === x.N),
  );
  if (!row) throw new Error(`no bench row for ${rows}:\n${r.err.slice(-2000)}`);
  return { sps: row.stepsPerSecond, M: row.M, N: row.N, adapter, load: r.load };
}

/** The reference on `dir` with our row's M (graph and intervention samples alike). */
function torch(config, dir, M) {
  const args = [
    reference,
    "train",
    "--data",
    dir,
    "--mechanism",
    config.mechanism,
    "--intervention",
    "hard",
    "--steps",
    String(referenceSteps + 20),
    "--seed",
    "0",
    "--device",
    device,
    "--threads",
    threads,
    "--quiet",
    "--out",
    join(dir, "model.json"),
    "--M",
    String(M),
    "--M_h",
    String(M),
  ];
  if (config.kind === "default") {
    const { alphaLinear, lambdaTargets, alSteps, holdoutFraction } = GIM_DEFAULTS;
    args.push("--alpha_lin", String(alphaLinear), "--lambda_I", String(lambdaTargets));
    args.push("--T_AL", String(alSteps), "--holdout_frac", String(holdoutFraction));
  } else args.push("--holdout_frac", "0");
  const r = run(python, args);
  const summary = JSON.parse(r.out.trim().split("\n").pop());
  return { sps: summary.steps_per_s, load: r.load };
}

const work = mkdtempSync(join(tmpdir(), "gim-bench-reference-"));
console.log(`| configuration | gim-webgpu steps/s (load) | PyTorch ${device} steps/s (load) | ratio |`);
console.log("| --- | ---: | ---: | ---: |");
let adapterLine = "";
try {
  for (const text of configs) {
    const config =
      text === "default"
        ? { kind: "default", d: 10, mechanism: "linear" }
        : { kind: "step", d: Number(text.split(" ")[0]), mechanism: text.split(" ")[1] };
    const dir = join(work, text.replace(/\s+/g, "-"));
    if (config.kind === "default") writeDataset(dir, 10, 100, 500, 40);
    else writeDataset(dir, config.d, 100, 1000, 80);
    const runs = [];
    for (let k = 0; k < pairs; k++) {
      const a = ours(config);
      adapterLine = a.adapter;
      const b = torch(config, dir, a.M);
      runs.push({ ours: a.sps, reference: b.sps, ratio: a.sps / b.sps });
      const size = `M = ${a.M}, N = ${a.N.toLocaleString("en")}`;
      const label =
        config.kind === "default"
          ? `default size (d = 10 linear hard, ${size})`
          : `d = ${config.d} ${config.mechanism} hard, ${size}`;
      console.log(
        `| ${label}${pairs > 1 ? `, pair ${k + 1}` : ""} | ${a.sps.toFixed(3)} (${a.load}) | ${b.sps.toFixed(3)} (${b.load}) | ${(a.sps / b.sps).toFixed(2)}× |`,
      );
    }
    if (pairs > 1) {
      const m = (key) => median(runs.map((r) => r[key]));
      console.log(
        `| ${text}: median of ${pairs} pairs | ${m("ours").toFixed(3)} | ${m("reference").toFixed(3)} | ${m("ratio").toFixed(2)}× |`,
      );
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`\nadapter: ${adapterLine}; reference: ${referenceSteps} timed steps after 20 warm-up, ${threads} threads`);
