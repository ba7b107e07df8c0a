/**
 * The training loop (spec §0, §6, §8): the merged objective of gim/model/objective.ts, one
 * backward, one fused Adam step, the ℓ clamp, the augmented-Lagrangian checks on the holdout,
 * progress, checkpoints (gim/train/checkpoint.ts; files: checkpoint-file.ts). No Node built-ins,
 * so browser.ts trains with it too. Work is queued step after step; values are read
 * back only every `logEvery` steps (loss and ĥ: progress, NaN check, checkpoint), so the GPU is
 * never stalled per step.
 */
import type { Backend, DType } from "../../engine/backend.js";
import { Adam, type AdamStepParams } from "../../engine/optim.js";
import { type PhaseProfile, inPhase } from "../../engine/phase.js";
import { backward, detach, keep, noGrad, tidy } from "../../engine/index.js";
import { clamp, matmul } from "../../kernels/ops.js";
import type { Tensor } from "../../engine/tensor.js";
import { type GimConfig, alRuleOf, alphaAt, lrAt, refitStepsOf } from "../model/config.js";
import type { Checkpointer } from "./checkpoint.js";
import { Lagrangian } from "./lagrangian.js";
import { type DeviceData, featureMatrix, rowBlocks, uploadData } from "../model/device-data.js";
import { mlpPartialElements } from "../../kernels/mlp-mechanism.js";
import { type Matrix, isAcyclic } from "../graph/dag.js";
import { edgeProbabilities, limitGraph, mapGraph } from "../model/map-estimate.js";
import { type RefitState, pinnedEmbedding } from "./refit.js";
import { likelihood } from "../model/likelihood.js";
import { type StepScalars, drawStep, priorDecays, scalarsAt, stepObjective, streamFor } from "../model/objective.js";
import { type Minibatch, drawBatch, resolveBatchSize, uploadMinibatch } from "../model/minibatch.js";
import { ReplayedStep } from "./step-replay.js";
import { WebGpuBackend } from "../../engine/backend-webgpu.js";
import { type TrainingHistory, emptyHistory } from "../model/history.js";
import { type GimParams, dimensionsOf, groupParams, initParams, mechanismParams, param } from "../model/params.js";
import { type TrainingSet, splitHoldout } from "../data/training-set.js";

export interface Progress {
  step: number;
  steps: number;
  loss: number;
  acyclicity: number;
  stepsPerSecond: number;
  elapsedSeconds: number;
}

export interface TrainOptions {
  /** Saves every `checkpointEvery` steps, on a stop and at the end (Node: fileCheckpointer(path)). */
  checkpoint?: Checkpointer;
  checkpointEvery?: number;
  onProgress?: (p: Progress) => void;
  /** Polled after every step; true makes the loop write a checkpoint and return early. */
  shouldStop?: () => boolean;
  /** Ends at this step (below totalSteps: e.g. the main phase only, before the refit pins G_MAP). */
  stopAt?: number;
}

export interface TrainResult {
  steps: number;
  stoppedEarly: boolean;
  stepsPerSecond: number;
  finalLoss: number;
}

export class NonFiniteLossError extends Error {}

const HOLDOUT_SEED_SALT = 104729;

/**
 * Bytes one per-row tensor of the likelihood may take. The largest are M·d floats per row (L^o,
 * its cotangent, the pair kernel's P̄ and Q̄ partials); 64 MiB keeps each well under WebGPU's
 * 128 MiB minimum for maxStorageBufferBindingSize and bounds memory on either backend.
 */
export const CHUNK_BYTES = 64 * 2 ** 20;
/** WebGPU's guaranteed maxStorageBufferBindingSize (lavapipe's value too). */
export const BINDING_BYTES = 128 * 2 ** 20;

/**
 * Rows per likelihood block so that no per-row tensor exceeds CHUNK_BYTES and, for MLP
 * mechanisms, the VJP's weight-gradient partials S [C, M, d+3, dH] (kernels/mlp-mechanism.ts:
 * C row chunks, one per 1,024 rows in large blocks but about ⌈128/M⌉ however small the block)
 * fit one binding. S outgrows the M·d per row of L^o once d·H > 1,024; it is held to the binding
 * limit rather than CHUNK_BYTES because it stops shrinking with the rows (at M = 32, below
 * 4,096), so a tighter bound would collapse the blocks.
 */
export function autoChunkRows(config: GimConfig, d: number): number {
  const M = config.mcSamples;
  let rows = Math.max(1, Math.floor(CHUNK_BYTES / (4 * M * d)));
  if (config.mechanism === "mlp") {
    while (rows > 1 && 4 * mlpPartialElements(rows, M, d, config.hidden) > BINDING_BYTES) rows = Math.floor(rows * 0.9);
  }
  return rows;
}

