import { loadDataset } from "../../data/dataset.js";
import { evaluate, formatReport } from "../../eval/evaluate.js";
import { loadModel } from "../../model/model-file.js";
import { registerCommand } from "./registry.js";

registerCommand("eval", {
  summary: "all metrics of spec §10 per split, for GIM and the baselines",
  flags: {
    model: { type: "string", required: true, help: "model file from gim train" },
    data: { type: "string", required: true, help: "dataset folder (with truth.json for graph and target metrics)" },
    json: { type: "boolean", default: false, help: "print JSON instead of a table" },
    seed: { type: "number", integer: true, min: 0, default: 0, help: "sampling seed" },
    "map-targets": {
      type: "boolean",
      default: true,
      help: "also score GIM predicting with its MAP targets 1[σ(f_φ(γ)) > 0.5] instead of Bernoulli draws (row 'GIM (MAP targets)'; JSON: mapTargets)",
    },
  },
  async run(v) {
    const report = evaluate(loadModel(v.model), loadDataset(v.data), v.seed, v["map-targets"]);
    console.log(v.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return 0;
  },
});
