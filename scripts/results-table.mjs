// `npm run results`: the results table of docs/results.md (issue #13; the paper's Figures 2–3).
// For every family {linear, mlp} × {hard, shift} × {er, sf}, d and seed, it makes a dataset with
// the outside generator (scripts/external-check/generate.py), trains GIM and BaCaDI*
// (`--amortize false`) with the built CLI (dist/cli.js), scores both with `gim eval --json`, and
// writes docs/results.md (scripts/results/markdown.mjs) with the command, date and wall time.
//
//   node scripts/results-table.mjs [--seeds 5] [--families linear-hard-er,…] [--d 10,20]
//        [--methods GIM,BaCaDI*] [--steps N] [--work out/results] [--jobs 1] [--backend auto] [--resume]
//        [--out docs/results.md] [--python /usr/bin/python3] [--collect] [-- extra gim train flags]
//
// --methods picks among GIM, BaCaDI*, "GIM (vote of 5)" and "GIM (vote-refit of 5)" (`gim train
// --restarts 5 --restart-graph vote|vote-refit`, gim/train/restart-vote.ts); the default is the first two.
//
// Each (family, d, seed, method) is one run that writes WORK/<family>-d<d>-s<seed>/<method>.run.json
// when it is done; with --resume a run whose record exists with the same flags is not redone, so an
// interrupted sweep continues where it stopped. --collect runs nothing: it writes the table from the
// records there are and lists the runs of the grid that have none. Logs of every command lie beside
// the records.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { cpus, platform, release } from "node:os";
import { join } from "node:path";
import { FAMILIES } from "./results/table.mjs";
import { formatDuration, resultsMarkdown } from "./results/markdown.mjs";

const started = Date.now();
const argv = process.argv.slice(2);
const cut = argv.indexOf("--");
const own = cut < 0 ? argv : argv.slice(0, cut);
const trainExtra = cut < 0 ? [] : argv.slice(cut + 1);
const VALUED = ["seeds", "families", "methods", "d", "steps", "work", "jobs", "backend", "out", "python"];
const opts = { resume: false, collect: false };
for (let k = 0; k < own.length; k++) {
  const name = own[k].replace(/^--/, "");
  if (name === "resume") opts.resume = true;
  else if (name === "collect") opts.collect = true;
  else if (VALUED.includes(name) && k + 1 < own.length) opts[name] = own[++k];
  else
    fail(
      `unknown or incomplete option '${own[k]}' (options: --${VALUED.join(", --")}, --resume, --collect; -- train flags)`,
    );
}
function fail(message) {
  console.error(`results-table: ${message}`);
  process.exit(2);
}
function positiveInt(name, text) {
  const v = Number(text);
  if (!Number.isInteger(v) || v < 1) fail(`--${name} must be a positive integer, got '${text}'`);
  return v;
}
const seeds = positiveInt("seeds", opts.seeds ?? "5");
const families = (opts.families ?? FAMILIES.join(",")).split(",").map((f) => f.trim());
const unknown = families.filter((f) => !FAMILIES.includes(f));
if (unknown.length > 0) fail(`--families: '${unknown.join(", ")}' not among ${FAMILIES.join(", ")}`);
const dims = (opts.d ?? "10").split(",").map((v) => positiveInt("d", v));
const steps = opts.steps === undefined ? [] : ["--steps", String(positiveInt("steps", opts.steps))];
const jobs = positiveInt("jobs", opts.jobs ?? "1");
const backend = opts.backend ?? "auto";
const work = opts.work ?? "out/results";
const out = opts.out ?? "docs/results.md";
const python = opts.python ?? "/usr/bin/python3";
if (!existsSync("dist/cli.js")) fail("dist/cli.js is missing: run `npm run build` (npm run results does)");

/** Runs a command; its command line, stdout and stderr go to `log`; resolves to stdout, rejects on failure. */
function run(command, args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b) => (stdout += b));
    child.stderr.on("data", (b) => (stderr += b));
    child.on("error", reject);
    child.on("close", (code) => {
      writeFileSync(log, `$ ${command} ${args.join(" ")}\n${stdout}\n${stderr}`);
      if (code === 0) resolve(stdout);
      else
        reject(new Error(`${command} ${args.slice(0, 2).join(" ")} exited ${code}; see ${log}: ${stderr.slice(-500)}`));
    });
  });
}
const gim = (args, log) => run(process.execPath, ["dist/cli.js", ...args], log);

function writeAtomic(path, text) {
  writeFileSync(`${path}.tmp.${process.pid}`, text);
  renameSync(`${path}.tmp.${process.pid}`, path);
}

/** New rows of every training env (split train-fresh: "in-dist. new samples", never trained on). */
const FRESH_PER_ENV = 50;

/** One dataset per (family, d, seed), made once even when both methods' runs ask for it at the same time. */
const datasets = new Map();
function dataset(dir, family, d, seed) {
  const data = join(dir, "data");
  const [mechanism, intervention, graph] = family.split("-");
  const flags = ["--graph", graph, "--mechanism", mechanism, "--intervention", intervention, "--d", String(d)];
  flags.push("--fresh-per-env", String(FRESH_PER_ENV));
  if (!datasets.has(data)) {
    const made = (existsSync(join(data, "truth.json")) && opts.resume) || opts.collect;
    if (!opts.collect) mkdirSync(dir, { recursive: true });
    const script = "scripts/external-check/generate.py";
    datasets.set(
      data,
      made
        ? Promise.resolve()
        : run(python, [script, ...flags, "--seed", String(seed), "--out", data], join(dir, "generate.log")),
    );
  }
  return { data, flags, ready: datasets.get(data) };
}

