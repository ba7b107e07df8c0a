/**
 * `npm run show-wgsl [-- OP [shape…]]`: prints the generated WGSL of every kernel op OP launches,
 * forward and VJP, for inputs of the given shapes (default: the op's first check case); with no
 * OP, every registered op's. A shape is its dimensions joined by "x" ("3x4", "7"; "-" is a scalar).
 */
import { OP_NAMES } from "../kernels/index.js";
import { showWgsl } from "../kernels/show-wgsl.js";

function parseShape(arg: string): number[] {
  if (arg === "-") return [];
  const dims = arg.split("x").map(Number);
  if (!dims.every((d) => Number.isInteger(d) && d >= 0))
    throw new Error(`show-wgsl: '${arg}' is not a shape (dimensions joined by "x", "-" for a scalar)`);
  return dims;
}

const [name, ...shapeArgs] = process.argv.slice(2);
try {
  if (name) process.stdout.write(showWgsl(name, shapeArgs.length > 0 ? shapeArgs.map(parseShape) : undefined));
  else for (const op of OP_NAMES) process.stdout.write(`${showWgsl(op)}\n`);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
