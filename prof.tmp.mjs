// engine/backend.ts
var BackendError = class extends Error {
  constructor(message) {
    super(message);
    this.name = "BackendError";
  }
};
function arrayFor(dtype, length) {
  return dtype === "f64" ? new Float64Array(length) : new Float32Array(length);
}

// engine/backend-cpu.ts
var CpuStorage = class {
  constructor(data2) {
    this.data = data2;
  }
  data;
  get length() {
    return this.data.length;
  }
  get dtype() {
    return this.data instanceof Float64Array ? "f64" : "f32";
  }
};
function data(storage) {
  if (!(storage instanceof CpuStorage)) throw new Error("cpu backend: storage belongs to another backend");
  return storage.data;
}
var CpuBackend = class {
  name = "cpu";
  description = "cpu (TypeScript reference, float32 and float64)";
  supports(_dtype) {
    return true;
  }
  alloc(length, dtype) {
    return new CpuStorage(arrayFor(dtype, length));
  }
  upload(values, dtype) {
    const out = arrayFor(dtype, values.length);
    out.set(values);
    return new CpuStorage(out);
  }
  run(kernel2, inputs, outputs, params3) {
    kernel2.cpu(inputs.map(data), outputs.map(data), params3);
  }
  copy(src, srcOffset, dst, dstOffset, length) {
    data(dst).set(data(src).subarray(srcOffset, srcOffset + length), dstOffset);
  }
  async read(storage) {
    return data(storage).slice();
  }
  async sync() {
  }
  flush() {
  }
  release(_storage) {
  }
  destroy() {
  }
};

// engine/webgpu-device.ts
import { createRequire } from "node:module";
var gpuSingleton;
function loadBindings() {
  try {
    return createRequire(import.meta.url)("webgpu");
  } catch {
    return createRequire(`${process.cwd()}/package.json`)("webgpu");
  }
}
async function gpuEntry() {
  if (gpuSingleton !== void 0) return gpuSingleton;
  try {
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = "/tmp";
    const webgpu2 = loadBindings();
    Object.assign(globalThis, webgpu2.globals);
    gpuSingleton = webgpu2.create([]);
  } catch (error) {
    gpuSingleton = null;
    process.stderr.write(`webgpu: could not load Dawn bindings: ${error.message}
`);
  }
  return gpuSingleton;
}
async function requestAdapter() {
  const gpu2 = await gpuEntry();
  if (!gpu2) return null;
  return await gpu2.requestAdapter({ powerPreference: "high-performance" }) ?? null;
}
function describeAdapter(adapter) {
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? parts.join(" / ") : "unknown adapter";
}
var WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupsPerDimension"
];
async function acquireDevice(adapter) {
  const requiredLimits = {};
  for (const key of WANTED_LIMITS) requiredLimits[key] = adapter.limits[key];
  const hasTimestamps = adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({
    label: "gim-webgpu",
    requiredLimits,
    requiredFeatures: hasTimestamps ? ["timestamp-query"] : []
  });
  return { device, adapterName: describeAdapter(adapter), hasTimestamps };
}

// engine/backend-webgpu.ts
var SLOT_BYTES = 256;
var RING_SLOTS = 8192;
var MAX_GROUPS_PER_DIM = 65535;
var GpuStorage = class {
  constructor(buffer, bufferId, length) {
    this.buffer = buffer;
    this.bufferId = bufferId;
    this.length = length;
  }
  buffer;
  bufferId;
  length;
  dtype = "f32";
  released = false;
};
function bucketBytes(bytes) {
  const min = Math.max(bytes, 16);
  return 2 ** Math.ceil(Math.log2(min));
}
var WebGpuBackend = class _WebGpuBackend {
  name = "webgpu";
  description;
  device;
  hasTimestamps;
  maxBinding;
  pool = /* @__PURE__ */ new Map();
  bufferIds = /* @__PURE__ */ new WeakMap();
  nextBufferId = 1;
  kernels = /* @__PURE__ */ new Map();
  byKernel = /* @__PURE__ */ new WeakMap();
  modules = /* @__PURE__ */ new Map();
  layouts = /* @__PURE__ */ new Map();
  bindGroups = /* @__PURE__ */ new Map();
  ring;
  ringHost = new ArrayBuffer(SLOT_BYTES * RING_SLOTS);
  ringUsed = 0;
  encoder = null;
  pass = null;
  pendingErrors = [];
  errors = [];
  lostReason = null;
  capture = null;
  captureBuffers = null;
  lost;
  dispatchCount = 0;
  constructor(acquired) {
    this.device = acquired.device;
    this.description = acquired.adapterName;
    this.hasTimestamps = acquired.hasTimestamps;
    this.maxBinding = this.device.limits.maxStorageBufferBindingSize;
    this.ring = this.device.createBuffer({
      label: "params-ring",
      size: SLOT_BYTES * RING_SLOTS,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
    });
    this.device.addEventListener("uncapturederror", (event) => {
      this.errors.push(`WebGPU error: ${event.error.message}`);
    });
    this.lost = this.device.lost.then((info) => {
      this.lostReason = `WebGPU device lost (${info.reason}): ${info.message || "no message"}`;
      throw new BackendError(this.lostReason);
    });
    this.lost.catch(() => {
    });
  }
  /** Returns null when no adapter exists (the caller decides whether that is fatal). */
  static async create() {
    const adapter = await requestAdapter();
    if (!adapter) return null;
    return new _WebGpuBackend(await acquireDevice(adapter));
  }
  supports(dtype) {
    return dtype === "f32";
  }
  alloc(length, dtype) {
    this.assertUsable();
    if (dtype !== "f32") throw new BackendError(`webgpu backend: dtype ${dtype} is not supported (f32 only)`);
    const bytes = length * 4;
    if (bytes > this.maxBinding) {
      throw new BackendError(
        `webgpu backend: tensor of ${length} elements (${bytes} bytes) exceeds maxStorageBufferBindingSize ${this.maxBinding}; chunk the work`
      );
    }
    const size = bucketBytes(bytes);
    const free = this.pool.get(size);
    const buffer = free?.pop() ?? this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST
    });
    let id = this.bufferIds.get(buffer);
    if (id === void 0) {
      id = this.nextBufferId++;
      this.bufferIds.set(buffer, id);
    }
    return new GpuStorage(buffer, id, length);
  }
  upload(values, dtype) {
    if (this.capture) throw new BackendError("webgpu backend: upload during step capture (a replayed step must make its constants on the device)");
    const storage = this.alloc(values.length, dtype);
    if (values.length > 0) {
      this.submit();
      const data2 = values instanceof Float32Array ? values : Float32Array.from(values);
      this.device.queue.writeBuffer(storage.buffer, 0, data2.buffer, data2.byteOffset, data2.byteLength);
    }
    return storage;
  }
  release(storage) {
    const s = storage;
    if (s.released) return;
    s.released = true;
    const list = this.pool.get(s.buffer.size) ?? [];
    list.push(s.buffer);
    this.pool.set(s.buffer.size, list);
  }
  run(kernel2, inputs, outputs, params3) {
    this.assertUsable();
    if (inputs.length !== kernel2.inputs || outputs.length !== kernel2.outputs) {
      throw new BackendError(
        `${kernel2.name}: expected ${kernel2.inputs} inputs and ${kernel2.outputs} outputs, got ${inputs.length} and ${outputs.length}`
      );
    }
    const groups = kernel2.workgroups(params3);
    const [gx, gy, gz] = typeof groups === "number" ? foldGroups(kernel2.name, groups) : groups;
    if (gx * gy * gz === 0) return;
    const compiled = this.compile(kernel2);
    const storages = [...inputs, ...outputs];
    for (const s of storages) if (s.released) throw new BackendError(`${kernel2.name}: a tensor was used after dispose()`);
    const bindGroup = this.bindGroupFor(kernel2, compiled, storages);
    if (this.capture) {
      const words = new Uint32Array(SLOT_BYTES / 4);
      this.packParams(kernel2, params3, new DataView(words.buffer));
      this.capture.push({ dispatch: { kernel: kernel2, pipeline: compiled.pipeline, bindGroup, params: words, groups: [gx, gy, gz] } });
      for (const s of storages) this.captureBuffers.add(s.buffer);
      return;
    }
    if (this.ringUsed === RING_SLOTS) this.submit();
    const offset = this.writeParams(kernel2, params3);
    const pass = this.openPass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup, [offset]);
    pass.dispatchWorkgroups(gx, gy, gz);
    this.dispatchCount++;
  }
  copy(src, srcOffset, dst, dstOffset, length) {
    this.assertUsable();
    if (length === 0) return;
    const copy = { src: src.buffer, srcOffset: srcOffset * 4, dst: dst.buffer, dstOffset: dstOffset * 4, bytes: length * 4 };
    if (this.capture) {
      this.capture.push({ copy });
      this.captureBuffers.add(copy.src).add(copy.dst);
      return;
    }
    this.encodeCopy(copy);
  }
  encodeCopy(c) {
    const encoder = this.openEncoder();
    this.closePass();
    encoder.copyBufferToBuffer(c.src, c.srcOffset, c.dst, c.dstOffset, c.bytes);
  }
  async read(storage) {
    this.assertUsable();
    const s = storage;
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
      await Promise.race([staging.mapAsync(GPUMapMode.READ), this.lost]);
      await this.raiseErrors();
      return new Float32Array(staging.getMappedRange().slice(0));
    } catch (error) {
      await this.raiseErrors();
      throw error;
    } finally {
      staging.destroy();
    }
  }
  async sync() {
    this.assertUsable();
    this.submit();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lost]);
    await this.raiseErrors();
  }
  flush() {
    this.submit();
  }
  /** Ends the open pass and submits everything queued so far, without waiting. */
  submit() {
    if (!this.encoder) return;
    this.closePass();
    if (this.ringUsed > 0) {
      this.device.queue.writeBuffer(this.ring, 0, this.ringHost, 0, this.ringUsed * SLOT_BYTES);
      this.ringUsed = 0;
    }
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
  }
  destroy() {
    this.encoder = null;
    this.pass = null;
    this.device.destroy();
  }
  assertUsable() {
    if (this.lostReason) throw new BackendError(this.lostReason);
  }
  async raiseErrors() {
    const pending = this.pendingErrors.splice(0);
    const compileErrors = (await Promise.all(pending)).filter((m) => m !== null);
    if (this.lostReason) throw new BackendError(this.lostReason);
    const runtime = this.errors.splice(0);
    if (compileErrors.length + runtime.length === 0) return;
    const primary = runtime.filter((m) => !m.includes("due to a previous error"));
    const echoes = runtime.filter((m) => m.includes("due to a previous error"));
    throw new BackendError([...compileErrors, ...primary, ...echoes].join("\n"));
  }
  openEncoder() {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder({ label: "gim-webgpu" });
    return this.encoder;
  }
  openPass() {
    if (!this.pass) this.pass = this.openEncoder().beginComputePass();
    return this.pass;
  }
  closePass() {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }
  writeParams(kernel2, params3) {
    this.packParams(kernel2, params3, new DataView(this.ringHost, this.ringUsed * SLOT_BYTES, SLOT_BYTES));
    return this.ringUsed++ * SLOT_BYTES;
  }
  packParams(kernel2, params3, view3) {
    kernel2.params.forEach(([name, type], i) => {
      const value = params3[name];
      if (value === void 0) throw new BackendError(`${kernel2.name}: missing param '${name}'`);
      if (type === "f32") view3.setFloat32(i * 4, value, true);
      else if (type === "i32") view3.setInt32(i * 4, value, true);
      else view3.setUint32(i * 4, value, true);
    });
  }
  /**
   * Captures the commands that `fn` would queue, without running them, for replay. Buffers the
   * capture touches are withheld from the pool until `discardRecording`, so nothing else can be
   * given storage that a replay will write.
   */
  record(fn) {
    if (this.capture) throw new BackendError("webgpu backend: nested step capture");
    const commands = [];
    const buffers = /* @__PURE__ */ new Set();
    this.capture = commands;
    this.captureBuffers = buffers;
    try {
      fn();
    } finally {
      this.capture = null;
      this.captureBuffers = null;
    }
    const recording = { commands, buffers: [...buffers] };
    const owned = new Set(recording.buffers);
    for (const [size, list] of this.pool) this.pool.set(size, list.filter((b) => !owned.has(b)));
    return recording;
  }
  /** Queues a recorded command list; `patch(i, words)` may rewrite dispatch i's uniform words. */
  replay(recording, patch) {
    this.assertUsable();
    recording.commands.forEach((command, index) => {
      if ("copy" in command) {
        this.encodeCopy(command.copy);
        return;
      }
      const d2 = command.dispatch;
      if (this.ringUsed === RING_SLOTS) this.submit();
      const offset = this.ringUsed * SLOT_BYTES;
      const words = new Uint32Array(this.ringHost, offset, SLOT_BYTES / 4);
      words.set(d2.params);
      patch?.(index, words);
      this.ringUsed++;
      const pass = this.openPass();
      pass.setPipeline(d2.pipeline);
      pass.setBindGroup(0, d2.bindGroup, [offset]);
      pass.dispatchWorkgroups(d2.groups[0], d2.groups[1], d2.groups[2]);
      this.dispatchCount++;
    });
  }
  /** Returns a recording's buffers to the pool. */
  discardRecording(recording) {
    for (const buffer of recording.buffers) {
      const list = this.pool.get(buffer.size) ?? [];
      if (!list.includes(buffer)) list.push(buffer);
      this.pool.set(buffer.size, list);
    }
  }
  layoutFor(kernel2) {
    const key = `${kernel2.inputs}:${kernel2.outputs}`;
    let layout = this.layouts.get(key);
    if (!layout) {
      const entries = [];
      for (let i = 0; i < kernel2.inputs + kernel2.outputs; i++) {
        entries.push({
          binding: i,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: i < kernel2.inputs ? "read-only-storage" : "storage" }
        });
      }
      entries.push({
        binding: kernel2.inputs + kernel2.outputs,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "uniform", hasDynamicOffset: true }
      });
      layout = this.device.createBindGroupLayout({ label: `layout ${key}`, entries });
      this.layouts.set(key, layout);
    }
    return layout;
  }
  /** Pipelines are cached by module + entry point + override constants. */
  compile(kernel2) {
    const known = this.byKernel.get(kernel2);
    if (known) return known;
    const constants = kernel2.constants ?? {};
    let module = this.modules.get(kernel2.wgsl);
    const moduleIndex = module ? [...this.modules.keys()].indexOf(kernel2.wgsl) : this.modules.size;
    const key = `${moduleIndex}|${kernel2.entry}|${JSON.stringify(constants)}`;
    let compiled = this.kernels.get(key);
    if (compiled) {
      this.byKernel.set(kernel2, compiled);
      return compiled;
    }
    const layout = this.layoutFor(kernel2);
    this.device.pushErrorScope("validation");
    if (!module) {
      module = this.device.createShaderModule({ label: kernel2.name, code: kernel2.wgsl });
      this.modules.set(kernel2.wgsl, module);
    }
    const pipeline = this.device.createComputePipeline({
      label: kernel2.name,
      layout: this.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: kernel2.entry, constants }
    });
    this.pendingErrors.push(
      Promise.all([this.device.popErrorScope(), module.getCompilationInfo()]).then(([error, info]) => {
        if (!error) return null;
        const lines2 = info.messages.filter((m) => m.type === "error").map((m) => `  line ${m.lineNum}:${m.linePos}: ${m.message}`);
        return `kernel ${kernel2.name} (entry ${kernel2.entry}) failed to compile:
${lines2.join("\n") || error.message}`;
      })
    );
    compiled = { id: this.kernels.size + 1, pipeline, layout };
    this.kernels.set(key, compiled);
    this.byKernel.set(kernel2, compiled);
    return compiled;
  }
  bindGroupFor(kernel2, compiled, storages) {
    let key = `${compiled.id}`;
    for (const s of storages) key += `,${s.bufferId}`;
    let group = this.bindGroups.get(key);
    if (!group) {
      if (this.bindGroups.size > 2e4) this.bindGroups.clear();
      const entries = storages.map((s, binding) => ({ binding, resource: { buffer: s.buffer } }));
      entries.push({ binding: storages.length, resource: { buffer: this.ring, size: SLOT_BYTES } });
      group = this.device.createBindGroup({ label: kernel2.name, layout: compiled.layout, entries });
      this.bindGroups.set(key, group);
    }
    return group;
  }
};
function foldGroups(name, groups) {
  if (groups <= MAX_GROUPS_PER_DIM) return [groups, 1, 1];
  const y = Math.ceil(groups / MAX_GROUPS_PER_DIM);
  if (y > MAX_GROUPS_PER_DIM) throw new BackendError(`${name}: ${groups} workgroups exceed the 2-D dispatch limit`);
  return [MAX_GROUPS_PER_DIM, y, 1];
}

// engine/context.ts
var current = null;
var webgpu = null;
var cpu = new CpuBackend();
function webgpuBackend() {
  webgpu ??= WebGpuBackend.create();
  return webgpu;
}
function defaultBackend() {
  return current ?? cpu;
}
function defaultDType(backend) {
  return backend.supports("f32") ? "f32" : "f64";
}

// engine/host-random.ts
var HostRandom = class {
  state;
  constructor(seed) {
    this.state = seed >>> 0 || 1;
  }
  uniform() {
    let t = this.state = this.state + 1831565813 >>> 0;
    t = Math.imul(t ^ t >>> 15, t | 1);
    t ^= t + Math.imul(t ^ t >>> 7, t | 61);
    return ((t ^ t >>> 14) >>> 0) / 4294967296;
  }
  normal() {
    const u2 = Math.max(this.uniform(), 1e-300);
    return Math.sqrt(-2 * Math.log(u2)) * Math.cos(2 * Math.PI * this.uniform());
  }
};

// gim/config.ts
var DEFAULTS = {
  mechanism: "linear",
  intervention: "hard",
  steps: 3e3,
  seed: 0,
  mcSamples: 32,
  acyclicitySamples: 32,
  rank: null,
  alphaLinear: 2e-3,
  alphaConstant: null,
  tau: 1,
  sigmaPsi: 0.1,
  lambdaGraph: 5,
  lambdaTargets: 5,
  lambdaTargetsEnd: 0.1,
  sigmaTheta: 1,
  sigmaEll: 1,
  sigmaPhi: 1,
  lr: 0.01,
  alSteps: 500,
  alEta: 10,
  alMuMax: 1e10,
  powerIterations: 10,
  holdoutFraction: 0.1,
  convergenceTol: 1e-3,
  logVarClamp: 10,
  logStdClamp: 5,
  hidden: 5,
  gimHidden: 100,
  thetaStd: 0.3,
  marginalize: "per-sample",
  amortize: true,
  logEvery: 50
};
function alphaAt(config, step) {
  return config.alphaConstant ?? config.alphaLinear * step;
}
function lambdaTargetsAt(config, step) {
  const start = config.lambdaTargets;
  const end = config.lambdaTargetsEnd * start;
  return end + 0.5 * (start - end) * (1 + Math.cos(Math.PI * step / Math.max(config.steps, 1)));
}

