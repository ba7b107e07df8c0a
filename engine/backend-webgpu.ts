/// <reference types="@webgpu/types" preserve="true" />
/**
 * WebGPU backend (Dawn). Design, from the lavapipe measurements in shared/notes:
 * - every `run` appends one dispatch to the open compute pass; the queue is submitted every
 *   SUBMIT_EVERY dispatches (so lavapipe starts on the first while the host encodes the next) and
 *   whenever a read, `sync` or all the eager param slots need it;
 * - params go into 256-byte uniform slots bound statically (a dynamic offset costs ~25 µs per
 *   dispatch on lavapipe): eager dispatches share slots interned by content (engine/param-slots.ts),
 *   so a bind group depends on (pipeline layout, buffers, slot) and is cached; a recorded step
 *   owns one slot per command in a buffer of its own, rewritten (patched) before each replay;
 * - buffers come from a size-bucketed pool and keep their id, so reused buffers hit the cache;
 * - shaders compile inside error scopes; validation errors, uncaptured errors and device loss
 *   are recorded and rethrown, naming the kernel, at the next waiting point (read/sync).
 * WGSL gives no NaN guarantees, so NaN/Inf checks belong to the host after readback.
 */
import { type Backend, BackendError, type DType, type Storage } from "./backend.js";
import type { Kernel, ParamValues } from "./kernel.js";
import { gpuWait } from "./gpu-wait.js";
import { type PhaseProfile, type ProfiledPass, currentPhase, summarizePasses } from "./phase.js";
import { ParamSlots, SLOT_BYTES } from "./param-slots.js";
import { type AcquiredDevice, acquireDevice, requestAdapter } from "./webgpu-device.js";

/** Eager param slots: 1 MiB of uniforms; when they are all taken, the queue is submitted and they are reused. */
const EAGER_SLOTS = 4096;
const SLOT_WORDS = SLOT_BYTES / 4;
/**
 * Dispatches queued before an automatic submit. Submitting only at a read kept lavapipe idle
 * while the host encoded the whole command buffer, then ran it all: the engine bench's chain of
 * 1,000 tiny adds cost ~72 µs per op that way and ~38 with a submit every 256 (lavapipe, 2 cores;
 * bench/RESULTS.md, "Scale"). Smaller batches pay Dawn's ~5 µs per submit more often.
 */
export const SUBMIT_EVERY = 256;
const MAX_GROUPS_PER_DIM = 65535;
/** Timestamped passes per query set (two queries each; WebGPU allows 4096 queries a set). */
const PASSES_PER_SET = 2048;

class GpuStorage implements Storage {
  readonly dtype: DType = "f32";
  released = false;
  constructor(
    readonly buffer: GPUBuffer,
    readonly bufferId: number,
    readonly length: number,
  ) {}
}

/** One dispatch of a recorded step: everything needed to issue it again. */
export interface RecordedDispatch {
  kernel: Kernel;
  pipeline: GPUComputePipeline;
  /** Binds `buffers` and this command's slot of the recording's params buffer. */
  bindGroup: GPUBindGroup;
  /** The storage buffers bound, in binding order (inputs, then outputs). */
  buffers: GPUBuffer[];
  /** The 64 uniform words the dispatch was recorded with (patched before each replay). */
  params: Uint32Array;
  groups: [number, number, number];
  /** The phase (engine/phase.ts) current when the dispatch was recorded. */
  phase: string;
}

export interface RecordedCopy {
  src: GPUBuffer;
  srcOffset: number;
  dst: GPUBuffer;
  dstOffset: number;
  bytes: number;
}

export type RecordedCommand = { dispatch: RecordedDispatch } | { copy: RecordedCopy };

/** A dispatch as captured: its bind group is made when the capture ends, at its params slot. */
type CapturedCommand =
  | { dispatch: Omit<RecordedDispatch, "bindGroup">; layout: GPUBindGroupLayout }
  | { copy: RecordedCopy };

/** A captured command list and the pooled buffers it owns (free buffers it uses, withheld from the pool). */
export interface Recording {
  commands: RecordedCommand[];
  buffers: GPUBuffer[];
  /** The buffers allocated during the capture (the step's own tensors); the others existed before it. */
  allocated: Set<GPUBuffer>;
  /** One uniform slot per command (command i at i·SLOT_BYTES), and its host copy. */
  params: GPUBuffer;
  paramsHost: Uint32Array;
}

