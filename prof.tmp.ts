import { webgpuBackend } from "./engine/context.ts";
import { HostRandom } from "./engine/host-random.ts";
import { DEFAULTS } from "./gim/config.ts";
import { Trainer } from "./gim/train.ts";
import { scalarsAt } from "./gim/objective.ts";
import type { TrainingSet } from "./gim/training-set.ts";
const rng = new HostRandom(1);
const d = Number(process.argv[2] ?? 3), perEnv = Number(process.argv[3] ?? 100), K = 6;
const mk = (n: number) => Float64Array.from({ length: n * d }, () => rng.normal());
const envs = [{ id: "obs", features: [0, 0, 0, 0], samples: mk(3 * perEnv), n: 3 * perEnv }];
for (let k = 0; k < K; k++) envs.push({ id: `e${k}`, features: [1 + k, k % 2, 0.5, 1], samples: mk(perEnv), n: perEnv });
const set: TrainingSet = { variables: Array.from({ length: d }, (_, j) => `x${j}`), featureNames: ["a", "b", "c", "e"], envs };
const gpu = (await webgpuBackend())!;
const trainer = new Trainer({ ...DEFAULTS, mechanism: (process.argv[4] ?? "linear") as "linear" }, set, gpu);
const rec = gpu.record(() => { trainer.buildStep(scalarsAt(trainer.config, 5, trainer.lagrangian)); });
const times = new Map<string, number>();
for (const cmd of rec.commands) {
  const one = { commands: [cmd], buffers: [] };
  gpu.replay(one); await gpu.sync();
  const t0 = performance.now();
  for (let r = 0; r < 3; r++) gpu.replay(one);
  await gpu.sync();
  const name = "dispatch" in cmd ? cmd.dispatch.kernel.name : "copy";
  times.set(name, (times.get(name) ?? 0) + (performance.now() - t0) / 3);
}
console.log("commands", rec.commands.length, "total ms", [...times.values()].reduce((a, b) => a + b, 0).toFixed(1));
console.log([...times].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, t]) => `${t.toFixed(2)} ms ${k}`).join("\n"));
process.exit(0);