// engine/scope.ts
var stack = [];
function trackTensor(t) {
  stack[stack.length - 1]?.add(t);
}
function keep(t) {
  for (const scope of stack) scope.delete(t);
  return t;
}
function collect(value, into) {
  if (!value || typeof value !== "object") return;
  if ("storage" in value && "shape" in value) {
    const stack2 = [value];
    while (stack2.length > 0) {
      const t = stack2.pop();
      if (into.has(t)) continue;
      into.add(t);
      if (t.node) stack2.push(...t.node.inputs, ...t.node.saved);
    }
    return;
  }
  for (const v of Object.values(value)) collect(v, into);
}
function tidy(fn) {
  const scope = /* @__PURE__ */ new Set();
  stack.push(scope);
  let result;
  try {
    result = fn();
  } finally {
    stack.pop();
  }
  const survivors = /* @__PURE__ */ new Set();
  collect(result, survivors);
  const parent = stack[stack.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

// engine/shape.ts
function sizeOf(shape) {
  let n = 1;
  for (const s of shape) n *= s;
  return n;
}
function stridesOf(shape) {
  const strides = new Array(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = acc;
    acc *= shape[i];
  }
  return strides;
}
function sameShape(a, b) {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}
function fmt(shape) {
  return `[${shape.join(", ")}]`;
}
var ShapeError = class extends Error {
  constructor(op, message) {
    super(`${op}: ${message}`);
    this.name = "ShapeError";
  }
};
function broadcastShapes(op, a, b) {
  const rank = Math.max(a.length, b.length);
  const out = new Array(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(op, `cannot broadcast ${fmt(a)} with ${fmt(b)} (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}
function broadcastStrides(shape, target) {
  const own = stridesOf(shape);
  const offset = target.length - shape.length;
  return target.map((_, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : own[j];
  });
}
function normAxis(op, axis, rank) {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new ShapeError(op, `axis ${axis} out of range for rank ${rank}`);
  return a;
}
function splitAxis(shape, axis) {
  return [sizeOf(shape.slice(0, axis)), shape[axis], sizeOf(shape.slice(axis + 1))];
}

// engine/tensor.ts
var storageUsers = /* @__PURE__ */ new WeakMap();
var Tensor = class {
  constructor(backend, storage, shape, requiresGrad = false) {
    this.backend = backend;
    this.storage = storage;
    this.shape = [...shape];
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    if (storage.length !== this.size) {
      throw new Error(`Tensor: storage holds ${storage.length} elements, shape ${fmt(shape)} needs ${this.size}`);
    }
    storageUsers.set(storage, (storageUsers.get(storage) ?? 0) + 1);
    trackTensor(this);
  }
  backend;
  storage;
  shape;
  size;
  requiresGrad;
  grad = null;
  node = null;
  disposed = false;
  get dtype() {
    return this.storage.dtype;
  }
  get rank() {
    return this.shape.length;
  }
  get isDisposed() {
    return this.disposed;
  }
  /** Reads the values back (waits for queued GPU work). */
  async toArray() {
    this.assertAlive("toArray");
    return this.backend.read(this.storage);
  }
  /** Reads a one-element tensor as a number. */
  async item() {
    if (this.size !== 1) throw new Error(`item: tensor has shape ${fmt(this.shape)}, not one element`);
    return (await this.toArray())[0];
  }
  /** Returns the storage to the backend's pool; the tensor must not be used afterwards. */
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    const users = (storageUsers.get(this.storage) ?? 1) - 1;
    storageUsers.set(this.storage, users);
    if (users === 0) this.backend.release(this.storage);
  }
  assertAlive(op) {
    if (this.disposed) throw new Error(`${op}: tensor of shape ${fmt(this.shape)} was used after dispose()`);
  }
  toString() {
    return `Tensor(${fmt(this.shape)}, ${this.dtype}, ${this.backend.name})`;
  }
};
function assertSameBackend(op, tensors) {
  const first = tensors[0];
  for (const t of tensors) {
    t.assertAlive(op);
    if (t.backend !== first.backend) throw new Error(`${op}: inputs live on different backends (${first.backend.name}, ${t.backend.name})`);
    if (t.dtype !== first.dtype) throw new Error(`${op}: inputs have different dtypes (${first.dtype}, ${t.dtype})`);
  }
}

// engine/kernel.ts
function defineKernel(kernel2) {
  return kernel2;
}
function groupsFor(n, size) {
  return Math.ceil(n / size);
}

// kernels/common.wgsl
var common_default = "// common.wgsl \u2014 helpers prepended to kernels that need them.\n// flat_id: the linear invocation index of a 1-D launch that the backend may have folded into a\n// 2-D grid of workgroups (x \u2264 65535): group = wid.x + wid.y \xB7 nwg.x.\nfn flat_id(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, size: u32) -> u32 {\n  return (wid.x + wid.y * nwg.x) * size + lid.x;\n}\n\nfn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {\n  return wid.x + wid.y * nwg.x;\n}\n\n// Numerically stable logistic helpers, valid for |x| up to f32 range.\nfn sigmoid_stable(x: f32) -> f32 {\n  if (x >= 0.0) {\n    return 1.0 / (1.0 + exp(-x));\n  }\n  let e = exp(x);\n  return e / (1.0 + e);\n}\n\n// softplus(x) = log(1 + e^x) = max(x, 0) + log1p(e^{-|x|})\nfn softplus_stable(x: f32) -> f32 {\n  return max(x, 0.0) + log1p_f32(exp(-abs(x)));\n}\n\n// log1p with a correction term: accurate for small u where 1 + u rounds.\nfn log1p_f32(u: f32) -> f32 {\n  let w = 1.0 + u;\n  if (w == 1.0) {\n    return u;\n  }\n  return log(w) * (u / (w - 1.0));\n}\n";

// kernels/adam.ts
var WG = 256;
var adamKernel = defineKernel({
  name: "adam.update",
  wgsl: `${common_default}
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, c1: f32, c2: f32 }
@group(0) @binding(0) var<storage, read> G: array<f32>;
@group(0) @binding(1) var<storage, read_write> Param: array<f32>;
@group(0) @binding(2) var<storage, read_write> M: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
@compute @workgroup_size(${WG})
fn adam(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG}u);
  if (i >= P.n) { return; }
  let g = G[i];
  let m = P.beta1 * M[i] + (1.0 - P.beta1) * g;
  let v = P.beta2 * V[i] + (1.0 - P.beta2) * g * g;
  M[i] = m;
  V[i] = v;
  Param[i] = Param[i] - P.lr * (m / P.c1) / (sqrt(v / P.c2) + P.eps);
}`,
  entry: "adam",
  inputs: 1,
  outputs: 3,
  params: [["n", "u32"], ["lr", "f32"], ["beta1", "f32"], ["beta2", "f32"], ["eps", "f32"], ["c1", "f32"], ["c2", "f32"]],
  workgroups: (p) => groupsFor(p.n, WG),
  cpu: ([g], [param2, m, v], p) => {
    for (let i = 0; i < p.n; i++) {
      m[i] = p.beta1 * m[i] + (1 - p.beta1) * g[i];
      v[i] = p.beta2 * v[i] + (1 - p.beta2) * g[i] * g[i];
      param2[i] -= p.lr * (m[i] / p.c1) / (Math.sqrt(v[i] / p.c2) + p.eps);
    }
  }
});

// engine/tape.ts
var gradDepth = 0;
function isRecording() {
  return gradDepth === 0;
}
function noGrad(fn) {
  gradDepth++;
  try {
    return fn();
  } finally {
    gradDepth--;
  }
}
var accumulate = null;
var fill = null;
function setTapeHelpers(add2, full2) {
  accumulate = add2;
  fill = full2;
}
function topoOrder(root) {
  const order = [];
  const seen = /* @__PURE__ */ new Set();
  const stack2 = [[root, 0]];
  while (stack2.length > 0) {
    const top = stack2[stack2.length - 1];
    const [t, i] = top;
    if (i === 0 && seen.has(t)) {
      stack2.pop();
      continue;
    }
    seen.add(t);
    const inputs = t.node?.inputs ?? [];
    if (i < inputs.length) {
      top[1]++;
      const next = inputs[i];
      if (next.requiresGrad && !seen.has(next)) stack2.push([next, 0]);
    } else {
      stack2.pop();
      order.push(t);
    }
  }
  return order;
}
function backward(loss, seed) {
  if (!accumulate || !fill) throw new Error("backward: engine ops are not loaded");
  if (!loss.requiresGrad) throw new Error("backward: the loss does not depend on any tensor with requiresGrad");
  if (!seed && loss.size !== 1) throw new Error(`backward: loss has shape ${fmt(loss.shape)}; pass a seed cotangent`);
  const add2 = accumulate;
  noGrad(() => {
    const grads = /* @__PURE__ */ new Map();
    grads.set(loss, seed ?? fill(loss, 1));
    const order = topoOrder(loss);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const dy = grads.get(t);
      if (!dy) continue;
      if (!t.node) {
        const previous = t.grad;
        t.grad = keep(previous ? add2(previous, dy) : new Tensor(dy.backend, dy.storage, dy.shape));
        previous?.dispose();
        continue;
      }
      const inputGrads = t.node.backward(dy);
      t.node.inputs.forEach((input, i) => {
        const g = inputGrads[i];
        if (!g || !input.requiresGrad) return;
        const prev = grads.get(input);
        grads.set(input, prev ? add2(prev, g) : g);
      });
    }
  });
}
function recordNode(output, node) {
  output.node = node;
  output.requiresGrad = true;
}
function detach(t) {
  return new Tensor(t.backend, t.storage, t.shape, false);
}

// engine/op.ts
function defineOp(def) {
  return def;
}
function apply(op, inputs, attrs) {
  assertSameBackend(op.name, inputs);
  const { out, saved = [] } = op.forward(inputs, attrs);
  const vjp = op.vjp;
  if (typeof vjp === "function" && isRecording() && inputs.some((t) => t.requiresGrad)) {
    const nondiff = new Set(op.check.nondiff ?? []);
    const needsGrad = inputs.map((t, i) => t.requiresGrad && !nondiff.has(i));
    recordNode(out, {
      opName: op.name,
      inputs,
      saved,
      backward: (dy) => vjp({ inputs, out, saved, attrs, needsGrad }, dy)
    });
  }
  return out;
}
function launch(kernel2, inputs, outShapes, params3, on) {
  const backend = on?.backend ?? inputs[0].backend;
  const dtype = on?.dtype ?? inputs[0].dtype;
  const outs = outShapes.map((shape) => new Tensor(backend, backend.alloc(sizeOf(shape), dtype), shape));
  backend.run(
    kernel2,
    inputs.map((t) => t.storage),
    outs.map((t) => t.storage),
    params3
  );
  return outs;
}
function launch1(kernel2, inputs, outShape, params3) {
  return launch(kernel2, inputs, [outShape], params3)[0];
}

// kernels/fill.ts
var WG2 = 256;
var fillKernel = defineKernel({
  name: "fill",
  wgsl: `${common_default}
struct Params { n: u32, value: f32 }
@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;
@compute @workgroup_size(${WG2})
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG2}u);
  if (i < P.n) { Y[i] = P.value; }
}`,
  entry: "fill",
  inputs: 0,
  outputs: 1,
  params: [["n", "u32"], ["value", "f32"]],
  workgroups: (p) => groupsFor(p.n, WG2),
  cpu: (_in, [y], p) => {
    y.fill(p.value, 0, p.n);
  }
});
function fill2(backend, dtype, shape, value) {
  let n = 1;
  for (const s of shape) n *= s;
  return launch(fillKernel, [], [shape], { n, value }, { backend, dtype })[0];
}

// engine/optim.ts
var Adam = class {
  constructor(params3, { lr = 0.01, beta1 = 0.9, beta2 = 0.999, eps = 1e-8 } = {}) {
    this.params = params3;
    this.lr = lr;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = eps;
    this.m = params3.map((p) => this.zerosLike(p));
    this.v = params3.map((p) => this.zerosLike(p));
  }
  params;
  /** Mutable, so schedules can change it between steps. */
  lr;
  beta1;
  beta2;
  eps;
  /** Number of steps taken (t in the bias corrections). */
  stepCount = 0;
  m;
  v;
  /**
   * One update of every parameter from its `.grad`, which is then disposed and cleared. All
   * parameters share the step count t; a parameter without a gradient is left as it is (its
   * moments do not decay).
   */
  step() {
    this.stepCount++;
    const t = this.stepCount;
    const params3 = {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      c1: 1 - this.beta1 ** t,
      c2: 1 - this.beta2 ** t
    };
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      p.assertAlive("Adam.step");
      g.assertAlive("Adam.step");
      if (g.size !== p.size || g.backend !== p.backend) {
        throw new Error(`Adam.step: gradient ${g} does not match parameter ${i}, ${p}`);
      }
      p.backend.run(adamKernel, [g.storage], [p.storage, this.m[i].storage, this.v[i].storage], { n: p.size, ...params3 });
    });
    this.zeroGrad();
  }
  /** Disposes and clears every parameter's gradient without updating. */
  zeroGrad() {
    for (const p of this.params) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
  async exportState() {
    return {
      step: this.stepCount,
      m: await Promise.all(this.m.map(async (t) => Array.from(await t.toArray()))),
      v: await Promise.all(this.v.map(async (t) => Array.from(await t.toArray())))
    };
  }
  /** Restores moments and step count saved by `exportState` (from this or another backend). */
  importState(state) {
    const check = (which, arrays) => {
      if (!Array.isArray(arrays) || arrays.length !== this.params.length) {
        throw new Error(`Adam.importState: ${which} holds ${arrays?.length} tensors for ${this.params.length} parameters`);
      }
      arrays.forEach((a, i) => {
        if (a?.length !== this.params[i].size) {
          throw new Error(`Adam.importState: ${which}[${i}] has ${a?.length} values, parameter ${i} has shape ${fmt(this.params[i].shape)}`);
        }
      });
    };
    check("m", state.m);
    check("v", state.v);
    if (!Number.isInteger(state.step) || state.step < 0) throw new Error(`Adam.importState: step ${state.step} is not a count`);
    const load = (old, arrays) => old.map((t, i) => {
      const fresh = keep(new Tensor(t.backend, t.backend.upload(arrays[i], t.dtype), t.shape));
      t.dispose();
      return fresh;
    });
    this.m = load(this.m, state.m);
    this.v = load(this.v, state.v);
    this.stepCount = state.step;
  }
  /** Frees the moments (the parameters belong to the caller). */
  dispose() {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
  zerosLike(p) {
    return keep(fill2(p.backend, p.dtype, p.shape, 0));
  }
};

// engine/prng.ts
var M0 = 3528531795;
var M1 = 3449720151;
var W0 = 2654435769;
var W1 = 3144134277;
var TWO_POW_32 = 4294967296;
function mulhi32(a, b) {
  const pl = a * (b & 65535);
  const ph = a * (b >>> 16);
  return Math.floor(ph / 65536) + Math.floor((pl + ph % 65536 * 65536) / TWO_POW_32) >>> 0;
}
function philox4x32_10(ctr, key) {
  let c0 = ctr[0] >>> 0;
  let c1 = ctr[1] >>> 0;
  let c2 = ctr[2] >>> 0;
  let c3 = ctr[3] >>> 0;
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < 10; r++) {
    if (r > 0) {
      k0 = k0 + W0 >>> 0;
      k1 = k1 + W1 >>> 0;
    }
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
  }
  return [c0, c1, c2, c3];
}
function philoxBlock(seed, stream, index) {
  return philox4x32_10([index, 0, 0, 0], [seed, stream]);
}
function philoxWord(seed, stream, index) {
  return philoxBlock(seed, stream, index)[0];
}
function uniform01(word) {
  return ((word >>> 9) + 0.5) * 2 ** -23;
}
function logistic(u2) {
  return Math.log(u2) - Math.log(1 - u2);
}
function boxMuller(w0, w1) {
  return -Math.sqrt(-2 * Math.log(uniform01(w0))) * Math.cos(2 * Math.PI * (uniform01(w1) - 0.5));
}
function uniformNoise(seed, stream, index) {
  return uniform01(philoxWord(seed, stream, index));
}
function logisticNoise(seed, stream, index) {
  return logistic(uniformNoise(seed, stream, index));
}
function normalNoise(seed, stream, index) {
  const [w0, w1] = philoxBlock(seed, stream, index);
  return boxMuller(w0, w1);
}

// kernels/prng.wgsl
var prng_default = "// prng.wgsl \u2014 counter-based random numbers (Philox4x32-10, Random123), prepended by sampling\n// kernels. No bindings, no entry points: a function library. Twin of engine/prng.ts; the two\n// agree bit for bit on every 32-bit word (test/prng.test.ts checks 2^20 counters).\n//\n// Counter layout, the one used everywhere (seed, stream, index are u32):\n//   key = (seed, stream),  ctr = (index, 0, 0, 0)\n//   draw (seed, stream, index) = one Philox call; word x is the uniform/logistic source, words\n//   x and y feed Box\u2013Muller for a normal. Words z, w are unused (one call per element keeps\n//   kernels free of index arithmetic). Draws of different purposes take different streams.\n//\n// Maps from a 32-bit word w:\n//   uniform01(w) = ((w >> 9) + \xBD) \xB7 2\u207B\xB2\xB3 = (2k+1) \xB7 2\u207B\xB2\u2074 with k < 2\xB2\xB3: exact in f32, in (0, 1),\n//     and 1 \u2212 u is exact too, so log(u) and log(1\u2212u) are finite. (23 bits, not 24: with 24 the\n//     top value 2\xB2\u2074 \u2212 \xBD needs 25 significant bits and rounds to 2\xB2\u2074, i.e. u = 1.)\n//   logistic(u) = log u \u2212 log(1\u2212u)           ~ Logistic(0, 1): mean 0, variance \u03C0\xB2/3\n//   box_muller(w0, w1) = \u221A(\u22122 log u0) \xB7 cos(2\u03C0 u1)  ~ N(0, 1), evaluated as \u2212\u221A(\u2026)\xB7cos(2\u03C0(u1 \u2212 \xBD))\n\nconst PHILOX_M0: u32 = 0xD2511F53u;\nconst PHILOX_M1: u32 = 0xCD9E8D57u;\nconst PHILOX_W0: u32 = 0x9E3779B9u;\nconst PHILOX_W1: u32 = 0xBB67AE85u;\n\n// (hi, lo) of the 64-bit product a\xB7b. WGSL has no 64-bit integers: the high word is assembled\n// from 16-bit halves, a = a\u2095\xB72\xB9\u2076 + a\u2097, b = b\u2095\xB72\xB9\u2076 + b\u2097; the low word is the wrapping u32 product.\nfn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {\n  let al = a & 0xFFFFu;\n  let ah = a >> 16u;\n  let bl = b & 0xFFFFu;\n  let bh = b >> 16u;\n  let ll = al * bl;\n  let lh = al * bh;\n  let hl = ah * bl;\n  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);\n  let hi = ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);\n  return vec2<u32>(hi, a * b);\n}\n\nfn philox_round(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {\n  let p0 = philox_mulhilo(PHILOX_M0, ctr.x);\n  let p1 = philox_mulhilo(PHILOX_M1, ctr.z);\n  return vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);\n}\n\n// Ten rounds, the key bumped by the Weyl constants between rounds.\nfn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {\n  var c = ctr;\n  var k = key;\n  c = philox_round(c, k);\n  for (var r = 1u; r < 10u; r++) {\n    k = k + vec2<u32>(PHILOX_W0, PHILOX_W1);\n    c = philox_round(c, k);\n  }\n  return c;\n}\n\nfn philox_block(seed: u32, stream: u32, index: u32) -> vec4<u32> {\n  return philox4x32_10(vec4<u32>(index, 0u, 0u, 0u), vec2<u32>(seed, stream));\n}\n\nfn philox_word(seed: u32, stream: u32, index: u32) -> u32 {\n  return philox_block(seed, stream, index).x;\n}\n\nfn uniform01(w: u32) -> f32 {\n  return (f32(w >> 9u) + 0.5) * 1.1920928955078125e-7;  // 2\u207B\xB2\xB3\n}\n\nfn logistic(u: f32) -> f32 {\n  return log(u) - log(1.0 - u);\n}\n\n// cos(2\u03C0u) = \u2212cos(2\u03C0(u \u2212 \xBD)): the argument stays in (\u2212\u03C0, \u03C0), where WGSL bounds cos's error\n// (2\u207B\xB9\xB9 absolute at worst; lavapipe is within a few f32 ulps there), and u \u2212 \xBD is exact.\nfn box_muller(w0: u32, w1: u32) -> f32 {\n  return -sqrt(-2.0 * log(uniform01(w0))) * cos(6.283185307179586 * (uniform01(w1) - 0.5));\n}\n\nfn uniform_noise(seed: u32, stream: u32, index: u32) -> f32 {\n  return uniform01(philox_word(seed, stream, index));\n}\n\nfn logistic_noise(seed: u32, stream: u32, index: u32) -> f32 {\n  return logistic(uniform_noise(seed, stream, index));\n}\n\nfn normal_noise(seed: u32, stream: u32, index: u32) -> f32 {\n  let b = philox_block(seed, stream, index);\n  return box_muller(b.x, b.y);\n}\n";

// kernels/random.ts
var WG3 = 256;
var DRAW = {
  uniform: { wgsl: "uniform_noise", cpu: uniformNoise },
  normal: { wgsl: "normal_noise", cpu: normalNoise },
  logistic: { wgsl: "logistic_noise", cpu: logisticNoise }
};
var entry = (dist) => `
@compute @workgroup_size(${WG3})
fn random_${dist}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG3}u);
  if (i >= P.n) { return; }
  Y[i] = ${DRAW[dist].wgsl}(P.seed, P.stream, P.offset + i);
}`;
var MODULE = `${common_default}
${prng_default}
struct Params { n: u32, seed: u32, stream: u32, offset: u32 }
@group(0) @binding(0) var<storage, read_write> Y: array<f32>;
@group(0) @binding(1) var<uniform> P: Params;
${Object.keys(DRAW).map(entry).join("\n")}
`;
function randomKernel(dist) {
  const draw = DRAW[dist].cpu;
  return defineKernel({
    name: `random.${dist}`,
    wgsl: MODULE,
    entry: `random_${dist}`,
    inputs: 0,
    outputs: 1,
    params: [["n", "u32"], ["seed", "u32"], ["stream", "u32"], ["offset", "u32"]],
    workgroups: (p) => groupsFor(p.n, WG3),
    cpu: (_in, [y], p) => {
      for (let i = 0; i < p.n; i++) y[i] = draw(p.seed, p.stream, p.offset + i >>> 0);
    }
  });
}
var randomKernels = {
  uniform: randomKernel("uniform"),
  normal: randomKernel("normal"),
  logistic: randomKernel("logistic")
};
function u32(what, value) {
  if (!Number.isInteger(value) || value < 0 || value > 4294967295) {
    throw new RangeError(`random: ${what} must be an integer in [0, 2^32), got ${value}`);
  }
  return value;
}
function randomTensor(dist, backend, dtype, shape, at) {
  const params3 = {
    n: sizeOf(shape),
    seed: u32("seed", at.seed),
    stream: u32("stream", at.stream ?? 0),
    offset: u32("offset", at.offset ?? 0)
  };
  return launch(randomKernels[dist], [], [shape], params3, { backend, dtype })[0];
}

// engine/create.ts
function where(options) {
  const backend = options.backend ?? defaultBackend();
  return { backend, dtype: options.dtype ?? defaultDType(backend) };
}
function full(shape, value, options = {}) {
  const { backend, dtype } = where(options);
  const t = fill2(backend, dtype, shape, value);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}
var zeros = (shape, options = {}) => full(shape, 0, options);
function random(dist, shape, options) {
  const { backend, dtype } = where(options);
  const t = randomTensor(dist, backend, dtype, shape, options);
  t.requiresGrad = options.requiresGrad ?? false;
  return t;
}
var randn = (shape, options) => random("normal", shape, options);

// kernels/broadcast.ts
var MAX_RANK = 6;
function paramNames(prefix) {
  return Array.from({ length: MAX_RANK }, (_, k) => [`${prefix}${k}`, "u32"]);
}
function wgslFields(prefix) {
  return Array.from({ length: MAX_RANK }, (_, k) => `${prefix}${k}: u32,`).join(" ");
}
function padShape(op, shape) {
  if (shape.length > MAX_RANK) throw new ShapeError(op, `rank ${shape.length} of ${fmt(shape)} exceeds ${MAX_RANK}`);
  return [...Array(MAX_RANK - shape.length).fill(1), ...shape];
}
function packShape(prefix, shape, into) {
  shape.forEach((v, k) => into[`${prefix}${k}`] = v);
}
function broadcastParams(op, out, operands) {
  const outP = padShape(op, out);
  const params3 = { n: sizeOf(out) };
  packShape("s", outP, params3);
  for (const [prefix, shape] of Object.entries(operands)) {
    packShape(prefix, broadcastStrides(padShape(op, shape), outP), params3);
  }
  return params3;
}
function wgslIndex(prefix) {
  const lines2 = [];
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    lines2.push(`  c = r % P.s${k}; r = r / P.s${k}; o += c * P.${prefix}${k};`);
  }
  return `fn index_${prefix}(i: u32) -> u32 {
  var r = i; var c = 0u; var o = 0u;
${lines2.join("\n")}
  return o;
}`;
}
function cpuIndex(i, shape, strides) {
  let r = i;
  let o = 0;
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    const c = r % shape[k];
    r = Math.floor(r / shape[k]);
    o += c * strides[k];
  }
  return o;
}
function readShape(prefix, p) {
  return Array.from({ length: MAX_RANK }, (_, k) => p[`${prefix}${k}`]);
}
function offsetTable(n, shape, strides) {
  let identity = true;
  let acc = 1;
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    if (shape[k] !== 1 && strides[k] !== acc) identity = false;
    acc *= shape[k];
  }
  if (identity) return null;
  const out = new Int32Array(n);
  const c = new Array(MAX_RANK).fill(0);
  let o = 0;
  for (let i = 0; i < n; i++) {
    out[i] = o;
    for (let k = MAX_RANK - 1; k >= 0; k--) {
      c[k]++;
      o += strides[k];
      if (c[k] < shape[k]) break;
      o -= c[k] * strides[k];
      c[k] = 0;
    }
  }
  return out;
}

// engine/cpu-math.ts
function sigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
function softplus(x) {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

// kernels/elementwise-unary.ts
var WG4 = 256;
var UNARY = {
  neg: {
    fwd: "-x",
    vjp: "-dy",
    cpu: (x) => -x,
    cpuVjp: (_x, _y, dy) => -dy,
    derivation: "y = \u2212x; \u2202y/\u2202x = \u22121 \u21D2 x\u0304 = \u2212\u0233."
  },
  exp: {
    fwd: "exp(x)",
    vjp: "dy * y",
    cpu: Math.exp,
    cpuVjp: (_x, y, dy) => dy * y,
    derivation: "y = e\u02E3; \u2202y/\u2202x = e\u02E3 = y \u21D2 x\u0304 = \u0233\xB7y (saves y)."
  },
  log: {
    fwd: "log(x)",
    vjp: "dy / x",
    cpu: Math.log,
    cpuVjp: (x, _y, dy) => dy / x,
    domain: "positive",
    derivation: "y = log x; \u2202y/\u2202x = 1/x \u21D2 x\u0304 = \u0233/x."
  },
  tanh: {
    fwd: "tanh_stable(x)",
    vjp: "dy * (1.0 - y * y)",
    cpu: Math.tanh,
    cpuVjp: (_x, y, dy) => dy * (1 - y * y),
    derivation: "y = tanh x; \u2202y/\u2202x = 1 \u2212 tanh\xB2x = 1 \u2212 y\xB2 \u21D2 x\u0304 = \u0233(1 \u2212 y\xB2) (saves y)."
  },
  sigmoid: {
    fwd: "sigmoid_stable(x)",
    vjp: "dy * y * (1.0 - y)",
    cpu: sigmoid,
    cpuVjp: (_x, y, dy) => dy * y * (1 - y),
    derivation: "y = \u03C3(x) = 1/(1+e\u207B\u02E3); \u03C3' = \u03C3(1\u2212\u03C3) \u21D2 x\u0304 = \u0233\xB7y(1\u2212y) (saves y). Evaluated as e^x/(1+e^x) for x<0 so \xB1300 do not overflow."
  },
  softplus: {
    fwd: "softplus_stable(x)",
    vjp: "dy * sigmoid_stable(x)",
    cpu: softplus,
    cpuVjp: (x, _y, dy) => dy * sigmoid(x),
    derivation: "y = log(1+e\u02E3) = max(x,0) + log1p(e^{\u2212|x|}); \u2202y/\u2202x = \u03C3(x) \u21D2 x\u0304 = \u0233\u03C3(x)."
  },
  logSigmoid: {
    fwd: "-softplus_stable(-x)",
    vjp: "dy * sigmoid_stable(-x)",
    cpu: (x) => -softplus(-x),
    cpuVjp: (x, _y, dy) => dy * sigmoid(-x),
    derivation: "y = log \u03C3(x) = \u2212softplus(\u2212x); \u2202y/\u2202x = \u03C3(\u2212x) = 1 \u2212 \u03C3(x) \u21D2 x\u0304 = \u0233\u03C3(\u2212x)."
  },
  square: {
    fwd: "x * x",
    vjp: "2.0 * x * dy",
    cpu: (x) => x * x,
    cpuVjp: (x, _y, dy) => 2 * x * dy,
    derivation: "y = x\xB2; \u2202y/\u2202x = 2x \u21D2 x\u0304 = 2x\u0233."
  },
  sqrt: {
    fwd: "sqrt(x)",
    vjp: "dy * 0.5 / y",
    cpu: Math.sqrt,
    cpuVjp: (_x, y, dy) => dy * 0.5 / y,
    domain: "positive",
    derivation: "y = \u221Ax; \u2202y/\u2202x = 1/(2\u221Ax) = 1/(2y) \u21D2 x\u0304 = \u0233/(2y) (saves y)."
  },
  abs: {
    fwd: "abs(x)",
    vjp: "dy * sign(x)",
    cpu: Math.abs,
    cpuVjp: (x, _y, dy) => dy * Math.sign(x),
    derivation: "y = |x|; \u2202y/\u2202x = sign(x) (0 at x = 0, the subgradient we pick) \u21D2 x\u0304 = \u0233\xB7sign(x)."
  },
  pow: {
    fwd: "pow_signed(x, p0)",
    vjp: "dy * p0 * pow_signed(x, p0 - 1.0)",
    cpu: (x, p) => x ** p,
    cpuVjp: (x, _y, dy, p) => dy * p * x ** (p - 1),
    domain: "positive",
    derivation: "y = x\u1D56 (scalar p); \u2202y/\u2202x = p\xB7x^{p\u22121} \u21D2 x\u0304 = \u0233\xB7p\xB7x^{p\u22121}. Defined for x > 0; integer p also for x < 0."
  },
  affine: {
    fwd: "p0 * x + p1",
    vjp: "p0 * dy",
    cpu: (x, a, b) => a * x + b,
    cpuVjp: (_x, _y, dy, a) => a * dy,
    derivation: "y = p0\xB7x + p1 (scalars); \u2202y/\u2202x = p0 \u21D2 x\u0304 = p0\xB7\u0233. Scales and shifts without a constant tensor."
  },
  clamp: {
    fwd: "clamp(x, p0, p1)",
    vjp: "select(0.0, dy, x > p0 && x < p1)",
    cpu: (x, lo, hi) => Math.min(Math.max(x, lo), hi),
    cpuVjp: (x, _y, dy, lo, hi) => x > lo && x < hi ? dy : 0,
    derivation: "y = min(max(x, lo), hi); \u2202y/\u2202x = 1 inside (lo, hi), 0 outside \u21D2 x\u0304 = \u0233\xB71[lo < x < hi]."
  }
};
var EXTRA_WGSL = (
  /* wgsl */
  `