export class Trainer {
  readonly params: GimParams;
  readonly lagrangian: Lagrangian;
  step = 0;
  lastAcyclicity = 0;
  /** Set once the graph is pinned for the refit phase (gim/train/refit.ts). */
  refit: RefitState | null = null;
  /**
   * The curve at every multiple of logEvery and the last step — not at the extra reads for
   * checkpoints, stops or AL checks, so that a resumed run records the same curve.
   */
  history: TrainingHistory = emptyHistory();
  readonly adam: Adam;
  private replayed: ReplayedStep | null = null;
  /** The training rows (null when minibatched with a holdout: then `minibatch` holds them). */
  private readonly data: DeviceData | null;
  private readonly minibatch: Minibatch | null = null;
  /** Rows per step: N for the full batch. */
  readonly batchSize: number;
  private readonly rows: number;
  private readonly holdout: DeviceData | null;
  private readonly gamma: Tensor;

  constructor(
    readonly config: GimConfig,
    readonly set: TrainingSet,
    readonly backend: Backend,
    readonly dtype: DType = backend.supports("f32") ? "f32" : "f64",
  ) {
    if (set.envs.length < 2)
      throw new Error("training needs the observational environment and at least one interventional environment");
    const { train, holdout } = splitHoldout(set, config.holdoutFraction, config.holdoutSeed ?? config.seed);
    const perEnv = config.marginalize === "per-env";
    const chunkRows = config.chunkRows > 0 ? config.chunkRows : autoChunkRows(config, train.variables.length);
    this.rows = train.envs.reduce((acc, e) => acc + e.n, 0);
    this.batchSize = resolveBatchSize(config.batchSize ?? 0, this.rows);
    if (this.batchSize < this.rows)
      this.minibatch = uploadMinibatch(train, backend, this.dtype, perEnv, this.batchSize, chunkRows);
    // The holdout score needs full rows; without a holdout it scores the training rows.
    this.data =
      this.minibatch && config.holdoutFraction > 0 ? null : uploadData(train, backend, this.dtype, perEnv, chunkRows);
    this.holdout = config.holdoutFraction > 0 ? uploadData(holdout, backend, this.dtype, perEnv, chunkRows) : null;
    this.gamma = featureMatrix(set, backend, this.dtype);
    const dims = dimensionsOf(config, set); // ZILN: checks x ≥ 0, zero fractions for ζ
    this.params = initParams(config, dims, backend, this.dtype);
    // The parameters' Gaussian priors act through Adam's δ (stepObjective's priorsInOptimizer),
    // scaled by the same N as the loss −J/N: the training rows, also when minibatched.
    const decay = priorDecays(this.params, config, train.variables.length, this.rows);
    this.adam = new Adam([...this.params.tensors.values()], { lr: config.lr, decay });
    const al = alRuleOf(config);
    this.lagrangian = new Lagrangian({
      eta: config.alEta,
      muMax: config.alMuMax,
      tolerance: config.convergenceTol,
      rule: al.rule,
      // Per-sample: the penalty is weighed against the full-data likelihood, which a minibatch
      // estimates unbiasedly, so its scale is the number of training rows N, never B.
      scale: al.penalty === "per-sample" ? train.envs.reduce((rows, env) => rows + env.n, 0) : 1,
    });
  }

  /** The main phase and the refit phase after it. */
  get totalSteps(): number {
    return this.config.steps + refitStepsOf(this.config);
  }

  get trainingRows(): number {
    return this.rows;
  }

  /** Row blocks the likelihood runs over (1 when not chunked over N or the batch). */
  get likelihoodBlocks(): number {
    return this.minibatch ? Math.max(1, this.minibatch.blocks.length) : rowBlocks(this.data!).length;
  }

  /** Rows each env contributes to a step: its b_e, or all its rows for the full batch. */
  get batchCounts(): number[] {
    return this.minibatch?.counts ?? this.set.envs.map(() => Number.NaN);
  }

  /** Dispatches of the replayed step; 0 before enableReplay. */
  get replayDispatches(): number {
    return this.replayed?.dispatches ?? 0;
  }

  /** Queues one step; returns the loss and ĥ tensors (kept) for optional readback. */
  queueStep(): { loss: Tensor; acyclicity: Tensor } {
    // Only a configured schedule sets lr: otherwise a caller's own lr (tests, tuning) stands.
    if ((this.config.lrEnd ?? 1) !== 1) this.adam.lr = lrAt(this.config, this.step);
    if (this.replayed) {
      this.replayed.queue(this.step);
      this.step++;
      this.backend.flush();
      return { loss: this.replayed.outputs.loss, acyclicity: this.replayed.outputs.acyclicity };
    }
    const result = this.buildStep(scalarsAt(this.config, this.step, this.lagrangian));
    this.step++;
    this.backend.flush();
    return result;
  }

