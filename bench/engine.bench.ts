/**
 * Engine suite (`npm run bench`, the default), webgpu and cpu side by side in one run:
 * - matmul GFLOP/s, square f32 at 128–1024, of the tiled kernel (the `matmul` op) and of the naive
 *   one-output-per-invocation baseline (bench/naive-matmul.ts); each call is timed until its work
 *   has completed (`sync`). On webgpu both wait with the hybrid poll (engine/gpu-wait.ts, the
 *   library's default), and the tiled kernel is timed again with dawn.node's own spin poll.
 * - the cost per op of a chain of 1,000 adds on 64 floats through the engine with one readback at
 *   the end, intermediates disposed as it goes (so pooled buffers and cached bind groups are
 *   reused), and on webgpu the same chain written straight to Dawn (bench/raw-chain.ts: the floor
 *   the engine's figure stands on); with the spin poll, as in earlier runs (the wait is ~40 ms, past the hybrid poll's spin
 *   phase, so the library default would add up to ~1 ms to it).
 * - on webgpu, what a per-lane storage access costs, as f32 and as vec2/vec4 (bench/raw-access.ts):
 *   the reason kernels/vector-rows.ts exists.
 */
import type { Backend } from "../engine/backend.js";
import { WebGpuBackend } from "../engine/backend-webgpu.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import { launch1 } from "../engine/op.js";
import { Tensor } from "../engine/tensor.js";
import { add, matmul } from "../kernels/ops.js";
import { naiveMatmul } from "./naive-matmul.js";
import { rawAccessProbes } from "./raw-access.js";
import { rawChain } from "./raw-chain.js";
import { type Row, registerSuite } from "./report.js";
import { type PollMode, timeIt, withPoll } from "./timing.js";

const SIZES = [128, 256, 512, 1024];
const CHAIN_OPS = 1000;

type Variant = "tiled" | "naive";
interface Series {
  variant: Variant;
  poll?: PollMode;
}

const SERIES: Record<string, Series[]> = {
  webgpu: [
    { variant: "tiled", poll: "hybrid" },
    { variant: "naive", poll: "hybrid" },
    { variant: "tiled", poll: "spin" },
  ],
  cpu: [{ variant: "tiled" }, { variant: "naive" }],
};

function random(b: Backend, shape: number[], seed: number): Tensor {
  const rng = new HostRandom(seed);
  return new Tensor(
    b,
    b.upload(
      Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()),
      "f32",
    ),
    shape,
  );
}

/**
 * How many calls to time. A call that takes seconds (naive webgpu at ≥ 512, cpu at ≥ 512) runs
 * without warm-up: its pipeline was compiled and its JIT warmed at the smaller sizes.
 */
function budget(b: Backend, variant: Variant, size: number) {
  const slow = b.name === "cpu" ? size >= 512 : variant === "naive" && size >= 512;
  if (!slow) return { time: 1000, iterations: 3, warmup: 1 };
  return { time: 0, iterations: b.name === "cpu" && size >= 1024 ? 1 : 2, warmup: 0 };
}

const label = (b: Backend, s: Series) => `${b.name} ${s.variant}${s.poll ? ` (${s.poll} poll)` : ""}`;

async function matmulRows(b: Backend, log: (l: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const size of SIZES) {
    const A = random(b, [size, size], 1);
    const B = random(b, [size, size], 2);
    for (const s of SERIES[b.name]) {
      const call = async () => {
        const C =
          s.variant === "tiled"
            ? matmul(A, B)
            : launch1(naiveMatmul, [A, B], [size, size], { m: size, n: size, k: size });
        await b.sync();
        C.dispose();
      };
      const ms = await timeIt(
        `matmul ${label(b, s)} ${size}`,
        withPoll(s.poll ?? "spin", call),
        budget(b, s.variant, size),
      );
      const gflops = (2 * size ** 3) / (ms * 1e6);
      rows.push({
        name: "matmul",
        backend: b.name,
        variant: s.variant,
        size,
        gflops,
        ms,
        ...(s.poll ? { poll: s.poll } : {}),
      });
      log(
        `matmul ${String(size).padStart(4)} ${label(b, s).padEnd(26)} ${gflops.toFixed(2).padStart(6)} GFLOP/s (${ms.toFixed(1)} ms)`,
      );
    }
    A.dispose();
    B.dispose();
  }
  return rows;
}