fn tanh_stable(x: f32) -> f32 {
  // tanh(x) = 1 \u2212 2/(e^{2x} + 1); clamp keeps e^{2x} finite.
  let e = exp(2.0 * clamp(x, -20.0, 20.0));
  return 1.0 - 2.0 / (e + 1.0);
}
// x^p with the sign rule of integer exponents, so (\u22122)^3 = \u22128 as in Math.pow.
fn pow_signed(x: f32, p: f32) -> f32 {
  if (x >= 0.0) { return pow(x, p); }
  let m = pow(-x, p);
  if (p == round(p) && (i32(p) & 1) == 1) { return -m; }
  if (p == round(p)) { return m; }
  return pow(x, p);  // NaN for a negative base and fractional p, as in Math.pow
}
struct UnaryParams { n: u32, p0: f32, p1: f32 }
`
);
function moduleFor(name, row) {
  return `${common_default}
${EXTRA_WGSL}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: UnaryParams;
@compute @workgroup_size(${WG4})
fn fwd_${name}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG4}u);
  if (i >= P.n) { return; }
  let x = X[i]; let p0 = P.p0; let p1 = P.p1;
  Y[i] = ${row.fwd};
}
`;
}
function vjpModuleFor(name, row) {
  return `${common_default}
${EXTRA_WGSL}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<uniform> P: UnaryParams;
@compute @workgroup_size(${WG4})
fn vjp_${name}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG4}u);
  if (i >= P.n) { return; }
  let x = X[i]; let y = Yv[i]; let dy = DY[i]; let p0 = P.p0; let p1 = P.p1;
  DX[i] = ${row.vjp};
}
`;
}
var PARAMS = [["n", "u32"], ["p0", "f32"], ["p1", "f32"]];
function kernelsFor(name, row) {
  const fwd = defineKernel({
    name: `${name}.fwd`,
    wgsl: moduleFor(name, row),
    entry: `fwd_${name}`,
    inputs: 1,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => groupsFor(p.n, WG4),
    cpu: ([x], [y], p) => {
      for (let i = 0; i < p.n; i++) y[i] = row.cpu(x[i], p.p0, p.p1);
    }
  });
  const vjp = defineKernel({
    name: `${name}.vjp`,
    wgsl: vjpModuleFor(name, row),
    entry: `vjp_${name}`,
    inputs: 3,
    outputs: 1,
    params: PARAMS,
    workgroups: (p) => groupsFor(p.n, WG4),
    cpu: ([x, y, dy], [dx], p) => {
      for (let i = 0; i < p.n; i++) dx[i] = row.cpuVjp(x[i], y[i], dy[i], p.p0, p.p1);
    }
  });
  return { fwd, vjp };
}
function unaryOp(name, row, attrs) {
  const k = kernelsFor(name, row);
  return defineOp({
    name,
    derivation: row.derivation,
    forward: ([x], a) => ({ out: launch1(k.fwd, [x], x.shape, { n: x.size, p0: a.p0, p1: a.p1 }) }),
    vjp: ({ inputs: [x], out, attrs: a }, dy) => [launch1(k.vjp, [x, out, dy], x.shape, { n: x.size, p0: a.p0, p1: a.p1 })],
    check: {
      cases: [
        { shapes: [[7]], attrs, domains: [row.domain ?? "real"] },
        { shapes: [[3, 5]], attrs, domains: [row.domain ?? "real"] }
      ]
    }
  });
}
var NO_PARAMS = { p0: 0, p1: 0 };
var unaryOps = Object.fromEntries(
  Object.entries(UNARY).map(([name, row]) => {
    const attrs = name === "pow" ? { p0: 2.5, p1: 0 } : name === "clamp" ? { p0: -0.5, p1: 0.5 } : name === "affine" ? { p0: -1.5, p1: 0.25 } : NO_PARAMS;
    return [name, unaryOp(name, row, attrs)];
  })
);
var u = (name) => (x) => apply(unaryOps[name], [x], NO_PARAMS);
var neg = u("neg");
var exp = u("exp");
var log = u("log");
var tanh = u("tanh");
var sigmoidOf = u("sigmoid");
var softplusOf = u("softplus");
var logSigmoid = u("logSigmoid");
var square = u("square");
var sqrt = u("sqrt");
var abs = u("abs");
var affine = (x, scale, shift = 0) => apply(unaryOps.affine, [x], { p0: scale, p1: shift });
var clamp = (x, lo, hi) => apply(unaryOps.clamp, [x], { p0: lo, p1: hi });

// kernels/elementwise-binary.ts
var WG5 = 256;
var BINARY = {
  add: { wgsl: "a + b", cpu: (a, b) => a + b },
  sub: { wgsl: "a - b", cpu: (a, b) => a - b },
  mul: { wgsl: "a * b", cpu: (a, b) => a * b },
  div: { wgsl: "a / b", cpu: (a, b) => a / b }
};
var BIN_PARAMS = [["n", "u32"], ...paramNames("s"), ...paramNames("a"), ...paramNames("b")];
function binaryKernel(name, row) {
  return defineKernel({
    name: `${name}.fwd`,
    wgsl: `${common_default}
struct Params { n: u32, ${wgslFields("s")} ${wgslFields("a")} ${wgslFields("b")} }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
${wgslIndex("a")}
${wgslIndex("b")}
@compute @workgroup_size(${WG5})
fn bin_${name}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG5}u);
  if (i >= P.n) { return; }
  let a = A[index_a(i)];
  let b = B[index_b(i)];
  Y[i] = ${row.wgsl};
}`,
    entry: `bin_${name}`,
    inputs: 2,
    outputs: 1,
    params: BIN_PARAMS,
    workgroups: (p) => groupsFor(p.n, WG5),
    cpu: ([a, b], [y], p) => {
      const s = readShape("s", p);
      const sa = readShape("a", p);
      const sb = readShape("b", p);
      const oa = offsetTable(p.n, s, sa);
      const ob = offsetTable(p.n, s, sb);
      for (let i = 0; i < p.n; i++) y[i] = row.cpu(a[oa ? oa[i] : i], b[ob ? ob[i] : i]);
    }
  });
}
var SUM_PARAMS = [["n", "u32"], ["count", "u32"], ...paramNames("t"), ...paramNames("f"), ...paramNames("q")];
function decompose(prefixShape, prefixStride, v) {
  const lines2 = [];
  for (let k = MAX_RANK - 1; k >= 0; k--) {
    lines2.push(`  c = r % P.${prefixShape}${k}; r = r / P.${prefixShape}${k}; o += c * P.${prefixStride}${k};`);
  }
  return `var r = ${v}; var c = 0u; var o = 0u;
${lines2.join("\n")}`;
}
var sumToShapeKernel = defineKernel({
  name: "sum_to_shape",
  wgsl: `${common_default}
struct Params { n: u32, count: u32, ${wgslFields("t")} ${wgslFields("f")} ${wgslFields("q")} }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
fn base_of(v: u32) -> u32 { ${decompose("t", "f", "v")} return o; }
fn offset_of(v: u32) -> u32 { ${decompose("q", "f", "v")} return o; }
@compute @workgroup_size(${WG5})
fn sum_to_shape(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG5}u);
  if (i >= P.n) { return; }
  let base = base_of(i);
  var acc = 0.0;
  for (var r = 0u; r < P.count; r++) { acc += X[base + offset_of(r)]; }
  Y[i] = acc;
}`,
  entry: "sum_to_shape",
  inputs: 1,
  outputs: 1,
  params: SUM_PARAMS,
  workgroups: (p) => groupsFor(p.n, WG5),
  cpu: ([x], [y], p) => {
    const t = readShape("t", p);
    const f = readShape("f", p);
    const q = readShape("q", p);
    const bases = offsetTable(p.n, t, f);
    const offsets = offsetTable(p.count, q, f);
    for (let i = 0; i < p.n; i++) {
      const base = bases ? bases[i] : i;
      let acc = 0;
      if (offsets) for (let r = 0; r < p.count; r++) acc += x[base + offsets[r]];
      else for (let r = 0; r < p.count; r++) acc += x[base + r];
      y[i] = acc;
    }
  }
});
function sumToShape(x, target) {
  if (sameShape(x.shape, target)) return x;
  const full2 = padShape("sumToShape", x.shape);
  const t = padShape("sumToShape", target);
  const fs = stridesOf(full2);
  const q = full2.map((d2, k) => t[k] === 1 && d2 !== 1 ? d2 : 1);
  const params3 = { n: sizeOf(target), count: sizeOf(q) };
  for (let k = 0; k < MAX_RANK; k++) {
    if (t[k] !== 1 && t[k] !== full2[k]) throw new Error(`sumToShape: cannot reduce ${x.shape} to ${target}`);
    params3[`t${k}`] = t[k];
    params3[`f${k}`] = fs[k];
    params3[`q${k}`] = q[k];
  }
  return launch1(sumToShapeKernel, [x], target, params3);
}
var binaryKernels = Object.fromEntries(
  Object.entries(BINARY).map(([name, row]) => [name, binaryKernel(name, row)])
);
function runBinary(name, a, b) {
  const out = broadcastShapes(name, a.shape, b.shape);
  return launch1(binaryKernels[name], [a, b], out, broadcastParams(name, out, { a: a.shape, b: b.shape }));
}
var CASES = [
  { label: "same shape", shapes: [[3, 4], [3, 4]], attrs: {} },
  { label: "row broadcast", shapes: [[3, 4], [4]], attrs: {} },
  { label: "column broadcast", shapes: [[3, 1], [3, 4]], attrs: {} },
  { label: "scalar", shapes: [[2, 3], []], attrs: {} },
  { label: "both sides", shapes: [[2, 1, 4], [3, 1]], attrs: {} }
];
function binaryOp(name, derivation, vjp, domains) {
  return defineOp({
    name,
    derivation,
    forward: ([a, b]) => ({ out: runBinary(name, a, b) }),
    vjp,
    check: { cases: CASES.map((c) => ({ ...c, domains })) }
  });
}
var binaryOps = {
  add: binaryOp("add", "y = a + b; \u0101 = \u03A3_bcast \u0233, b\u0304 = \u03A3_bcast \u0233.", ({ inputs: [a, b], needsGrad }, dy) => [
    needsGrad[0] ? sumToShape(dy, a.shape) : null,
    needsGrad[1] ? sumToShape(dy, b.shape) : null
  ]),
  sub: binaryOp("sub", "y = a \u2212 b; \u0101 = \u03A3_bcast \u0233, b\u0304 = \u2212\u03A3_bcast \u0233.", ({ inputs: [a, b], needsGrad }, dy) => [
    needsGrad[0] ? sumToShape(dy, a.shape) : null,
    needsGrad[1] ? sumToShape(negate(dy), b.shape) : null
  ]),
  mul: binaryOp("mul", "y = a\xB7b; \u0101 = \u03A3_bcast \u0233b, b\u0304 = \u03A3_bcast \u0233a.", ({ inputs: [a, b], needsGrad }, dy) => [
    needsGrad[0] ? sumToShape(runBinary("mul", dy, b), a.shape) : null,
    needsGrad[1] ? sumToShape(runBinary("mul", dy, a), b.shape) : null
  ]),
  div: binaryOp(
    "div",
    "y = a/b; \u2202y/\u2202a = 1/b, \u2202y/\u2202b = \u2212a/b\xB2 = \u2212y/b \u21D2 \u0101 = \u03A3_bcast \u0233/b, b\u0304 = \u2212\u03A3_bcast \u0233\xB7y/b (saves y).",
    ({ inputs: [a, b], out, needsGrad }, dy) => [
      needsGrad[0] ? sumToShape(runBinary("div", dy, b), a.shape) : null,
      needsGrad[1] ? sumToShape(negate(runBinary("div", runBinary("mul", dy, out), b)), b.shape) : null
    ],
    ["real", "positive"]
  )
};
function negate(t) {
  return unaryOps.neg.forward([t], { p0: 0, p1: 0 }).out;
}
var add = (a, b) => apply(binaryOps.add, [a, b], {});
var sub = (a, b) => apply(binaryOps.sub, [a, b], {});
var mul = (a, b) => apply(binaryOps.mul, [a, b], {});

// kernels/normal-logpdf.ts
var WG6 = 256;
var HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);
var FORMS = {
  var: {
    fwd: "let r = x - m; let y = -0.5 * (LOG2PI + s + r * r * exp(-s));",
    vjp: "let r = x - m; let p = exp(-s); let dm = dy * r * p; let ds = 0.5 * dy * (r * r * p - 1.0);",
    cpu: (x, m, s) => -0.5 * (2 * HALF_LOG_2PI + s + (x - m) ** 2 * Math.exp(-s)),
    cpuVjp: (x, m, s, dy) => {
      const r = x - m;
      const p = Math.exp(-s);
      return [dy * r * p, 0.5 * dy * (r * r * p - 1)];
    }
  },
  std: {
    fwd: "let z = (x - m) * exp(-s); let y = -0.5 * LOG2PI - s - 0.5 * z * z;",
    vjp: "let r = x - m; let p = exp(-2.0 * s); let dm = dy * r * p; let ds = dy * (r * r * p - 1.0);",
    cpu: (x, m, s) => -HALF_LOG_2PI - s - 0.5 * ((x - m) * Math.exp(-s)) ** 2,
    cpuVjp: (x, m, s, dy) => {
      const r = x - m;
      const p = Math.exp(-2 * s);
      return [dy * r * p, dy * (r * r * p - 1)];
    }
  }
};
var PARAMS2 = [["n", "u32"], ...paramNames("s"), ...paramNames("a"), ...paramNames("b"), ...paramNames("c")];
function header() {
  return `${common_default}
const LOG2PI: f32 = ${Math.log(2 * Math.PI)};
struct Params { n: u32, ${wgslFields("s")} ${wgslFields("a")} ${wgslFields("b")} ${wgslFields("c")} }
${wgslIndex("a")}
${wgslIndex("b")}
${wgslIndex("c")}`;
}
var ENTRY_ARGS = "@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>";
function kernels(form) {
  const math = FORMS[form];
  const fwd = defineKernel({
    name: `normal_logpdf_${form}.fwd`,
    wgsl: `${header()}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Mn: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
@compute @workgroup_size(${WG6})
fn logpdf_${form}_fwd(${ENTRY_ARGS}) {
  let i = flat_id(wid, nwg, lid, ${WG6}u);
  if (i >= P.n) { return; }
  let x = X[index_a(i)]; let m = Mn[index_b(i)]; let s = S[index_c(i)];
  ${math.fwd}
  Y[i] = y;
}`,
    entry: `logpdf_${form}_fwd`,
    inputs: 3,
    outputs: 1,
    params: PARAMS2,
    workgroups: (p) => groupsFor(p.n, WG6),
    cpu: ([x, m, s], [y], p) => {
      const sh = readShape("s", p);
      const [sa, sb, sc] = ["a", "b", "c"].map((k) => readShape(k, p));
      const [oa, ob, oc] = [sa, sb, sc].map((st) => offsetTable(p.n, sh, st));
      for (let i = 0; i < p.n; i++) y[i] = math.cpu(x[oa ? oa[i] : i], m[ob ? ob[i] : i], s[oc ? oc[i] : i]);
    }
  });
  const vjp = defineKernel({
    name: `normal_logpdf_${form}.vjp`,
    wgsl: `${header()}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Mn: array<f32>;
@group(0) @binding(2) var<storage, read> S: array<f32>;
@group(0) @binding(3) var<storage, read> DY: array<f32>;
@group(0) @binding(4) var<storage, read_write> DM: array<f32>;
@group(0) @binding(5) var<storage, read_write> DS: array<f32>;
@group(0) @binding(6) var<uniform> P: Params;
@compute @workgroup_size(${WG6})
fn logpdf_${form}_vjp(${ENTRY_ARGS}) {
  let i = flat_id(wid, nwg, lid, ${WG6}u);
  if (i >= P.n) { return; }
  let x = X[index_a(i)]; let m = Mn[index_b(i)]; let s = S[index_c(i)]; let dy = DY[i];
  ${math.vjp}
  DM[i] = dm;
  DS[i] = ds;
}`,
    entry: `logpdf_${form}_vjp`,
    inputs: 4,
    outputs: 2,
    params: PARAMS2,
    workgroups: (p) => groupsFor(p.n, WG6),
    cpu: ([x, m, s, dy], [dm, ds], p) => {
      const sh = readShape("s", p);
      const [sa, sb, sc] = ["a", "b", "c"].map((k) => readShape(k, p));
      const [oa, ob, oc] = [sa, sb, sc].map((st) => offsetTable(p.n, sh, st));
      for (let i = 0; i < p.n; i++) {
        const [gm, gs] = math.cpuVjp(x[oa ? oa[i] : i], m[ob ? ob[i] : i], s[oc ? oc[i] : i], dy[i]);
        dm[i] = gm;
        ds[i] = gs;
      }
    }
  });
  return { fwd, vjp };
}
function logpdfOp(form, derivation) {
  const k = kernels(form);
  const params3 = (x, m, s) => {
    const out = broadcastShapes(`normalLogpdf(${form})`, broadcastShapes(`normalLogpdf(${form})`, x.shape, m.shape), s.shape);
    return { out, params: broadcastParams("normalLogpdf", out, { a: x.shape, b: m.shape, c: s.shape }) };
  };
  return defineOp({
    name: form === "var" ? "normalLogpdf" : "normalLogpdfStd",
    derivation,
    forward: ([x, m, s]) => {
      const { out, params: p } = params3(x, m, s);
      return { out: launch1(k.fwd, [x, m, s], out, p) };
    },
    vjp: ({ inputs: [x, m, s], needsGrad }, dy) => {
      const { out, params: p } = params3(x, m, s);
      const [dm, ds] = launch(k.vjp, [x, m, s, dy], [out, out], p);
      const dx = needsGrad[0] ? unaryOps.neg.forward([sumToShape(dm, x.shape)], { p0: 0, p1: 0 }).out : null;
      return [dx, needsGrad[1] ? sumToShape(dm, m.shape) : null, needsGrad[2] ? sumToShape(ds, s.shape) : null];
    },
    check: {
      cases: [
        { label: "same shape", shapes: [[4, 3], [4, 3], [4, 3]], attrs: {} },
        { label: "GIM broadcast x[N,d], m[M,N,d], s[d]", shapes: [[5, 3], [2, 5, 3], [3]], attrs: {} },
        { label: "scale per row", shapes: [[2, 4], [4], [2, 1]], attrs: {} }
      ]
    }
  });
}
var normalLogpdfOps = {
  normalLogpdf: logpdfOp("var", "y = \u2212\xBD[log 2\u03C0 + \u2113 + (x\u2212m)\xB2 e^{\u2212\u2113}]; m\u0304 = \u0233(x\u2212m)e^{\u2212\u2113}, \u2113\u0304 = \xBD\u0233((x\u2212m)\xB2e^{\u2212\u2113} \u2212 1), x\u0304 = \u2212m\u0304, each summed over broadcast axes."),
  normalLogpdfStd: logpdfOp("std", "y = \u2212\xBD log 2\u03C0 \u2212 \u03BB \u2212 \xBD(x\u2212m)\xB2 e^{\u22122\u03BB}; m\u0304 = \u0233(x\u2212m)e^{\u22122\u03BB}, \u03BB\u0304 = \u0233((x\u2212m)\xB2e^{\u22122\u03BB} \u2212 1), x\u0304 = \u2212m\u0304, each summed over broadcast axes.")
};
var normalLogpdf = (x, mean2, logVar) => apply(normalLogpdfOps.normalLogpdf, [x, mean2, logVar], {});
var normalLogpdfStd = (x, mean2, logStd) => apply(normalLogpdfOps.normalLogpdfStd, [x, mean2, logStd], {});

// kernels/spectral-radius.ts
var WG7 = 64;
var MAX_D = 1024;
var GUARD = 1e-30;
var forwardKernel = defineKernel({
  name: "spectral_radius.fwd",
  wgsl: `${common_default}
${prng_default}
struct Params { M: u32, d: u32, iterations: u32, seed: u32, stream: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> Rho: array<f32>;
@group(0) @binding(2) var<storage, read_write> U: array<f32>;
@group(0) @binding(3) var<storage, read_write> V: array<f32>;
@group(0) @binding(4) var<storage, read_write> Den: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;
var<workgroup> u: array<f32, ${MAX_D}>;
var<workgroup> v: array<f32, ${MAX_D}>;
var<workgroup> nu: array<f32, ${MAX_D}>;
var<workgroup> nv: array<f32, ${MAX_D}>;
var<workgroup> scale: vec2<f32>;
@compute @workgroup_size(${WG7})
fn power_iter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m = flat_group(wid, nwg);
  if (m >= P.M) { return; }
  let d = P.d;
  let base = m * d * d;
  for (var i = lid.x; i < d; i += ${WG7}u) {
    u[i] = uniform_noise(P.seed, P.stream, m * 2u * d + i);
    v[i] = uniform_noise(P.seed, P.stream, m * 2u * d + d + i);
  }
  workgroupBarrier();
  for (var t = 0u; t < P.iterations; t++) {
    for (var i = lid.x; i < d; i += ${WG7}u) {
      var au = 0.0;
      var av = 0.0;
      for (var k = 0u; k < d; k++) {
        au += A[base + k * d + i] * u[k];
        av += A[base + i * d + k] * v[k];
      }
      nu[i] = au;
      nv[i] = av;
    }
    workgroupBarrier();
    if (lid.x == 0u) {
      var su = 0.0;
      var sv = 0.0;
      for (var k = 0u; k < d; k++) { su += nu[k] * nu[k]; sv += nv[k] * nv[k]; }
      scale = vec2<f32>(1.0 / (sqrt(su) + 1e-12), 1.0 / (sqrt(sv) + 1e-12));
    }
    workgroupBarrier();
    for (var i = lid.x; i < d; i += ${WG7}u) {
      u[i] = nu[i] * scale.x;
      v[i] = nv[i] * scale.y;
    }
    workgroupBarrier();
  }
  for (var i = lid.x; i < d; i += ${WG7}u) {
    var av = 0.0;
    for (var k = 0u; k < d; k++) { av += A[base + i * d + k] * v[k]; }
    nv[i] = av;
    U[m * d + i] = u[i];
    V[m * d + i] = v[i];
  }
  workgroupBarrier();
  if (lid.x == 0u) {
    var num = 0.0;
    var den = 0.0;
    for (var k = 0u; k < d; k++) { num += u[k] * nv[k]; den += u[k] * v[k]; }
    Den[m] = den;
    Rho[m] = select(0.0, num / den, den > ${GUARD});
  }
}`,
  entry: "power_iter",
  inputs: 1,
  outputs: 4,
  params: [["M", "u32"], ["d", "u32"], ["iterations", "u32"], ["seed", "u32"], ["stream", "u32"]],
  workgroups: (p) => p.M,
  cpu: ([A], [rho, U, V, Den], p) => {
    const { M, d: d2 } = p;
    for (let m = 0; m < M; m++) {
      const base = m * d2 * d2;
      let u2 = Array.from({ length: d2 }, (_, i) => uniformNoise(p.seed, p.stream, m * 2 * d2 + i));
      let v = Array.from({ length: d2 }, (_, i) => uniformNoise(p.seed, p.stream, m * 2 * d2 + d2 + i));
      for (let t = 0; t < p.iterations; t++) {
        const nu = u2.map((_, i) => u2.reduce((s, uk, k) => s + A[base + k * d2 + i] * uk, 0));
        const nv = v.map((_, i) => v.reduce((s, vk, k) => s + A[base + i * d2 + k] * vk, 0));
        const su = 1 / (Math.hypot(...nu) + 1e-12);
        const sv = 1 / (Math.hypot(...nv) + 1e-12);
        u2 = nu.map((x) => x * su);
        v = nv.map((x) => x * sv);
      }
      let num = 0;
      let den = 0;
      for (let i = 0; i < d2; i++) {
        let av = 0;
        for (let k = 0; k < d2; k++) av += A[base + i * d2 + k] * v[k];
        num += u2[i] * av;
        den += u2[i] * v[i];
        U[m * d2 + i] = u2[i];
        V[m * d2 + i] = v[i];
      }
      Den[m] = den;
      rho[m] = den > GUARD ? num / den : 0;
    }
  }
});
var VJP_WG = 256;
var vjpKernel = defineKernel({
  name: "spectral_radius.vjp",
  wgsl: `${common_default}
