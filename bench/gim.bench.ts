/**
 * GIM suite: training steps/s (after warm-up, GPU work completed) at the benchmark sizes of
 * spec §9 (80 perturbation envs × 100 samples + 1,000 observational, M = 32), on webgpu (step
 * replay) and cpu in the same run. `--quick` runs only d = 10 linear hard.
 *
 * On webgpu, two more steps are then run profiled (Trainer.profileStep): GPU time per phase
 * (likelihood, acyclicity, priors, optimizer; engine/phase.ts) from timestamp queries, in ms per
 * step; `phases` is null, with a note, when the adapter has no timestamp queries. A profiled step
 * puts each phase's run of dispatches in its own compute pass, so the split is of a slightly
 * slower step than the one measured in steps/s.
 *
 * `--memory` runs only the bounded-memory line instead: d = 100 mlp hard, M = 32, N = 100,000
 * (80 envs × 1,240 + 800 observational) on webgpu, where one step's [M, N, d] tensors (1.3 GB)
 * would exceed the 128 MiB binding limit: the likelihood runs chunked over N (gim/model/objective.ts).
 * It times one replayed step (`--memory-steps=k` for k; shaders compile when the step is
 * captured, before the clock starts): on lavapipe that step takes many minutes. The line also
 * gives the chunk count, the largest storage buffer made (against maxStorageBufferBindingSize)
 * and the total of all buffers made, from the backend's bufferStats; they are final once the step
 * is captured and are logged then (`--memory-capture-only` stops there).
 */
import type { Backend } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import { DEFAULTS, type GimConfig } from "../gim/model/config.js";
import { WebGpuBackend } from "../engine/backend-webgpu.js";
import { Trainer, autoChunkRows } from "../gim/train/trainer.js";
import type { TrainingSet } from "../gim/data/training-set.js";
import { type Row, registerSuite } from "./report.js";

const M = 32;
const PHASES = ["likelihood", "acyclicity", "priors", "optimizer"] as const;
const PROFILED_STEPS = 2;
type Phases = Record<(typeof PHASES)[number], number>;
const CONFIGS: { d: number; mechanism: GimConfig["mechanism"] }[] = [
  { d: 10, mechanism: "linear" },
  { d: 20, mechanism: "linear" },
  { d: 20, mechanism: "mlp" },
  { d: 50, mechanism: "mlp" },
  { d: 100, mechanism: "mlp" },
];

function dataset(d: number, perEnv: number, nObs: number): TrainingSet {
  const rng = new HostRandom(d);
  const p = 10;
  const mk = (n: number) => Float64Array.from({ length: n * d }, () => rng.normal());
  const envs = [{ id: "obs", features: new Array(p).fill(0), samples: mk(nObs), n: nObs }];
  for (let k = 0; k < 80; k++)
    envs.push({ id: `e${k}`, features: Array.from({ length: p }, () => rng.normal()), samples: mk(perEnv), n: perEnv });
  return {
    variables: Array.from({ length: d }, (_, j) => `x${j}`),
    featureNames: Array.from({ length: p }, (_, j) => `f${j}`),
    envs,
  };
}

async function measure(
  backend: Backend,
  d: number,
  mechanism: GimConfig["mechanism"],
  budgetMs: number,
): Promise<{ sps: number; phases: Phases | null }> {
  // M = 32 graph (and intervention) samples and M_h = 32, as the throughput issue and the PyTorch
  // reference use; the library's defaults are 16 and 16.
  const config: GimConfig = {
    ...DEFAULTS,
    mechanism,
    intervention: "hard",
    holdoutFraction: 0,
    steps: 100000,
    mcSamples: M,
    acyclicitySamples: M,
  };
  const trainer = new Trainer(config, dataset(d, 100, 1000), backend);
  trainer.enableReplay();
  await (await trainer.queueStep()).loss.item();
  await trainer.queueStep().loss.item();
  const started = performance.now();
  let steps = 0;
  while (performance.now() - started < budgetMs || steps < 2) {
    const { loss } = trainer.queueStep();
    steps++;
    if (steps % 2 === 0 || performance.now() - started >= budgetMs) await loss.item();
  }
  await backend.sync();
  const sps = (steps * 1000) / (performance.now() - started);
  return { sps, phases: await profilePhases(trainer) };
}

/** Mean GPU ms per phase over PROFILED_STEPS profiled steps; null without timestamp queries. */
async function profilePhases(trainer: Trainer): Promise<Phases | null> {
  const phases: Phases = { likelihood: 0, acyclicity: 0, priors: 0, optimizer: 0 };
  for (let s = 0; s < PROFILED_STEPS; s++) {
    const profile = await trainer.profileStep();
    if (!profile) return null;
    for (const phase of PHASES) phases[phase] += (profile.phases[phase] ?? 0) / PROFILED_STEPS;
  }
  return phases;
}

