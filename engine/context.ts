/**
 * Backend selection and the default backend. `auto` takes webgpu when an adapter exists, else
 * cpu, and says on stderr which it chose.
 */
import type { Backend, BackendName, DType } from "./backend.js";
import { BackendError } from "./backend.js";
import { CpuBackend } from "./backend-cpu.js";
import { WebGpuBackend } from "./backend-webgpu.js";

export type BackendChoice = BackendName | "auto";
const CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "cpu"];

let current: Backend | null = null;
let webgpu: Promise<WebGpuBackend | null> | null = null;
const cpu = new CpuBackend();

export function cpuBackend(): CpuBackend {
  return cpu;
}

/** The shared WebGPU backend, or null when no adapter exists. */
export function webgpuBackend(): Promise<WebGpuBackend | null> {
  webgpu ??= WebGpuBackend.create();
  return webgpu;
}

export async function createBackend(
  choice: string,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<Backend> {
  if (!CHOICES.includes(choice as BackendChoice)) {
    throw new BackendError(`unknown backend '${choice}' (choose one of: ${CHOICES.join(", ")})`);
  }
  if (choice === "cpu") {
    log(`backend: cpu (${cpu.description})`);
    return cpu;
  }
  const gpu = await webgpuBackend();
  if (gpu) {
    log(`backend: webgpu (adapter: ${gpu.description})`);
    return gpu;
  }
  if (choice === "webgpu")
    throw new BackendError(
      "backend 'webgpu' requested but no WebGPU adapter was found (see scripts/setup-lavapipe.sh)",
    );
  log("backend: cpu (no WebGPU adapter found)");
  return cpu;
}

export function setDefaultBackend(backend: Backend): void {
  current = backend;
}

export function defaultBackend(): Backend {
  return current ?? cpu;
}

export function defaultDType(backend: Backend): DType {
  return backend.supports("f32") ? "f32" : "f64";
}