interface CompiledKernel {
  id: number;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

function bucketBytes(bytes: number): number {
  const min = Math.max(bytes, 16);
  return 2 ** Math.ceil(Math.log2(min));
}

export class WebGpuBackend implements Backend {
  readonly name = "webgpu" as const;
  readonly description: string;
  readonly device: GPUDevice;
  readonly hasTimestamps: boolean;
  readonly maxBinding: number;
  private readonly pool = new Map<number, GPUBuffer[]>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly kernels = new Map<string, CompiledKernel>();
  private readonly byKernel = new WeakMap<Kernel, CompiledKernel>();
  private readonly modules = new Map<string, GPUShaderModule>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly slots: ParamSlots;
  private readonly scratch = new Uint32Array(SLOT_WORDS);
  private readonly scratchView = new DataView(this.scratch.buffer);
  /** Dispatches encoded since the last submit. */
  private queued = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly pendingErrors: Promise<string | null>[] = [];
  private readonly errors: string[] = [];
  private lostReason: string | null = null;
  private capture: CapturedCommand[] | null = null;
  private captureBuffers: Set<GPUBuffer> | null = null;
  private captureAllocated: Set<GPUBuffer> | null = null;
  private readonly lost: Promise<never>;
  dispatchCount = 0;
  /**
   * Storage buffers (pool bucket sizes): the largest made and the total made (the pool never
   * frees); the bytes held by live tensors now, and their peak and largest buffer since
   * `resetPeak` (benchmarks: what one configuration needs, whatever the pool holds from others).
   */
  readonly bufferStats = { largestBytes: 0, totalBytes: 0, liveBytes: 0, peakLiveBytes: 0, largestLiveBytes: 0 };

  resetPeak(): void {
    this.bufferStats.peakLiveBytes = this.bufferStats.liveBytes;
    this.bufferStats.largestLiveBytes = 0;
  }

  private constructor(acquired: AcquiredDevice) {
    this.device = acquired.device;
    this.description = acquired.adapterName;
    this.hasTimestamps = acquired.hasTimestamps;
    this.maxBinding = this.device.limits.maxStorageBufferBindingSize;
    this.slots = new ParamSlots(this.device, EAGER_SLOTS);
    this.device.addEventListener("uncapturederror", (event) => {
      this.errors.push(`WebGPU error: ${(event as GPUUncapturedErrorEvent).error.message}`);
    });
    this.lost = this.device.lost.then((info) => {
      this.lostReason = `WebGPU device lost (${info.reason}): ${info.message || "no message"}`;
      throw new BackendError(this.lostReason);
    });
    this.lost.catch(() => {});
  }

  /** Returns null when no adapter exists (the caller decides whether that is fatal). */
  /** null when there is no adapter (webgpu-device.ts unavailableReason says why). */
  static async create(options: { quiet?: boolean } = {}): Promise<WebGpuBackend | null> {
    const adapter = await requestAdapter(options);
    if (!adapter) return null;
    return new WebGpuBackend(await acquireDevice(adapter));
  }

  supports(dtype: DType): boolean {
    return dtype === "f32";
  }

  alloc(length: number, dtype: DType): Storage {
    this.assertUsable();
    if (dtype !== "f32") throw new BackendError(`webgpu backend: dtype ${dtype} is not supported (f32 only)`);
    const bytes = length * 4;
    if (bytes > this.maxBinding) {
      throw new BackendError(
        `webgpu backend: tensor of ${length} elements (${bytes} bytes) exceeds maxStorageBufferBindingSize ${this.maxBinding}; chunk the work`,
      );
    }
    const size = bucketBytes(bytes);
    const free = this.pool.get(size);
    let buffer = free?.pop();
    if (!buffer) {
      buffer = this.device.createBuffer({
        size,
        usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      });
      this.bufferStats.largestBytes = Math.max(this.bufferStats.largestBytes, size);
      this.bufferStats.totalBytes += size;
    }
    this.captureAllocated?.add(buffer);
    const stats = this.bufferStats;
    stats.liveBytes += size;
    stats.peakLiveBytes = Math.max(stats.peakLiveBytes, stats.liveBytes);
    stats.largestLiveBytes = Math.max(stats.largestLiveBytes, size);
    let id = this.bufferIds.get(buffer);
    if (id === undefined) {
      id = this.nextBufferId++;
      this.bufferIds.set(buffer, id);
    }
    return new GpuStorage(buffer, id, length);
  }

