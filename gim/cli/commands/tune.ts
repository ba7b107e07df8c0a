import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBackend } from "../../../engine/context.js";
import { loadDataset } from "../../data/dataset.js";
import { readGroupsFile } from "../../data/perturbation-groups.js";
import { saveModel } from "../../train/fit.js";
import { tune } from "../../eval/tune.js";
import { type TunedKey, defaultSpace, parseParam, varying } from "../../eval/tune-space.js";
import { trialsCsv, trialsMarkdown } from "../../eval/tune-table.js";
import { UsageError } from "../args.js";
import { PARALLEL_FLAG, parallelFor } from "./parallel-flag.js";
import { registerCommand } from "./registry.js";
import { TRAIN_FLAGS, configFrom } from "./train-flags.js";

const spaceHelp = (what: string, def: string) => `${what}: lo:hi (range), a,b,… (choices) or v (default ${def})`;

registerCommand("tune", {
  summary: "select hyperparameters by held-out-perturbation KDE-NLL (paper D.6), then train with them",
  flags: {
    data: { type: "string", required: true, help: "dataset folder (its train split when truth.json exists)" },
    out: { type: "string", required: true, help: "folder to write model.json, trials.csv, trials.md" },
    trials: { type: "number", integer: true, min: 1, default: 8, help: "trials to run (at most)" },
    "budget-s": {
      type: "number",
      min: 0,
      default: 0,
      help: "start no trial after this many seconds (0: no limit); running trials finish",
    },
    search: { type: "choice", choices: ["random", "grid"], default: "random", help: "how trials are drawn" },
    "grid-points": { type: "number", integer: true, min: 1, default: 3, help: "grid values per range (--search grid)" },
    "group-by": {
      type: "choice",
      choices: ["name", "targets", "env"],
      default: "name",
      help: "what makes envs one perturbation: the env id without its dose suffix (tr3_d0.5 → tr3), truth.json's targets, or each env alone",
    },
    groups: { type: "string", help: "CSV env,group naming each training env's perturbation (overrides --group-by)" },
    "holdout-group": { type: "string", help: "the perturbation to hold out (default: one drawn with --seed)" },
    "n-predict": {
      type: "number",
      integer: true,
      min: 10,
      default: 1000,
      help: "predicted samples per validation env",
    },
    "tune-lr": { type: "string", help: spaceHelp("Adam learning rate", "3e-3:3e-2") },
    "tune-lambda-graph": { type: "string", help: spaceHelp("λ_G", "1:100") },
    "tune-lambda-targets": { type: "string", help: spaceHelp("λ_I", "10:200") },
    "tune-alpha-linear": { type: "string", help: spaceHelp("inverse temperature α_lin", "--alpha-linear") },
    "tune-gim-hidden": { type: "string", help: spaceHelp("width of the φ MLPs", "32,64,100") },
    "tune-hidden": { type: "string", help: spaceHelp("mechanism MLP width", "5,10,20 for mlp") },
    "tune-steps": { type: "string", help: spaceHelp("training steps", "--steps/2,--steps") },
    ...TRAIN_FLAGS,
    ...PARALLEL_FLAG,
  },
  async run(v) {
    const base = configFrom(v);
    if (!base.amortize)
      throw new UsageError("--amortize false (BaCaDI*) cannot predict the held-out perturbation that tuning scores");
    const defaults = defaultSpace(base);
    // The searched parameters and their flags; `lo:hi` is a range, `a,b` choices, `v` fixed.
    const given: [TunedKey, string, string | undefined][] = [
      ["lr", "tune-lr", v["tune-lr"]],
      ["lambdaGraph", "tune-lambda-graph", v["tune-lambda-graph"]],
      ["lambdaTargets", "tune-lambda-targets", v["tune-lambda-targets"]],
      ["alphaLinear", "tune-alpha-linear", v["tune-alpha-linear"]],
      ["gimHidden", "tune-gim-hidden", v["tune-gim-hidden"]],
      ["hidden", "tune-hidden", v["tune-hidden"]],
      ["steps", "tune-steps", v["tune-steps"]],
    ];
    const space = given.map(([key, flag, text]) => {
      try {
        return parseParam(key, flag, text ?? defaults[key]);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    });
    const dataset = loadDataset(v.data);
    const groups = v.groups ? readGroupsFile(v.groups) : undefined;
    const backend = await createBackend(v.backend);
    const parallel = parallelFor(v.parallel, backend);
    const result = await tune(dataset, base, backend, {
      space,
      search: v.search,
      trials: v.trials,
      budgetSeconds: v["budget-s"] > 0 ? v["budget-s"] : Number.POSITIVE_INFINITY,
      gridPoints: v["grid-points"],
      parallel,
      groupBy: v["group-by"],
      groups,
      holdoutGroup: v["holdout-group"],
      nPredict: v["n-predict"],
      replay: v.replay,
    });
    mkdirSync(v.out, { recursive: true });
    const keys = varying(space).map((p) => p.key);
    const markdown = trialsMarkdown(result, keys);
    saveModel(join(v.out, "model.json"), result.model);
    writeFileSync(join(v.out, "trials.csv"), trialsCsv(result, keys));
    writeFileSync(join(v.out, "trials.md"), markdown);
    console.log(markdown);
    const chosen = result.rows[result.chosen];
    console.log(
      `held out '${result.heldOutGroup}' (${result.heldOutEnvs.length} envs); chose trial ${chosen.trial + 1} (validation KDE-NLL ${chosen.validationKdeNll.toFixed(4)}); ` +
        `${result.rows.length} trials in ${result.trialSeconds.toFixed(1)} s (${result.parallel} at once on ${backend.name}), ${result.wallSeconds.toFixed(1)} s in all`,
    );
    console.error(`wrote ${join(v.out, "model.json")}, trials.csv, trials.md`);
    return 0;
  },
});
