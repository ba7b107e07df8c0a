/**
 * Failures must be loud and specific: shape errors name the op and both shapes, GPU compile and
 * validation errors name the kernel (and the WGSL line), device loss rejects promptly instead of
 * hanging, and a disposed tensor cannot be used. GPU failures run on private devices so that the
 * shared backend of other tests stays healthy.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Storage } from "../engine/backend.js";
import { WebGpuBackend } from "../engine/backend-webgpu.js";
import { createBackend } from "../engine/context.js";
import { rand, tensor } from "../engine/create.js";
import { type Kernel, defineKernel } from "../engine/kernel.js";
import { backward } from "../engine/tape.js";
import { add, mul } from "../kernels/ops.js";
import { randomKernels } from "../engine/random.js";
import { eachDevice, exitWhenDone } from "./helpers.js";

const devices = await eachDevice("errors");
const [cpu, gpu] = [devices.cpu.backend, devices.webgpu.backend];

/** Resolves to what `promise` settled with, or "timeout" after `ms` (a hang fails the test). */
async function settle(promise: Promise<unknown>, ms: number): Promise<{ error?: Error; value?: unknown } | "timeout"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), ms)));
  try {
    return await Promise.race([
      promise.then(
        (value) => ({ value }),
        (error: Error) => ({ error }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejection(promise: Promise<unknown>, ms = 10_000): Promise<string> {
  const result = await settle(promise, ms);
  if (result === "timeout") assert.unreachable(`no answer within ${ms} ms`);
  const { error } = result as { error?: Error };
  if (!error) assert.unreachable("expected a rejection, got a value");
  return error!.message;
}

async function privateGpu(): Promise<WebGpuBackend> {
  const own = await WebGpuBackend.create();
  if (!own) throw new Error("no adapter for a private device");
  return own;
}

test("shape mismatch names the op and both shapes", () => {
  const a = tensor([1, 2, 3, 4, 5, 6], [2, 3], { backend: cpu });
  const b = tensor([1, 2, 3, 4], [4], { backend: cpu });
  assert.throws(
    () => add(a, b),
    (e: Error) => /^add: /.test(e.message) && e.message.includes("[2, 3]") && e.message.includes("[4]"),
  );
  assert.throws(
    () => mul(b, a),
    (e: Error) => /^mul: /.test(e.message) && e.message.includes("[4]") && e.message.includes("[2, 3]"),
  );
  assert.throws(() => tensor([1, 2, 3], [2, 2], { backend: cpu }), /3 values do not fill shape \[2, 2\]/);
});

test("unknown backend lists the choices", async () => {
  const message = await rejection(createBackend("tpu", () => {}));
  assert.match(message, /unknown backend 'tpu'/);
  assert.match(message, /auto, webgpu, cpu/);
});

test("backward of a non-scalar loss without a seed says what to do", () => {
  const x = tensor([1, 2], [2], { backend: cpu, requiresGrad: true });
  assert.throws(() => backward(mul(x, x)), /loss has shape \[2\]; pass a seed cotangent/);
});

const brokenKernel = defineKernel({
  name: "test.broken_wgsl",
  entry: "main",
  inputs: [],
  outputs: ["Y"],
  params: [["n", "u32"]],
  workgroupSize: 64,
  // The body uses an undeclared identifier.
  body: "  Y[gid.x] = not_declared_anywhere * 2.0;",
  workgroups: () => 1,
  cpu: () => {},
});
const BROKEN_LINE = brokenKernel.wgsl.split("\n").findIndex((line) => line.includes("not_declared_anywhere")) + 1;

devices.webgpu.test("broken WGSL: sync rejects naming the kernel and the line", async () => {
  const own = await privateGpu();
  own.run(brokenKernel, [], [own.alloc(64, "f32")], { n: 64 });
  const message = await rejection(own.sync());
  assert.match(message, /test\.broken_wgsl/);
  assert.match(message, new RegExp(`line ${BROKEN_LINE}:`));
  assert.match(message, /not_declared_anywhere/);
  own.destroy();
});

/**
 * The generator keeps a declaration's WGSL and its binding counts in step, so a mismatch can only
 * come from a malformed Kernel object: this one claims two inputs while its WGSL binds one input
 * and one output, and the backend's layout then disagrees with the shader's.
 */
const mismatchedKernel: Kernel = {
  ...defineKernel({
    name: "test.binding_mismatch",
    entry: "main",
    inputs: ["X"],
    outputs: ["Y"],
    params: [["n", "u32"]],
    workgroupSize: 64,
    body: "  Y[gid.x] = X[gid.x];",
    workgroups: () => 1,
    cpu: () => {},
  }),
  inputs: 2,
};

devices.webgpu.test("binding layout mismatch: a validation error naming the kernel", async () => {
  const own = await privateGpu();
  const s = (): Storage => own.alloc(64, "f32");
  own.run(mismatchedKernel, [s(), s()], [s()], { n: 64 });
  const message = await rejection(own.sync());
  assert.match(message, /test\.binding_mismatch/);
  assert.match(message, /binding/i);
  own.destroy();
});

devices.webgpu.test("wrong number of buffers for a kernel is refused at once", () => {
  assert.throws(
    () => gpu.run(mismatchedKernel, [], [], {}),
    /test\.binding_mismatch: expected 2 inputs and 1 outputs, got 0 and 0/,
  );
});

devices.webgpu.test("device loss mid-run: read and sync reject with 'device lost' instead of hanging", async () => {
  const own = await privateGpu();
  const n = 1 << 22;
  const out = own.alloc(n, "f32");
  for (let k = 0; k < 8; k++) own.run(randomKernels.normal, [], [out], { n, seed: k, stream: 0, offset: 0 });
  own.flush();
  own.device.destroy();
  assert.match(await rejection(own.read(out), 5000), /device lost/i);
  assert.match(await rejection(own.sync(), 5000), /device lost/i);
  assert.throws(() => own.alloc(4, "f32"), /device lost/i);
});

devices.each("use after dispose is a clear error", async ({ backend }) => {
  const x = rand([3, 2], { seed: 1, backend });
  const y = rand([3, 2], { seed: 2, backend });
  x.dispose();
  assert.throws(() => add(x, y), /add: tensor of shape \[3, 2\] was used after dispose\(\)/);
  assert.match(await rejection(x.toArray()), /toArray: tensor of shape \[3, 2\] was used after dispose\(\)/);
  y.dispose();
});

devices.webgpu.test("a released buffer cannot be bound by a kernel (webgpu)", () => {
  const s = gpu.alloc(16, "f32");
  gpu.release(s);
  assert.throws(
    () => gpu.run(randomKernels.uniform, [], [s], { n: 16, seed: 0, stream: 0, offset: 0 }),
    /random\.uniform: a tensor was used after dispose\(\)/,
  );
});

exitWhenDone();
test.run();