struct Params { n: u32, d: u32 }
@group(0) @binding(0) var<storage, read> U: array<f32>;
@group(0) @binding(1) var<storage, read> V: array<f32>;
@group(0) @binding(2) var<storage, read> Den: array<f32>;
@group(0) @binding(3) var<storage, read> DRho: array<f32>;
@group(0) @binding(4) var<storage, read_write> DA: array<f32>;
@group(0) @binding(5) var<uniform> P: Params;
@compute @workgroup_size(${VJP_WG})
fn power_vjp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let e = flat_id(wid, nwg, lid, ${VJP_WG}u);
  if (e >= P.n) { return; }
  let dd = P.d * P.d;
  let m = e / dd;
  let i = (e % dd) / P.d;
  let j = e % P.d;
  let den = Den[m];
  DA[e] = select(0.0, DRho[m] * U[m * P.d + i] * V[m * P.d + j] / den, den > ${GUARD});
}`,
  entry: "power_vjp",
  inputs: 4,
  outputs: 1,
  params: [["n", "u32"], ["d", "u32"]],
  workgroups: (p) => groupsFor(p.n, VJP_WG),
  cpu: ([U, V, Den, dRho], [dA], p) => {
    const { d: d2 } = p;
    for (let e = 0; e < p.n; e++) {
      const m = Math.floor(e / (d2 * d2));
      const i = Math.floor(e % (d2 * d2) / d2);
      const j = e % d2;
      dA[e] = Den[m] > GUARD ? dRho[m] * U[m * d2 + i] * V[m * d2 + j] / Den[m] : 0;
    }
  }
});
var spectralRadiusOp = defineOp({
  name: "spectralRadius",
  derivation: "\u03C1\u0302 = u\u1D40Av/(u\u1D40v) after T power iterations on A and A\u1D40; \u0100 = \u03C1\u0304\xB7u v\u1D40/(u\u1D40v) with u, v constant (the Perron-root derivative at convergence); \u03C1\u0302 := 0, \u0100 := 0 when u\u1D40v \u2264 1e-30.",
  forward: ([A], a) => {
    if (A.rank !== 3 || A.shape[1] !== A.shape[2]) throw new ShapeError("spectralRadius", `expected A [M, d, d], got ${fmt(A.shape)}`);
    const [M, d2] = A.shape;
    if (d2 > MAX_D) throw new ShapeError("spectralRadius", `d = ${d2} exceeds ${MAX_D} (vectors live in workgroup memory)`);
    const [rho, U, V, den] = launch(forwardKernel, [A], [[M], [M, d2], [M, d2], [M]], { M, d: d2, iterations: a.iterations, seed: a.seed, stream: a.stream });
    return { out: rho, saved: [U, V, den] };
  },
  vjp: ({ inputs: [A], saved: [U, V, den] }, dRho) => {
    const [M, d2] = A.shape;
    return launch(vjpKernel, [U, V, den, dRho], [[M, d2, d2]], { n: M * d2 * d2, d: d2 });
  },
  check: {
    cases: [
      { label: "positive 4\xD74, converged", shapes: [[2, 4, 4]], attrs: { iterations: 200, seed: 3, stream: 0 }, domains: ["positive"] },
      { label: "positive 7\xD77, converged", shapes: [[1, 7, 7]], attrs: { iterations: 300, seed: 5, stream: 1 }, domains: ["positive"] }
    ],
    gradTol: 1e-5
  }
});
var spectralRadiusOps = { spectralRadius: spectralRadiusOp };
var spectralRadius = (A, { iterations = 10, seed, stream = 0 }) => apply(spectralRadiusOp, [A], { iterations, seed, stream });

// kernels/strided.ts
var WG8 = 256;
var PARAMS3 = [["n", "u32"], ["base", "u32"], ...paramNames("s"), ...paramNames("a")];
function stridedKernel(kind) {
  const body = kind === "gather" ? "Y[i] = X[P.base + index_a(i)];" : "Y[P.base + index_a(i)] = X[i];";
  return defineKernel({
    name: `strided_${kind}`,
    wgsl: `${common_default}
struct Params { n: u32, base: u32, ${wgslFields("s")} ${wgslFields("a")} }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
${wgslIndex("a")}
@compute @workgroup_size(${WG8})
fn strided_${kind}(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG8}u);
  if (i >= P.n) { return; }
  ${body}
}`,
    entry: `strided_${kind}`,
    inputs: 1,
    outputs: 1,
    params: PARAMS3,
    workgroups: (p) => groupsFor(p.n, WG8),
    cpu: ([x], [y], p) => {
      const s = readShape("s", p);
      const a = readShape("a", p);
      const o = offsetTable(p.n, s, a);
      for (let i = 0; i < p.n; i++) {
        if (kind === "gather") y[i] = x[p.base + (o ? o[i] : i)];
        else y[p.base + (o ? o[i] : i)] = x[i];
      }
    }
  });
}
var gatherKernel = stridedKernel("gather");
var scatterKernel = stridedKernel("scatter");
function params(op, shape, strides, base) {
  const p = { n: sizeOf(shape), base };
  packShape("s", padShape(op, shape), p);
  packShape("a", [...Array(MAX_RANK - strides.length).fill(0), ...strides], p);
  return p;
}
function stridedRead(op, x, shape, strides, base = 0) {
  return launch1(gatherKernel, [x], shape, params(op, shape, strides, base));
}
function stridedWrite(op, x, target, strides, base = 0) {
  target.backend.run(scatterKernel, [x.storage], [target.storage], params(op, x.shape, strides, base));
}

// kernels/shape-ops.ts
function view(x, shape) {
  return new Tensor(x.backend, x.storage, shape);
}
function resolveShape(x, shape) {
  const free = shape.filter((s) => s === -1).length;
  if (free > 1) throw new ShapeError("reshape", `more than one -1 in ${fmt(shape)}`);
  const known = sizeOf(shape.filter((s) => s !== -1));
  const out = shape.map((s) => s === -1 ? x.size / Math.max(known, 1) : s);
  if (sizeOf(out) !== x.size || out.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new ShapeError("reshape", `cannot reshape ${fmt(x.shape)} (${x.size} elements) to ${fmt(shape)}`);
  }
  return out;
}
var reshapeOp = defineOp({
  name: "reshape",
  derivation: "y = x viewed with another shape (same storage); x\u0304 = \u0233 viewed with x's shape.",
  forward: ([x], { shape }) => ({ out: view(x, resolveShape(x, shape)) }),
  vjp: ({ inputs: [x] }, dy) => [view(dy, x.shape)],
  check: { cases: [{ shapes: [[2, 6]], attrs: { shape: [3, -1] } }] }
});
function permuteChecked(x, perm) {
  const rank = x.rank;
  const p = perm ?? [...Array(rank).keys()].map((k) => k === rank - 2 ? rank - 1 : k === rank - 1 ? rank - 2 : k);
  if (p.length !== rank || [...p].sort((a, b) => a - b).some((v, k) => v !== k)) {
    throw new ShapeError("transpose", `perm ${JSON.stringify(p)} is not a permutation of the axes of ${fmt(x.shape)}`);
  }
  return [...p];
}
function permute(x, perm) {
  const strides = stridesOf(x.shape);
  return stridedRead("transpose", x, perm.map((k) => x.shape[k]), perm.map((k) => strides[k]));
}
var transposeOp = defineOp({
  name: "transpose",
  derivation: "y = x with axes permuted by perm; x\u0304 = \u0233 permuted by the inverse permutation.",
  forward: ([x], { perm }) => ({ out: permute(x, permuteChecked(x, perm)) }),
  vjp: ({ inputs: [x], attrs }, dy) => {
    const perm = permuteChecked(x, attrs.perm);
    const inverse = perm.map((_, k) => perm.indexOf(k));
    return [permute(dy, inverse)];
  },
  check: {
    cases: [
      { label: "2-D", shapes: [[3, 5]], attrs: {} },
      { label: "3-D perm", shapes: [[2, 3, 4]], attrs: { perm: [1, 2, 0] } }
    ]
  }
});
function sliceGeometry(shape, axis, start, end) {
  const a = normAxis("slice", axis, shape.length);
  if (!(0 <= start && start <= end && end <= shape[a])) throw new ShapeError("slice", `range [${start}, ${end}) out of bounds for axis ${a} of ${fmt(shape)}`);
  const strides = stridesOf(shape);
  const out = shape.map((s, k) => k === a ? end - start : s);
  return { out, strides, base: start * strides[a] };
}
var sliceOp = defineOp({
  name: "slice",
  derivation: "y = x[start:end] along axis; x\u0304 = zeros(x.shape) with \u0233 written at [start:end].",
  forward: ([x], { axis, start, end }) => {
    const g = sliceGeometry(x.shape, axis, start, end);
    return { out: stridedRead("slice", x, g.out, g.strides, g.base) };
  },
  vjp: ({ inputs: [x], attrs }, dy) => {
    const g = sliceGeometry(x.shape, attrs.axis, attrs.start, attrs.end);
    const dx = fill2(x.backend, x.dtype, x.shape, 0);
    stridedWrite("slice.vjp", dy, dx, g.strides, g.base);
    return [dx];
  },
  check: { cases: [{ shapes: [[4, 6]], attrs: { axis: 1, start: 1, end: 4 } }, { shapes: [[5, 2, 3]], attrs: { axis: 0, start: 2, end: 5 } }] }
});
function concatShape(tensors, axis) {
  if (tensors.length === 0) throw new ShapeError("concat", "no tensors");
  const first = tensors[0].shape;
  const a = normAxis("concat", axis, first.length);
  for (const t of tensors) {
    if (t.rank !== first.length || t.shape.some((s, k) => k !== a && s !== first[k])) {
      throw new ShapeError("concat", `shapes ${tensors.map((x) => fmt(x.shape)).join(", ")} differ off axis ${a}`);
    }
  }
  return { a, out: first.map((s, k) => k === a ? tensors.reduce((acc, t) => acc + t.shape[a], 0) : s) };
}
var concatOp = defineOp({
  name: "concat",
  derivation: "y = [x\u2080 | x\u2081 | \u2026] along axis; x\u0304\u1D62 = \u0233[offset\u1D62 : offset\u1D62 + n\u1D62] along axis.",
  forward: (inputs, { axis }) => {
    const { a, out } = concatShape(inputs, axis);
    const y = fill2(inputs[0].backend, inputs[0].dtype, out, 0);
    const strides = stridesOf(out);
    let offset = 0;
    for (const t of inputs) {
      stridedWrite("concat", t, y, strides, offset * strides[a]);
      offset += t.shape[a];
    }
    return { out: y };
  },
  vjp: ({ inputs, attrs, needsGrad }, dy) => {
    const { a } = concatShape(inputs, attrs.axis);
    let offset = 0;
    return inputs.map((t, i) => {
      const start = offset;
      offset += t.shape[a];
      if (!needsGrad[i]) return null;
      const g = sliceGeometry(dy.shape, a, start, offset);
      return stridedRead("concat.vjp", dy, g.out, g.strides, g.base);
    });
  },
  check: { cases: [{ shapes: [[2, 3], [4, 3]], attrs: { axis: 0 } }, { shapes: [[2, 1], [2, 3], [2, 2]], attrs: { axis: 1 } }] }
});
var broadcastToOp = defineOp({
  name: "broadcastTo",
  derivation: "y = x repeated along broadcast axes; x\u0304 = \u03A3 of \u0233 over those axes.",
  forward: ([x], { shape }) => ({ out: stridedRead("broadcastTo", x, shape, broadcastStrides(x.shape, shape)) }),
  vjp: ({ inputs: [x] }, dy) => [sumToShape(dy, x.shape)],
  check: { cases: [{ shapes: [[3, 1]], attrs: { shape: [2, 3, 4] } }] }
});
var WG9 = 256;
var GATHER_PARAMS = [["n", "u32"], ["outer", "u32"], ["axisLen", "u32"], ["count", "u32"], ["inner", "u32"]];
var gatherKernel2 = defineKernel({
  name: "gather.fwd",
  wgsl: `${common_default}
struct Params { n: u32, outer: u32, axisLen: u32, count: u32, inner: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Idx: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WG9})
fn gather_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG9}u);
  if (i >= P.n) { return; }
  let r = i % P.inner;
  let q = (i / P.inner) % P.count;
  let o = i / (P.inner * P.count);
  Y[i] = X[(o * P.axisLen + u32(Idx[q])) * P.inner + r];
}`,
  entry: "gather_fwd",
  inputs: 2,
  outputs: 1,
  params: GATHER_PARAMS,
  workgroups: (p) => groupsFor(p.n, WG9),
  cpu: ([x, idx], [y], p) => {
    for (let i = 0; i < p.n; i++) {
      const r = i % p.inner;
      const q = Math.floor(i / p.inner) % p.count;
      const o = Math.floor(i / (p.inner * p.count));
      y[i] = x[(o * p.axisLen + idx[q]) * p.inner + r];
    }
  }
});
var gatherVjpKernel = defineKernel({
  name: "gather.vjp",
  wgsl: `${common_default}
struct Params { n: u32, outer: u32, axisLen: u32, count: u32, inner: u32 }
@group(0) @binding(0) var<storage, read> DY: array<f32>;
@group(0) @binding(1) var<storage, read> Idx: array<f32>;
@group(0) @binding(2) var<storage, read_write> DX: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WG9})
fn gather_vjp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG9}u);
  if (i >= P.n) { return; }
  let r = i % P.inner;
  let a = (i / P.inner) % P.axisLen;
  let o = i / (P.inner * P.axisLen);
  var acc = 0.0;
  for (var q = 0u; q < P.count; q++) {
    if (u32(Idx[q]) == a) { acc += DY[(o * P.count + q) * P.inner + r]; }
  }
  DX[i] = acc;
}`,
  entry: "gather_vjp",
  inputs: 2,
  outputs: 1,
  params: GATHER_PARAMS,
  workgroups: (p) => groupsFor(p.n, WG9),
  cpu: ([dy, idx], [dx], p) => {
    for (let i = 0; i < p.n; i++) {
      const r = i % p.inner;
      const a = Math.floor(i / p.inner) % p.axisLen;
      const o = Math.floor(i / (p.inner * p.axisLen));
      let acc = 0;
      for (let q = 0; q < p.count; q++) if (idx[q] === a) acc += dy[(o * p.count + q) * p.inner + r];
      dx[i] = acc;
    }
  }
});
function gatherGeometry(x, indices, axis) {
  const a = normAxis("gather", axis, x.rank);
  const outer = sizeOf(x.shape.slice(0, a));
  const inner = sizeOf(x.shape.slice(a + 1));
  const out = [...x.shape.slice(0, a), ...indices.shape, ...x.shape.slice(a + 1)];
  return { out, params: { outer, axisLen: x.shape[a], count: indices.size, inner } };
}
var gatherOp = defineOp({
  name: "gather",
  derivation: "y[o, q, r] = x[o, idx[q], r]; x\u0304[o, a, r] = \u03A3_{q: idx[q] = a} \u0233[o, q, r]. Indices carry no gradient.",
  forward: ([x, indices], { axis }) => {
    const g = gatherGeometry(x, indices, axis);
    return { out: launch1(gatherKernel2, [x, indices], g.out, { n: sizeOf(g.out), ...g.params }) };
  },
  vjp: ({ inputs: [x, indices], attrs }, dy) => {
    const g = gatherGeometry(x, indices, attrs.axis);
    return [launch1(gatherVjpKernel, [dy, indices], x.shape, { n: x.size, ...g.params }), null];
  },
  check: {
    nondiff: [1],
    cases: [
      { label: "rows", shapes: [[4, 3], [6]], attrs: { axis: 0 }, domains: ["real", { ints: 4 }] },
      { label: "middle axis", shapes: [[2, 5, 3], [2, 2]], attrs: { axis: 1 }, domains: ["real", { ints: 5 }] }
    ]
  }
});
var shapeOps = { reshape: reshapeOp, transpose: transposeOp, slice: sliceOp, concat: concatOp, broadcastTo: broadcastToOp, gather: gatherOp };
var reshape = (x, shape) => apply(reshapeOp, [x], { shape });
var transpose = (x, perm) => apply(transposeOp, [x], { perm });
var slice = (x, axis, start, end) => apply(sliceOp, [x], { axis, start, end });
var concat = (tensors, axis) => apply(concatOp, tensors, { axis });
var broadcastTo = (x, shape) => apply(broadcastToOp, [x], { shape });
var gather = (x, indices, axis = 0) => apply(gatherOp, [x, indices], { axis });

// kernels/reduce.ts
var WG10 = 256;
var PARAMS4 = [["n", "u32"], ["size", "u32"], ["inner", "u32"]];
var ARGS = "@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>";
function axisKernel(name, inputs, bindings2, body, cpu2, perInput = false) {
  return defineKernel({
    name,
    wgsl: `${common_default}
struct Params { n: u32, size: u32, inner: u32 }
${bindings2}
@compute @workgroup_size(${WG10})
fn main(${ARGS}) {
  let i = flat_id(wid, nwg, lid, ${WG10}u);
  if (i >= P.n) { return; }
  let inner = P.inner;
  let size = P.size;
  ${perInput ? "let o = (i / (size * inner)) * inner + i % inner; let b = (i / (size * inner)) * size * inner + i % inner;" : "let o = i; let b = (i / inner) * size * inner + i % inner;"}
  ${body}
}`,
    entry: "main",
    inputs,
    outputs: 1,
    params: PARAMS4,
    workgroups: (p) => groupsFor(p.n, WG10),
    cpu: (ins, [out], p) => {
      for (let i = 0; i < p.n; i++) {
        const outer = perInput ? Math.floor(i / (p.size * p.inner)) : Math.floor(i / p.inner);
        cpu2(ins, out, i, outer * p.size * p.inner + i % p.inner, p.size, p.inner);
      }
    }
  });
}
var maxKernel = axisKernel(
  "max.fwd",
  1,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`,
  `var m = X[b];
  for (var k = 1u; k < size; k++) { m = max(m, X[b + k * inner]); }
  Y[o] = m;`,
  ([x], y, o, b, size, inner) => {
    let m = x[b];
    for (let k = 1; k < size; k++) m = Math.max(m, x[b + k * inner]);
    y[o] = m;
  }
);
var maxVjpKernel = axisKernel(
  "max.vjp",
  3,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;`,
  `let y = Yv[o];
  var ties = 0.0;
  for (var k = 0u; k < size; k++) { ties += select(0.0, 1.0, X[b + k * inner] == y); }
  DX[i] = select(0.0, DY[o] / ties, X[i] == y);`,
  ([x, y, dy], dx, i, b, size, inner) => {
    const o = Math.floor((b - b % inner) / (size * inner)) * inner + b % inner;
    let ties = 0;
    for (let k = 0; k < size; k++) ties += x[b + k * inner] === y[o] ? 1 : 0;
    dx[i] = x[i] === y[o] ? dy[o] / ties : 0;
  },
  true
);
var lseKernel = axisKernel(
  "logsumexp.fwd",
  1,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;`,
  `var m = X[b];
  for (var k = 1u; k < size; k++) { m = max(m, X[b + k * inner]); }
  if (m < -3.0e38) { Y[o] = m; return; }
  var s = 0.0;
  for (var k = 0u; k < size; k++) { s += exp(X[b + k * inner] - m); }
  Y[o] = m + log(s);`,
  ([x], y, o, b, size, inner) => {
    let m = -Infinity;
    for (let k = 0; k < size; k++) m = Math.max(m, x[b + k * inner]);
    if (m === -Infinity) {
      y[o] = m;
      return;
    }
    let s = 0;
    for (let k = 0; k < size; k++) s += Math.exp(x[b + k * inner] - m);
    y[o] = m + Math.log(s);
  }
);
var lseVjpKernel = axisKernel(
  "logsumexp.vjp",
  3,
  `@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> Yv: array<f32>;
@group(0) @binding(2) var<storage, read> DY: array<f32>;
@group(0) @binding(3) var<storage, read_write> DX: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;`,
  `let y = Yv[o];
  DX[i] = select(DY[o] * exp(X[i] - y), 0.0, y < -3.0e38 || X[i] < -3.0e38);`,
  ([x, y, dy], dx, i, b, size, inner) => {
    const o = Math.floor((b - b % inner) / (size * inner)) * inner + b % inner;
    dx[i] = y[o] === -Infinity || x[i] === -Infinity ? 0 : dy[o] * Math.exp(x[i] - y[o]);
  },
  true
);
function keptShape(shape, axes) {
  return shape.map((s, k) => axes.includes(k) ? 1 : s);
}
function finalShape(shape, axes, keepDims) {
  return keepDims ? keptShape(shape, axes) : shape.filter((_, k) => !axes.includes(k));
}
function normAxes(op, axes, rank) {
  if (axes === void 0) return [...Array(rank).keys()];
  return [...new Set((typeof axes === "number" ? [axes] : axes).map((a) => normAxis(op, a, rank)))];
}
var view2 = (t, shape) => new Tensor(t.backend, t.storage, shape);
function sumLike(name, scaled) {
  return defineOp({
    name,
    derivation: scaled ? "y = (1/count)\xB7\u03A3_axes x; x\u0304 = \u0233/count broadcast back to x's shape." : "y = \u03A3_axes x; x\u0304 = \u0233 broadcast back to x's shape.",
    forward: ([x], { axes, keepDims }) => {
      const ax = normAxes(name, axes, x.rank);
      let y = sumToShape(x, keptShape(x.shape, ax));
      if (scaled) y = unaryOps.affine.forward([y], { p0: 1 / Math.max(1, sizeOf(ax.map((a) => x.shape[a]))), p1: 0 }).out;
      return { out: view2(y, finalShape(x.shape, ax, keepDims)) };
    },
    vjp: ({ inputs: [x], attrs }, dy) => {
      const ax = normAxes(name, attrs.axes, x.rank);
      let g = broadcastTo(view2(dy, keptShape(x.shape, ax)), x.shape);
      if (scaled) g = unaryOps.affine.forward([g], { p0: 1 / Math.max(1, sizeOf(ax.map((a) => x.shape[a]))), p1: 0 }).out;
      return [g];
    },
    check: {
      cases: [
        { label: "all", shapes: [[3, 4]], attrs: { keepDims: false, scale: 1 } },
        { label: "axis 1 keepDims", shapes: [[2, 3, 4]], attrs: { axes: 1, keepDims: true, scale: 1 } },
        { label: "axes 0,2", shapes: [[2, 3, 4]], attrs: { axes: [0, 2], keepDims: false, scale: 1 } }
      ]
    }
  });
}
function axisOp(name, fwd, vjp, derivation) {
  return defineOp({
    name,
    derivation,
    forward: ([x], { axis, keepDims }) => {
      const a = normAxis(name, axis, x.rank);
      const [outer, size, inner] = splitAxis(x.shape, a);
      const y = launch1(fwd, [x], keptShape(x.shape, [a]), { n: outer * inner, size, inner });
      return { out: keepDims ? y : view2(y, finalShape(x.shape, [a], false)) };
    },
    vjp: ({ inputs: [x], out, attrs }, dy) => {
      const a = normAxis(name, attrs.axis, x.rank);
      const [, size, inner] = splitAxis(x.shape, a);
      return [launch1(vjp, [x, out, dy], x.shape, { n: x.size, size, inner })];
    },
    check: {
      cases: [
        { label: "last axis", shapes: [[3, 5]], attrs: { axis: -1, keepDims: false } },
        { label: "middle axis keepDims", shapes: [[2, 4, 3]], attrs: { axis: 1, keepDims: true } }
      ]
    }
  });
}
var reduceOps = {
  sum: sumLike("sum", false),
  mean: sumLike("mean", true),
  max: axisOp("max", maxKernel, maxVjpKernel, "y = max_k x_k; x\u0304_k = \u0233\xB71[x_k = y]/#ties (ties share \u0233 equally)."),
  logsumexp: axisOp("logsumexp", lseKernel, lseVjpKernel, "y = c + log \u03A3 e^{x\u2212c}, c = max x; x\u0304 = \u0233\xB7e^{x\u2212y} (saves y); all \u2212\u221E \u21D2 y = \u2212\u221E, x\u0304 = 0.")
};
var sum = (x, axes, keepDims = false) => apply(reduceOps.sum, [x], { axes, keepDims, scale: 1 });
var logsumexp = (x, axis, keepDims = false) => apply(reduceOps.logsumexp, [x], { axis, keepDims });

// kernels/select.ts
var WG11 = 256;
var whereKernel = defineKernel({
  name: "where.fwd",
  wgsl: `${common_default}
struct Params { n: u32, ${wgslFields("s")} ${wgslFields("c")} ${wgslFields("a")} ${wgslFields("b")} }
@group(0) @binding(0) var<storage, read> C: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
${wgslIndex("c")}
${wgslIndex("a")}
${wgslIndex("b")}
@compute @workgroup_size(${WG11})
fn where_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i = flat_id(wid, nwg, lid, ${WG11}u);
  if (i >= P.n) { return; }
  Y[i] = select(B[index_b(i)], A[index_a(i)], C[index_c(i)] != 0.0);
}`,
  entry: "where_fwd",
  inputs: 3,
  outputs: 1,
  params: [["n", "u32"], ...paramNames("s"), ...paramNames("c"), ...paramNames("a"), ...paramNames("b")],
  workgroups: (p) => groupsFor(p.n, WG11),
  cpu: ([c, a, b], [y], p) => {
    const s = readShape("s", p);
    const [sc, sa, sb] = ["c", "a", "b"].map((k) => readShape(k, p));
    const [oc, oa, ob] = [sc, sa, sb].map((st) => offsetTable(p.n, s, st));
    for (let i = 0; i < p.n; i++) y[i] = c[oc ? oc[i] : i] !== 0 ? a[oa ? oa[i] : i] : b[ob ? ob[i] : i];
  }
});
var whereOp = defineOp({
  name: "where",
  derivation: "y = a where c \u2260 0 else b; \u0101 = \u03A3_bcast \u0233\xB7c, b\u0304 = \u03A3_bcast \u0233\xB7(1 \u2212 c); the condition has no gradient.",
  forward: ([c, a, b]) => {
    const out = broadcastShapes("where", broadcastShapes("where", c.shape, a.shape), b.shape);
    return { out: launch1(whereKernel, [c, a, b], out, broadcastParams("where", out, { c: c.shape, a: a.shape, b: b.shape })) };
  },
  vjp: ({ inputs: [c, a, b], needsGrad }, dy) => {
    const notC = () => unaryOps.affine.forward([c], { p0: -1, p1: 1 }).out;
    return [null, needsGrad[1] ? sumToShape(runBinary("mul", dy, c), a.shape) : null, needsGrad[2] ? sumToShape(runBinary("mul", dy, notC()), b.shape) : null];
  },
  check: {
    nondiff: [0],
    cases: [
      { label: "same shape", shapes: [[3, 4], [3, 4], [3, 4]], attrs: {}, domains: [{ values: [0, 1] }, "real", "real"] },
      { label: "broadcast", shapes: [[3, 1], [4], [3, 4]], attrs: {}, domains: [{ values: [0, 1] }, "real", "real"] }
    ]
  }
});
var COMPARE = {
  greater: { wgsl: "select(0.0, 1.0, a > b)", cpu: (a, b) => a > b ? 1 : 0 },
  greaterEqual: { wgsl: "select(0.0, 1.0, a >= b)", cpu: (a, b) => a >= b ? 1 : 0 },
  less: { wgsl: "select(0.0, 1.0, a < b)", cpu: (a, b) => a < b ? 1 : 0 },
  lessEqual: { wgsl: "select(0.0, 1.0, a <= b)", cpu: (a, b) => a <= b ? 1 : 0 },
  equal: { wgsl: "select(0.0, 1.0, a == b)", cpu: (a, b) => a === b ? 1 : 0 },
  notEqual: { wgsl: "select(0.0, 1.0, a != b)", cpu: (a, b) => a !== b ? 1 : 0 }
};
function compareOp(name) {
  const kernel2 = binaryKernel(name, COMPARE[name]);
  return defineOp({
    name,
    derivation: `y = 1[a ${name} b] \u2208 {0, 1}; piecewise constant, so no gradient.`,
    forward: ([a, b]) => {
      const out = broadcastShapes(name, a.shape, b.shape);
      return { out: launch1(kernel2, [a, b], out, broadcastParams(name, out, { a: a.shape, b: b.shape })) };
    },
    vjp: { none: "a comparison is piecewise constant: its derivative is 0 almost everywhere" },
    check: { cases: [{ shapes: [[3, 4], [4]], attrs: {}, domains: [{ values: [0, 1, 2] }, { values: [0, 1, 2] }] }] }
  });
}
var selectOps = {
  where: whereOp,
  ...Object.fromEntries(Object.keys(COMPARE).map((n) => [n, compareOp(n)]))
};
var cmp = (name) => (a, b) => apply(selectOps[name], [a, b], {});
var greater = cmp("greater");
var greaterEqual = cmp("greaterEqual");
var less = cmp("less");
var lessEqual = cmp("lessEqual");
var equal = cmp("equal");
var notEqual = cmp("notEqual");

