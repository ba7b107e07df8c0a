/**
 * The engine with its ops: what a program that computes with tensors imports (the package's
 * "./engine" export, and the first part of the root index.ts). Here, a layer above engine/, since
 * the engine may not import the ops.
 */
export * from "../engine/index.js";
export * from "./ops.js";
export { type OpName, OP_NAMES, OP_GROUPS, registry } from "./index.js";
