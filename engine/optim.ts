/**
 * Adam over a fixed list of parameter tensors. The moments live on the parameters' backend and
 * each step is one fused in-place kernel per ADAM_PER_DISPATCH consecutive parameters
 * (engine/adam.ts), whose moments share one buffer: a parameter keeps its Tensor object and
 * storage, so anything holding it (the model, a recorded step) sees the update.
 */
import { keep } from "./scope.js";
import { fmt } from "./shape.js";
import { Tensor } from "./tensor.js";
import { ADAM_PER_DISPATCH, adamGroups, adamKernel } from "./adam.js";
import { fill } from "./fill.js";

export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /**
   * Per parameter (in the constructor's order), δ of an L2 term (δ/2)‖p‖² of the loss whose
   * gradient the update adds itself (engine/adam.ts); default 0 for every parameter.
   */
  decay?: readonly number[];
}

/**
 * What a checkpoint needs to continue identically: the step count and both moments, as plain
 * arrays so that JSON round-trips them exactly (every f32 and f64 value survives as a double).
 */
export interface AdamState {
  step: number;
  m: number[][];
  v: number[][];
}

/** The per-step uniforms of the Adam kernel (all but n, the parameter's size). */
export interface AdamStepParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  c1: number;
  c2: number;
}

export class Adam {
  /** Mutable, so schedules can change it between steps. */
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Number of steps taken (t in the bias corrections). */
  stepCount = 0;
  /** δ per parameter (AdamOptions.decay). */
  readonly decay: readonly number[];
  /** Parameters ADAM_PER_DISPATCH at a time, in order, each group's moments in one tensor. */
  private groups: MomentGroup[];

  constructor(
    readonly params: readonly Tensor[],
    { lr = 1e-2, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, decay }: AdamOptions = {},
  ) {
    if (decay && (decay.length !== params.length || !decay.every((x) => Number.isFinite(x) && x >= 0)))
      throw new Error(`Adam: decay needs one finite δ ≥ 0 per parameter (${params.length}), got [${decay.join(", ")}]`);
    this.decay = decay ?? params.map(() => 0);
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.groups = [];
    for (let first = 0; first < params.length; first += ADAM_PER_DISPATCH) {
      const members = params.slice(first, first + ADAM_PER_DISPATCH).map((_, k) => first + k);
      const offsets = members.map((i) => members.filter((j) => j < i).reduce((s, j) => s + params[j].size, 0));
      const S = members.reduce((s, i) => s + params[i].size, 0);
      const p = params[first];
      this.groups.push({ members, offsets, S, moments: keep(fill(p.backend, p.dtype, [2 * S], 0)) });
    }
  }

  /**
   * The uniforms of update t (t ≥ 1): the learning rate as it is now and the bias corrections
   * c1 = 1 − β1^t, c2 = 1 − β2^t. A replayed step (gim/train/step-replay.ts) patches these.
   */
  stepParams(t: number): AdamStepParams {
    return {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      c1: 1 - this.beta1 ** t,
      c2: 1 - this.beta2 ** t,
    };
  }

  /** Counts one step and returns its uniforms, for `update` now or for a replayed update. */
  advance(): AdamStepParams {
    this.stepCount++;
    return this.stepParams(this.stepCount);
  }

  /**
   * One update of every parameter from its `.grad` (plus δ p), which is then disposed and
   * cleared. All parameters share the step count t; a parameter without a gradient is left as
   * it is (its moments do not decay, and neither does δ p apply).
   */
  step(): void {
    this.update(this.advance());
  }

  /**
   * The update of `step` with the given uniforms, without counting a step: a recorded step
   * (gim/train/step-replay.ts) is built with made-up uniforms and replayed with `advance()`'s.
   */
  update(params: AdamStepParams): void {
    for (const group of this.groups) {
      // Parameters without a gradient are left out of the dispatch; the others keep their offsets.
      const live = group.members.map((i, k) => ({ i, off: group.offsets[k] })).filter(({ i }) => this.params[i].grad);
      if (live.length === 0) continue;
      const grads = live.map(({ i }) => this.checkedGrad(i));
      const values: Record<string, number> = { ...params, S: group.S };
      let groups = 0;
      live.forEach(({ i, off }, t) => {
        Object.assign(values, {
          [`n${t}`]: grads[t].size,
          [`off${t}`]: off,
          [`first${t}`]: groups,
          [`decay${t}`]: this.decay[i],
        });
        groups += adamGroups(grads[t].size);
      });
      values.last = groups;
      grads[0].backend.run(
        adamKernel(live.length),
        grads.map((g) => g.storage),
        [...live.map(({ i }) => this.params[i].storage), group.moments.storage],
        values,
      );
    }
    // Disposed only after every update: backward may hand one tensor to several leaves (add's VJP).
    this.zeroGrad();
  }

  private checkedGrad(i: number): Tensor {
    const p = this.params[i];
    const g = p.grad!;
    p.assertAlive("Adam.step");
    g.assertAlive("Adam.step");
    if (g.size !== p.size || g.backend !== p.backend) {
      throw new Error(`Adam.step: gradient ${g} does not match parameter ${i}, ${p}`);
    }
    return g;
  }

  /** Disposes and clears every parameter's gradient without updating. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  async exportState(): Promise<AdamState> {
    const m: number[][] = [];
    const v: number[][] = [];
    for (const group of this.groups) {
      const mv = await group.moments.toArray();
      group.members.forEach((i, k) => {
        const [off, n] = [group.offsets[k], this.params[i].size];
        m[i] = Array.from(mv.subarray(off, off + n));
        v[i] = Array.from(mv.subarray(group.S + off, group.S + off + n));
      });
    }
    return { step: this.stepCount, m, v };
  }

  /** Restores moments and step count saved by `exportState` (from this or another backend). */
  importState(state: { step: number; m: readonly ArrayLike<number>[]; v: readonly ArrayLike<number>[] }): void {
    const check = (which: string, arrays: readonly ArrayLike<number>[]) => {
      if (!Array.isArray(arrays) || arrays.length !== this.params.length) {
        throw new Error(
          `Adam.importState: ${which} holds ${arrays?.length} tensors for ${this.params.length} parameters`,
        );
      }
      arrays.forEach((a, i) => {
        if (a?.length !== this.params[i].size) {
          throw new Error(
            `Adam.importState: ${which}[${i}] has ${a?.length} values, parameter ${i} has shape ${fmt(this.params[i].shape)}`,
          );
        }
      });
    };
    check("m", state.m);
    check("v", state.v);
    if (!Number.isInteger(state.step) || state.step < 0)
      throw new Error(`Adam.importState: step ${state.step} is not a count`);
    this.groups = this.groups.map((group) => {
      const packed = new Float64Array(2 * group.S);
      group.members.forEach((i, k) => {
        packed.set(state.m[i], group.offsets[k]);
        packed.set(state.v[i], group.S + group.offsets[k]);
      });
      const old = group.moments;
      const moments = keep(new Tensor(old.backend, old.backend.upload(packed, old.dtype), old.shape));
      old.dispose();
      return { ...group, moments };
    });
    this.stepCount = state.step;
  }

  /** Frees the moments (the parameters belong to the caller). */
  dispose(): void {
    for (const group of this.groups) group.moments.dispose();
  }
}

/** Consecutive parameters updated by one dispatch: their indices, moment offsets and moments [2S]. */
interface MomentGroup {
  members: number[];
  offsets: number[];
  S: number;
  moments: Tensor;
}