// kernels/matmul.ts
var R = 8;
var KC = 32;
var LANES = 32;
var COLS = LANES * 4;
var matmulKernel = defineKernel({
  name: "matmul.tiled",
  wgsl: (
    /* wgsl */
    `
struct Params { m: u32, n: u32, k: u32, transA: u32, strideA: u32, strideB: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
var<workgroup> As: array<f32, ${R * KC}>;

fn a_at(base: u32, i: u32, k: u32) -> f32 {
  if (i >= P.m || k >= P.k) { return 0.0; }
  if (P.transA == 1u) { return A[base + k * P.m + i]; }
  return A[base + i * P.k + k];
}

@compute @workgroup_size(${LANES})
fn matmul_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let batch = wid.z;
  let row0 = wid.y * ${R}u;
  let col = (wid.x * ${LANES}u + lid.x) * 4u;
  let aBase = batch * P.strideA;
  let bBase = batch * P.strideB;
  let nLast = P.n - 1u;
  let c0 = min(col, nLast); let c1 = min(col + 1u, nLast); let c2 = min(col + 2u, nLast); let c3 = min(col + 3u, nLast);
  var acc: array<vec4<f32>, ${R}>;
  for (var k0 = 0u; k0 < P.k; k0 += ${KC}u) {
    for (var t = 0u; t < ${R * KC / LANES}u; t++) {
      let e = t * ${LANES}u + lid.x;
      As[e] = a_at(aBase, row0 + e / ${KC}u, k0 + e % ${KC}u);
    }
    workgroupBarrier();
    let kEnd = min(${KC}u, P.k - k0);
    for (var kk = 0u; kk < kEnd; kk++) {
      let rowB = bBase + (k0 + kk) * P.n;
      let b = vec4<f32>(B[rowB + c0], B[rowB + c1], B[rowB + c2], B[rowB + c3]);
      for (var r = 0u; r < ${R}u; r++) {
        acc[r] += As[r * ${KC}u + kk] * b;
      }
    }
    workgroupBarrier();
  }
  let cBase = batch * P.m * P.n;
  for (var r = 0u; r < ${R}u; r++) {
    let i = row0 + r;
    if (i >= P.m) { break; }
    let o = cBase + i * P.n;
    let v = acc[r];
    if (col < P.n) { C[o + col] = v.x; }
    if (col + 1u < P.n) { C[o + col + 1u] = v.y; }
    if (col + 2u < P.n) { C[o + col + 2u] = v.z; }
    if (col + 3u < P.n) { C[o + col + 3u] = v.w; }
  }
}`
  ),
  entry: "matmul_tiled",
  inputs: 2,
  outputs: 1,
  params: [["m", "u32"], ["n", "u32"], ["k", "u32"], ["transA", "u32"], ["strideA", "u32"], ["strideB", "u32"], ["batch", "u32"]],
  workgroups: (p) => [Math.ceil(p.n / COLS), Math.ceil(p.m / R), p.batch],
  cpu: ([a, b], [c], p) => {
    const { m, n, k } = p;
    for (let z = 0; z < p.batch; z++) {
      const aBase = z * p.strideA;
      const bBase = z * p.strideB;
      const cBase = z * m * n;
      c.fill(0, cBase, cBase + m * n);
      for (let i = 0; i < m; i++) {
        for (let kk = 0; kk < k; kk++) {
          const av = p.transA ? a[aBase + kk * m + i] : a[aBase + i * k + kk];
          if (av === 0) continue;
          const row = bBase + kk * n;
          for (let j = 0; j < n; j++) c[cBase + i * n + j] += av * b[row + j];
        }
      }
    }
  }
});
function geometry(a, b, { transposeA, transposeB }) {
  const describe = () => `${fmt(a.shape)}${transposeA ? "\u1D40" : ""} \xB7 ${fmt(b.shape)}${transposeB ? "\u1D40" : ""}`;
  if (a.rank < 2 || a.rank > 3 || b.rank < 2 || b.rank > 3) throw new ShapeError("matmul", `operands must be 2-D or 3-D: ${describe()}`);
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [m, ka] = transposeA ? [ac, ar] : [ar, ac];
  const [kb, n] = transposeB ? [bc, br] : [br, bc];
  if (ka !== kb) throw new ShapeError("matmul", `inner sizes differ (${ka} vs ${kb}): ${describe()}`);
  const batchA = a.rank === 3 ? a.shape[0] : 1;
  const batchB = b.rank === 3 ? b.shape[0] : 1;
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) throw new ShapeError("matmul", `batch sizes differ: ${describe()}`);
  const batch = Math.max(batchA, batchB);
  const out = a.rank === 3 || b.rank === 3 ? [batch, m, n] : [m, n];
  return { m, n, k: ka, batch, out, strideA: a.rank === 3 && batchA > 1 ? m * ka : 0, strideB: b.rank === 3 && batchB > 1 ? ka * n : 0 };
}
function run(a, b, attrs) {
  const g = geometry(a, b, attrs);
  const bRowMajor = attrs.transposeB ? transposeOp.forward([b], {}).out : b;
  return launch1(matmulKernel, [a, bRowMajor], g.out, {
    m: g.m,
    n: g.n,
    k: g.k,
    transA: attrs.transposeA ? 1 : 0,
    strideA: g.strideA,
    strideB: g.strideB,
    batch: g.batch
  });
}
var CASES2 = [
  { label: "AB", shapes: [[3, 5], [5, 4]], attrs: { transposeA: false, transposeB: false } },
  { label: "A\u1D40B", shapes: [[5, 3], [5, 4]], attrs: { transposeA: true, transposeB: false } },
  { label: "AB\u1D40", shapes: [[3, 5], [4, 5]], attrs: { transposeA: false, transposeB: true } },
  { label: "A\u1D40B\u1D40", shapes: [[5, 3], [4, 5]], attrs: { transposeA: true, transposeB: true } },
  { label: "batched", shapes: [[2, 3, 5], [2, 5, 4]], attrs: { transposeA: false, transposeB: false } },
  { label: "shared B", shapes: [[2, 9, 5], [5, 130]], attrs: { transposeA: false, transposeB: false } },
  { label: "shared A, B\u1D40", shapes: [[3, 5], [2, 4, 5]], attrs: { transposeA: false, transposeB: true } }
];
var matmulOp = defineOp({
  name: "matmul",
  derivation: "C = op(A)\xB7op(B); \u0100 and B\u0304 are matmuls of C\u0304 with the other operand with flags flipped (table in kernels/matmul.ts); a 2-D operand shared over the batch gets \u03A3_batch.",
  forward: ([a, b], attrs) => ({ out: run(a, b, attrs) }),
  vjp: ({ inputs: [a, b], attrs, needsGrad }, dC) => {
    const tA = attrs.transposeA;
    const tB = attrs.transposeB;
    let dA = null;
    let dB = null;
    if (needsGrad[0]) {
      dA = tA ? run(b, dC, { transposeA: tB, transposeB: true }) : run(dC, b, { transposeA: false, transposeB: !tB });
      dA = sumToShape(dA, a.rank === 2 && dA.rank === 3 ? [1, ...a.shape] : a.shape);
      if (dA.rank !== a.rank) dA = dropBatch(dA, a.shape);
    }
    if (needsGrad[1]) {
      dB = tB ? run(dC, a, { transposeA: true, transposeB: tA }) : run(a, dC, { transposeA: !tA, transposeB: false });
      dB = sumToShape(dB, b.rank === 2 && dB.rank === 3 ? [1, ...b.shape] : b.shape);
      if (dB.rank !== b.rank) dB = dropBatch(dB, b.shape);
    }
    return [dA, dB];
  },
  check: { cases: CASES2 }
});
function dropBatch(t, shape) {
  return new Tensor(t.backend, t.storage, shape);
}
var matmulOps = { matmul: matmulOp };
var matmul = (a, b, { transposeA = false, transposeB = false } = {}) => apply(matmulOp, [a, b], { transposeA, transposeB });

// kernels/gumbel-sigmoid.ts
var WG12 = 256;
var PARAMS5 = [
  ["n", "u32"],
  ["size", "u32"],
  ["cols", "u32"],
  ["tau", "f32"],
  ["seed", "u32"],
  ["stream", "u32"],
  ["offset", "u32"],
  ["zeroDiagonal", "u32"]
];
var STRUCT = "struct Params { n: u32, size: u32, cols: u32, tau: f32, seed: u32, stream: u32, offset: u32, zeroDiagonal: u32 }";
var ARGS2 = "@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>";
function onDiagonal(e, cols) {
  const inMatrix = e % (cols * cols);
  return Math.floor(inMatrix / cols) === inMatrix % cols;
}
function sampleKernel(kind) {
  const value = kind === "gumbel" ? "sigmoid_stable((Z[e] + noise) / P.tau)" : "select(0.0, 1.0, Z[e] + noise > 0.0)";
  return defineKernel({
    name: `${kind}.fwd`,
    wgsl: `${common_default}
${prng_default}
${STRUCT}
@group(0) @binding(0) var<storage, read> Z: array<f32>;
@group(0) @binding(1) var<storage, read_write> Y: array<f32>;
@group(0) @binding(2) var<uniform> P: Params;
@compute @workgroup_size(${WG12})
fn ${kind}_fwd(${ARGS2}) {
  let i = flat_id(wid, nwg, lid, ${WG12}u);
  if (i >= P.n) { return; }
  let e = i % P.size;
  let inMatrix = e % (P.cols * P.cols);
  if (P.zeroDiagonal == 1u && inMatrix / P.cols == inMatrix % P.cols) { Y[i] = 0.0; return; }
  let noise = logistic_noise(P.seed, P.stream, P.offset + i);
  Y[i] = ${value};
}`,
    entry: `${kind}_fwd`,
    inputs: 1,
    outputs: 1,
    params: PARAMS5,
    workgroups: (p) => groupsFor(p.n, WG12),
    cpu: ([z], [y], p) => {
      for (let i = 0; i < p.n; i++) {
        const e = i % p.size;
        if (p.zeroDiagonal && onDiagonal(e, p.cols)) {
          y[i] = 0;
          continue;
        }
        const noise = logisticNoise(p.seed, p.stream, p.offset + i >>> 0);
        y[i] = kind === "gumbel" ? sigmoid((z[e] + noise) / p.tau) : z[e] + noise > 0 ? 1 : 0;
      }
    }
  });
}
var gumbelKernel = sampleKernel("gumbel");
var bernoulliKernel = sampleKernel("bernoulli");
var gumbelVjpKernel = defineKernel({
  name: "gumbel.vjp",
  wgsl: `${common_default}
${STRUCT}
@group(0) @binding(0) var<storage, read> Y: array<f32>;
@group(0) @binding(1) var<storage, read> DY: array<f32>;
@group(0) @binding(2) var<storage, read_write> DZ: array<f32>;
@group(0) @binding(3) var<uniform> P: Params;
@compute @workgroup_size(${WG12})
fn gumbel_vjp(${ARGS2}) {
  let e = flat_id(wid, nwg, lid, ${WG12}u);
  if (e >= P.size) { return; }
  var acc = 0.0;
  for (var i = e; i < P.n; i += P.size) {
    let y = Y[i];
    acc += DY[i] * y * (1.0 - y);
  }
  DZ[e] = acc / P.tau;
}`,
  entry: "gumbel_vjp",
  inputs: 2,
  outputs: 1,
  params: PARAMS5,
  workgroups: (p) => groupsFor(p.size, WG12),
  cpu: ([y, dy], [dz], p) => {
    for (let e = 0; e < p.size; e++) {
      let acc = 0;
      for (let i = e; i < p.n; i += p.size) acc += dy[i] * y[i] * (1 - y[i]);
      dz[e] = acc / p.tau;
    }
  }
});
function params2(z, a) {
  const cols = z.rank >= 2 ? z.shape[z.rank - 1] : Math.max(z.size, 1);
  return {
    n: a.samples * z.size,
    size: z.size,
    cols: Math.max(cols, 1),
    tau: a.tau,
    seed: a.seed,
    stream: a.stream,
    offset: a.offset,
    zeroDiagonal: a.zeroDiagonal ? 1 : 0
  };
}
var CHECK = {
  cases: [
    { label: "edge logits, zero diagonal", shapes: [[3, 3]], attrs: { samples: 4, tau: 1, seed: 7, stream: 2, offset: 0, zeroDiagonal: true } },
    { label: "target logits, \u03C4 = 0.5", shapes: [[2, 5]], attrs: { samples: 3, tau: 0.5, seed: 9, stream: 1, offset: 11, zeroDiagonal: false } }
  ]
};
var gumbelSigmoidOp = defineOp({
  name: "gumbelSigmoid",
  derivation: "y = \u03C3((z + L)/\u03C4) per sample, L logistic from the Philox stream; z\u0304 = \u03A3_samples \u0233\xB7y(1\u2212y)/\u03C4 (saves y and the counter, never L).",
  forward: ([z], a) => ({ out: launch1(gumbelKernel, [z], [a.samples, ...z.shape], params2(z, a)) }),
  vjp: ({ inputs: [z], out, attrs }, dy) => [launch1(gumbelVjpKernel, [out, dy], z.shape, params2(z, attrs))],
  check: CHECK
});
var hardBernoulliOp = defineOp({
  name: "hardBernoulli",
  derivation: "y = 1[z + L > 0] ~ Bern(\u03C3(z)), the same L as gumbelSigmoid for the same counter.",
  forward: ([z], a) => ({ out: launch1(bernoulliKernel, [z], [a.samples, ...z.shape], params2(z, a)) }),
  vjp: { none: "a hard sample is piecewise constant in z" },
  check: CHECK
});
var gumbelOps = { gumbelSigmoid: gumbelSigmoidOp, hardBernoulli: hardBernoulliOp };
var attrsOf = (o) => ({ samples: o.samples, tau: o.tau ?? 1, seed: o.seed, stream: o.stream, offset: o.offset ?? 0, zeroDiagonal: o.zeroDiagonal ?? false });
var gumbelSigmoid = (z, options) => apply(gumbelSigmoidOp, [z], attrsOf(options));
var hardBernoulli = (z, options) => apply(hardBernoulliOp, [z], attrsOf(options));

