/** One training step's loss and every parameter gradient on cpu in float64, for chunking checks. */
import { cpuBackend } from "../../engine/context.js";
import { backward, detach, tidy } from "../../engine/index.js";
import type { GimConfig } from "../../gim/model/config.js";
import { scalarsAt, stepObjective } from "../../gim/model/objective.js";
import { dimensionsOf, initParams } from "../../gim/model/params.js";
import type { TrainingSet } from "../../gim/data/training-set.js";
import { featureMatrix, uploadData } from "../../gim/model/device-data.js";

export interface StepGradients {
  /** Row blocks the data was split into (0: one block). */
  blocks: number;
  loss: number;
  grads: Record<string, Float64Array>;
}

/** The step at t = 3 (fixed AL state) with rows in blocks of `chunkRows`, gradient parts back-propagated in turn. */
export async function stepGradients(config: GimConfig, set: TrainingSet, chunkRows: number): Promise<StepGradients> {
  const cpu = cpuBackend();
  const data = uploadData(set, cpu, "f64", false, chunkRows);
  const gamma = featureMatrix(set, cpu, "f64");
  const params = initParams(config, dimensionsOf(config, set), cpu, "f64");
  const loss = tidy(() => {
    const terms = stepObjective(params, config, data, gamma, scalarsAt(config, 3, { alpha: 0.7, mu: 2 }));
    for (const part of terms.gradientParts) tidy(() => backward(part()));
    return detach(terms.loss);
  });
  const grads: Record<string, Float64Array> = {};
  for (const [name, t] of params.tensors) grads[name] = Float64Array.from(await t.grad!.toArray());
  return { blocks: data.chunks.length, loss: await loss.item(), grads };
}