  /**
   * Builds (and queues) one step through the generic autograd path: objective, backward, fused
   * Adam with `update` (by default the next step's, counted), ℓ clamp. Returns detached, kept
   * loss and ĥ.
   */
  buildStep(scalars: StepScalars, update: AdamStepParams = this.adam.advance()): { loss: Tensor; acyclicity: Tensor } {
    const result = tidy(() => {
      const data = this.minibatch
        ? inPhase("likelihood", () => drawBatch(this.minibatch!, this.config.seed, streamFor(scalars.step, "rows")))
        : this.data!;
      const inputs = { params: this.params, config: this.config, data, gamma: this.gamma, priorsInOptimizer: true };
      const terms = stepObjective(inputs, scalars);
      for (const part of terms.gradientParts) tidy(() => backward(part()));
      // Refit: Z stays pinned; Adam leaves a parameter without a gradient untouched.
      if (this.refit) {
        for (const z of groupParams(this.params, "z")) {
          z.grad?.dispose();
          z.grad = null;
        }
      }
      inPhase("optimizer", () => {
        this.adam.update(update);
        this.clampLogVariances();
      });
      return { loss: detach(terms.loss), acyclicity: detach(terms.acyclicity) };
    });
    return { loss: keep(result.loss), acyclicity: keep(result.acyclicity) };
  }

  /** Switches to replaying one recorded step (webgpu only; see gim/train/step-replay.ts). */
  enableReplay(): boolean {
    if (this.replayed || !(this.backend instanceof WebGpuBackend)) return this.replayed !== null;
    const source = {
      adam: this.adam,
      build: (scalars: StepScalars, update: AdamStepParams) => this.buildStep(scalars, update),
      scalarsAt: (step: number) => scalarsAt(this.config, step, this.lagrangian),
      unusedStreams: this.minibatch ? [] : (["rows"] as const),
    };
    this.replayed = ReplayedStep.record(source, this.backend);
    return true;
  }

  /**
   * Runs one replayed step timed by phase (ReplayedStep.profile) and returns the GPU ms per phase;
   * null unless the step is replayed on an adapter with timestamp queries.
   */
  async profileStep(options: { perKernel?: boolean } = {}): Promise<PhaseProfile | null> {
    if (!this.replayed || !(this.backend instanceof WebGpuBackend) || !this.backend.hasTimestamps) return null;
    const profile = await this.replayed.profile(this.step, options);
    this.step++;
    return profile;
  }

  private clampLogVariances(): void {
    const ell = param(this.params, "ell");
    const clamped = noGrad(() => clamp(ell, -this.config.logVarClamp, this.config.logVarClamp));
    this.backend.copy(clamped.storage, 0, ell.storage, 0, ell.size);
  }

  async train(options: TrainOptions = {}): Promise<TrainResult> {
    const { config } = this;
    const every = Math.max(1, config.logEvery);
    let lastRead = performance.now();
    let stepsSinceRead = 0;
    let rate = 0;
    let finalLoss = Number.NaN;
    const started = performance.now();
    const total = Math.min(options.stopAt ?? Infinity, this.totalSteps);
    while (this.step < total) {
      if (this.step >= config.steps && !this.refit) await this.pinGraph();
      const { loss, acyclicity } = this.queueStep();
      stepsSinceRead++;
      const atEnd = this.step === total;
      const stop = options.shouldStop?.() ?? false;
      const alDue = this.step % config.alSteps === 0;
      const checkpointDue = options.checkpoint && options.checkpointEvery && this.step % options.checkpointEvery === 0;
      if (this.step % every === 0 || atEnd || stop || alDue || checkpointDue) {
        finalLoss = await loss.item();
        this.lastAcyclicity = await acyclicity.item();
        const now = performance.now();
        rate = (stepsSinceRead * 1000) / Math.max(now - lastRead, 1e-6);
        lastRead = now;
        stepsSinceRead = 0;
        if (!Number.isFinite(finalLoss) || !Number.isFinite(this.lastAcyclicity)) {
          throw new NonFiniteLossError(
            `non-finite loss (${finalLoss}) or acyclicity (${this.lastAcyclicity}) at step ${this.step}; training stopped` +
              (options.checkpoint ? `; the last good checkpoint is kept at ${options.checkpoint.where}` : ""),
          );
        }
        if (alDue) await this.lagrangianCheck();
        if (this.step % every === 0 || atEnd) this.record(finalLoss);
        options.onProgress?.({
          step: this.step,
          steps: total,
          loss: finalLoss,
          acyclicity: this.lastAcyclicity,
          stepsPerSecond: rate,
          elapsedSeconds: (now - started) / 1000,
        });
        if (options.checkpoint && (checkpointDue || stop || atEnd)) await options.checkpoint.save(this);
        // On cpu every await above resolves as a microtask, so without a macrotask turn a SIGINT
        // handler (or a worker's stop message) would only run once training had finished.
        await nextMacrotask();
      }
      if (!this.replayed) {
        loss.dispose();
        acyclicity.dispose();
      }
      if (stop) return { steps: this.step, stoppedEarly: true, stepsPerSecond: rate, finalLoss };
    }
    await this.backend.sync();
    return { steps: this.step, stoppedEarly: false, stepsPerSecond: rate, finalLoss };
  }