// kernels/linear-mechanism.ts
var MAX_D2 = 128;
var NB = 64;
var WG1 = 64;
function lanesFor(n) {
  return Math.min(64, Math.max(8, Math.ceil(n / 8) * 8));
}
function perLaneCount(make) {
  const cache2 = /* @__PURE__ */ new Map();
  return (wg) => {
    let k = cache2.get(wg);
    if (!k) cache2.set(wg, k = make(wg));
    return k;
  };
}
var PRELUDE = (
  /* wgsl */
  `${common_default}
override WG: u32 = 32u;
const NB: u32 = ${NB}u;
const MAX_D: u32 = ${MAX_D2}u;
struct Params { N: u32, d: u32, M: u32 }
@group(0) @binding(0) var<storage, read> In0: array<f32>;
@group(0) @binding(1) var<storage, read> In1: array<f32>;
`
);
var WGSL3 = (
  /* wgsl */
  `${PRELUDE}
@group(0) @binding(2) var<storage, read> In2: array<f32>;
@group(0) @binding(3) var<storage, read_write> Out3: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;

// lin_fwd: In0 = X, In1 = G, In2 = \u0398, Out3 = \u03BC.
@compute @workgroup_size(WG)
fn lin_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let m = wid.z;
  let j = wid.x * WG + lid.x;
  let jc = min(j, d - 1u);
  var w: array<f32, MAX_D>;
  for (var i = 0u; i < d; i++) { w[i] = In1[(m * d + i) * d + jc] * In2[i * d + jc]; }
  let n1 = min(wid.y * NB + NB, N);
  for (var n = wid.y * NB; n < n1; n += 4u) {
    let x0 = n * d; let x1 = min(n + 1u, N - 1u) * d; let x2 = min(n + 2u, N - 1u) * d; let x3 = min(n + 3u, N - 1u) * d;
    var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0;
    for (var i = 0u; i < d; i++) {
      let wi = w[i];
      a0 += In0[x0 + i] * wi; a1 += In0[x1 + i] * wi; a2 += In0[x2 + i] * wi; a3 += In0[x3 + i] * wi;
    }
    let o = (m * N + n) * d + j;
    if (j < d) {
      Out3[o] = a0;
      if (n + 1u < n1) { Out3[o + d] = a1; }
      if (n + 2u < n1) { Out3[o + 2u * d] = a2; }
      if (n + 3u < n1) { Out3[o + 3u * d] = a3; }
    }
  }
}

// lin_dx: In0 = G, In1 = \u0398, In2 = \u03BC\u0304, Out3 = X\u0304.
@compute @workgroup_size(WG)
fn lin_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N;
  let i = wid.x * WG + lid.x;
  let ic = min(i, d - 1u);
  let n0 = wid.y * NB;
  let rows = min(NB, N - n0);
  var w: array<f32, MAX_D>;
  var acc: array<f32, NB>;
  for (var m = 0u; m < P.M; m++) {
    for (var j = 0u; j < d; j++) { w[j] = In0[(m * d + ic) * d + j] * In1[ic * d + j]; }
    for (var r = 0u; r < rows; r++) {
      let g = ((m * N) + n0 + r) * d;
      var s = 0.0;
      for (var j = 0u; j < d; j++) { s += In2[g + j] * w[j]; }
      acc[r] += s;
    }
  }
  if (i < d) {
    for (var r = 0u; r < rows; r++) { Out3[(n0 + r) * d + i] = acc[r]; }
  }
}

`
);
var WGSL2 = (
  /* wgsl */
  `${PRELUDE}
@group(0) @binding(2) var<storage, read_write> Out2: array<f32>;
@group(0) @binding(3) var<uniform> P3: Params;

// lin_r: In0 = X, In1 = \u03BC\u0304, Out2 = R.
@compute @workgroup_size(WG)
fn lin_r(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P3.d; let N = P3.N; let m = wid.z;
  let j = wid.x * WG + lid.x;
  let jc = min(j, d - 1u);
  let i0 = wid.y * 8u;
  var c: array<u32, 8>;
  for (var k = 0u; k < 8u; k++) { c[k] = min(i0 + k, d - 1u); }
  let c0 = c[0]; let c1 = c[1]; let c2 = c[2]; let c3 = c[3]; let c4 = c[4]; let c5 = c[5]; let c6 = c[6]; let c7 = c[7];
  var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0; var a4 = 0.0; var a5 = 0.0; var a6 = 0.0; var a7 = 0.0;
  for (var n = 0u; n < N; n++) {
    let g = In1[(m * N + n) * d + jc];
    let x = n * d;
    a0 += In0[x + c0] * g; a1 += In0[x + c1] * g; a2 += In0[x + c2] * g; a3 += In0[x + c3] * g;
    a4 += In0[x + c4] * g; a5 += In0[x + c5] * g; a6 += In0[x + c6] * g; a7 += In0[x + c7] * g;
  }
  if (j < d) {
    let a = array<f32, 8>(a0, a1, a2, a3, a4, a5, a6, a7);
    for (var k = 0u; k < 8u; k++) {
      if (i0 + k < d) { Out2[(m * d + i0 + k) * d + j] = a[k]; }
    }
  }
}

// lin_dtheta: In0 = R, In1 = G, Out2 = \u0398\u0304.   lin_dg: In0 = R, In1 = \u0398, Out2 = \u1E20.
@compute @workgroup_size(${WG1})
fn lin_dtheta(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = flat_id(wid, nwg, lid, ${WG1}u);
  let dd = P3.d * P3.d;
  if (t >= dd) { return; }
  var s = 0.0;
  for (var m = 0u; m < P3.M; m++) { s += In0[m * dd + t] * In1[m * dd + t]; }
  Out2[t] = s;
}

@compute @workgroup_size(${WG1})
fn lin_dg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = flat_id(wid, nwg, lid, ${WG1}u);
  let dd = P3.d * P3.d;
  if (t >= P3.M * dd) { return; }
  Out2[t] = In0[t] * In1[t % dd];
}
`
);
var PARAMS6 = [["N", "u32"], ["d", "u32"], ["M", "u32"]];
var fwdKernel = perLaneCount(
  (wg) => defineKernel({
    name: `linear_mechanism.fwd.wg${wg}`,
    wgsl: WGSL3,
    entry: "lin_fwd",
    constants: { WG: wg },
    inputs: 3,
    outputs: 1,
    params: PARAMS6,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.N / NB), p.M],
    cpu: ([x, g, th], [mu], { N, d: d2, M }) => {
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let j = 0; j < d2; j++) {
            let s = 0;
            for (let i = 0; i < d2; i++) s += x[n * d2 + i] * g[(m * d2 + i) * d2 + j] * th[i * d2 + j];
            mu[(m * N + n) * d2 + j] = s;
          }
    }
  })
);
var rKernel = perLaneCount(
  (wg) => defineKernel({
    name: `linear_mechanism.r.wg${wg}`,
    wgsl: WGSL2,
    entry: "lin_r",
    constants: { WG: wg },
    inputs: 2,
    outputs: 1,
    params: PARAMS6,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.d / 8), p.M],
    cpu: ([x, dmu], [r], { N, d: d2, M }) => {
      r.fill(0);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let i = 0; i < d2; i++)
            for (let j = 0; j < d2; j++) r[(m * d2 + i) * d2 + j] += x[n * d2 + i] * dmu[(m * N + n) * d2 + j];
    }
  })
);
var dthetaKernel = defineKernel({
  name: "linear_mechanism.dtheta",
  wgsl: WGSL2,
  entry: "lin_dtheta",
  inputs: 2,
  outputs: 1,
  params: PARAMS6,
  workgroups: (p) => groupsFor(p.d * p.d, WG1),
  cpu: ([r, g], [dth], { d: d2, M }) => {
    dth.fill(0);
    for (let m = 0; m < M; m++) for (let t = 0; t < d2 * d2; t++) dth[t] += r[m * d2 * d2 + t] * g[m * d2 * d2 + t];
  }
});
var dgKernel = defineKernel({
  name: "linear_mechanism.dg",
  wgsl: WGSL2,
  entry: "lin_dg",
  inputs: 2,
  outputs: 1,
  params: PARAMS6,
  workgroups: (p) => groupsFor(p.M * p.d * p.d, WG1),
  cpu: ([r, th], [dg], { d: d2, M }) => {
    for (let t = 0; t < M * d2 * d2; t++) dg[t] = r[t] * th[t % (d2 * d2)];
  }
});
var dxKernel = perLaneCount(
  (wg) => defineKernel({
    name: `linear_mechanism.dx.wg${wg}`,
    wgsl: WGSL3,
    entry: "lin_dx",
    constants: { WG: wg },
    inputs: 3,
    outputs: 1,
    params: PARAMS6,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.N / NB), 1],
    cpu: ([g, th, dmu], [dx], { N, d: d2, M }) => {
      dx.fill(0);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let i = 0; i < d2; i++) {
            let s = 0;
            for (let j = 0; j < d2; j++) s += dmu[(m * N + n) * d2 + j] * g[(m * d2 + i) * d2 + j] * th[i * d2 + j];
            dx[n * d2 + i] += s;
          }
    }
  })
);
function dimsOf(op, x, g, theta) {
  const [N, d2] = x.shape;
  const M = g.shape[0];
  const ok = x.rank === 2 && g.rank === 3 && g.shape[1] === d2 && g.shape[2] === d2 && theta.rank === 2 && theta.shape[0] === d2 && theta.shape[1] === d2;
  if (!ok) throw new ShapeError(op, `expected X [N, d], G [M, d, d], \u0398 [d, d]; got ${fmt(x.shape)}, ${fmt(g.shape)}, ${fmt(theta.shape)}`);
  if (d2 > MAX_D2) throw new ShapeError(op, `d = ${d2} exceeds ${MAX_D2} (the per-lane private row)`);
  return { N, d: d2, M };
}
var linearMechanismOp = defineOp({
  name: "linearMechanism",
  derivation: "\u03BC[m,n,j] = \u03A3_i X[n,i] G[m,i,j] \u0398[i,j]. With R_m = X\u1D40 \u03BC\u0304_m (one fused kernel for all m): \u0398\u0304 = \u03A3_m R_m \u2299 G_m, \u1E20_m = R_m \u2299 \u0398, X\u0304 = \u03A3_m \u03BC\u0304_m (G_m \u2299 \u0398)\u1D40. Saves nothing beyond the inputs.",
  forward: ([x, g, theta]) => {
    const dims = dimsOf("linearMechanism", x, g, theta);
    return { out: launch1(fwdKernel(lanesFor(dims.d)), [x, g, theta], [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs: [x, g, theta], needsGrad }, dmu) => {
    const dims = dimsOf("linearMechanism", x, g, theta);
    const { d: d2, M } = dims;
    const wg = lanesFor(d2);
    const r = needsGrad[1] || needsGrad[2] ? launch1(rKernel(wg), [x, dmu], [M, d2, d2], dims) : null;
    const grads = [
      needsGrad[0] ? launch1(dxKernel(wg), [g, theta, dmu], x.shape, dims) : null,
      needsGrad[1] ? launch1(dgKernel, [r, theta], g.shape, dims) : null,
      needsGrad[2] ? launch1(dthetaKernel, [r, g], theta.shape, dims) : null
    ];
    r?.dispose();
    return grads;
  },
  check: {
    cases: [
      { label: "small", shapes: [[5, 3], [2, 3, 3], [3, 3]], attrs: {}, domains: ["real", "unit", "real"] },
      { label: "rows past one block, ragged", shapes: [[70, 4], [1, 4, 4], [4, 4]], attrs: {}, domains: ["real", "unit", "real"] },
      { label: "d above one workgroup", shapes: [[3, 66], [2, 66, 66], [66, 66]], attrs: {}, domains: ["real", "unit", "real"] }
    ]
  }
});
var linearMechanism = (x, g, theta) => apply(linearMechanismOp, [x, g, theta], {});
var linearMechanismOps = { linearMechanism: linearMechanismOp };

// kernels/mlp-mechanism.ts
var NB2 = 64;
var WG13 = 64;
var HEAD = (
  /* wgsl */
  `${common_default}
override WG: u32 = 32u;
const NB: u32 = ${NB2}u;
const MAX_D: u32 = ${MAX_D2}u;
struct Params { N: u32, d: u32, M: u32, H: u32 }
fn tanh_stable(x: f32) -> f32 {
  let e = exp(2.0 * clamp(x, -20.0, 20.0));
  return 1.0 - 2.0 / (e + 1.0);
}
`
);
var WGSL6 = (
  /* wgsl */
  `${HEAD}
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> W1: array<f32>;
@group(0) @binding(3) var<storage, read> B1: array<f32>;
@group(0) @binding(4) var<storage, read> W2: array<f32>;
@group(0) @binding(5) var<storage, read> In5: array<f32>;
@group(0) @binding(6) var<storage, read_write> Out: array<f32>;
@group(0) @binding(7) var<uniform> P: Params;

// W\u0303[m,i,c] with c = j\xB7H + h.
fn wt(m: u32, i: u32, j: u32, h: u32) -> f32 {
  return G[(m * P.d + i) * P.d + j] * W1[(j * P.d + i) * P.H + h];
}

// mlp_fwd: In5 = b2, Out = \u03BC.
@compute @workgroup_size(WG)
fn mlp_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let H = P.H; let m = wid.z;
  let j = wid.x * WG + lid.x;
  let jc = min(j, d - 1u);
  let n0 = wid.y * NB;
  let rows = min(NB, N - n0);
  var w: array<f32, MAX_D>;
  var acc: array<f32, NB>;
  for (var h = 0u; h < H; h++) {
    for (var i = 0u; i < d; i++) { w[i] = wt(m, i, jc, h); }
    let bh = B1[jc * H + h]; let wh = W2[jc * H + h];
    for (var r = 0u; r < rows; r += 4u) {
      let x0 = (n0 + r) * d; let x1 = (n0 + min(r + 1u, rows - 1u)) * d;
      let x2 = (n0 + min(r + 2u, rows - 1u)) * d; let x3 = (n0 + min(r + 3u, rows - 1u)) * d;
      var a0 = bh; var a1 = bh; var a2 = bh; var a3 = bh;
      for (var i = 0u; i < d; i++) {
        let wi = w[i];
        a0 += X[x0 + i] * wi; a1 += X[x1 + i] * wi; a2 += X[x2 + i] * wi; a3 += X[x3 + i] * wi;
      }
      acc[r] += wh * tanh_stable(a0); acc[r + 1u] += wh * tanh_stable(a1);
      acc[r + 2u] += wh * tanh_stable(a2); acc[r + 3u] += wh * tanh_stable(a3);
    }
  }
  if (j < d) {
    let b2 = In5[j];
    for (var r = 0u; r < rows; r++) { Out[((m * N) + n0 + r) * d + j] = acc[r] + b2; }
  }
}

// mlp_wgrad: In5 = \u03BC\u0304, Out = S.
@compute @workgroup_size(WG)
fn mlp_wgrad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let H = P.H; let m = wid.z;
  let DH = d * H;
  let c = wid.x * WG + lid.x;
  let cc = min(c, DH - 1u);
  let j = cc / H; let h = cc % H;
  var w: array<f32, MAX_D>;
  var acc: array<f32, MAX_D>;
  for (var i = 0u; i < d; i++) { w[i] = wt(m, i, j, h); }
  let bh = B1[cc]; let wh = W2[cc];
  var sw2 = 0.0; var sb1 = 0.0; var sb2 = 0.0;
  for (var n = 0u; n < N; n += 4u) {
    let x0 = n * d; let x1 = min(n + 1u, N - 1u) * d; let x2 = min(n + 2u, N - 1u) * d; let x3 = min(n + 3u, N - 1u) * d;
    var a0 = bh; var a1 = bh; var a2 = bh; var a3 = bh;
    for (var i = 0u; i < d; i++) {
      let wi = w[i];
      a0 += X[x0 + i] * wi; a1 += X[x1 + i] * wi; a2 += X[x2 + i] * wi; a3 += X[x3 + i] * wi;
    }
    // Rows past N get a zero cotangent, so they add nothing.
    let mu = (m * N) * d + j;
    let g0 = In5[mu + x0];
    let g1 = select(0.0, In5[mu + x1], n + 1u < N);
    let g2 = select(0.0, In5[mu + x2], n + 2u < N);
    let g3 = select(0.0, In5[mu + x3], n + 3u < N);
    let t0 = tanh_stable(a0); let t1 = tanh_stable(a1); let t2 = tanh_stable(a2); let t3 = tanh_stable(a3);
    let e0 = g0 * wh * (1.0 - t0 * t0); let e1 = g1 * wh * (1.0 - t1 * t1);
    let e2 = g2 * wh * (1.0 - t2 * t2); let e3 = g3 * wh * (1.0 - t3 * t3);
    for (var i = 0u; i < d; i++) {
      acc[i] += X[x0 + i] * e0 + X[x1 + i] * e1 + X[x2 + i] * e2 + X[x3 + i] * e3;
    }
    sw2 += g0 * t0 + g1 * t1 + g2 * t2 + g3 * t3;
    sb1 += e0 + e1 + e2 + e3;
    sb2 += g0 + g1 + g2 + g3;
  }
  if (c < DH) {
    let s = m * (d + 3u) * DH + c;
    for (var i = 0u; i < d; i++) { Out[s + i * DH] = acc[i]; }
    Out[s + d * DH] = sw2;
    Out[s + (d + 1u) * DH] = sb1;
    Out[s + (d + 2u) * DH] = select(0.0, sb2, h == 0u);
  }
}

// mlp_dx: In5 = \u03BC\u0304, Out = X\u0304.
@compute @workgroup_size(64)
fn mlp_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let N = P.N; let H = P.H;
  let n = flat_id(wid, nwg, lid, 64u);
  let nc = min(n, N - 1u);
  var x: array<f32, MAX_D>;
  var dx: array<f32, MAX_D>;
  for (var i = 0u; i < d; i++) { x[i] = X[nc * d + i]; }
  for (var m = 0u; m < P.M; m++) {
    for (var j = 0u; j < d; j++) {
      let g = In5[(m * N + nc) * d + j];
      for (var h = 0u; h < H; h++) {
        var a = B1[j * H + h];
        for (var i = 0u; i < d; i++) { a += x[i] * wt(m, i, j, h); }
        let t = tanh_stable(a);
        let e = g * W2[j * H + h] * (1.0 - t * t);
        for (var i = 0u; i < d; i++) { dx[i] += e * wt(m, i, j, h); }
      }
    }
  }
  if (n < N) {
    for (var i = 0u; i < d; i++) { Out[n * d + i] = dx[i]; }
  }
}
`
);
var WGSL_FINISH = (
  /* wgsl */
  `${HEAD}
@group(0) @binding(0) var<storage, read> S: array<f32>;
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> W1: array<f32>;
@group(0) @binding(3) var<storage, read_write> DW1: array<f32>;
@group(0) @binding(4) var<storage, read_write> DG: array<f32>;
@group(0) @binding(5) var<storage, read_write> DW2: array<f32>;
@group(0) @binding(6) var<storage, read_write> DB1: array<f32>;
@group(0) @binding(7) var<storage, read_write> DB2: array<f32>;
@group(0) @binding(8) var<uniform> P: Params;

@compute @workgroup_size(${WG13})
fn mlp_finish(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let d = P.d; let H = P.H; let M = P.M; let DH = d * H;
  let stride = (d + 3u) * DH;
  var t = flat_id(wid, nwg, lid, ${WG13}u);
  if (t < d * DH) {                       // W\u03041[j,i,h]
    let h = t % H; let i = (t / H) % d; let j = t / DH;
    var s = 0.0;
    for (var m = 0u; m < M; m++) { s += S[m * stride + i * DH + j * H + h] * G[(m * d + i) * d + j]; }
    DW1[t] = s;
    return;
  }
  t -= d * DH;
  if (t < M * d * d) {                    // \u1E20[m,i,j]
    let j = t % d; let i = (t / d) % d; let m = t / (d * d);
    var s = 0.0;
    for (var h = 0u; h < H; h++) { s += S[m * stride + i * DH + j * H + h] * W1[(j * d + i) * H + h]; }
    DG[t] = s;
    return;
  }
  t -= M * d * d;
  if (t < 3u * DH) {                      // w\u03042, b\u03041, b\u03042 (b\u03042 sits at the h = 0 columns)
    let row = d + t / DH; let c = t % DH;
    var s = 0.0;
    for (var m = 0u; m < M; m++) { s += S[m * stride + row * DH + c]; }
    if (t < DH) { DW2[c] = s; } else if (t < 2u * DH) { DB1[c] = s; } else if (c % H == 0u) { DB2[c / H] = s; }
  }
}
`
);
var PARAMS7 = [["N", "u32"], ["d", "u32"], ["M", "u32"], ["H", "u32"]];
function preact(x, g, w1, b1, { d: d2, H }, m, n, j, h) {
  let a = b1[j * H + h];
  for (let i = 0; i < d2; i++) a += x[n * d2 + i] * g[(m * d2 + i) * d2 + j] * w1[(j * d2 + i) * H + h];
  return a;
}
var fwdKernel2 = perLaneCount(
  (wg) => defineKernel({
    name: `mlp_mechanism.fwd.wg${wg}`,
    wgsl: WGSL6,
    entry: "mlp_fwd",
    constants: { WG: wg },
    inputs: 6,
    outputs: 1,
    params: PARAMS7,
    workgroups: (p) => [Math.ceil(p.d / wg), Math.ceil(p.N / NB2), p.M],
    cpu: ([x, g, w1, b1, w2, b2], [mu], p) => {
      const { N, d: d2, M, H } = p;
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let j = 0; j < d2; j++) {
            let s = b2[j];
            for (let h = 0; h < H; h++) s += w2[j * H + h] * Math.tanh(preact(x, g, w1, b1, p, m, n, j, h));
            mu[(m * N + n) * d2 + j] = s;
          }
    }
  })
);
var wgradKernel = perLaneCount(
  (wg) => defineKernel({
    name: `mlp_mechanism.wgrad.wg${wg}`,
    wgsl: WGSL6,
    entry: "mlp_wgrad",
    constants: { WG: wg },
    inputs: 6,
    outputs: 1,
    params: PARAMS7,
    workgroups: (p) => [Math.ceil(p.d * p.H / wg), 1, p.M],
    cpu: ([x, g, w1, b1, w2, dmu], [s], p) => {
      const { N, d: d2, M, H } = p;
      const DH = d2 * H;
      s.fill(0);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++)
          for (let j = 0; j < d2; j++) {
            const gm = dmu[(m * N + n) * d2 + j];
            for (let h = 0; h < H; h++) {
              const c = j * H + h;
              const t = Math.tanh(preact(x, g, w1, b1, p, m, n, j, h));
              const e = gm * w2[c] * (1 - t * t);
              const base = m * (d2 + 3) * DH + c;
              for (let i = 0; i < d2; i++) s[base + i * DH] += x[n * d2 + i] * e;
              s[base + d2 * DH] += gm * t;
              s[base + (d2 + 1) * DH] += e;
              if (h === 0) s[base + (d2 + 2) * DH] += gm;
            }
          }
    }
  })
);
var dxKernel2 = defineKernel({
  name: "mlp_mechanism.dx",
  wgsl: WGSL6,
  entry: "mlp_dx",
  inputs: 6,
  outputs: 1,
  params: PARAMS7,
  workgroups: (p) => groupsFor(p.N, 64),
  cpu: ([x, g, w1, b1, w2, dmu], [dx], p) => {
    const { N, d: d2, M, H } = p;
    dx.fill(0);
    for (let m = 0; m < M; m++)
      for (let n = 0; n < N; n++)
        for (let j = 0; j < d2; j++)
          for (let h = 0; h < H; h++) {
            const t = Math.tanh(preact(x, g, w1, b1, p, m, n, j, h));
            const e = dmu[(m * N + n) * d2 + j] * w2[j * H + h] * (1 - t * t);
            for (let i = 0; i < d2; i++) dx[n * d2 + i] += e * g[(m * d2 + i) * d2 + j] * w1[(j * d2 + i) * H + h];
          }
  }
});
var finishKernel = defineKernel({
  name: "mlp_mechanism.finish",
  wgsl: WGSL_FINISH,
  entry: "mlp_finish",
  inputs: 3,
  outputs: 5,
  params: PARAMS7,
  workgroups: (p) => groupsFor(p.d * p.d * p.H + p.M * p.d * p.d + 3 * p.d * p.H, WG13),
  cpu: ([s, g, w1], [dw1, dg, dw2, db1, db2], p) => {
    const { d: d2, M, H } = p;
    const DH = d2 * H;
    const stride = (d2 + 3) * DH;
    dw1.fill(0);
    dg.fill(0);
    dw2.fill(0);
    db1.fill(0);
    db2.fill(0);
    for (let m = 0; m < M; m++)
      for (let i = 0; i < d2; i++)
        for (let j = 0; j < d2; j++)
          for (let h = 0; h < H; h++) {
            const sv = s[m * stride + i * DH + j * H + h];
            dw1[(j * d2 + i) * H + h] += sv * g[(m * d2 + i) * d2 + j];
            dg[(m * d2 + i) * d2 + j] += sv * w1[(j * d2 + i) * H + h];
          }
    for (let m = 0; m < M; m++)
      for (let c = 0; c < DH; c++) {
        dw2[c] += s[m * stride + d2 * DH + c];
        db1[c] += s[m * stride + (d2 + 1) * DH + c];
        if (c % H === 0) db2[c / H] += s[m * stride + (d2 + 2) * DH + c];
      }
  }
});
function dimsOf2(x, g, w1, b1, w2, b2) {
  const [N, d2] = x.shape;
  const M = g.shape[0];
  const H = w1.shape[2];
  const is = (t, s) => t.rank === s.length && t.shape.every((v, k) => v === s[k]);
  const ok = x.rank === 2 && is(g, [M, d2, d2]) && is(w1, [d2, d2, H]) && is(b1, [d2, H]) && is(w2, [d2, H]) && is(b2, [d2]);
  if (!ok) {
    const got = [x, g, w1, b1, w2, b2].map((t) => fmt(t.shape)).join(", ");
    throw new ShapeError("mlpMechanism", `expected X [N,d], G [M,d,d], W1 [d,d,H], b1 [d,H], w2 [d,H], b2 [d]; got ${got}`);
  }
  if (d2 > MAX_D2 || H > 64) throw new ShapeError("mlpMechanism", `d = ${d2}, H = ${H}: needs d \u2264 ${MAX_D2} and H \u2264 64`);
  return { N, d: d2, M, H };
}
var mlpMechanismOp = defineOp({
  name: "mlpMechanism",
  derivation: "\u03BC = \u03A3_h w2 T + b2, T = tanh(A), A = X W\u0303_m + b1, W\u0303[m,i,j,h] = G[m,i,j] W1[j,i,h]. \u0100 = \u03BC\u0304 w2 (1 \u2212 T\xB2); W\u0303\u0304_m = X\u1D40 \u0100_m; W\u03041[j,i,h] = \u03A3_m W\u0303\u0304 G; \u1E20[m,i,j] = \u03A3_h W\u0303\u0304 W1; w\u03042 = \u03A3 \u03BC\u0304 T; b\u03041 = \u03A3 \u0100; b\u03042 = \u03A3 \u03BC\u0304; X\u0304 = \u03A3_m \u0100_m W\u0303_m\u1D40. Saves nothing: T is [M,N,d,H] (115 MB at M=32, N=9000, d=20, H=5), so the VJP recomputes A from the inputs (one extra forward's worth of FLOPs).",
  forward: (inputs) => {
    const dims = dimsOf2(...inputs);
    return { out: launch1(fwdKernel2(lanesFor(dims.d)), inputs, [dims.M, dims.N, dims.d], dims) };
  },
  vjp: ({ inputs, needsGrad }, dmu) => {
    const [x, g, w1, b1, w2] = inputs;
    const dims = dimsOf2(...inputs);
    const { d: d2, M, H } = dims;
    const args = [x, g, w1, b1, w2, dmu];
    const dx = needsGrad[0] ? launch1(dxKernel2, args, x.shape, dims) : null;
    if (!needsGrad.slice(1).some(Boolean)) return [dx, null, null, null, null, null];
    const s = launch1(wgradKernel(lanesFor(d2 * H)), args, [M, d2 + 3, d2 * H], dims);
    const outs = launch(finishKernel, [s, g, w1], [w1.shape, g.shape, w2.shape, b1.shape, inputs[5].shape], dims);
    s.dispose();
    const [dw1, dg, dw2, db1, db2] = outs;
    const grads = [dx, dg, dw1, db1, dw2, db2];
    return grads.map((t, k) => {
      if (k === 0 || needsGrad[k]) return t;
      t?.dispose();
      return null;
    });
  },
  check: {
    cases: [
      { label: "small", shapes: [[5, 3], [2, 3, 3], [3, 3, 2], [3, 2], [3, 2], [3]], attrs: {}, domains: ["real", "unit"] },
      { label: "rows past one block, ragged", shapes: [[70, 2], [1, 2, 2], [2, 2, 5], [2, 5], [2, 5], [2]], attrs: {}, domains: ["real", "unit"] },
      { label: "dH above one workgroup", shapes: [[3, 14], [2, 14, 14], [14, 14, 5], [14, 5], [14, 5], [14]], attrs: {}, domains: ["real", "unit"] }
    ]
  }
});
var mlpMechanism = (x, g, w1, b1, w2, b2) => apply(mlpMechanismOp, [x, g, w1, b1, w2, b2], {});
var mlpMechanismOps = { mlpMechanism: mlpMechanismOp };

// kernels/unroll.ts
function seq(n, from = 0) {
  return Array.from({ length: n }, (_, k) => from + k);
}
function tree(terms, join = (a, b) => `(${a} + ${b})`) {
  if (terms.length === 0) return "0.0";
  if (terms.length === 1) return terms[0];
  const half = terms.length >> 1;
  return join(tree(terms.slice(0, half), join), tree(terms.slice(half), join));
}
var maxTree = (terms) => tree(terms, (a, b) => `max(${a}, ${b})`);
function blocks(n, size) {
  const count = Math.ceil(n / Math.max(1, size));
  const out = [];
  for (let k = 0; k < count; k++) out.push([Math.floor(k * n / count), Math.floor((k + 1) * n / count)]);
  return out;
}
var lines = (items, indent = "    ") => items.map((s) => indent + s).join("\n");

// kernels/pair-logsumexp-wgsl.ts
var LANES2 = 64;
var BUDGET = 640;
var HEADER = `${common_default}
struct Params { M: u32, N: u32, E: u32, logR: f32 }`;
var ENTRY = `@compute @workgroup_size(${LANES2})`;
var IDS = `@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>`;
function bindings(names) {
  const vars = names.map(([name, access], k) => `@group(0) @binding(${k}) var<storage, ${access}> ${name}: array<f32>;`);
  return `${vars.join("\n")}
@group(0) @binding(${names.length}) var<uniform> P: Params;`;
}
var CHUNK = `  let w = flat_group(wid, nwg);
  let E = P.E;
  let N = P.N;
  var e = 0u;
  var top = E;
  while (top - e > 1u) {
    let mid = (e + top) / 2u;
    if (u32(T[2u * E + mid]) <= w) { e = mid; } else { top = mid; }
  }
  let end = u32(T[2u * e + 1u]);
  let nr = u32(T[2u * e]) + (w - u32(T[2u * E + e])) * ${LANES2}u + lid.x;
  let n = min(nr, end - 1u);
  let live = nr < end && u32(T[3u * E + 1u + n]) == e;`;
