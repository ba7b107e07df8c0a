/**
 * GIM suite: training steps/s (after warm-up, GPU work completed) at the benchmark sizes of
 * spec §9 (80 perturbation envs × 100 samples + 1,000 observational, M = 32), on webgpu (step
 * replay) and cpu in the same run. `--quick` runs only d = 10 linear hard.
 */
import type { Backend } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import { DEFAULTS, type GimConfig } from "../gim/config.js";
import { Trainer } from "../gim/train.js";
import type { TrainingSet } from "../gim/training-set.js";
import { type Row, registerSuite } from "./report.js";

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
  for (let k = 0; k < 80; k++) envs.push({ id: `e${k}`, features: Array.from({ length: p }, () => rng.normal()), samples: mk(perEnv), n: perEnv });
  return { variables: Array.from({ length: d }, (_, j) => `x${j}`), featureNames: Array.from({ length: p }, (_, j) => `f${j}`), envs };
}

async function stepsPerSecond(backend: Backend, d: number, mechanism: GimConfig["mechanism"], budgetMs: number): Promise<number> {
  const config: GimConfig = { ...DEFAULTS, mechanism, intervention: "hard", holdoutFraction: 0, steps: 100000 };
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
  return (steps * 1000) / (performance.now() - started);
}

registerSuite("gim", async (log) => {
  const quick = process.argv.includes("--quick");
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  for (const { d, mechanism } of quick ? CONFIGS.slice(0, 1) : CONFIGS) {
    for (const backend of [gpu, cpuBackend()]) {
      if (!backend) continue;
      if (backend.name === "cpu" && d > 20) continue;
      const sps = await stepsPerSecond(backend, d, mechanism, backend.name === "cpu" ? 10000 : 20000);
      rows.push({ name: "gim-step", backend: backend.name, d, mechanism, intervention: "hard", M: 32, N: 9000, stepsPerSecond: sps });
      log(`gim-step ${backend.name.padEnd(6)} d=${String(d).padStart(3)} ${mechanism.padEnd(6)} hard M=32 N=9000: ${sps.toFixed(3)} steps/s`);
    }
  }
  return rows;
});