  private record(loss: number): void {
    const h = this.history;
    h.step.push(this.step);
    h.loss.push(loss);
    h.h.push(this.lastAcyclicity);
    h.alpha.push(this.lagrangian.alpha);
    h.mu.push(this.lagrangian.mu);
  }

  /**
   * Starts the refit phase: Z pinned to G_MAP (or to `dag`, e.g. the true graph for
   * scripts/external-check/pinned-graph.mjs or a restart vote) and frozen (gim/train/refit.ts).
   * `source` is what the model file then reports as the graph's provenance (default: this run's
   * σ(αS) before pinning, and no cycle edges dropped from a given `dag`). A replayed step is
   * recorded again, because the pinned step launches no Adam update for Z.
   */
  async pinGraph(dag?: Matrix, source?: Pick<RefitState, "cycleEdgesDropped" | "edgeProbabilities">): Promise<void> {
    await this.backend.sync();
    const scores = await this.scores();
    const { graph, dropped } = dag ? { graph: dag, dropped: 0 } : mapGraph(scores);
    const alpha = this.alpha();
    const d = this.set.variables.length;
    const { U, V } = pinnedEmbedding(graph, this.config.rank ?? d, alpha);
    for (const [name, values] of [
      ["U", U],
      ["V", V],
    ] as const) {
      const t = param(this.params, name);
      const staged = this.backend.upload(values, t.dtype);
      this.backend.copy(staged, 0, t.storage, 0, values.length);
      this.backend.release(staged);
    }
    this.refit = {
      fromStep: this.step,
      cycleEdgesDropped: source?.cycleEdgesDropped ?? dropped,
      edgeProbabilities: source?.edgeProbabilities ?? edgeProbabilities(scores, alpha),
    };
    if (this.replayed) {
      this.replayed.outputs.loss.dispose();
      this.replayed.outputs.acyclicity.dispose();
      this.replayed.dispose();
      this.replayed = null;
      this.enableReplay();
    }
  }

  private async lagrangianCheck(): Promise<void> {
    const score = await this.holdoutScore();
    const cyclic = !isAcyclic(limitGraph(await this.scores()));
    const al = alRuleOf(this.config);
    const from = al.rule === "periodic" ? al.startFrom : this.config.alForceFrom;
    const forced = this.step >= from * this.config.steps;
    this.lagrangian.check(this.step, score, this.lastAcyclicity, cyclic, forced);
  }

  /** s_t: mean log-likelihood per holdout sample, hard samples, a fixed seed (§6). */
  async holdoutScore(): Promise<number> {
    const data = this.holdout ?? this.data!;
    const config = { ...this.config, seed: this.config.seed + HOLDOUT_SEED_SALT };
    const value = noGrad(() =>
      tidy(() => {
        const draws = drawStep(
          { params: this.params, config, data, gamma: this.gamma },
          this.step,
          alphaAt(this.config, this.step),
        );
        const mech = mechanismParams(this.params, this.config);
        return likelihood(config, data, {
          graphs: draws.hardGraph,
          mech,
          ell: param(this.params, "ell"),
          targets: draws.hardTargets,
          psi: draws.psi,
        });
      }),
    );
    const result = (await value.item()) / data.N;
    value.dispose();
    return result;
  }

  /** S = U Vᵀ on the host. */
  async scores(): Promise<number[][]> {
    const S = noGrad(() => matmul(param(this.params, "U"), param(this.params, "V"), { transposeB: true }));
    const values = await S.toArray();
    S.dispose();
    const d = this.set.variables.length;
    return Array.from({ length: d }, (_, i) => Array.from(values.subarray(i * d, (i + 1) * d)));
  }

  alpha(): number {
    return alphaAt(this.config, Math.max(this.step - 1, 0));
  }

  /** Gives the trainer's device memory back to the pool (`gim tune` makes one trainer per trial). */
  dispose(): void {
    this.replayed?.dispose();
    this.replayed = null;
    this.adam.dispose();
    for (const t of this.params.tensors.values()) t.dispose();
    for (const data of [this.data, this.holdout]) {
      for (const block of data ? [data, ...data.chunks] : [])
        for (const t of [block.X, block.env, block.envStartTensor, block.envOneHot, block.offDiagonal]) t?.dispose();
    }
    this.gamma.dispose();
  }
}

function nextMacrotask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
