/**
 * The registry: every op of the engine, by name. Typed so that an entry without a derivation,
 * forward, VJP (or an explicit `none` reason) and check cases does not compile. The gradient
 * check and parity sweeps in test/ iterate over it.
 */
import type { OpDef } from "../engine/op.js";
import { setTapeHelpers } from "../engine/tape.js";
import { binaryOps, add } from "./elementwise-binary.js";
import { unaryOps } from "./elementwise-unary.js";
import { fill } from "./fill.js";
import { linearMechanismOps } from "./linear-mechanism.js";
import { mlpMechanismOps } from "./mlp-mechanism.js";
import { mechanismLogpdfOps } from "./mechanism-logpdf.js";
import { pairLogsumexpOps } from "./pair-logsumexp.js";
import { interventionMixOps } from "./intervention-mix.js";
import { normalLogpdfOps } from "./normal-logpdf.js";
import { spectralRadiusOps } from "./spectral-radius.js";
import { sinkhornOps } from "./sinkhorn.js";
import { reduceOps } from "./reduce.js";
import { shapeOps } from "./shape-ops.js";
import { selectOps } from "./select.js";
import { matmulOps } from "./matmul.js";
import { gumbelOps } from "./gumbel-sigmoid.js";
import { interventionLogpdfOps } from "./intervention-logpdf.js";
import { zilnLogpdfOps } from "./ziln-logpdf.js";
import { zilnInterventionOps } from "./ziln-intervention.js";

// Attribute types differ per op; the sweeps only pass each op its own check attrs.
type AnyOp = OpDef<any>;

export const registry = {
  ...unaryOps,
  ...binaryOps,
  ...linearMechanismOps,
  ...mlpMechanismOps,
  ...mechanismLogpdfOps,
  ...pairLogsumexpOps,
  ...interventionMixOps,
  ...normalLogpdfOps,
  ...spectralRadiusOps,
  ...sinkhornOps,
  ...reduceOps,
  ...shapeOps,
  ...selectOps,
  ...matmulOps,
  ...gumbelOps,
  ...interventionLogpdfOps,
  ...zilnLogpdfOps,
  ...zilnInterventionOps,
} satisfies Record<string, AnyOp>;

export type OpName = keyof typeof registry;

export function allOps(): [string, AnyOp][] {
  return Object.entries(registry);
}

setTapeHelpers(add, (like, value) => fill(like.backend, like.dtype, like.shape, value));