  upload(values: ArrayLike<number>, dtype: DType): Storage {
    if (this.capture)
      throw new BackendError(
        "webgpu backend: upload during step capture (a replayed step must make its constants on the device)",
      );
    const storage = this.alloc(values.length, dtype) as GpuStorage;
    if (values.length > 0) {
      // A pooled buffer may still be read by queued dispatches: submit them before overwriting.
      this.submit();
      const data = values instanceof Float32Array ? values : Float32Array.from(values);
      this.device.queue.writeBuffer(storage.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    }
    return storage;
  }

  release(storage: Storage): void {
    const s = storage as GpuStorage;
    if (s.released) return;
    s.released = true;
    this.bufferStats.liveBytes -= s.buffer.size;
    const list = this.pool.get(s.buffer.size) ?? [];
    list.push(s.buffer);
    this.pool.set(s.buffer.size, list);
  }

  run(kernel: Kernel, inputs: readonly Storage[], outputs: readonly Storage[], params: ParamValues): void {
    this.assertUsable();
    if (inputs.length !== kernel.inputs || outputs.length !== kernel.outputs) {
      throw new BackendError(
        `${kernel.name}: expected ${kernel.inputs} inputs and ${kernel.outputs} outputs, got ${inputs.length} and ${outputs.length}`,
      );
    }
    const groups = kernel.workgroups(params);
    const [gx, gy, gz] = typeof groups === "number" ? foldGroups(kernel.name, groups) : groups;
    if (gx * gy * gz === 0) return;
    const compiled = this.compile(kernel);
    const storages = (
      outputs.length === 0 ? inputs : inputs.length === 0 ? outputs : inputs.concat(outputs)
    ) as GpuStorage[];
    for (let i = 0; i < storages.length; i++)
      if (storages[i].released) throw new BackendError(`${kernel.name}: a tensor was used after dispose()`);
    if (this.capture) {
      const words = new Uint32Array(SLOT_WORDS);
      this.packParams(kernel, params, new DataView(words.buffer));
      this.capture.push({
        dispatch: {
          kernel,
          pipeline: compiled.pipeline,
          buffers: storages.map((s) => s.buffer),
          params: words,
          groups: [gx, gy, gz],
          phase: currentPhase(),
        },
        layout: compiled.layout,
      });
      for (const s of storages) this.captureBuffers!.add(s.buffer);
      return;
    }
    if (this.queued >= SUBMIT_EVERY) this.submit();
    this.packParams(kernel, params, this.scratchView);
    let slot = this.slots.slotFor(this.scratch, kernel.params.length);
    if (slot < 0) {
      this.submit();
      this.slots.reset();
      slot = this.slots.slotFor(this.scratch, kernel.params.length);
    }
    const bindGroup = this.bindGroupFor(kernel, compiled, storages, slot);
    const pass = this.openPass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(gx, gy, gz);
    this.dispatchCount++;
    this.queued++;
  }

  copy(src: Storage, srcOffset: number, dst: Storage, dstOffset: number, length: number): void {
    this.assertUsable();
    if (length === 0) return;
    const copy = {
      src: (src as GpuStorage).buffer,
      srcOffset: srcOffset * 4,
      dst: (dst as GpuStorage).buffer,
      dstOffset: dstOffset * 4,
      bytes: length * 4,
    };
    if (this.capture) {
      this.capture.push({ copy });
      this.captureBuffers!.add(copy.src).add(copy.dst);
      return;
    }
    this.encodeCopy(copy);
  }

  private encodeCopy(c: RecordedCopy): void {
    const encoder = this.openEncoder();
    this.closePass();
    encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
  }

  async read(storage: Storage): Promise<Float32Array> {
    this.assertUsable();
    const s = storage as GpuStorage;
    if (s.length === 0) {
      await this.sync();
      return new Float32Array(0);
    }
    const bytes = s.length * 4;
    const staging = this.device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const encoder = this.openEncoder();
    this.closePass();
    encoder.copyBufferToBuffer(s.buffer, 0, staging, 0, bytes);
    this.submit();
    try {
      await gpuWait(Promise.race([staging.mapAsync(GPUMapMode.READ), this.lost]));
      await this.raiseErrors();
      return new Float32Array(staging.getMappedRange().slice(0));
    } catch (error) {
      await this.raiseErrors();
      throw error;
    } finally {
      staging.destroy();
    }
  }

  async sync(): Promise<void> {
    this.assertUsable();
    this.submit();
    await gpuWait(Promise.race([this.device.queue.onSubmittedWorkDone(), this.lost]));
    await this.raiseErrors();
  }

  flush(): void {
    this.submit();
  }

  /** Ends the open pass and submits everything queued so far, without waiting. */
  submit(): void {
    if (!this.encoder) return;
    this.closePass();
    this.slots.upload();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.queued = 0;
  }

  destroy(): void {
    this.encoder = null;
    this.pass = null;
    this.device.destroy();
  }

  private assertUsable(): void {
    if (this.lostReason) throw new BackendError(this.lostReason);
  }

  private async raiseErrors(): Promise<void> {
    const pending = this.pendingErrors.splice(0);
    const compileErrors = (await Promise.all(pending)).filter((m): m is string => m !== null);
    if (this.lostReason) throw new BackendError(this.lostReason);
    const runtime = this.errors.splice(0);
    if (compileErrors.length + runtime.length === 0) return;
    // Errors that only echo an earlier failure ("invalid due to a previous error") come last.
    const primary = runtime.filter((m) => !m.includes("due to a previous error"));
    const echoes = runtime.filter((m) => m.includes("due to a previous error"));
    throw new BackendError([...compileErrors, ...primary, ...echoes].join("\n"));
  }

  private openEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: "gim-webgpu" });
    return this.encoder;
  }

  private openPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.openEncoder().beginComputePass();
    return this.pass;
  }

  private closePass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  private packParams(kernel: Kernel, params: ParamValues, view: DataView, base = 0): void {
    const fields = kernel.params;
    for (let i = 0; i < fields.length; i++) {
      const [name, type] = fields[i];
      const value = params[name];
      if (value === undefined) throw new BackendError(`${kernel.name}: missing param '${name}'`);
      if (type === "f32") view.setFloat32(base + i * 4, value, true);
      else if (type === "i32") view.setInt32(base + i * 4, value, true);
      else view.setUint32(base + i * 4, value, true);
    }
  }

  /**
   * Captures the commands that `fn` would queue, without running them, for replay. Free buffers
   * the capture touches are withheld from the pool until `discardRecording`, so nothing else can
   * be given storage that a replay will write.
   */
  record(fn: () => void): Recording {
    if (this.capture) throw new BackendError("webgpu backend: nested step capture");
    const captured: CapturedCommand[] = [];
    const buffers = new Set<GPUBuffer>();
    const allocated = new Set<GPUBuffer>();
    this.capture = captured;
    this.captureBuffers = buffers;
    this.captureAllocated = allocated;
    try {
      fn();
    } finally {
      this.capture = null;
      this.captureBuffers = null;
      this.captureAllocated = null;
    }
    const slots = Math.max(1, captured.length);
    const params = this.device.createBuffer({
      label: "recorded-params",
      size: SLOT_BYTES * slots,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    // Command i reads its params from slot i of the recording's own buffer.
    const commands = captured.map((command, index): RecordedCommand => {
      if ("copy" in command) return command;
      const d = command.dispatch;
      const bindGroup = this.paramsBindGroup(d.kernel, command.layout, d.buffers, params, index);
      return { dispatch: { ...d, bindGroup } };
    });
    // Only the free ones are withheld (and given back by discardRecording): the others are live
    // tensors (parameters, data, the step's kept outputs) that their owners release.
    const withheld: GPUBuffer[] = [];
    for (const [size, list] of this.pool) {
      withheld.push(...list.filter((b) => buffers.has(b)));
      this.pool.set(
        size,
        list.filter((b) => !buffers.has(b)),
      );
    }
    // Withheld buffers are the recording's: counted as live until discardRecording.
    const stats = this.bufferStats;
    for (const b of withheld) stats.liveBytes += b.size;
    stats.peakLiveBytes = Math.max(stats.peakLiveBytes, stats.liveBytes);
    return {
      commands,
      buffers: withheld,
      allocated,
      params,
      paramsHost: new Uint32Array(SLOT_WORDS * slots),
    };
  }

  /** Queues a recorded command list; `patch(i, words)` may rewrite dispatch i's uniform words. */
  replay(recording: Recording, patch?: (index: number, words: Uint32Array) => void): void {
    this.assertUsable();
    this.writeRecordedParams(recording, patch);
    for (const command of recording.commands) {
      if ("copy" in command) {
        this.encodeCopy(command.copy);
        continue;
      }
      if (this.queued >= SUBMIT_EVERY) this.submit();
      this.encodeReplayed(this.openPass(), command.dispatch);
    }
  }

  /**
   * Writes every dispatch's uniform words, patched, into the recording's params buffer. What is
   * queued is submitted first: an earlier replay of the same recording still in the open encoder
   * would otherwise read the new words (the write is ordered before the next submit).
   */
  private writeRecordedParams(recording: Recording, patch?: (index: number, words: Uint32Array) => void): void {
    this.submit();
    const host = recording.paramsHost;
    recording.commands.forEach((command, index) => {
      if ("copy" in command) return;
      const words = host.subarray(index * SLOT_WORDS, (index + 1) * SLOT_WORDS);
      words.set(command.dispatch.params);
      patch?.(index, words);
    });
    this.device.queue.writeBuffer(recording.params, 0, host);
  }

  /**
   * Replays a recording as `replay` does, timed by timestamp queries: each run of consecutive
   * dispatches of one phase (with `perKernel`, each dispatch) gets its own compute pass whose
   * begin and end are written to a query set. Waits for the GPU and returns the milliseconds per
   * phase (and per kernel). More passes and a readback: for profiling, not for training.
   */
  async profileReplay(
    recording: Recording,
    patch?: (index: number, words: Uint32Array) => void,
    options: { perKernel?: boolean } = {},
  ): Promise<PhaseProfile> {
    this.assertUsable();
    if (!this.hasTimestamps)
      throw new BackendError(`webgpu backend: ${this.description} lacks the timestamp-query feature; cannot profile`);
    this.writeRecordedParams(recording, patch);
    const passes: ProfiledPass[] = [];
    const sets: GPUQuerySet[] = [];
    let openPhase = "";
    for (const command of recording.commands) {
      if ("copy" in command) {
        this.encodeCopy(command.copy);
        continue;
      }
      const d = command.dispatch;
      if (!this.pass || options.perKernel || d.phase !== openPhase) {
        this.closePass();
        const i = passes.length % PASSES_PER_SET;
        if (i === 0)
          sets.push(this.device.createQuerySet({ label: "profile", type: "timestamp", count: 2 * PASSES_PER_SET }));
        const timestampWrites = {
          querySet: sets[sets.length - 1],
          beginningOfPassWriteIndex: 2 * i,
          endOfPassWriteIndex: 2 * i + 1,
        };
        this.pass = this.openEncoder().beginComputePass({ label: d.phase, timestampWrites });
        passes.push(options.perKernel ? { phase: d.phase, kernel: d.kernel.name } : { phase: d.phase });
        openPhase = d.phase;
      }
      this.encodeReplayed(this.pass, d);
    }
    if (passes.length === 0) return summarizePasses(new BigUint64Array(0), passes);
    const bytes = passes.length * 16;
    const resolved = this.device.createBuffer({
      label: "profile",
      size: bytes,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const staging = this.device.createBuffer({
      label: "profile",
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.openEncoder();
    this.closePass();
    sets.forEach((set, k) => {
      const count = Math.min(passes.length - k * PASSES_PER_SET, PASSES_PER_SET);
      encoder.resolveQuerySet(set, 0, 2 * count, resolved, k * PASSES_PER_SET * 16);
    });
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
    this.submit();
    try {
      await gpuWait(Promise.race([staging.mapAsync(GPUMapMode.READ), this.lost]));
      await this.raiseErrors();
      return summarizePasses(new BigUint64Array(staging.getMappedRange().slice(0)), passes);
    } catch (error) {
      await this.raiseErrors();
      throw error;
    } finally {
      staging.destroy();
      resolved.destroy();
      for (const set of sets) set.destroy();
    }
  }

  private encodeReplayed(pass: GPUComputePassEncoder, d: RecordedDispatch): void {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.groups[0], d.groups[1], d.groups[2]);
    this.dispatchCount++;
    this.queued++;
  }

  /** Returns a recording's buffers to the pool and frees its params. */
  discardRecording(recording: Recording): void {
    recording.params.destroy();
    for (const buffer of recording.buffers) {
      const list = this.pool.get(buffer.size) ?? [];
      if (!list.includes(buffer)) {
        list.push(buffer);
        this.bufferStats.liveBytes -= buffer.size;
      }
      this.pool.set(buffer.size, list);
    }
  }

  private layoutFor(kernel: Kernel): GPUBindGroupLayout {
    const key = `${kernel.inputs}:${kernel.outputs}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries: GPUBindGroupLayoutEntry[] = [];
      for (let i = 0; i < kernel.inputs + kernel.outputs; i++) {
        entries.push({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: i < kernel.inputs ? "read-only-storage" : "storage" },
        });
      }
      entries.push({
        binding: kernel.inputs + kernel.outputs,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "uniform" },
      });
      layout = this.device.createBindGroupLayout({ label: `layout ${key}`, entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }

  /** Pipelines are cached by module + entry point + override constants. */
  private compile(kernel: Kernel): CompiledKernel {
    const known = this.byKernel.get(kernel);
    if (known) return known;
    const constants = kernel.constants ?? {};
    let module = this.modules.get(kernel.wgsl);
    const moduleIndex = module ? [...this.modules.keys()].indexOf(kernel.wgsl) : this.modules.size;
    const key = `${moduleIndex}|${kernel.entry}|${JSON.stringify(constants)}`;
    let compiled = this.kernels.get(key);
    if (compiled) {
      this.byKernel.set(kernel, compiled);
      return compiled;
    }
    const layout = this.layoutFor(kernel);
    this.device.pushErrorScope("validation");
    if (!module) {
      module = this.device.createShaderModule({ label: kernel.name, code: kernel.wgsl });
      this.modules.set(kernel.wgsl, module);
    }
    const pipeline = this.device.createComputePipeline({
      label: kernel.name,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: kernel.entry, constants },
    });
    this.pendingErrors.push(
      Promise.all([this.device.popErrorScope(), module.getCompilationInfo()]).then(([error, info]) => {
        if (!error) return null;
        const lines = info.messages
          .filter((m) => m.type === "error")
          .map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}`);
        return `kernel ${kernel.name} (entry ${kernel.entry}) failed to compile:\n${lines.join("\n") || error.message}`;
      }),
    );
    compiled = { id: this.kernels.size + 1, pipeline, layout };
    this.kernels.set(key, compiled);
    this.byKernel.set(kernel, compiled);
    return compiled;
  }

  private bindGroupFor(kernel: Kernel, compiled: CompiledKernel, storages: GpuStorage[], slot: number): GPUBindGroup {
    let key = `${compiled.id}|${slot}`;
    for (const s of storages) key += `,${s.bufferId}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size > 20000) this.bindGroups.clear();
      const buffers = storages.map((s) => s.buffer);
      group = this.paramsBindGroup(kernel, compiled.layout, buffers, this.slots.buffer, slot);
      this.bindGroups.set(key, group);
    }
    return group;
  }

  /** Binds `buffers` in order, then the 256-byte params slot `slot` of `params`. */
  private paramsBindGroup(
    kernel: Kernel,
    layout: GPUBindGroupLayout,
    buffers: GPUBuffer[],
    params: GPUBuffer,
    slot: number,
  ): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
    entries.push({
      binding: buffers.length,
      resource: { buffer: params, offset: slot * SLOT_BYTES, size: SLOT_BYTES },
    });
    return this.device.createBindGroup({ label: kernel.name, layout, entries });
  }
}

/** Folds a 1-D workgroup count above the per-dimension limit into a 2-D grid. */
export function foldGroups(name: string, groups: number): [number, number, number] {
  if (groups <= MAX_GROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  if (y > MAX_GROUPS_PER_DIM) throw new BackendError(`${name}: ${groups} workgroups exceed the 2-D dispatch limit`);
  return [MAX_GROUPS_PER_DIM, y, 1];
}