async function chainRow(b: Backend, log: (l: string) => void): Promise<Row[]> {
  const x0 = random(b, [1, 64], 3);
  const y = random(b, [1, 64], 4);
  const chain = async () => {
    let x = x0;
    for (let k = 0; k < CHAIN_OPS; k++) {
      const next = add(x, y);
      if (x !== x0) x.dispose();
      x = next;
    }
    await x.toArray();
    x.dispose();
  };
  const ms = await timeIt(`chain ${b.name}`, withPoll("spin", chain));
  x0.dispose();
  y.dispose();
  const usPerOp = (ms * 1000) / CHAIN_OPS;
  log(`dispatch-chain ${b.name}: ${usPerOp.toFixed(1)} µs per op (1,000 adds on 64 floats, one readback, spin poll)`);
  const rows: Row[] = [{ name: "dispatch-chain", backend: b.name, usPerOp, ops: CHAIN_OPS }];
  if (b instanceof WebGpuBackend) {
    const raw = ((await timeIt("chain raw dawn", withPoll("spin", rawChain(b.device, CHAIN_OPS)))) * 1000) / CHAIN_OPS;
    log(`dispatch-chain raw dawn (no engine, bench/raw-chain.ts): ${raw.toFixed(1)} µs per op`);
    rows.push({ name: "dispatch-chain", backend: "raw-dawn", usPerOp: raw, ops: CHAIN_OPS });
  }
  return rows;
}

/** Per-lane storage accesses straight to Dawn, scalar against vector (bench/raw-access.ts). */
async function accessRows(b: WebGpuBackend, log: (l: string) => void): Promise<Row[]> {
  const rows: Row[] = [];
  for (const probe of rawAccessProbes(b.device)) {
    const ms = (await timeIt(`access ${probe.name}`, probe.run)) / probe.repeats;
    log(`storage access, raw dawn, 129,600 lanes: ${probe.name.padEnd(26)} ${ms.toFixed(3)} ms per dispatch`);
    rows.push({ name: "storage-access", backend: "raw-dawn", probe: probe.name, ms });
  }
  return rows;
}

/** The side-by-side table: one line per series, one column per size, and tiled / naive. */
function summary(rows: Row[], log: (l: string) => void): void {
  const gflops = (backend: string, s: Series, size: number) =>
    rows.find(
      (r) =>
        r.name === "matmul" && r.backend === backend && r.variant === s.variant && r.poll === s.poll && r.size === size,
    )?.gflops as number | undefined;
  const cells = (values: (number | undefined)[], digits: number) =>
    values.map((v) => (v === undefined ? "—" : v.toFixed(digits)).padStart(8)).join("");
  log(`\nmatmul GFLOP/s, square f32       ${cells(SIZES, 0)}`);
  for (const [backend, series] of Object.entries(SERIES)) {
    if (!rows.some((r) => r.backend === backend)) continue;
    for (const s of series)
      log(
        `  ${`${backend} ${s.variant}${s.poll ? `, ${s.poll} poll` : ""}`.padEnd(31)}${cells(
          SIZES.map((n) => gflops(backend, s, n)),
          2,
        )}`,
      );
    const [tiled, naive] = series;
    const ratios = SIZES.map((n) => {
      const t = gflops(backend, tiled, n);
      const v = gflops(backend, naive, n);
      return t !== undefined && v !== undefined ? t / v : undefined;
    });
    log(`  ${`${backend} tiled / naive`.padEnd(31)}${cells(ratios, 2)}`);
  }
  for (const r of rows.filter((r) => r.name === "dispatch-chain"))
    log(`dispatch chain, ${r.backend}: ${(r.usPerOp as number).toFixed(1)} µs per op`);
}

registerSuite("engine", async (log) => {
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  if (!gpu) log("no WebGPU adapter: cpu rows only");
  log(
    "webgpu waits: hybrid poll = setImmediate spins 64 ticks, then 0 ms timers (bench only); spin = dawn.node default",
  );
  for (const b of [gpu, cpuBackend()]) {
    if (!b) continue;
    rows.push(...(await chainRow(b, log)));
    if (b instanceof WebGpuBackend) rows.push(...(await accessRows(b, log)));
    rows.push(...(await matmulRows(b, log)));
  }
  summary(rows, log);
  return rows;
});
