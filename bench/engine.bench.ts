/**
 * Engine suite: matmul GFLOP/s (tiled kernel vs the naive baseline, webgpu and cpu, square f32,
 * timed to completed GPU work) and the cost per op of a chain of 1,000 small adds with one
 * readback at the end.
 */
import type { Backend } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import { launch1 } from "../engine/op.js";
import { Tensor } from "../engine/tensor.js";
import { add, matmul } from "../kernels/ops.js";
import { naiveMatmul } from "./naive-matmul.js";
import { type Row, registerSuite, timeIt } from "./report.js";

function random(b: Backend, shape: number[], seed: number): Tensor {
  const rng = new HostRandom(seed);
  return new Tensor(b, b.upload(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), "f32"), shape);
}

async function matmulRows(b: Backend, log: (l: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of [128, 256, 512, 1024]) {
    if (b.name === "cpu" && size > 512) continue;
    const A = random(b, [size, size], 1);
    const B = random(b, [size, size], 2);
    const flops = 2 * size ** 3;
    for (const variant of ["tiled", "naive"] as const) {
      if (b.name === "cpu" && variant === "naive") continue;
      const ms = await timeIt(`matmul ${variant} ${size}`, async () => {
        const C = variant === "tiled" ? matmul(A, B) : launch1(naiveMatmul, [A, B], [size, size], { m: size, n: size, k: size });
        await b.sync();
        C.dispose();
      }, { time: size >= 1024 ? 3000 : 1500, iterations: 3 });
      const gflops = flops / (ms * 1e6);
      rows.push({ name: "matmul", backend: b.name, variant, size, gflops });
      log(`matmul ${b.name.padEnd(6)} ${variant.padEnd(5)} ${String(size).padStart(4)}: ${gflops.toFixed(2)} GFLOP/s`);
    }
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
  const usPerOp = (ms * 1000) / ops;
  log(`dispatch chain ${b.name}: ${usPerOp.toFixed(1)} µs per op (1,000 adds on 64 floats, one readback)`);
  return { name: "dispatch-chain", backend: b.name, usPerOp };
}

registerSuite("engine", async (log) => {
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  for (const b of [gpu, cpuBackend()]) {
    if (!b) continue;
    rows.push(...(await matmulRows(b, log)));
    rows.push(await chainRow(b, log));
  }
  for (const size of [128, 256, 512, 1024]) {
    const t = rows.find((r) => r.name === "matmul" && r.backend === "webgpu" && r.variant === "tiled" && r.size === size);
    const n = rows.find((r) => r.name === "matmul" && r.backend === "webgpu" && r.variant === "naive" && r.size === size);
    if (t && n) log(`tiled / naive at ${size}: ${((t.gflops as number) / (n.gflops as number)).toFixed(2)}×`);
  }
  return rows;
});
