/** gim-webgpu: the library entry point — the engine, every op, and the GIM trainer built on them. */
export * from "./kernels/library.js";
export { DEFAULTS as GIM_DEFAULTS, type GimConfig } from "./gim/model/config.js";
export { type Dataset, loadDataset, trainingSubset, writeDataset } from "./gim/data/dataset.js";
export { type BenchmarkOptions, generateBenchmark } from "./gim/data/synthetic.js";
export { Trainer } from "./gim/train/trainer.js";
export { fit } from "./gim/train/fit.js";
export { GimModel, type TrainGimOptions, trainGim } from "./gim/train/train-gim.js";
export { type GimData, type GimEnv, csvData } from "./gim/data/in-memory.js";
export type { Progress } from "./gim/train/trainer.js";
export { progressLine } from "./gim/train/progress.js";
export { type ModelFile, loadModel } from "./gim/model/model-file.js";
export { modelFromTrainer } from "./gim/train/export-model.js";
export { HostModel } from "./gim/model/sampler.js";
export { evaluate, formatReport } from "./gim/eval/evaluate.js";
export { fitMeanShiftBaseline } from "./gim/eval/baselines.js";
export * as metrics from "./gim/eval/metrics.js";
