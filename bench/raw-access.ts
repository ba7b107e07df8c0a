/**
 * What a storage access costs a lane, without the engine: the evidence for kernels/vector-rows.ts.
 * 129,600 lanes (2,025 workgroups of 64), each reading or writing one row of 10 floats (a 12-float
 * row for vec4), written straight to Dawn; each probe is 20 dispatches in one pass, timed until done.
 * "empty" reads one float and writes one per lane: what is left above it is the accesses' cost.
 */
import { gpuWait } from "../engine/gpu-wait.js";

const LANES = 129600;
const REPEATS = 20;

/**
 * name → the element type of the buffer the probe streams, the WGSL statements of lane n, and
 * whether that buffer is written (B) rather than read (A).
 */
const PROBES: Record<string, { element: string; body: string; write?: boolean }> = {
  empty: { element: "f32", body: "B[n] = A[n];" },
  "read 10 × f32": {
    element: "f32",
    body: "var s = 0.0; for (var j = 0u; j < 10u; j++) { s += A[n * 10u + j]; } B[n] = s;",
  },
  "read 5 × vec2": {
    element: "vec2<f32>",
    body: "var s = vec2<f32>(0.0); for (var j = 0u; j < 5u; j++) { s += A[n * 5u + j]; } B[n] = s.x + s.y;",
  },
  "read 3 × vec4 (12 floats)": {
    element: "vec4<f32>",
    body: "var s = vec4<f32>(0.0); for (var j = 0u; j < 3u; j++) { s += A[n * 3u + j]; } B[n] = s.x + s.y + s.z + s.w;",
  },
  "write 10 × f32": {
    element: "f32",
    write: true,
    body: "let v = A[n]; for (var j = 0u; j < 10u; j++) { B[n * 10u + j] = v + f32(j); }",
  },
  "write 5 × vec2": {
    element: "vec2<f32>",
    write: true,
    body: "let v = A[n]; for (var j = 0u; j < 5u; j++) { B[n * 5u + j] = vec2<f32>(v + f32(2u * j), v); }",
  },
};

function shader({ element, body, write }: (typeof PROBES)[string]): string {
  const [a, b] = write ? ["f32", element] : [element, "f32"];
  return `@group(0) @binding(0) var<storage, read> A: array<${a}>;
@group(0) @binding(1) var<storage, read_write> B: array<${b}>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let n = g.x;
  if (n >= ${LANES}u) { return; }
  ${body}
}`;
}

/** Each probe as an async function that runs it REPEATS times and waits; and how many times that is. */
export function rawAccessProbes(device: GPUDevice): { name: string; run: () => Promise<void>; repeats: number }[] {
  const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const [input, output] = [0, 1].map(() => device.createBuffer({ size: LANES * 12 * 4, usage }));
  return Object.entries(PROBES).map(([name, probe]) => {
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code: shader(probe) }), entryPoint: "main" },
    });
    const group = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [input, output].map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    const run = async () => {
      const encoder = device.createCommandEncoder();
      const pass = encoder.beginComputePass();
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, group);
      for (let k = 0; k < REPEATS; k++) pass.dispatchWorkgroups(LANES / 64);
      pass.end();
      device.queue.submit([encoder.finish()]);
      await gpuWait(device.queue.onSubmittedWorkDone());
    };
    return { name, run, repeats: REPEATS };
  });
}
