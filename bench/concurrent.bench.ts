/**
 * Concurrent suite: K independent trainings (as `gim tune` trials and `gim train --restarts` run
 * them) one at a time vs interleaved on one device (gim/train/concurrent.ts), in total training
 * steps/s. d = 10 linear hard, 40 envs × 50 rows + 300 observational (the outside generator's
 * training split), M = 16, replay on for webgpu; `--concurrent-steps=S` steps per training
 * (default 100), `--concurrent-k=K` trainings (default 4).
 */
import type { Backend } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { HostRandom } from "../engine/host-random.js";
import type { TrainingSet } from "../gim/data/training-set.js";
import { DEFAULTS, type GimConfig } from "../gim/model/config.js";
import { runPool } from "../gim/train/concurrent.js";
import { Trainer } from "../gim/train/trainer.js";
import { type Row, registerSuite } from "./report.js";

const arg = (name: string, fallback: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : fallback;
};

function dataset(d: number): TrainingSet {
  const rng = new HostRandom(d);
  const p = 10;
  const mk = (n: number) => Float64Array.from({ length: n * d }, () => rng.normal());
  const envs = [{ id: "obs", features: new Array(p).fill(0), samples: mk(300), n: 300 }];
  for (let k = 0; k < 40; k++)
    envs.push({ id: `e${k}`, features: Array.from({ length: p }, () => rng.normal()), samples: mk(50), n: 50 });
  return {
    variables: Array.from({ length: d }, (_, j) => `x${j}`),
    featureNames: Array.from({ length: p }, (_, j) => `f${j}`),
    envs,
  };
}

async function run(backend: Backend, set: TrainingSet, config: GimConfig, k: number, parallel: number) {
  const started = performance.now();
  await runPool(k, parallel, async (i) => {
    const trainer = new Trainer({ ...config, seed: i }, set, backend);
    trainer.enableReplay();
    await trainer.train();
    trainer.dispose();
  });
  return (performance.now() - started) / 1000;
}

registerSuite("concurrent", async (log) => {
  const steps = arg("concurrent-steps", 100);
  const K = arg("concurrent-k", 4);
  const config: GimConfig = { ...DEFAULTS, steps, logEvery: 50 };
  const set = dataset(10);
  const rows: Row[] = [];
  const gpu = await webgpuBackend();
  for (const backend of [gpu, cpuBackend()]) {
    if (!backend) continue;
    await run(backend, set, { ...config, steps: 4 }, 1, 1); // compile the kernels first
    for (const parallel of [1, 2, K].filter((p, i, all) => p <= K && all.indexOf(p) === i)) {
      const seconds = await run(backend, set, config, K, parallel);
      const sps = (K * steps) / seconds;
      log(
        `${backend.name}: ${K} trainings × ${steps} steps, ${parallel} at once: ${seconds.toFixed(1)} s, ${sps.toFixed(2)} steps/s in all`,
      );
      rows.push({
        name: "concurrent",
        backend: backend.name,
        trainings: K,
        steps,
        parallel,
        seconds,
        stepsPerSecond: sps,
      });
    }
  }
  return rows;
});
