/** gim-webgpu: the library entry point — the engine, and the GIM trainer built on it. */
export * from "./engine/index.js";
export { DEFAULTS as GIM_DEFAULTS, type GimConfig } from "./gim/config.js";
export { type Dataset, loadDataset, trainingSubset, writeDataset } from "./gim/dataset.js";
export { type BenchmarkOptions, generateBenchmark } from "./gim/synthetic.js";
export { Trainer } from "./gim/train.js";
export { fit } from "./gim/fit.js";
export { type ModelFile, loadModel, modelFromTrainer } from "./gim/model-file.js";
export { HostModel } from "./gim/sampler.js";
export { evaluate, formatReport } from "./gim/evaluate.js";
export * as metrics from "./gim/metrics.js";
