import { createBackend } from "../../../engine/context.js";
import { loadDataset } from "../../data/dataset.js";
import { fit, saveModel } from "../../train/fit.js";
import { describeRestarts, fitRestarts } from "../../train/restarts.js";
import { UsageError } from "../args.js";
import { PARALLEL_FLAG, parallelFor } from "./parallel-flag.js";
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
    restarts: {
      type: "number",
      integer: true,
      min: 1,
      default: 1,
      help: "train seeds seed … seed+K−1 and keep the best holdout log-likelihood (no checkpoints)",
    },
    "restart-graph": {
      type: "choice",
      choices: ["best", "vote", "vote-refit"],
      default: "best",
      help: "with --restarts: best = the best holdout log-likelihood; vote = the restart whose MAP graph is nearest to the majority vote of the K; vote-refit = the vote itself, refitted on (--refit-steps, else 500)",
    },
    ...PARALLEL_FLAG,
  },
  async run(v) {
    const dataset = loadDataset(v.data);
    const backend = await createBackend(v.backend);
    const { out } = v;
    if (v.restarts > 1) {
      if (v.resume) throw new UsageError("--resume continues one training; it cannot be combined with --restarts");
      let interrupted = false;
      const onSigint = () => (interrupted = true);
      process.once("SIGINT", onSigint);
      try {
        const { model, stoppedEarly } = await fitRestarts(dataset, configFrom(withDataDefaults(v, v.data)), backend, {
          restarts: v.restarts,
          graph: v["restart-graph"],
          parallel: parallelFor(v.parallel, backend),
          replay: v.replay,
          shouldStop: () => interrupted,
        });
        if (stoppedEarly || !model) {
          console.error("interrupted: restarts write no checkpoints; nothing was saved");
          return 130;
        }
        saveModel(out, model);
        console.error(describeRestarts(model.restarts!));
        console.error(`wrote ${out} (seed ${model.seed}, ${model.steps} steps on ${model.backend})`);
        return 0;
      } finally {
        process.removeListener("SIGINT", onSigint);
      }
    }
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
