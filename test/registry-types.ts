/**
 * Type-level tests, checked by `tsc --noEmit` (tsconfig includes test/), never run: each
 * `@ts-expect-error` fails the type check when the line below it stops being an error, i.e. when
 * the registry or CheckSpec would accept what they must refuse.
 */
import { defineOp } from "../engine/op.js";
import { type Registry, registry } from "../kernels/index.js";

const { abs: _abs, ...withoutAbs } = registry;
// @ts-expect-error a registry without one of OP_NAMES' ops does not compile
export const missingOne: Registry = withoutAbs;

export const keepsAttrs: Registry = {
  ...registry,
  // @ts-expect-error an op's attribute type is kept: matmul's entry cannot hold sum's op
  matmul: registry.sum,
};

export const noCases = defineOp({
  name: "noCases",
  derivation: "y = x",
  forward: ([x]) => ({ out: x }),
  vjp: { none: "a type test" },
  // @ts-expect-error an op needs at least one check case
  check: { cases: [] },
});