function loadBlock(r0, r1, R2, d2) {
  const rs = seq(r1 - r0, r0);
  const size = (r1 - r0) * d2;
  return `    workgroupBarrier();
    for (var k = lid.x; k < ${size}u; k += ${LANES2}u) { SQ[k] = Q[e * ${R2 * d2}u + ${r0 * d2}u + k]; }
    workgroupBarrier();
${lines(rs.flatMap((r) => seq(d2).map((j) => `let q${r}_${j} = SQ[${(r - r0) * d2 + j}u];`)))}
    var bv: array<f32, ${r1 - r0}>;
    for (var r = 0u; r < ${r1 - r0}u; r++) { bv[r] = B[(${r0}u + r) * N + n]; }
${lines(rs.map((r) => `let b${r} = bv[${r - r0}u];`))}`;
}
var loadRow = (d2) => lines(
  [
    `let mn = m * N + n;`,
    `var pv: array<f32, ${d2}>;`,
    `for (var j = 0u; j < ${d2}u; j++) { pv[j] = Pm[mn * ${d2}u + j]; }`,
    ...seq(d2).map((j) => `let p${j} = pv[${j}u];`)
  ],
  "      "
);
var dot = (r, d2) => tree(seq(d2).map((j) => `p${j} * q${r}_${j}`));
function kernel(name, io, parts, d2, body) {
  const largest = Math.max(...parts.map(([r0, r1]) => (r1 - r0) * d2));
  return `${HEADER}
${bindings(io)}
var<workgroup> SQ: array<f32, ${largest}>;
${ENTRY}
fn ${name}(${IDS}) {
${CHUNK}
${parts.map(([r0, r1], k) => `  {
${body(r0, r1, k)}
  }`).join("\n")}
}`;
}
function fwdSource(R2, d2) {
  const parts = blocks(R2, Math.floor(BUDGET / d2));
  return kernel("pair_fwd", [["A", "read"], ["B", "read"], ["Pm", "read"], ["Q", "read"], ["T", "read"], ["Y", "read_write"]], parts, d2, (r0, r1, k) => {
    const rs = seq(r1 - r0, r0);
    const exps = rs.map((r) => `exp(l${r} - hi)`);
    const merge = k === 0 ? `let hi = top0;
      let s = ${tree(exps)};` : `let prev = Y[mn];
      let hi = max(prev, top0);
      let s = exp(prev - hi) + ${tree(exps)};`;
    return `${loadBlock(r0, r1, R2, d2)}
    for (var m = 0u; m < P.M; m++) {
${loadRow(d2)}
      let a = A[mn];
${lines(rs.map((r) => `let l${r} = a + b${r} + ${dot(r, d2)};`), "      ")}
      let top0 = ${maxTree(rs.map((r) => `l${r}`))};
      ${merge}
      if (live) { Y[mn] = hi + log(s)${k === parts.length - 1 ? " - P.logR" : ""}; }
    }`;
  });
}
function bwdSource(R2, d2, want) {
  const parts = blocks(R2, Math.floor(BUDGET / (want.q ? 2 * d2 : d2)));
  const io = [["CD", "read"], ["B", "read"], ["Pm", "read"], ["Q", "read"], ["T", "read"], ["DP", "read_write"], ["DB", "read_write"], ["DG", "read_write"]];
  return kernel("pair_bwd", io, parts, d2, (r0, r1, k) => {
    const rs = seq(r1 - r0, r0);
    const rj = rs.flatMap((r) => seq(d2).map((j) => [r, j]));
    const pbar = `      var hv: array<f32, ${d2}>;
${lines(seq(d2).map((j) => `hv[${j}u] = ${tree(rs.map((r) => `v${r} * q${r}_${j}`))};`), "      ")}
      if (live) {
        for (var j = 0u; j < ${d2}u; j++) { DP[mn * ${d2}u + j] = ${k === 0 ? "" : `DP[mn * ${d2}u + j] + `}hv[j]; }
      }`;
    const bStore = `    var bo: array<f32, ${r1 - r0}>;
${lines(rs.map((r) => `bo[${r - r0}u] = bs${r};`))}
    if (live) { for (var r = 0u; r < ${r1 - r0}u; r++) { DB[(${r0}u + r) * N + n] = bo[r]; } }`;
    const gStore = `    var go: array<f32, ${(r1 - r0) * d2}>;
${lines(rj.map(([r, j]) => `go[${(r - r0) * d2 + j}u] = g${r}_${j};`))}
    if (live) { for (var k = 0u; k < ${(r1 - r0) * d2}u; k++) { DG[n * ${R2 * d2}u + ${r0 * d2}u + k] = go[k]; } }`;
    return `${loadBlock(r0, r1, R2, d2)}
${want.b ? lines(rs.map((r) => `var bs${r} = 0.0;`)) : ""}
${want.q ? lines(rj.map(([r, j]) => `var g${r}_${j} = 0.0;`)) : ""}
    for (var m = 0u; m < P.M; m++) {
${loadRow(d2)}
      let c = CD[2u * mn];
      let dy = CD[2u * mn + 1u];
${lines(rs.map((r) => `let v${r} = dy * exp(c + b${r} + ${dot(r, d2)});`), "      ")}
${want.b ? lines(rs.map((r) => `bs${r} += v${r};`), "      ") : ""}
${want.q ? lines(rj.map(([r, j]) => `g${r}_${j} += v${r} * p${j};`), "      ") : ""}
${want.p ? pbar : ""}
    }
${want.b ? bStore : ""}
${want.q ? gStore : ""}`;
  });
}
function tableSource() {
  return `${HEADER}
${bindings([["Env", "read"], ["T", "read_write"]])}
${ENTRY}
fn pair_table(@builtin(local_invocation_id) lid: vec3<u32>) {
  let E = P.E;
  let N = P.N;
  for (var e = lid.x; e < E; e += ${LANES2}u) {
    var lo = N;
    var hi = 0u;
    for (var n = 0u; n < N; n++) {
      let hit = u32(Env[n]) == e;
      lo = select(lo, min(lo, n), hit);
      hi = select(hi, n + 1u, hit);
    }
    T[2u * e] = f32(min(lo, hi));
    T[2u * e + 1u] = f32(hi);
  }
  for (var n = lid.x; n < N; n += ${LANES2}u) { T[3u * E + 1u + n] = Env[n]; }
  storageBarrier();
  if (lid.x == 0u) {
    var cs = 0u;
    for (var e = 0u; e < E; e++) {
      T[2u * E + e] = f32(cs);
      cs += (u32(T[2u * e + 1u]) - u32(T[2u * e]) + ${LANES2 - 1}u) / ${LANES2}u;
    }
    T[3u * E] = f32(cs);
  }
}`;
}
function prepSource() {
  return `${HEADER}
${bindings([["A", "read"], ["Y", "read"], ["DY", "read"], ["CD", "read_write"]])}
${ENTRY}
fn pair_prep(${IDS}) {
  let t = flat_id(wid, nwg, lid, ${LANES2}u);
  if (t >= P.M * P.N) { return; }
  CD[2u * t] = A[t] - Y[t] - P.logR;
  CD[2u * t + 1u] = DY[t];
}`;
}
function reduceSource(rd) {
  return `${HEADER}
${bindings([["DG", "read"], ["T", "read"], ["DQ", "read_write"]])}
${ENTRY}
fn pair_reduce(${IDS}) {
  let k = wid.x * ${LANES2}u + lid.x;
  let kc = min(k, ${rd - 1}u);
  let e = wid.y;
  let E = P.E;
  let hi = u32(T[2u * e + 1u]);
  var s = 0.0;
  for (var n = u32(T[2u * e]); n < hi; n++) {
    s += select(0.0, DG[n * ${rd}u + kc], u32(T[3u * E + 1u + n]) == e);
  }
  if (k < ${rd}u) { DQ[e * ${rd}u + k] = s; }
}`;
}

// kernels/pair-logsumexp.ts
var PARAMS8 = [["M", "u32"], ["N", "u32"], ["E", "u32"], ["logR", "f32"]];
function lambda(a, b, p, q, e, { N, R: R2, d: d2 }, m, r, n) {
  let l = a[m * N + n] + b[r * N + n];
  for (let j = 0; j < d2; j++) l += p[(m * N + n) * d2 + j] * q[(e * R2 + r) * d2 + j];
  return l;
}
var envOf = (t, E, n) => t[3 * E + 1 + n];
var cache = /* @__PURE__ */ new Map();
function memo(key, make) {
  let k = cache.get(key);
  if (!k) cache.set(key, k = make());
  return k;
}
var tableKernel = defineKernel({
  name: "pair_logsumexp.table",
  wgsl: tableSource(),
  entry: "pair_table",
  inputs: 1,
  outputs: 1,
  params: PARAMS8,
  workgroups: () => 1,
  cpu: ([env], [t], { N, E }) => {
    let cs = 0;
    for (let e = 0; e < E; e++) {
      let lo = N;
      let hi = 0;
      for (let n = 0; n < N; n++) if (env[n] === e) [lo, hi] = [Math.min(lo, n), n + 1];
      t[2 * e] = Math.min(lo, hi);
      t[2 * e + 1] = hi;
      t[2 * E + e] = cs;
      cs += Math.ceil((hi - Math.min(lo, hi)) / LANES2);
    }
    t[3 * E] = cs;
    for (let n = 0; n < N; n++) t[3 * E + 1 + n] = env[n];
  }
});
var chunkGroups = (p) => groupsFor(p.N, LANES2) + p.E;
var fwdKernel3 = (R2, d2) => memo(
  `fwd ${R2} ${d2}`,
  () => defineKernel({
    name: `pair_logsumexp.fwd.R${R2}.d${d2}`,
    wgsl: fwdSource(R2, d2),
    entry: "pair_fwd",
    inputs: 5,
    outputs: 1,
    params: PARAMS8,
    workgroups: chunkGroups,
    cpu: ([a, b, p, q, t], [y], params3) => {
      const dims = { ...params3, R: R2, d: d2 };
      const { M, N, E, logR } = dims;
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          const l = Array.from({ length: R2 }, (_, r) => lambda(a, b, p, q, envOf(t, E, n), dims, m, r, n));
          const top = Math.max(...l);
          y[m * N + n] = top + Math.log(l.reduce((s, v) => s + Math.exp(v - top), 0)) - logR;
        }
    }
  })
);
var prepKernel = defineKernel({
  name: "pair_logsumexp.prep",
  wgsl: prepSource(),
  entry: "pair_prep",
  inputs: 3,
  outputs: 1,
  params: PARAMS8,
  workgroups: (p) => groupsFor(p.M * p.N, LANES2),
  cpu: ([a, y, dy], [cd], { M, N, logR }) => {
    for (let t = 0; t < M * N; t++) {
      cd[2 * t] = a[t] - y[t] - logR;
      cd[2 * t + 1] = dy[t];
    }
  }
});
var bwdKernel = (R2, d2, want) => memo(
  `bwd ${R2} ${d2} ${want.p} ${want.b} ${want.q}`,
  () => defineKernel({
    name: `pair_logsumexp.bwd.R${R2}.d${d2}`,
    wgsl: bwdSource(R2, d2, want),
    entry: "pair_bwd",
    inputs: 5,
    outputs: 3,
    params: PARAMS8,
    workgroups: chunkGroups,
    // cd = (a − y − log R, ȳ), so lambda(c, …) = Λ − y − log R = log w.
    cpu: ([cd, b, p, q, t], [dp, db, g], params3) => {
      const dims = { ...params3, R: R2, d: d2 };
      const { M, N, E } = dims;
      if (want.p) dp.fill(0);
      if (want.b) db.fill(0);
      if (want.q) g.fill(0);
      const c = Float64Array.from({ length: M * N }, (_, k) => cd[2 * k]);
      for (let m = 0; m < M; m++)
        for (let n = 0; n < N; n++) {
          const e = envOf(t, E, n);
          for (let r = 0; r < R2; r++) {
            const v = cd[2 * (m * N + n) + 1] * Math.exp(lambda(c, b, p, q, e, dims, m, r, n));
            if (want.b) db[r * N + n] += v;
            for (let j = 0; j < d2; j++) {
              if (want.p) dp[(m * N + n) * d2 + j] += v * q[(e * R2 + r) * d2 + j];
              if (want.q) g[(n * R2 + r) * d2 + j] += v * p[(m * N + n) * d2 + j];
            }
          }
        }
    }
  })
);
var reduceKernel = (R2, d2) => memo(
  `reduce ${R2} ${d2}`,
  () => defineKernel({
    name: `pair_logsumexp.reduce.R${R2}.d${d2}`,
    wgsl: reduceSource(R2 * d2),
    entry: "pair_reduce",
    inputs: 2,
    outputs: 1,
    params: PARAMS8,
    workgroups: (p) => [Math.ceil(R2 * d2 / LANES2), p.E, 1],
    cpu: ([g, t], [dq], { E }) => {
      const rd = R2 * d2;
      for (let e = 0; e < E; e++)
        for (let k = 0; k < rd; k++) {
          let s = 0;
          for (let n = t[2 * e]; n < t[2 * e + 1]; n++) if (envOf(t, E, n) === e) s += g[n * rd + k];
          dq[e * rd + k] = s;
        }
    }
  })
);
function dimsOf3(a, b, p, q, env) {
  const [M, N] = a.shape;
  const [E, R2, d2] = q.shape;
  const ok = a.rank === 2 && b.rank === 2 && b.shape[0] === R2 && b.shape[1] === N && p.rank === 3 && p.shape[0] === M && p.shape[1] === N && p.shape[2] === d2 && q.rank === 3 && env.rank === 1 && env.shape[0] === N;
  if (!ok) {
    const got = [a, b, p, q, env].map((t) => fmt(t.shape)).join(", ");
    throw new ShapeError("pairLogsumexp", `expected a [M,N], b [R,N], P [M,N,d], Q [E,R,d], env [N]; got ${got}`);
  }
  if (R2 === 0 || E === 0 || d2 === 0) throw new ShapeError("pairLogsumexp", `needs R, E, d \u2265 1; got Q ${fmt(q.shape)}`);
  return { M, N, R: R2, d: d2, E, logR: Math.log(R2) };
}
var pairLogsumexpOp = defineOp({
  name: "pairLogsumexp",
  derivation: "y[m,n] = LSE_r(a[m,n] + b[r,n] + \u03A3_j P[m,n,j] Q[e_n,r,j]) \u2212 log R. With w = softmax_r \u039B = exp(\u039B \u2212 y \u2212 log R): \u0101 = \u0233, b\u0304[r,n] = \u03A3_m \u0233 w, P\u0304[m,n,:] = \u0233 \u03A3_r w Q[e_n,r,:], Q\u0304[e,r,:] = \u03A3_{m, n\u2208e} \u0233 w P[m,n,:]. Saves only y (the output); w is recomputed in the backward kernel, never stored (it is M\xD7R\xD7N).",
  forward: ([a, b, p, q, env]) => {
    const dims = dimsOf3(a, b, p, q, env);
    const table = launch1(tableKernel, [env], [3 * dims.E + 1 + dims.N], dims);
    const out = launch1(fwdKernel3(dims.R, dims.d), [a, b, p, q, table], [dims.M, dims.N], dims);
    table.dispose();
    return { out };
  },
  vjp: ({ inputs: [a, b, p, q, env], out, needsGrad }, dy) => {
    const dims = dimsOf3(a, b, p, q, env);
    const { M, N, R: R2, d: d2 } = dims;
    const want = { b: needsGrad[1], p: needsGrad[2], q: needsGrad[3] };
    if (!want.b && !want.p && !want.q) return [needsGrad[0] ? dy : null, null, null, null, null];
    const cd = launch1(prepKernel, [a, out, dy], [M, N, 2], dims);
    const table = launch1(tableKernel, [env], [3 * dims.E + 1 + N], dims);
    const shapes = [want.p ? p.shape : [1], want.b ? b.shape : [1], want.q ? [N, R2, d2] : [1]];
    const [dp, db, g] = launch(bwdKernel(R2, d2, want), [cd, b, p, q, table], shapes, dims);
    cd.dispose();
    const dq = want.q ? launch1(reduceKernel(R2, d2), [g, table], q.shape, dims) : null;
    g.dispose();
    table.dispose();
    if (!want.p) dp.dispose();
    if (!want.b) db.dispose();
    return [needsGrad[0] ? dy : null, want.b ? db : null, want.p ? dp : null, dq, null];
  },
  check: {
    nondiff: [4],
    cases: [
      { label: "two envs", shapes: [[3, 6], [4, 6], [3, 6, 3], [2, 4, 3], [6]], attrs: {}, domains: ["real", "real", "real", "real", { ints: 2 }] },
      { label: "three envs, ragged", shapes: [[2, 7], [5, 7], [2, 7, 2], [3, 5, 2], [7]], attrs: {}, domains: ["real", "real", "real", "real", { ints: 3 }] },
      { label: "one intervention sample, one env", shapes: [[2, 4], [1, 4], [2, 4, 3], [1, 1, 3], [4]], attrs: {}, domains: ["real", "real", "real", "real", { ints: 1 }] }
    ]
  }
});
var pairLogsumexp = (a, b, p, q, env) => apply(pairLogsumexpOp, [a, b, p, q, env], {});
var pairLogsumexpOps = { pairLogsumexp: pairLogsumexpOp };

// kernels/intervention-mix.ts
var WG14 = 256;
var PARAMS9 = [["n", "u32"], ["d", "u32"], ...paramNames("s"), ...paramNames("i")];
var HEAD2 = `${common_default}
struct Params { n: u32, d: u32, ${wgslFields("s")} ${wgslFields("i")} }
@group(0) @binding(0) var<storage, read> LO: array<f32>;
@group(0) @binding(1) var<storage, read> LI: array<f32>;
@group(0) @binding(2) var<storage, read> IM: array<f32>;
${wgslIndex("i")}`;
var fwdKernel4 = defineKernel({
  name: "intervention_mix.fwd",
  wgsl: `${HEAD2}
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> P: Params;
@compute @workgroup_size(${WG14})
fn mix_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let o = flat_id(wid, nwg, lid, ${WG14}u);
  if (o >= P.n) { return; }
  var s = 0.0;
  for (var j = 0u; j < P.d; j++) {
    let t = o * P.d + j;
    let lo = LO[t];
    s += lo + IM[index_i(t)] * (LI[t] - lo);
  }
  Y[o] = s;
}`,
  entry: "mix_fwd",
  inputs: 3,
  outputs: 1,
  params: PARAMS9,
  workgroups: (p) => groupsFor(p.n, WG14),
  cpu: ([lo, li, im], [y], p) => {
    const s = readShape("s", p);
    const st = readShape("i", p);
    for (let o = 0; o < p.n; o++) {
      let acc = 0;
      for (let j = 0; j < p.d; j++) {
        const t = o * p.d + j;
        acc += lo[t] + im[cpuIndex(t, s, st)] * (li[t] - lo[t]);
      }
      y[o] = acc;
    }
  }
});
var vjpKernel2 = defineKernel({
  name: "intervention_mix.vjp",
  wgsl: `${HEAD2}
@group(0) @binding(3) var<storage, read> DY: array<f32>;
@group(0) @binding(4) var<storage, read_write> DLO: array<f32>;
@group(0) @binding(5) var<storage, read_write> DLI: array<f32>;
@group(0) @binding(6) var<storage, read_write> DI: array<f32>;
@group(0) @binding(7) var<uniform> P: Params;
@compute @workgroup_size(${WG14})
fn mix_vjp(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let t = flat_id(wid, nwg, lid, ${WG14}u);
  if (t >= P.n * P.d) { return; }
  let dy = DY[t / P.d];
  let w = IM[index_i(t)];
  DLO[t] = dy * (1.0 - w);
  DLI[t] = dy * w;
  DI[t] = dy * (LI[t] - LO[t]);
}`,
  entry: "mix_vjp",
  inputs: 4,
  outputs: 3,
  params: PARAMS9,
  workgroups: (p) => groupsFor(p.n * p.d, WG14),
  cpu: ([lo, li, im, dy], [dlo, dli, di], p) => {
    const s = readShape("s", p);
    const st = readShape("i", p);
    for (let t = 0; t < p.n * p.d; t++) {
      const g = dy[Math.floor(t / p.d)];
      const w = im[cpuIndex(t, s, st)];
      dlo[t] = g * (1 - w);
      dli[t] = g * w;
      di[t] = g * (li[t] - lo[t]);
    }
  }
});
function paramsFor(lo, li, i) {
  if (!sameShape(lo.shape, li.shape) || lo.rank === 0) {
    throw new ShapeError("interventionMix", `L^o and L^i must have one shape [..., d]; got ${fmt(lo.shape)} and ${fmt(li.shape)}`);
  }
  const full2 = lo.shape;
  const ok = i.rank <= full2.length && i.shape.every((v, k) => v === 1 || v === full2[full2.length - i.rank + k]);
  if (!ok) throw new ShapeError("interventionMix", `I ${fmt(i.shape)} does not broadcast to ${fmt(full2)}`);
  const d2 = full2[full2.length - 1];
  const params3 = broadcastParams("interventionMix", full2, { i: i.shape });
  return { ...params3, n: params3.n / d2, d: d2 };
}
var interventionMixOp = defineOp({
  name: "interventionMix",
  derivation: "y = \u03A3_j L^o_j + I_j (L^i_j \u2212 L^o_j) over the last axis. \u2202y/\u2202I_j = L^i_j \u2212 L^o_j, \u2202y/\u2202L^o_j = 1 \u2212 I_j, \u2202y/\u2202L^i_j = I_j \u21D2 \u012A = \u03A3_bcast \u0233 (L^i \u2212 L^o), L\u0304^o = \u0233 (1 \u2212 I), L\u0304^i = \u0233 I. Saves nothing.",
  forward: ([lo, li, i]) => ({ out: launch1(fwdKernel4, [lo, li, i], lo.shape.slice(0, -1), paramsFor(lo, li, i)) }),
  vjp: ({ inputs: [lo, li, i], needsGrad }, dy) => {
    const full2 = lo.shape;
    const [dlo, dli, di] = launch(vjpKernel2, [lo, li, i, dy], [full2, full2, full2], paramsFor(lo, li, i));
    const dI = needsGrad[2] ? sumToShape(di, i.shape) : null;
    if (dI !== di) di.dispose();
    if (!needsGrad[0]) dlo.dispose();
    if (!needsGrad[1]) dli.dispose();
    return [needsGrad[0] ? dlo : null, needsGrad[1] ? dli : null, dI];
  },
  check: {
    cases: [
      { label: "same shape", shapes: [[4, 3], [4, 3], [4, 3]], attrs: {}, domains: ["real", "real", "unit"] },
      { label: "targets per intervention sample", shapes: [[2, 5, 3], [2, 5, 3], [2, 1, 3]], attrs: {}, domains: ["real", "real", "unit"] },
      { label: "one target vector", shapes: [[6, 4], [6, 4], [4]], attrs: {}, domains: ["real", "real", "unit"] }
    ]
  }
});
var interventionMixOps = { interventionMix: interventionMixOp };

// kernels/index.ts
var registry = {
  ...unaryOps,
  ...binaryOps,
  ...linearMechanismOps,
  ...mlpMechanismOps,
  ...pairLogsumexpOps,
  ...interventionMixOps,
  ...normalLogpdfOps,
  ...spectralRadiusOps,
  ...reduceOps,
  ...shapeOps,
  ...selectOps,
  ...matmulOps,
  ...gumbelOps
};
setTapeHelpers(add, (like, value) => fill2(like.backend, like.dtype, like.shape, value));

// gim/checkpoint.ts
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
function encodeArray(values, dtype) {
  const typed = dtype === "f64" ? Float64Array.from(values) : Float32Array.from(values);
  return { dtype, base64: Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString("base64") };
}
function decodeArray(encoded) {
  const bytes = Buffer.from(encoded.base64, "base64");
  const copy = new Uint8Array(bytes).buffer;
  return encoded.dtype === "f64" ? new Float64Array(copy) : new Float32Array(copy);
}
function writeJsonAtomic(path, value) {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, JSON.stringify(value));
  renameSync(temp, path);
}
function readJson(path, what) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`${path}: cannot read ${what}: ${error.message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not a valid ${what} (${error.message})`);
  }
}

// gim/lagrangian.ts
var Lagrangian = class {
  constructor(settings) {
    this.settings = settings;
  }
  settings;
  alpha = 0;
  mu = 1;
  previousScore = null;
  hAtLastUpdate = null;
  checks = [];
  check(step, holdoutLogLikelihood, h, cyclic) {
    const prev = this.previousScore;
    const relativeGain = prev === null ? null : (holdoutLogLikelihood - prev) / Math.max(Math.abs(prev), 1e-12);
    const converged = relativeGain !== null && relativeGain < this.settings.tolerance;
    if (converged && cyclic) {
      this.alpha += this.mu * h;
      if (this.hAtLastUpdate === null || h >= 0.25 * this.hAtLastUpdate) {
        this.mu = Math.min(this.settings.eta * this.mu, this.settings.muMax);
      }
      this.hAtLastUpdate = h;
    }
    this.previousScore = holdoutLogLikelihood;
    const record = { step, holdoutLogLikelihood, relativeGain, converged, cyclic, h, alpha: this.alpha, mu: this.mu };
    this.checks.push(record);
    return record;
  }
  exportState() {
    return { alpha: this.alpha, mu: this.mu, previousScore: this.previousScore, hAtLastUpdate: this.hAtLastUpdate, checks: this.checks };
  }
  importState(state) {
    this.alpha = state.alpha;
    this.mu = state.mu;
    this.previousScore = state.previousScore;
    this.hAtLastUpdate = state.hAtLastUpdate;
    this.checks.splice(0, this.checks.length, ...state.checks);
  }
};

// gim/map-estimate.ts
function limitGraph(scores) {
  return scores.map((row, i) => row.map((s, j) => i !== j && s > 0 ? 1 : 0));
}
function topologicalOrder(g) {
  const d2 = g.length;
  const indegree = Array.from({ length: d2 }, (_, j) => g.reduce((acc, row) => acc + (row[j] ? 1 : 0), 0));
  const queue = indegree.flatMap((deg, j) => deg === 0 ? [j] : []);
  const order = [];
  while (queue.length > 0) {
    const i = queue.shift();
    order.push(i);
    for (let j = 0; j < d2; j++) if (g[i][j] && --indegree[j] === 0) queue.push(j);
  }
  return order.length === d2 ? order : null;
}
function isAcyclic(g) {
  return topologicalOrder(g) !== null;
}

// gim/likelihood.ts
function clampLogStd(lambda2, c) {
  return c > 0 ? affine(tanh(affine(lambda2, 1 / c)), c) : lambda2;
}
function hardContraction(data2, Lo, targets, psi, config) {
  const { d: d2 } = data2;
  const perRowPsi = transpose(gather(psi, data2.env, 0), [1, 0, 2]);
  const mean2 = slice(perRowPsi, 2, 0, d2);
  const logStd = clampLogStd(slice(perRowPsi, 2, d2, 2 * d2), config.logStdClamp);
  const Li = normalLogpdfStd(data2.X, mean2, logStd);
  const perRowTargets = transpose(gather(targets, data2.env, 0), [1, 0, 2]);
  return { a: sum(Lo, 2), b: sum(mul(perRowTargets, Li), 2), P: Lo, Q: neg(targets) };
}
function shiftContraction(data2, Lo, rho, ell, targets, psi) {
  const precision = exp(neg(ell));
  const shift = mul(targets, psi);
  const bEnv = affine(sum(mul(mul(shift, psi), precision), 2), -0.5);
  const b = transpose(gather(bEnv, data2.env, 0), [1, 0]);
  return { a: sum(Lo, 2), b, P: mul(rho, precision), Q: shift };
}
function estimator(data2, c, config) {
  const M = c.a.shape[0];
  const R2 = c.b.shape[0];
  let perGraph;
  if (config.marginalize === "per-sample") {
    perGraph = sum(pairLogsumexp(c.a, c.b, c.P, c.Q, data2.env), 1);
  } else {
    perGraph = perEnvTerms(data2, c, R2);
  }
  return affine(logsumexp(perGraph, 0), 1, -Math.log(M));
}
function perEnvTerms(data2, c, R2) {
  const oneHot = data2.envOneHot;
  const M = c.a.shape[0];
  const A = transpose(matmul(oneHot, c.a, { transposeB: true }), [1, 0]);
  const B = matmul(oneHot, c.b, { transposeB: true });
  const Pseg = transpose(matmul(oneHot, c.P), [1, 0, 2]);
  const cross = matmul(Pseg, c.Q, { transposeB: true });
  const lambda2 = addAll(cross, reshape(transpose(A, [1, 0]), [data2.E, M, 1]), reshape(B, [data2.E, 1, R2]));
  const inner = affine(logsumexp(lambda2, 2), 1, -Math.log(R2));
  return sum(inner, 0);
}
function addAll(...terms) {
  return terms.reduce((acc, t) => add(acc, t));
}
function gaussianPrior(tensors, std) {
  const parts = tensors.map((t) => sum(square(t)));
  const total = parts.length === 1 ? parts[0] : concatSum(parts);
  return affine(total, -1 / (2 * std * std));
}
function concatSum(parts) {
  return sum(concat(parts.map((p) => reshape(p, [1])), 0));
}

