/**
 * Engine suite (`npm run bench`, the default): matmul GFLOP/s of the tiled kernel and of the naive
 * baseline (bench/naive-matmul.ts) on webgpu and cpu, square f32 at 128–1024, each call timed until
 * its work has completed (`sync`); and the cost per op of a chain of 1,000 adds on 64 floats
 * through the engine, intermediates disposed as it goes (pooled buffers and cached bind groups are
 * reused), with one readback at the end. Uses dawn.node's default polling (no setImmediate swap).
 */
import type { Backend } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import { launch1 } from "../engine/op.js";
import { Tensor } from "../engine/tensor.js";
import { add, matmul } from "../kernels/ops.js";
import { naiveMatmul } from "./naive-matmul.js";
import { type Row, registerSuite, timeIt } from "./report.js";

const SIZES = [128, 256, 512, 1024];
const VARIANTS = ["tiled", "naive"] as const;

function random(b: Backend, shape: number[], seed: number): Tensor {
  const rng = new HostRandom(seed);
  return new Tensor(b, b.upload(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), "f32"), shape);
}

/** Calls of one product: several on webgpu; on cpu, where 1024³ takes seconds, one and no warm-up. */
function budget(b: Backend, size: number) {
  if (b.name === "cpu") return size >= 1024 ? { time: 0, iterations: 1, warmup: 0 } : { time: 500, iterations: 2, warmup: 1 };
  return { time: 1000, iterations: size >= 1024 ? 2 : 3, warmup: 1 };
}

async function matmulRows(b: Backend, log: (l: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    const A = random(b, [size, size], 1);
    const B = random(b, [size, size], 2);
    const gflops: Record<string, number> = {};
    for (const variant of VARIANTS) {
      const ms = await timeIt(`matmul ${b.name} ${variant} ${size}`, async () => {
        const C = variant === "tiled" ? matmul(A, B) : launch1(naiveMatmul, [A, B], [size, size], { m: size, n: size, k: size });
        await b.sync();
        C.dispose();
      }, budget(b, size));
      gflops[variant] = (2 * size ** 3) / (ms * 1e6);
      rows.push({ name: "matmul", backend: b.name, variant, size, gflops: gflops[variant] });
      log(`matmul ${b.name.padEnd(6)} ${variant.padEnd(5)} ${String(size).padStart(4)}: ${gflops[variant].toFixed(2)} GFLOP/s (${ms.toFixed(1)} ms)`);
    }
    log(`matmul ${b.name.padEnd(6)} tiled / naive at ${size}: ${(gflops.tiled / gflops.naive).toFixed(2)}×`);
    A.dispose();
    B.dispose();
  }
  return rows;
}

async function chainRow(b: Backend, log: (l: string) => void): Promise<Row> {
  const x0 = random(b, [1, 64], 3);
  const y = random(b, [1, 64], 4);
  const ops = 1000;
  const ms = await timeIt(`chain ${b.name}`, async () => {
    let x = x0;
    for (let k = 0; k < ops; k++) {
      const next = add(x, y);
      if (x !== x0) x.dispose();
      x = next;
    }
    await x.toArray();
    x.dispose();
  });
  x0.dispose();
  y.dispose();
  const usPerOp = (ms * 1000) / ops;
  log(`dispatch-chain ${b.name.padEnd(6)}: ${usPerOp.toFixed(1)} µs per op (1,000 adds on 64 floats, one readback)`);
  return { name: "dispatch-chain", backend: b.name, usPerOp };
}

registerSuite("engine", async (log) => {
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  if (!gpu) log("no WebGPU adapter: cpu rows only");
  for (const b of [gpu, cpuBackend()]) {
    if (!b) continue;
    rows.push(await chainRow(b, log));
    rows.push(...(await matmulRows(b, log)));
  }
  return rows;
});
