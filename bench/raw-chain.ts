/**
 * The dispatch chain without the engine: the floor the engine's chain (bench/engine.bench.ts) is
 * measured against. Same work — y = a + b on 64 floats, 1,000 times, each add reading the previous
 * result — written straight to Dawn: one pipeline, two output buffers used in turn with their bind
 * groups made once, a submit every SUBMIT_EVERY dispatches as the engine does, one readback at the
 * end through the same wait (engine/gpu-wait.ts). What is left of the engine's figure above this
 * one is the engine's own cost per op (tensor, tape, pool, param slots, bind-group cache); the
 * rest is Dawn and the driver.
 */
import { SUBMIT_EVERY } from "../engine/backend-webgpu.js";
import { gpuWait } from "../engine/gpu-wait.js";

const SHADER = `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x < 64u) { y[g.x] = a[g.x] + b[g.x]; }
}`;

/** One chain of `ops` dependent adds and its readback, as an async function to time. */
export function rawChain(device: GPUDevice, ops: number): () => Promise<void> {
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: "main" },
  });
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const [x0, y, out0, out1] = [0, 1, 2, 3].map(() => device.createBuffer({ size: 256, usage }));
  device.queue.writeBuffer(x0, 0, new Float32Array(64).fill(1));
  device.queue.writeBuffer(y, 0, new Float32Array(64).fill(2));
  const group = (input: GPUBuffer, output: GPUBuffer) =>
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [input, y, output].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
  const first = group(x0, out0);
  const turns = [group(out1, out0), group(out0, out1)];
  const staging = device.createBuffer({ size: 256, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return async () => {
    let encoder = device.createCommandEncoder();
    let pass = encoder.beginComputePass();
    for (let k = 0; k < ops; k++) {
      if (k > 0 && k % SUBMIT_EVERY === 0) {
        pass.end();
        device.queue.submit([encoder.finish()]);
        encoder = device.createCommandEncoder();
        pass = encoder.beginComputePass();
      }
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, k === 0 ? first : turns[k & 1]);
      pass.dispatchWorkgroups(1);
    }
    pass.end();
    encoder.copyBufferToBuffer(ops % 2 === 1 ? out0 : out1, 0, staging, 0, 256);
    device.queue.submit([encoder.finish()]);
    await gpuWait(staging.mapAsync(GPUMapMode.READ));
    staging.unmap();
  };
}
