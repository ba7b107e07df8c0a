/**
 * Backend selection and the default backend. `auto` takes webgpu when an adapter exists, else
 * cpu, and says on stderr which it chose.
 */
import type { Backend, BackendName, DType } from "./backend.js";
import { BackendError } from "./backend.js";
import { CpuBackend } from "./backend-cpu.js";
import { WebGpuBackend } from "./backend-webgpu.js";
import { UNAVAILABLE_HELP, unavailableReason } from "./webgpu-device.js";

export type BackendChoice = BackendName | "auto";
const CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "cpu"];

let current: Backend | null = null;
let webgpu: Promise<WebGpuBackend | null> | null = null;
const cpu = new CpuBackend();

export function cpuBackend(): CpuBackend {
  return cpu;
}

/**
 * The shared WebGPU backend, or null when no adapter exists (webgpuUnavailable() says why).
 * `quiet`: a cpu fallback is expected, so Dawn is not loaded where it could only fail noisily.
 */
export async function webgpuBackend(options: { quiet?: boolean } = {}): Promise<WebGpuBackend | null> {
  webgpu ??= WebGpuBackend.create(options);
  const gpu = await webgpu;
  if (!gpu && options.quiet) webgpu = null; // an explicit request later still tries Dawn
  return gpu;
}

/** Why the last webgpuBackend() found no adapter, with what to do about it; null if it found one. */
export function webgpuUnavailable(): string | null {
  const reason = unavailableReason();
  if (!reason) return null;
  return UNAVAILABLE_HELP[reason.why] + (reason.detail ? ` (${reason.detail})` : "");
}

function stderrLine(line: string): void {
  const proc = (globalThis as { process?: { stderr?: { write(s: string): void } } }).process;
  if (proc?.stderr) proc.stderr.write(`${line}\n`);
  else console.warn(line);
}

export async function createBackend(choice: string, log: (line: string) => void = stderrLine): Promise<Backend> {
  if (!CHOICES.includes(choice as BackendChoice)) {
    throw new BackendError(`unknown backend '${choice}' (choose one of: ${CHOICES.join(", ")})`);
  }
  if (choice === "cpu") {
    log(`backend: cpu (${cpu.description})`);
    return cpu;
  }
  const gpu = await webgpuBackend({ quiet: choice === "auto" });
  if (gpu) {
    log(`backend: webgpu (adapter: ${gpu.description})`);
    return gpu;
  }
  if (choice === "webgpu") throw new BackendError(`backend 'webgpu' requested, but ${webgpuUnavailable()}`);
  log(`backend: cpu — ${webgpuUnavailable()}`);
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
