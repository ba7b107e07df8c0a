/**
 * `defineOp` is the only way to declare a differentiable op. A declaration holds, side by side:
 * the forward (which launches kernels), the VJP (which launches kernels, usually the forward's
 * own with other flags), and the check cases that the gradient-check and parity sweeps run.
 * The registry (kernels/index.ts) is typed so that a declaration missing any of these fails tsc.
 */
import type { Shape } from "./shape.js";
import { currentPhase } from "./phase.js";
import { isRecording, recordNode } from "./tape.js";
import { type Tensor, assertSameBackend } from "./tensor.js";

/** Forwards and VJPs launch their kernels with these (engine/launch.ts). */
export { launch, launch1 } from "./launch.js";

export type Attrs = Readonly<Record<string, unknown>>;

export interface ForwardResult {
  out: Tensor;
  /** Residuals the VJP needs beyond inputs and output (e.g. a softmax, power-iteration vectors). */
  saved?: Tensor[];
}

export interface VjpContext<A> {
  inputs: readonly Tensor[];
  out: Tensor;
  saved: readonly Tensor[];
  attrs: A;
  /** needsGrad[i]: compute input i's cotangent only when this is true. */
  needsGrad: readonly boolean[];
}

/**
 * How a check case draws input i: any real, positive, in (0,1), integer indices in [0, n),
 * random picks from a list, or exactly the given values (structural inputs such as env rows).
 */
export type Domain =
  | "real"
  | "positive"
  | "unit"
  | { ints: number }
  | { values: readonly number[] }
  | { fixed: readonly number[] };

export interface CheckCase<A> {
  label?: string;
  shapes: readonly Shape[];
  attrs: A;
  domains?: readonly Domain[];
}

export interface CheckSpec<A> {
  /** At least one: an op without a case would pass both sweeps untested. */
  cases: readonly [CheckCase<A>, ...CheckCase<A>[]];
  /** Inputs that carry no gradient (indices, masks, hard samples). */
  nondiff?: readonly number[];
  /** Relative tolerance for webgpu-vs-cpu parity in float32 (default 1e-4). */
  parityTol?: number;
  /** Relative tolerance of the float64 finite-difference check (default 1e-6). */
  gradTol?: number;
}

export type Vjp<A> = (ctx: VjpContext<A>, dy: Tensor) => (Tensor | null)[];

export interface OpDef<A extends Attrs = Attrs> {
  readonly name: string;
  /** Derivation in words and formulas: forward, derivative, what is saved. */
  readonly derivation: string;
  forward(inputs: readonly Tensor[], attrs: A): ForwardResult;
  /** The VJP, or why the op has none (comparisons, hard samples). */
  readonly vjp: Vjp<A> | { readonly none: string };
  readonly check: CheckSpec<A>;
}

export function defineOp<A extends Attrs>(def: OpDef<A>): OpDef<A> {
  return def;
}

let applyHook: ((opName: string) => void) | null = null;

/**
 * Debug hook: `hook` sees the name of every op passed to `apply` until it is replaced or null.
 * The registry test uses it to find ops that are applied but not registered.
 */
export function onApply(hook: ((opName: string) => void) | null): void {
  applyHook = hook;
}

/** Runs an op and, when recording and any input needs a gradient, puts it on the tape. */
export function apply<A extends Attrs>(op: OpDef<A>, inputs: readonly Tensor[], attrs: A): Tensor {
  applyHook?.(op.name);
  assertSameBackend(op.name, inputs);
  const { out, saved = [] } = op.forward(inputs, attrs);
  const vjp = op.vjp;
  if (typeof vjp === "function" && isRecording() && inputs.some((t) => t.requiresGrad)) {
    const nondiff = new Set(op.check.nondiff ?? []);
    const needsGrad = inputs.map((t, i) => t.requiresGrad && !nondiff.has(i));
    recordNode(out, {
      opName: op.name,
      phase: currentPhase(),
      inputs,
      saved,
      backward: (dy) => vjp({ inputs, out, saved, attrs, needsGrad }, dy),
    });
  }
  return out;
}
