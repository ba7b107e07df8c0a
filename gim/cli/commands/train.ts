import { createBackend } from "../../../engine/context.js";
import { loadDataset } from "../../data/dataset.js";
import { fit, saveModel } from "../../train/fit.js";
import { registerCommand } from "./registry.js";
import { TRAIN_FLAGS, configFrom, withDataDefaults } from "./train-flags.js";

registerCommand("train", {
  summary: "train a GIM on a dataset folder (its train split when truth.json exists)",
  flags: {
    data: {
      type: "string",
      required: true,
      help: "dataset folder (samples.csv, features.csv); flags not given default to DIR/prep.json's trainDefaults",
    },
    out: { type: "string", required: true, help: "model file to write (JSON)" },
    ...TRAIN_FLAGS,
    "checkpoint-every": {
      type: "number",
      integer: true,
      min: 1,
      default: 500,
      help: "write a checkpoint every N steps",
    },
    checkpoint: { type: "string", help: "checkpoint file (default: <out>.checkpoint.json)" },
    resume: { type: "boolean", default: false, help: "continue from the checkpoint" },
  },
  async run(v) {
    const dataset = loadDataset(v.data);
    const backend = await createBackend(v.backend);
    const { out } = v;
    const { model, stoppedEarly } = await fit(dataset, configFrom(withDataDefaults(v, v.data)), backend, {
      checkpointPath: v.checkpoint ?? `${out}.checkpoint.json`,
      checkpointEvery: v["checkpoint-every"],
      resume: v.resume,
      replay: v.replay,
    });
    if (stoppedEarly) {
      console.error(`stopped at step ${model.steps}; rerun with --resume to continue`);
      return 130;
    }
    saveModel(out, model);
    console.error(
      `wrote ${out} (${model.steps} steps, ${model.throughput.stepsPerSecond.toFixed(2)} steps/s on ${model.backend})`,
    );
    return 0;
  },
});
