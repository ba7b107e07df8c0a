import { writeFileSync } from "node:fs";
import { HostRandom } from "../../../engine/host-random.js";
import { formatNumber } from "../../data/csv.js";
import { readFeatures, writeSamplesCsv } from "../../data/dataset.js";
import { loadModel } from "../../model/model-file.js";
import { HostModel } from "../../model/sampler.js";
import { registerCommand } from "./registry.js";

registerCommand("predict", {
  summary: "sample every environment of a features file, seen in training or not",
  flags: {
    model: { type: "string", required: true, help: "model file from gim train" },
    features: { type: "string", required: true, help: "features.csv (env,<features…>)" },
    "n-per-env": { type: "number", integer: true, min: 1, default: 1000, help: "samples per environment" },
    out: { type: "string", required: true, help: "predicted samples (samples.csv layout)" },
    "targets-out": { type: "string", help: "target probabilities σ(f_φ(γ)) per env and variable" },
    seed: { type: "number", integer: true, min: 0, default: 0, help: "sampling seed" },
    targets: {
      type: "choice",
      choices: ["sampled", "map"],
      default: "sampled",
      help: "targets per sample: Bernoulli draws from σ(f_φ(γ)) (spec §8) or the MAP targets 1[σ(f_φ(γ)) > 0.5]",
    },
  },
  async run(v) {
    const model = loadModel(v.model);
    const table = readFeatures(v.features);
    if (JSON.stringify(table.featureNames) !== JSON.stringify(model.featureNames)) {
      throw new Error(
        `${v.features}: features [${table.featureNames.join(", ")}] differ from the model's [${model.featureNames.join(", ")}]`,
      );
    }
    const host = new HostModel(model);
    const rng = new HostRandom(v.seed);
    const n = v["n-per-env"];
    const envs = table.envs.map((e) => ({ id: e.id, samples: host.sample(e.features, n, rng, v.targets), n }));
    writeSamplesCsv(v.out, model.variables, envs);
    if (v["targets-out"]) {
      const lines = [
        ["env", ...model.variables].join(","),
        ...table.envs.map((e) => [e.id, ...host.targetProbabilities(e.features).map(formatNumber)].join(",")),
      ];
      writeFileSync(v["targets-out"], `${lines.join("\n")}\n`);
    }
    console.error(`wrote ${envs.length} environments × ${n} samples to ${v.out}`);
    return 0;
  },
});
