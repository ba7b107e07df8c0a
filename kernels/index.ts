/**
 * The registry: every op, by a declared name. `OP_NAMES` is the list the sweeps, docs/kernels.md
 * and show-wgsl go by; `registry` has exactly one op per name, each with its own attribute type,
 * so that a declared name without its op, or an op whose name is not declared, fails tsc
 * (test/registry-types.ts). test/registry.test.ts checks at run time that every op `apply` sees,
 * in the sweeps and in a GIM step, is one of these.
 */
import type { OpDef } from "../engine/op.js";
import { binaryOps } from "./elementwise-binary.js";
import { unaryOps } from "./elementwise-unary.js";
import { linearMechanismOps } from "./linear-mechanism.js";
import { mlpMechanismOps } from "./mlp-mechanism.js";
import { mechanismLogpdfOps } from "./mechanism-logpdf.js";
import { mechanismGemmOps } from "./mechanism-gemm.js";
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
import { sampleRowsOps } from "./sample-rows.js";
import { denseLayerOps } from "./dense-layer.js";

export const OP_NAMES = [
  "neg",
  "exp",
  "log",
  "tanh",
  "sigmoid",
  "softplus",
  "logSigmoid",
  "square",
  "sqrt",
  "abs",
  "pow",
  "affine",
  "clamp",
  "add",
  "sub",
  "mul",
  "div",
  "linearMechanism",
  "mlpMechanism",
  "mechanismLogpdf",
  "mechanismGemm",
  "pairLogsumexp",
  "interventionMix",
  "normalLogpdf",
  "normalLogpdfStd",
  "spectralRadius",
  "sinkhorn",
  "sinkhornPlan",
  "sum",
  "mean",
  "max",
  "logsumexp",
  "sumSquares",
  "reshape",
  "transpose",
  "slice",
  "concat",
  "broadcastTo",
  "gather",
  "prependZeros",
  "where",
  "greater",
  "greaterEqual",
  "less",
  "lessEqual",
  "equal",
  "notEqual",
  "matmul",
  "denseLayer",
  "gumbelSigmoid",
  "hardBernoulli",
  "hardInterventionB",
  "zilnLogpdf",
  "zilnInterventionB",
  "sampleRows",
] as const;

export type OpName = (typeof OP_NAMES)[number];

// OpDef<A> is invariant in A (forward takes A, check cases hold A), so ops of different attribute types share no other supertype.
export type AnyOp = OpDef<any>;

/** A test file that tests ops of a group beyond the sweeps: all of them, or the ones named. */
export type TestRef<K extends string> = string | { readonly file: string; readonly ops: readonly K[] };

/** The ops one kernel file declares, the file (docs/kernels.md; test/docs.test.ts checks it exists) and their tests. */
export interface OpGroup {
  readonly file: string;
  readonly ops: Readonly<Record<string, AnyOp>>;
  readonly tests: readonly TestRef<string>[];
}

/** A group whose ops keep their types and whose tests may name only its own ops. */
function group<O extends Readonly<Record<string, AnyOp>>>(
  file: string,
  ops: O,
  tests: readonly TestRef<keyof O & string>[] = [],
) {
  return { file, ops, tests };
}

const EDGE = "test/ops/edge-cases.test.ts";
const AUTOGRAD = "test/autograd.test.ts";
const FAST_PATHS = "test/ops/index-fast-paths.test.ts";

export const OP_GROUPS = [
  group("kernels/elementwise-unary.ts", unaryOps, [
    { file: EDGE, ops: ["exp", "sigmoid", "softplus", "logSigmoid"] },
    { file: AUTOGRAD, ops: ["square", "tanh"] },
  ]),
  group("kernels/elementwise-binary.ts", binaryOps, [
    AUTOGRAD,
    { file: EDGE, ops: ["add", "mul"] },
    { file: FAST_PATHS, ops: ["add", "mul"] },
    { file: "test/errors.test.ts", ops: ["add", "mul"] },
  ]),
  group("kernels/linear-mechanism.ts", linearMechanismOps, ["test/ops/mechanisms.test.ts"]),
  group("kernels/mlp-mechanism.ts", mlpMechanismOps, ["test/ops/mechanisms.test.ts"]),
  group("kernels/mechanism-logpdf.ts", mechanismLogpdfOps, ["test/ops/mechanism-logpdf.test.ts"]),
  group("kernels/mechanism-gemm.ts", mechanismGemmOps, ["test/ops/mechanism-gemm.test.ts"]),
  group("kernels/pair-logsumexp.ts", pairLogsumexpOps, ["test/ops/pair-logsumexp.test.ts"]),
  group("kernels/intervention-mix.ts", interventionMixOps, ["test/ops/pair-logsumexp.test.ts"]),
  group("kernels/normal-logpdf.ts", normalLogpdfOps, ["test/ops/logpdf.test.ts"]),
  group("kernels/spectral-radius.ts", spectralRadiusOps, ["test/ops/spectral-radius.test.ts"]),
  group("kernels/sinkhorn.ts", sinkhornOps, ["test/ops/sinkhorn.test.ts"]),
  group("kernels/reduce.ts", reduceOps, [
    "test/ops/reduce.test.ts",
    { file: EDGE, ops: ["sum", "max", "logsumexp"] },
    { file: FAST_PATHS, ops: ["sum"] },
  ]),
  group("kernels/shape-ops.ts", shapeOps, ["test/ops/shape-ops.test.ts", { file: FAST_PATHS, ops: ["broadcastTo"] }]),
  group("kernels/select.ts", selectOps, ["test/ops/select.test.ts"]),
  group("kernels/matmul.ts", matmulOps, ["test/ops/matmul.test.ts", AUTOGRAD]),
  group("kernels/dense-layer.ts", denseLayerOps, ["test/ops/dense-layer.test.ts"]),
  group("kernels/gumbel-sigmoid.ts", gumbelOps, ["test/ops/gumbel.test.ts"]),
  group("kernels/intervention-logpdf.ts", interventionLogpdfOps),
  group("kernels/ziln-logpdf.ts", zilnLogpdfOps, ["test/ops/logpdf.test.ts"]),
  group("kernels/ziln-intervention.ts", zilnInterventionOps, ["test/gim/ziln.test.ts"]),
  group("kernels/sample-rows.ts", sampleRowsOps, ["test/ops/sample-rows.test.ts"]),
];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/** Every op of every group, by key, with its own type. */
type Declared = UnionToIntersection<(typeof OP_GROUPS)[number]["ops"]>;

/** One op per declared name; a name no group declares is `never`, so its absence fails tsc. */
export type Registry = { readonly [K in OpName]: K extends keyof Declared ? Declared[K] : never };
/** Ops that groups declare under a name missing from OP_NAMES: each must be `never`, i.e. there must be none. */
type Unlisted = Record<Exclude<keyof Declared, OpName>, never>;

const declared: Declared = Object.assign({}, ...OP_GROUPS.map((g) => g.ops));
export const registry: Registry & Unlisted = declared;

/** [name, op] for every op, in OP_NAMES order. */
export function allOps(): [OpName, AnyOp][] {
  return OP_NAMES.map((name) => [name, registry[name]]);
}

/** The group that declares op `name`. */
export function groupOf(name: OpName): OpGroup {
  const found = OP_GROUPS.find((g) => name in g.ops);
  if (!found) throw new Error(`registry: no group declares ${name}`);
  return found;
}

/** The test files that test op `name` beyond the sweeps. */
export function testsOf(name: OpName): string[] {
  return groupOf(name).tests.flatMap((t) => (typeof t === "string" ? [t] : t.ops.includes(name) ? [t.file] : []));
}