async function memoryRow(gpu: Backend, log: (line: string) => void): Promise<Row> {
  if (!(gpu instanceof WebGpuBackend)) throw new Error("--memory needs the webgpu backend");
  const [d, N] = [100, 100000];
  const stepsArg = process.argv.find((a) => a.startsWith("--memory-steps="));
  const steps = stepsArg ? Number(stepsArg.slice("--memory-steps=".length)) : 1;
  const config: GimConfig = {
    ...DEFAULTS,
    mechanism: "mlp",
    intervention: "hard",
    holdoutFraction: 0,
    steps: 100000,
    mcSamples: M,
    acyclicitySamples: M,
  };
  const trainer = new Trainer(config, dataset(d, 1240, 800), gpu);
  if (trainer.trainingRows !== N) throw new Error(`memory line: expected ${N} rows, got ${trainer.trainingRows}`);
  const chunkRows = autoChunkRows(config, d);
  const chunks = trainer.likelihoodBlocks;
  trainer.enableReplay();
  // Capture allocates every buffer the replayed step uses: the memory figures are final here, and
  // are logged before the (long) timed step so that an interrupted run still reports them.
  const { largestBytes, totalBytes } = gpu.bufferStats;
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const memory =
    `${chunks} chunks of ≤ ${chunkRows} rows, ${trainer.replayDispatches} dispatches; largest buffer ${mib(largestBytes)} MiB ` +
    `of the ${mib(gpu.maxBinding)} MiB binding limit, ${mib(totalBytes)} MiB of buffers in all`;
  log(`gim-step webgpu d=100 mlp hard M=32 N=100000: captured (${memory}); timing ${steps} replayed step(s)…`);
  if (process.argv.includes("--memory-capture-only")) {
    return {
      name: "gim-step-memory",
      backend: gpu.name,
      adapter: gpu.description,
      d,
      M,
      N,
      chunks,
      chunkRows,
      largestBufferBytes: largestBytes,
      totalBufferBytes: totalBytes,
      maxBindingBytes: gpu.maxBinding,
    };
  }
  const started = performance.now();
  let loss = Number.NaN;
  for (let s = 0; s < steps; s++) loss = await trainer.queueStep().loss.item();
  const seconds = (performance.now() - started) / 1000 / steps;
  if (!Number.isFinite(loss)) throw new Error(`memory line: non-finite loss ${loss}`);
  log(
    `gim-step webgpu d=100 mlp hard M=32 N=100000: ${(1 / seconds).toFixed(5)} steps/s (${seconds.toFixed(0)} s per step over ${steps} replayed step(s); ${memory}; loss ${loss.toFixed(3)})`,
  );
  return {
    name: "gim-step",
    backend: gpu.name,
    adapter: gpu.description,
    d,
    mechanism: "mlp",
    intervention: "hard",
    M,
    N,
    steps,
    stepsPerSecond: 1 / seconds,
    chunks,
    chunkRows,
    largestBufferBytes: largestBytes,
    totalBufferBytes: totalBytes,
    maxBindingBytes: gpu.maxBinding,
  };
}

registerSuite("gim", async (log) => {
  const quick = process.argv.includes("--quick");
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  if (process.argv.includes("--memory")) {
    if (!gpu) throw new Error("--memory needs a WebGPU adapter");
    return [await memoryRow(gpu, log)];
  }
  for (const { d, mechanism } of quick ? CONFIGS.slice(0, 1) : CONFIGS) {
    for (const backend of [gpu, cpuBackend()]) {
      if (!backend) continue;
      if (backend.name === "cpu" && d > 20) continue;
      const { sps, phases } = await measure(backend, d, mechanism, backend.name === "cpu" ? 10000 : 20000);
      const row: Row = {
        name: "gim-step",
        backend: backend.name,
        adapter: backend.description,
        d,
        mechanism,
        intervention: "hard",
        M,
        N: 9000,
        stepsPerSecond: sps,
      };
      let split = "";
      if (backend instanceof WebGpuBackend) {
        row.phases = phases;
        if (phases) split = `; GPU ms/step ${PHASES.map((p) => `${p} ${phases[p].toFixed(2)}`).join(", ")}`;
        else {
          row.phasesNote = "adapter lacks timestamp-query";
          split = "; no phase split (adapter lacks timestamp-query)";
        }
      }
      rows.push(row);
      log(
        `gim-step ${backend.name.padEnd(6)} d=${String(d).padStart(3)} ${mechanism.padEnd(6)} hard M=32 N=9000: ${sps.toFixed(3)} steps/s${split}`,
      );
    }
  }
  return rows;
});
