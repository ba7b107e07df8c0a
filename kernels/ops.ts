/** Functional API of every op, re-exported from the kernel files. */
export { add, div, mul, sub, sumToShape } from "./elementwise-binary.js";
export {
  abs,
  affine,
  clamp,
  exp,
  log,
  logSigmoid,
  neg,
  pow,
  sigmoidOf as sigmoid,
  softplusOf as softplus,
  sqrt,
  square,
  tanh,
} from "./elementwise-unary.js";
export { normalLogpdf, normalLogpdfStd } from "./normal-logpdf.js";
export { spectralRadius } from "./spectral-radius.js";
export { type SinkhornOptions, sinkhorn, sinkhornPlan } from "./sinkhorn.js";
export { logsumexp, max, mean, sum, sumSquares, sumSquaresOf } from "./reduce.js";
export { broadcastTo, concat, gather, prependZeros, reshape, slice, transpose } from "./shape-ops.js";
export { equal, greater, greaterEqual, less, lessEqual, notEqual, where } from "./select.js";
export { matmul } from "./matmul.js";
export { denseLayer } from "./dense-layer.js";
export { gumbelSigmoid, hardBernoulli } from "./gumbel-sigmoid.js";
export { linearMechanism } from "./linear-mechanism.js";
export { mlpMechanism } from "./mlp-mechanism.js";
export { linearGaussianLogpdf, mlpGaussianLogpdf } from "./mechanism-logpdf.js";
export { mechanismGemmLogpdf, mechanismGemmMean } from "./mechanism-gemm.js";
export { pairEnvTable, pairLogsumexp } from "./pair-logsumexp.js";
export { interventionMix } from "./intervention-mix.js";
export { hardInterventionB } from "./intervention-logpdf.js";
export { zilnLogpdf } from "./ziln-logpdf.js";
export { zilnInterventionB } from "./ziln-intervention.js";
export { sampleRows } from "./sample-rows.js";
