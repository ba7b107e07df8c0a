/** Functional API of every op, re-exported from the kernel files. */
export { add, div, mul, sub, sumToShape } from "./elementwise-binary.js";
export { abs, affine, clamp, exp, log, logSigmoid, neg, pow, sigmoidOf as sigmoid, softplusOf as softplus, sqrt, square, tanh } from "./elementwise-unary.js";
export { normalLogpdf, normalLogpdfStd } from "./normal-logpdf.js";
export { spectralRadius } from "./spectral-radius.js";
import "./index.js";
