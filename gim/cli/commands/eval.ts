import { SCORED_SPLITS as SPLITS, loadDataset, type Split } from "../../data/dataset.js";
import { loadPerturbations } from "../../data/perturbations.js";
import { evaluate, formatReport } from "../../eval/evaluate.js";
import { loadModel } from "../../model/model-file.js";
import { UsageError } from "../args.js";
import { registerCommand } from "./registry.js";

registerCommand("eval", {
  summary: "all metrics of spec §10 per split, for GIM and the baselines",
  flags: {
    model: { type: "string", required: true, help: "model file from gim train" },
    data: {
      type: "string",
      required: true,
      help: "dataset folder (with truth.json for graph and target metrics, perturbations.csv for the next-lower-dose baseline)",
    },
    json: { type: "boolean", default: false, help: "print JSON instead of a table" },
    seed: { type: "number", integer: true, min: 0, default: 0, help: "sampling seed" },
    splits: { type: "string", help: `comma-separated splits to score (default: all present; ${SPLITS.join(", ")})` },
    wasserstein: { type: "boolean", default: true, help: "compute W_ε (Sinkhorn: the slowest metric at large d)" },
    "map-targets": {
      type: "boolean",
      default: true,
      help: "also score GIM predicting with its MAP targets 1[σ(f_φ(γ)) > 0.5] instead of Bernoulli draws (row 'GIM (MAP targets)'; JSON: mapTargets)",
    },
  },
  async run(v) {
    const splits = v.splits?.split(",").map((s) => s.trim());
    const bad = splits?.find((s) => !SPLITS.includes(s as Split));
    if (bad !== undefined) throw new UsageError(`--splits: '${bad}' is not one of ${SPLITS.join(", ")}`);
    const dataset = loadDataset(v.data);
    const perturbations = loadPerturbations(
      v.data,
      dataset.envs.map((e) => e.id),
    );
    const report = evaluate(loadModel(v.model), dataset, v.seed, {
      perturbations,
      splits: splits as Split[] | undefined,
      wasserstein: v.wasserstein,
      mapTargets: v["map-targets"],
    });
    console.log(v.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  },
});
