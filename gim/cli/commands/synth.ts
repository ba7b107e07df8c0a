import { writeDataset } from "../../data/dataset.js";
import { type FlagDecls, UsageError, defineFlags } from "../args.js";
import {
  BENCHMARK_DEFAULTS,
  type BenchmarkOptions,
  checkBenchmarkOptions,
  generateBenchmark,
} from "../../data/synthetic.js";
import { registerCommand } from "./registry.js";
import { SCREEN_FLAGS, writeScreen } from "./synth-counts.js";

const D = BENCHMARK_DEFAULTS;
const flags = defineFlags({
  out: { type: "string", required: true, help: "output folder (with --counts: the .h5ad file)" },
  d: { type: "number", integer: true, min: 2, default: D.d, help: "variables" },
  graph: { type: "choice", choices: ["er", "sf"], default: D.graph, help: "graph model" },
  "edges-per-node": { type: "number", min: 0, default: D.edgesPerNode, help: "expected edges per node" },
  mechanism: { type: "choice", choices: ["linear", "mlp"], default: D.mechanism, help: "causal mechanisms" },
  intervention: {
    type: "choice",
    choices: ["hard", "shift", "ziln"],
    default: D.intervention,
    help: "intervention type (ziln: hard zero-inflated log-normal, needs --noise ziln)",
  },
  noise: {
    type: "choice",
    choices: ["gaussian", "ziln"],
    default: "gaussian",
    help: "gaussian, or ziln: count-like zero-inflated log-normal data (needs --mechanism mlp --intervention ziln)",
  },
  perturbations: {
    type: "number",
    integer: true,
    min: 1,
    default: D.perturbations,
    help: "perturbations (each at 4 dosages)",
  },
  "n-per-env": { type: "number", integer: true, min: 1, default: D.nPerEnv, help: "samples per interventional env" },
  "fresh-per-env": {
    type: "number",
    integer: true,
    min: 0,
    default: 0,
    help: "new samples of each training env, scored as split train-fresh (in distribution, never trained on)",
  },
  "n-obs": { type: "number", integer: true, min: 2, default: D.nObs, help: "observational samples" },
  q: { type: "number", integer: true, min: 1, default: D.q, help: "PCA feature dimension" },
  seed: { type: "number", integer: true, min: 0, default: D.seed, help: "random seed" },
});

registerCommand("synth", {
  summary:
    "write the synthetic benchmark of spec §9 (samples.csv, features.csv, truth.json), or with --counts a single-cell drug screen (.h5ad)",
  flags: { ...flags, ...SCREEN_FLAGS },
  async run(v) {
    // A flag of the other generator, given a non-default value, would be silently ignored.
    const changed = (decls: FlagDecls) =>
      Object.keys(decls).find(
        (k) => k !== "counts" && (v as Record<string, unknown>)[k] !== (decls[k] as { default?: unknown }).default,
      );
    const { out: _out, seed: _seed, ...benchmarkFlags } = flags;
    if (v.counts) {
      const stray = changed(benchmarkFlags);
      if (stray) throw new UsageError(`--${stray} does not apply with --counts`);
      return writeScreen(v);
    }
    const stray = changed(SCREEN_FLAGS);
    if (stray) throw new UsageError(`--${stray} applies only with --counts`);
    const options: BenchmarkOptions = {
      d: v.d,
      graph: v.graph,
      edgesPerNode: v["edges-per-node"],
      mechanism: v.mechanism,
      intervention: v.intervention,
      noise: v.noise,
      perturbations: v.perturbations,
      nPerEnv: v["n-per-env"],
      freshPerEnv: v["fresh-per-env"],
      nObs: v["n-obs"],
      q: v.q,
      seed: v.seed,
    };
    try {
      checkBenchmarkOptions(options);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const data = generateBenchmark(options);
    writeDataset(v.out, data);
    console.log(`wrote ${data.envs.length} environments, ${data.variables.length} variables to ${v.out}`);
    return 0;
  },
});
