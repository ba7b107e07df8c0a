import { statSync, writeFileSync } from "node:fs";
import { loadDataset } from "../../data/dataset.js";
import { loadPerturbations } from "../../data/perturbations.js";
import { loadModel } from "../../model/model-file.js";
import { buildReport } from "../../report/report.js";
import { registerCommand } from "./registry.js";

registerCommand("report", {
  summary: "one self-contained HTML page: graph, target heatmap, held-out marginals, training curves, scores",
  flags: {
    model: { type: "string", required: true, help: "model file from gim train" },
    data: {
      type: "string",
      required: true,
      help: "dataset folder the model was trained on (gim synth or gim prep output)",
    },
    out: { type: "string", required: true, help: "HTML file to write" },
    seed: { type: "number", integer: true, min: 0, default: 0, help: "sampling seed of the predictions" },
    "max-genes": {
      type: "number",
      integer: true,
      min: 1,
      default: 12,
      help: "marginal histograms: genes per held-out environment",
    },
    "max-envs": {
      type: "number",
      integer: true,
      min: 1,
      default: 4,
      help: "marginal histograms: held-out environments shown",
    },
  },
  async run(v) {
    const dataset = loadDataset(v.data);
    const html = buildReport(loadModel(v.model), dataset, {
      modelPath: v.model,
      perturbations: loadPerturbations(
        v.data,
        dataset.envs.map((e) => e.id),
      ),
      seed: v.seed,
      maxGenes: v["max-genes"],
      maxEnvs: v["max-envs"],
    });
    writeFileSync(v.out, html);
    console.error(`wrote ${v.out} (${(statSync(v.out).size / 1024).toFixed(0)} KB)`);
    return 0;
  },
});