// gim/params.ts
var normal = (std) => (rng2, n) => Array.from({ length: n }, () => std * rng2.normal());
var zerosInit = (_rng, n) => new Array(n).fill(0);
var glorot = (fanIn, fanOut) => normal(Math.sqrt(2 / (fanIn + fanOut)));
function psiWidth(config, d2) {
  return config.intervention === "hard" ? 2 * d2 : d2;
}
function gimNets(config) {
  return config.intervention === "hard" ? ["f", "hMean", "hLogStd"] : ["f", "hShift"];
}
function netSpecs(name, p, hidden, out) {
  const widths = [p, hidden, hidden, out];
  const specs = [];
  for (let l = 0; l < 3; l++) {
    specs.push({ name: `${name}.W${l}`, shape: [widths[l], widths[l + 1]], group: "phi", init: glorot(widths[l], widths[l + 1]) });
    specs.push({ name: `${name}.b${l}`, shape: [widths[l + 1]], group: "phi", init: zerosInit });
  }
  return specs;
}
function paramSpecs(config, dims) {
  const { d: d2, p, K: K2 } = dims;
  const k = config.rank ?? d2;
  const H = config.hidden;
  const specs = [
    { name: "U", shape: [d2, k], group: "z", init: normal(1) },
    { name: "V", shape: [d2, k], group: "z", init: normal(1) }
  ];
  if (config.mechanism === "linear") {
    specs.push({ name: "Theta", shape: [d2, d2], group: "theta", init: normal(config.thetaStd) });
  } else {
    specs.push(
      { name: "W1", shape: [d2, d2, H], group: "theta", init: glorot(d2, H) },
      { name: "b1", shape: [d2, H], group: "theta", init: zerosInit },
      { name: "w2", shape: [d2, H], group: "theta", init: glorot(H, 1) },
      { name: "b2", shape: [d2], group: "theta", init: zerosInit }
    );
  }
  specs.push({ name: "ell", shape: [d2], group: "theta", init: zerosInit });
  if (config.amortize) {
    for (const net of gimNets(config)) specs.push(...netSpecs(net, p, config.gimHidden, d2));
  } else {
    specs.push(
      { name: "targetLogits", shape: [K2, d2], group: "phi", init: zerosInit },
      { name: "psiFree", shape: [K2, psiWidth(config, d2)], group: "phi", init: zerosInit }
    );
  }
  return specs;
}
function initParams(config, dims, backend, dtype) {
  const rng2 = new HostRandom(config.seed * 7919 + 17);
  const specs = paramSpecs(config, dims);
  const tensors = /* @__PURE__ */ new Map();
  for (const spec of specs) {
    const values = spec.init(rng2, sizeOf(spec.shape));
    tensors.set(spec.name, new Tensor(backend, backend.upload(values, dtype), spec.shape, true));
  }
  return { specs, tensors };
}
function param(params3, name) {
  const t = params3.tensors.get(name);
  if (!t) throw new Error(`GIM parameter '${name}' does not exist for this configuration`);
  return t;
}
function groupParams(params3, group) {
  return params3.specs.filter((s) => s.group === group).map((s) => param(params3, s.name));
}
function mechanismParams(params3, config) {
  return config.mechanism === "linear" ? [param(params3, "Theta")] : ["W1", "b1", "w2", "b2"].map((n) => param(params3, n));
}
async function readParams(params3) {
  const out = {};
  for (const spec of params3.specs) {
    const values = await param(params3, spec.name).toArray();
    out[spec.name] = Array.from(values);
  }
  return out;
}
function writeParams(params3, values) {
  for (const spec of params3.specs) {
    const v = values[spec.name];
    if (!v) throw new Error(`checkpoint has no parameter '${spec.name}'`);
    if (v.length !== sizeOf(spec.shape)) throw new Error(`checkpoint parameter '${spec.name}' has ${v.length} values, expected ${sizeOf(spec.shape)}`);
    const t = param(params3, spec.name);
    const staged = t.backend.upload(v, t.dtype);
    t.backend.copy(staged, 0, t.storage, 0, v.length);
    t.backend.release(staged);
  }
}

// gim/objective.ts
var STREAMS = { graph: 0, targets: 1, psi: 2, acyclicity: 3, power: 4 };
function streamFor(step, purpose) {
  return step * 16 + STREAMS[purpose];
}
function scalarsAt(config, step, al) {
  return { step, alpha: alphaAt(config, step), targetPriorScale: -lambdaTargetsAt(config, step), alLinear: -al.alpha, alQuadratic: -al.mu / 2 };
}
function edgeLogits(params3, alpha) {
  return affine(matmul(param(params3, "U"), param(params3, "V"), { transposeB: true }), alpha);
}
function gimNet(params3, name, gamma) {
  let h = gamma;
  for (let l = 0; l < 3; l++) {
    h = add(matmul(h, param(params3, `${name}.W${l}`)), param(params3, `${name}.b${l}`));
    if (l < 2) h = tanh(h);
  }
  return h;
}
function targetLogits(params3, config, gamma) {
  return config.amortize ? gimNet(params3, "f", gamma) : param(params3, "targetLogits");
}
function psiMean(params3, config, gamma) {
  if (!config.amortize) return param(params3, "psiFree");
  const heads = gimNets(config).slice(1).map((net) => gimNet(params3, net, gamma));
  return heads.length === 1 ? heads[0] : concat(heads, 1);
}
function mechanismMean(config, X, graphs, mech) {
  return config.mechanism === "linear" ? linearMechanism(X, graphs, mech[0]) : mlpMechanism(X, graphs, mech[0], mech[1], mech[2], mech[3]);
}
function withObservational(t) {
  const [, R2, w] = t.shape;
  return concat([zeros([1, R2, w], { backend: t.backend, dtype: t.dtype }), t], 0);
}
function drawStep(params3, config, data2, gamma, step, alpha) {
  const M = config.mcSamples;
  const seed = config.seed;
  const logits = edgeLogits(params3, alpha);
  const graphNoise = { samples: M, tau: config.tau, seed, stream: streamFor(step, "graph"), zeroDiagonal: true };
  const softGraph = gumbelSigmoid(logits, graphNoise);
  const hardGraph = hardBernoulli(detach(logits), graphNoise);
  const a = targetLogits(params3, config, gamma);
  const targetNoise = { samples: M, tau: config.tau, seed, stream: streamFor(step, "targets"), zeroDiagonal: false };
  const soft = transpose(gumbelSigmoid(a, targetNoise), [1, 0, 2]);
  const hard = transpose(hardBernoulli(detach(a), targetNoise), [1, 0, 2]);
  const K2 = gamma.shape[0];
  const width = psiWidth(config, data2.d);
  const eps = randn([K2, M, width], { seed, stream: streamFor(step, "psi"), backend: gamma.backend, dtype: gamma.dtype });
  const psi = add(reshape(psiMean(params3, config, gamma), [K2, 1, width]), affine(eps, config.sigmaPsi));
  return {
    softGraph,
    hardGraph,
    softTargets: withObservational(soft),
    hardTargets: withObservational(hard),
    psi: withObservational(psi),
    logits: a
  };
}
function likelihood(config, data2, graphs, mech, ell, targets, psi) {
  const mu = mechanismMean(config, data2.X, graphs, mech);
  const Lo = normalLogpdf(data2.X, mu, ell);
  const rho = config.intervention === "shift" ? sub(data2.X, mu) : mu;
  return { value: fromLo(config, data2, Lo, rho, ell, targets, psi), Lo, rho };
}
function fromLo(config, data2, Lo, rho, ell, targets, psi) {
  const c = config.intervention === "hard" ? hardContraction(data2, Lo, targets, psi, config) : shiftContraction(data2, Lo, rho, ell, targets, psi);
  return estimator(data2, c, config);
}
function acyclicity(params3, config, step, alpha) {
  const logits = edgeLogits(params3, alpha);
  const samples = gumbelSigmoid(logits, {
    samples: config.acyclicitySamples,
    tau: config.tau,
    seed: config.seed,
    stream: streamFor(step, "acyclicity"),
    zeroDiagonal: true
  });
  const rho = spectralRadius(samples, { iterations: config.powerIterations, seed: config.seed, stream: streamFor(step, "power") });
  return affine(sum(rho), 1 / config.acyclicitySamples);
}
function modelPrior(params3, config, alpha, d2, offDiagonal) {
  const probs = sum(mul(sigmoidOf(edgeLogits(params3, alpha)), offDiagonal));
  const k = config.rank ?? d2;
  const terms = [
    affine(probs, -config.lambdaGraph),
    gaussianPrior(groupParams(params3, "z"), Math.sqrt(1 / k)),
    gaussianPrior(mechanismParams(params3, config), config.sigmaTheta),
    gaussianPrior([param(params3, "ell")], config.sigmaEll)
  ];
  return terms.reduce((acc, t) => add(acc, t));
}
function gimPrior(params3, config, targetPriorScale, logits) {
  return add(affine(sum(sigmoidOf(logits)), targetPriorScale), gaussianPrior(groupParams(params3, "phi"), config.sigmaPhi));
}
function stepObjective(params3, config, data2, gamma, scalars) {
  const { step, alpha } = scalars;
  const draws = drawStep(params3, config, data2, gamma, step, alpha);
  const mech = mechanismParams(params3, config);
  const ell = param(params3, "ell");
  const frozenMech = mech.map(detach);
  const frozenEll = detach(ell);
  const frozenPsi = detach(draws.psi);
  const zTerm = likelihood(config, data2, draws.softGraph, frozenMech, frozenEll, draws.hardTargets, frozenPsi).value;
  const theta = likelihood(config, data2, draws.hardGraph, mech, ell, draws.hardTargets, frozenPsi);
  const phiTerm = fromLo(config, data2, detach(theta.Lo), detach(theta.rho), frozenEll, draws.softTargets, draws.psi);
  const h = acyclicity(params3, config, step, alpha);
  const lagrangian = add(affine(h, scalars.alLinear), affine(mul(h, h), scalars.alQuadratic));
  const prior = modelPrior(params3, config, alpha, data2.d, data2.offDiagonal);
  const J = [zTerm, phiTerm, theta.value, prior, lagrangian, gimPrior(params3, config, scalars.targetPriorScale, draws.logits)].reduce((acc, t) => add(acc, t));
  return { loss: affine(J, -1 / data2.N), logLikelihood: theta.value, acyclicity: h };
}

// gim/step-replay.ts
var SENTINEL = { step: 703710, alpha: 1234.5, targetPriorScale: -2345.25, alLinear: -3456.125, alQuadratic: -4567.375 };
var FLOAT_KEYS = ["alpha", "targetPriorScale", "alLinear", "alQuadratic"];
function findPatches(commands) {
  const patches = [];
  const floatOf = new Map(FLOAT_KEYS.map((k) => [Math.fround(SENTINEL[k]), k]));
  const streamBase = SENTINEL.step * 16;
  commands.forEach((command, index) => {
    if (!("dispatch" in command)) return;
    const d2 = command.dispatch;
    const floats = new Float32Array(d2.params.buffer);
    d2.kernel.params.forEach(([name, type], word) => {
      if (d2.kernel === adamKernel && (name === "c1" || name === "c2")) patches.push({ index, word, kind: "adam", which: name });
      else if (type === "f32" && floatOf.has(floats[word])) patches.push({ index, word, kind: "float", key: floatOf.get(floats[word]) });
      else if (type === "u32" && d2.params[word] >= streamBase && d2.params[word] < streamBase + 16) {
        patches.push({ index, word, kind: "stream", purpose: d2.params[word] - streamBase });
      }
    });
  });
  return patches;
}
var ReplayedStep = class _ReplayedStep {
  constructor(trainer2, backend, recording, patches, outputs) {
    this.trainer = trainer2;
    this.backend = backend;
    this.recording = recording;
    this.outputs = outputs;
    for (const p of patches) this.byIndex.set(p.index, [...this.byIndex.get(p.index) ?? [], p]);
  }
  trainer;
  backend;
  recording;
  outputs;
  byIndex = /* @__PURE__ */ new Map();
  static record(trainer2, backend) {
    let outputs = null;
    const adamSteps = trainer2.adam.stepCount;
    const recording = backend.record(() => {
      outputs = trainer2.buildStep(SENTINEL);
    });
    trainer2.adam.stepCount = adamSteps;
    const patches = findPatches(recording.commands);
    const found = new Set(patches.map((p) => p.kind === "float" ? p.key : p.kind === "stream" ? `stream${p.purpose}` : p.kind));
    const needed = [...FLOAT_KEYS, "adam", ...Object.values(STREAMS).map((s) => `stream${s}`)];
    const missing = needed.filter((k) => !found.has(k));
    if (missing.length > 0) {
      backend.discardRecording(recording);
      throw new Error(`step replay: the captured step does not carry ${missing.join(", ")} in any uniform; cannot replay`);
    }
    return new _ReplayedStep(trainer2, backend, recording, patches, outputs);
  }
  get dispatches() {
    return this.recording.commands.length;
  }
  /** Queues step t. */
  queue(step) {
    const scalars = scalarsAt(this.trainer.config, step, this.trainer.lagrangian);
    const adam = this.trainer.adam;
    adam.stepCount++;
    const t = adam.stepCount;
    const corrections = { c1: 1 - adam.beta1 ** t, c2: 1 - adam.beta2 ** t };
    const scratch = new Float32Array(1);
    const asWord = (value) => {
      scratch[0] = value;
      return new Uint32Array(scratch.buffer)[0];
    };
    const floatWords = Object.fromEntries(FLOAT_KEYS.map((k) => [k, asWord(scalars[k])]));
    const adamWords = { c1: asWord(corrections.c1), c2: asWord(corrections.c2) };
    this.backend.replay(this.recording, (index, words) => {
      const patches = this.byIndex.get(index);
      if (!patches) return;
      for (const p of patches) {
        if (p.kind === "float") words[p.word] = floatWords[p.key];
        else if (p.kind === "stream") words[p.word] = step * 16 + p.purpose >>> 0;
        else words[p.word] = adamWords[p.which];
      }
    });
  }
  dispose() {
    this.backend.discardRecording(this.recording);
  }
};

// gim/training-set.ts
function splitHoldout(set2, fraction, seed) {
  const rng2 = new HostRandom(seed + 7919);
  const d2 = set2.variables.length;
  const train = [];
  const holdout = [];
  for (const env of set2.envs) {
    const order = Array.from({ length: env.n }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng2.uniform() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const nHold = fraction > 0 ? Math.min(env.n - 1, Math.round(fraction * env.n)) : 0;
    const pick = (rows) => {
      const out = new Float64Array(rows.length * d2);
      rows.forEach((r, k) => out.set(env.samples.subarray(r * d2, (r + 1) * d2), k * d2));
      return { ...env, samples: out, n: rows.length };
    };
    holdout.push(pick(order.slice(0, nHold)));
    train.push(pick(order.slice(nHold)));
  }
  return { train: { ...set2, envs: train }, holdout: { ...set2, envs: holdout } };
}
function featureMatrix(set2, backend, dtype) {
  const K2 = set2.envs.length - 1;
  const p = set2.featureNames.length;
  const values = set2.envs.slice(1).flatMap((e) => e.features);
  return new Tensor(backend, backend.upload(values, dtype), [K2, p]);
}
function uploadData(set2, backend, dtype, withOneHot) {
  const d2 = set2.variables.length;
  const N = set2.envs.reduce((acc, e) => acc + e.n, 0);
  const E = set2.envs.length;
  const X = new Float64Array(N * d2);
  const env = new Float64Array(N);
  const envStart = [];
  let row = 0;
  set2.envs.forEach((e, k) => {
    envStart.push(row);
    X.set(e.samples, row * d2);
    env.fill(k, row, row + e.n);
    row += e.n;
  });
  envStart.push(N);
  let envOneHot = null;
  if (withOneHot) {
    const oneHot = new Float64Array(E * N);
    for (let n = 0; n < N; n++) oneHot[env[n] * N + n] = 1;
    envOneHot = new Tensor(backend, backend.upload(oneHot, dtype), [E, N]);
  }
  const offDiagonal = new Float64Array(d2 * d2).fill(1);
  for (let i = 0; i < d2; i++) offDiagonal[i * d2 + i] = 0;
  return {
    X: new Tensor(backend, backend.upload(X, dtype), [N, d2]),
    env: new Tensor(backend, backend.upload(env, dtype), [N]),
    envStart,
    envOneHot,
    offDiagonal: new Tensor(backend, backend.upload(offDiagonal, dtype), [d2, d2]),
    N,
    E,
    d: d2
  };
}

// gim/train.ts
var NonFiniteLossError = class extends Error {
};
var HOLDOUT_SEED_SALT = 104729;
var Trainer = class {
  constructor(config, set2, backend, dtype = backend.supports("f32") ? "f32" : "f64") {
    this.config = config;
    this.set = set2;
    this.backend = backend;
    this.dtype = dtype;
    if (set2.envs.length < 2) throw new Error("training needs the observational environment and at least one interventional environment");
    const { train, holdout } = splitHoldout(set2, config.holdoutFraction, config.seed);
    const perEnv2 = config.marginalize === "per-env";
    this.data = uploadData(train, backend, this.dtype, perEnv2);
    this.holdout = config.holdoutFraction > 0 ? uploadData(holdout, backend, this.dtype, perEnv2) : null;
    this.gamma = featureMatrix(set2, backend, this.dtype);
    const dims = { d: set2.variables.length, p: set2.featureNames.length, K: set2.envs.length - 1 };
    this.params = initParams(config, dims, backend, this.dtype);
    this.adam = new Adam([...this.params.tensors.values()], { lr: config.lr });
    this.lagrangian = new Lagrangian({ eta: config.alEta, muMax: config.alMuMax, tolerance: config.convergenceTol });
  }
  config;
  set;
  backend;
  dtype;
  params;
  lagrangian;
  step = 0;
  lastAcyclicity = 0;
  adam;
  replayed = null;
  data;
  holdout;
  gamma;
  get trainingRows() {
    return this.data.N;
  }
  /** Queues one step; returns the loss and ĥ tensors (kept) for optional readback. */
  queueStep() {
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
   * Adam, ℓ clamp. Returns detached, kept loss and ĥ.
   */
  buildStep(scalars) {
    const result = tidy(() => {
      const terms = stepObjective(this.params, this.config, this.data, this.gamma, scalars);
      backward(terms.loss);
      this.adam.step();
      this.clampLogVariances();
      return { loss: detach(terms.loss), acyclicity: detach(terms.acyclicity) };
    });
    return { loss: keep(result.loss), acyclicity: keep(result.acyclicity) };
  }
  /** Switches to replaying one recorded step (webgpu only; see gim/step-replay.ts). */
  enableReplay() {
    if (this.replayed || !(this.backend instanceof WebGpuBackend)) return this.replayed !== null;
    this.replayed = ReplayedStep.record(this, this.backend);
    return true;
  }
  clampLogVariances() {
    const ell = param(this.params, "ell");
    const clamped = noGrad(() => clamp(ell, -this.config.logVarClamp, this.config.logVarClamp));
    this.backend.copy(clamped.storage, 0, ell.storage, 0, ell.size);
  }
  async train(options = {}) {
    const { config } = this;
    const every = Math.max(1, config.logEvery);
    let lastRead = performance.now();
    let stepsSinceRead = 0;
    let rate = 0;
    let finalLoss = Number.NaN;
    const started = performance.now();
    while (this.step < config.steps) {
      const { loss, acyclicity: acyclicity2 } = this.queueStep();
      stepsSinceRead++;
      const atEnd = this.step === config.steps;
      const stop = options.shouldStop?.() ?? false;
      const alDue = this.step % config.alSteps === 0;
      const checkpointDue = options.checkpointPath && options.checkpointEvery && this.step % options.checkpointEvery === 0;
      if (this.step % every === 0 || atEnd || stop || alDue || checkpointDue) {
        finalLoss = await loss.item();
        this.lastAcyclicity = await acyclicity2.item();
        const now = performance.now();
        rate = stepsSinceRead * 1e3 / Math.max(now - lastRead, 1e-6);
        lastRead = now;
        stepsSinceRead = 0;
        if (!Number.isFinite(finalLoss) || !Number.isFinite(this.lastAcyclicity)) {
          throw new NonFiniteLossError(
            `non-finite loss (${finalLoss}) or acyclicity (${this.lastAcyclicity}) at step ${this.step}; training stopped` + (options.checkpointPath ? `; the last good checkpoint is kept at ${options.checkpointPath}` : "")
          );
        }
        if (alDue) await this.lagrangianCheck();
        options.onProgress?.({
          step: this.step,
          steps: config.steps,
          loss: finalLoss,
          acyclicity: this.lastAcyclicity,
          stepsPerSecond: rate,
          elapsedSeconds: (now - started) / 1e3
        });
        if (options.checkpointPath && (checkpointDue || stop || atEnd)) await this.saveCheckpoint(options.checkpointPath);
      }
      if (!this.replayed) {
        loss.dispose();
        acyclicity2.dispose();
      }
      if (stop) return { steps: this.step, stoppedEarly: true, stepsPerSecond: rate, finalLoss };
    }
    await this.backend.sync();
    return { steps: this.step, stoppedEarly: false, stepsPerSecond: rate, finalLoss };
  }
  async lagrangianCheck() {
    const score = await this.holdoutScore();
    const cyclic = !isAcyclic(limitGraph(await this.scores()));
    this.lagrangian.check(this.step, score, this.lastAcyclicity, cyclic);
  }
  /** s_t: mean log-likelihood per holdout sample, hard samples, a fixed seed (§6). */
  async holdoutScore() {
    const data2 = this.holdout ?? this.data;
    const config = { ...this.config, seed: this.config.seed + HOLDOUT_SEED_SALT };
    const value = noGrad(
      () => tidy(() => {
        const draws = drawStep(this.params, config, data2, this.gamma, this.step, alphaAt(this.config, this.step));
        const ell = param(this.params, "ell");
        return likelihood(config, data2, draws.hardGraph, mechanismParams(this.params, this.config), ell, draws.hardTargets, draws.psi).value;
      })
    );
    const result = await value.item() / data2.N;
    value.dispose();
    return result;
  }
  /** S = U Vᵀ on the host. */
  async scores() {
    const S = noGrad(() => matmul(param(this.params, "U"), param(this.params, "V"), { transposeB: true }));
    const values = await S.toArray();
    S.dispose();
    const d2 = this.set.variables.length;
    return Array.from({ length: d2 }, (_, i) => Array.from(values.subarray(i * d2, (i + 1) * d2)));
  }
  alpha() {
    return alphaAt(this.config, Math.max(this.step - 1, 0));
  }
  async saveCheckpoint(path) {
    const host = await readParams(this.params);
    const file = {
      format: "gim-webgpu-checkpoint/1",
      step: this.step,
      config: this.config,
      backend: this.backend.name,
      params: Object.fromEntries(Object.entries(host).map(([k, v]) => [k, encodeArray(v, this.dtype)])),
      adam: await this.adam.exportState(),
      lagrangian: this.lagrangian.exportState()
    };
    writeJsonAtomic(path, file);
  }
  async loadCheckpoint(path) {
    const file = readJson(path, "checkpoint");
    if (file.format !== "gim-webgpu-checkpoint/1") throw new Error(`${path}: not a gim-webgpu checkpoint`);
    for (const key of ["mechanism", "intervention", "seed", "mcSamples", "amortize", "marginalize"]) {
      if (file.config[key] !== this.config[key]) {
        throw new Error(`${path}: checkpoint was made with ${key} = ${file.config[key]}, this run has ${this.config[key]}`);
      }
    }
    writeParams(this.params, Object.fromEntries(Object.entries(file.params).map(([k, v]) => [k, decodeArray(v)])));
    await this.adam.importState(file.adam);
    this.lagrangian.importState(file.lagrangian);
    this.step = file.step;
  }
};

// prof.tmp.ts
var rng = new HostRandom(1);
var d = Number(process.argv[2] ?? 3);
var perEnv = Number(process.argv[3] ?? 100);
var K = 6;
var mk = (n) => Float64Array.from({ length: n * d }, () => rng.normal());
var envs = [{ id: "obs", features: [0, 0, 0, 0], samples: mk(3 * perEnv), n: 3 * perEnv }];
for (let k = 0; k < K; k++) envs.push({ id: `e${k}`, features: [1 + k, k % 2, 0.5, 1], samples: mk(perEnv), n: perEnv });
var set = { variables: Array.from({ length: d }, (_, j) => `x${j}`), featureNames: ["a", "b", "c", "e"], envs };
var gpu = await webgpuBackend();
var trainer = new Trainer({ ...DEFAULTS, mechanism: process.argv[4] ?? "linear" }, set, gpu);
var rec = gpu.record(() => {
  trainer.buildStep(scalarsAt(trainer.config, 5, trainer.lagrangian));
});
var times = /* @__PURE__ */ new Map();
for (const cmd of rec.commands) {
  const one = { commands: [cmd], buffers: [] };
  gpu.replay(one);
  await gpu.sync();
  const t0 = performance.now();
  for (let r = 0; r < 3; r++) gpu.replay(one);
  await gpu.sync();
  const name = "dispatch" in cmd ? cmd.dispatch.kernel.name : "copy";
  times.set(name, (times.get(name) ?? 0) + (performance.now() - t0) / 3);
}
console.log("commands", rec.commands.length, "total ms", [...times.values()].reduce((a, b) => a + b, 0).toFixed(1));
console.log([...times].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, t]) => `${t.toFixed(2)} ms ${k}`).join("\n"));
process.exit(0);