const METHODS = {
  GIM: { file: "gim", flags: [] },
  "BaCaDI*": { file: "bacadi", flags: ["--amortize", "false"] },
  "GIM (vote of 5)": { file: "gim-vote5", flags: ["--restarts", "5", "--restart-graph", "vote"] },
  "GIM (vote-refit of 5)": { file: "gim-vote-refit5", flags: ["--restarts", "5", "--restart-graph", "vote-refit"] },
};
const methodNames = (opts.methods ?? "GIM,BaCaDI*").split(",").map((m) => m.trim());
const unknownMethods = methodNames.filter((m) => !(m in METHODS));
if (unknownMethods.length > 0)
  fail(`--methods: '${unknownMethods.join(", ")}' not among ${Object.keys(METHODS).join(", ")}`);
const todo = [];
for (let seed = 1; seed <= seeds; seed++)
  for (const d of dims)
    for (const family of families) for (const method of methodNames) todo.push({ family, d, seed, method });

const records = [];
const failed = [];
const notRun = [];
let reused = 0;
let finished = 0;

async function runOne({ family, d, seed, method }) {
  const dir = join(work, `${family}-d${d}-s${seed}`);
  const { data, flags: generator, ready } = dataset(dir, family, d, seed);
  const [mechanism, intervention] = family.split("-");
  const { file, flags: methodFlags } = METHODS[method];
  const model = join(dir, `${file}.model.json`);
  const recordPath = join(dir, `${file}.run.json`);
  const train = ["--mechanism", mechanism, "--intervention", intervention, "--seed", String(seed), ...steps];
  train.push("--backend", backend, ...methodFlags, ...trainExtra);
  // BaCaDI* predicts only its training perturbations: its eval scores those splits (the baselines come from GIM's).
  const evalFlags =
    method !== "BaCaDI*" ? ["--seed", "0"] : ["--seed", "0", "--splits", "train,train-fresh", "--map-targets", "false"];
  const flags = { generator, train, eval: evalFlags };
  const label = `${family} d=${d} seed ${seed} ${method}`;
  if ((opts.resume || opts.collect) && existsSync(recordPath)) {
    const record = JSON.parse(readFileSync(recordPath, "utf8"));
    if (JSON.stringify(record.flags) === JSON.stringify(flags)) {
      records.push(record);
      reused++;
      console.error(`[${++finished}/${todo.length}] ${label}: reused ${recordPath}`);
      return;
    }
    console.error(`${label}: ${recordPath} was made with other flags; ${opts.collect ? "not used" : "redoing it"}`);
  }
  if (opts.collect) {
    notRun.push({ family, d, seed, method });
    finished++;
    return;
  }
  await ready;
  let t = Date.now();
  await gim(["train", "--data", data, "--out", model, ...train], join(dir, `${file}.train.log`));
  const trainSeconds = (Date.now() - t) / 1000;
  t = Date.now();
  const report = JSON.parse(
    await gim(["eval", "--model", model, "--data", data, "--json", ...evalFlags], join(dir, `${file}.eval.log`)),
  );
  const evalSeconds = (Date.now() - t) / 1000;
  const m = JSON.parse(readFileSync(model, "utf8"));
  const record = {
    family,
    d,
    seed,
    method,
    flags,
    backend: m.backend,
    adapter: m.adapter ?? null,
    steps: m.steps,
    seconds: { train: trainSeconds, eval: evalSeconds },
    cycleEdgesDropped: m.cycleEdgesDropped,
    graph: report.graph,
    splits: report.splits,
  };
  writeAtomic(recordPath, JSON.stringify(record, null, 1));
  records.push(record);
  console.error(
    `[${++finished}/${todo.length}] ${label}: train ${formatDuration(trainSeconds)}, eval ${formatDuration(evalSeconds)}, Edge-F1 ${report.graph?.edgeF1.toFixed(3)}`,
  );
}

let next = 0;
await Promise.all(
  Array.from({ length: Math.min(jobs, todo.length) }, async () => {
    while (next < todo.length) {
      const job = todo[next++];
      try {
        await runOne(job);
      } catch (e) {
        finished++;
        failed.push(`${job.family} d=${job.d} seed ${job.seed} ${job.method}: ${e.message.split("\n")[0]}`);
        console.error(`results-table: ${failed.at(-1)}`);
      }
    }
  }),
);

const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
const shown = argv.map(quote).join(" ");
const command =
  process.env.npm_lifecycle_event === "results"
    ? `npm run results -- ${shown}`
    : `node scripts/results-table.mjs ${shown}`;
const cpu = cpus();
const markdown = resultsMarkdown(records, {
  command: command.trimEnd(),
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  wallSeconds: (Date.now() - started) / 1000,
  machine: `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${platform()} ${release()}, node ${process.version}`,
  generator:
    `\`${python} scripts/external-check/generate.py --graph G --mechanism M --intervention I --d D --fresh-per-env ${FRESH_PER_ENV} --seed S\` ` +
    "(its other flags at their defaults: scripts/external-check/README.md); " +
    `${seeds === 1 ? "seed 1" : `seeds 1–${seeds}`}, and \`gim train --seed S\` on seed S's data`,
  reused,
  failed,
  notRun,
});
mkdirSync(join(out, ".."), { recursive: true });
writeAtomic(out, markdown);
console.error(
  `wrote ${out}: ${records.length} runs (${reused} reused), ${failed.length} failed, ${notRun.length} not run, wall time ${formatDuration((Date.now() - started) / 1000)}`,
);
process.exit(failed.length > 0 ? 1 : 0);
