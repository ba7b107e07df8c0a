/**
 * The WGSL of every kernel an op launches, forward and VJP (`npm run show-wgsl -- OP [shape…]`,
 * bench/show-wgsl.ts). The op runs on a cpu backend that notes each kernel it is handed, so what
 * is printed is what the op really launches for those shapes, shape-specialised kernels included;
 * the webgpu backend compiles the same `kernel.wgsl`.
 */
import { CpuBackend } from "../engine/backend-cpu.js";
import type { Storage } from "../engine/backend.js";
import { HostRandom, drawCase, drawInput } from "../engine/gradcheck.js";
import type { Kernel, ParamValues } from "../engine/kernel.js";
import type { CheckCase } from "../engine/op.js";
import { apply } from "../engine/op.js";
import { type Shape, fmt } from "../engine/shape.js";
import { backward } from "../engine/tape.js";
import { Tensor } from "../engine/tensor.js";
import { type AnyOp, OP_NAMES, type OpName, registry } from "./index.js";

class RecordingBackend extends CpuBackend {
  launched: Kernel[] = [];
  override run(kernel: Kernel, inputs: readonly Storage[], outputs: readonly Storage[], params: ParamValues): void {
    this.launched.push(kernel);
    super.run(kernel, inputs, outputs, params);
  }
}

export interface OpKernels {
  /** The check case the op ran with (its attrs and input domains), with the shapes it ran on. */
  case: CheckCase<unknown>;
  /** Kernels in launch order, repeats included. */
  forward: Kernel[];
  vjp: Kernel[];
}

function isOpName(name: string): name is OpName {
  return (OP_NAMES as readonly string[]).includes(name);
}

/**
 * Runs op `name` forward and, when it has one, its VJP on inputs of `shapes` (default: its first
 * check case), and lists the kernels each launched. Attrs and input domains come from the first
 * check case with as many inputs as `shapes`.
 */
export function opKernels(name: string, shapes?: readonly Shape[]): OpKernels {
  if (!isOpName(name)) throw new Error(`show-wgsl: unknown op '${name}' (ops: ${OP_NAMES.join(", ")})`);
  const op: AnyOp = registry[name];
  const cases: readonly CheckCase<unknown>[] = op.check.cases;
  const base = shapes ? cases.find((c) => c.shapes.length === shapes.length) : cases[0];
  if (!base)
    throw new Error(
      `show-wgsl: ${name} takes ${[...new Set(cases.map((c) => c.shapes.length))].join(" or ")} inputs, got ${shapes!.length} shapes`,
    );
  const c = shapes ? { ...base, label: "given shapes", shapes } : base;
  const backend = new RecordingBackend();
  const nondiff = new Set(op.check.nondiff ?? []);
  const inputs = drawCase(c, 1).map(
    (v, i) => new Tensor(backend, backend.upload(v, "f64"), c.shapes[i], !nondiff.has(i)),
  );
  const out = apply(op, inputs, c.attrs);
  const forward = backend.launched;
  backend.launched = [];
  if (typeof op.vjp === "function" && out.requiresGrad) {
    backward(out, new Tensor(backend, backend.upload(drawInput(new HostRandom(2), out.size), "f64"), out.shape));
  }
  return { case: c, forward, vjp: backend.launched };
}

function launchList(kernels: readonly Kernel[]): string {
  if (kernels.length === 0) return "none";
  const counts = new Map<string, number>();
  for (const k of kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
  return [...counts].map(([n, count]) => (count > 1 ? `${n} ×${count}` : n)).join(", ");
}

/** The listing `npm run show-wgsl` prints for one op: what it launches, then each distinct kernel's WGSL once. */
export function showWgsl(name: string, shapes?: readonly Shape[]): string {
  const { case: c, forward, vjp } = opKernels(name, shapes);
  const vjpLine = typeof registry[name as OpName].vjp === "function" ? launchList(vjp) : "none (the op has no VJP)";
  const lines = [
    `// ======== ${name}${c.label ? ` [${c.label}]` : ""}, inputs ${c.shapes.map(fmt).join(" ")}, attrs ${JSON.stringify(c.attrs)}`,
    `// forward launches: ${launchList(forward)}`,
    `// VJP launches: ${vjpLine}`,
  ];
  // Kernels that share a WGSL module (several entry points) print it once.
  const modules = new Map<string, Set<string>>();
  for (const k of [...forward, ...vjp])
    modules.set(k.wgsl, (modules.get(k.wgsl) ?? new Set()).add(`${k.name} (entry ${k.entry})`));
  for (const [wgsl, names] of modules) lines.push("", `// ---- kernel ${[...names].join(", ")}`, wgsl);
  return `${lines.join("\n")}\n`;
}
