/**
 * Acquires a Dawn device through the `webgpu` package with the limits our kernels need (up to
 * what the adapter offers) and turns device loss and uncaptured errors into recorded failures
 * that the backend rethrows at its next waiting point.
 */
import { createRequire } from "node:module";

export interface AcquiredDevice {
  device: GPUDevice;
  adapterName: string;
  hasTimestamps: boolean;
}

let gpuSingleton: GPU | null | undefined;

type Bindings = { create(flags: string[]): GPU; globals: Record<string, unknown> };

/** Resolves `webgpu` next to this bundle, else from the working directory's node_modules. */
function loadBindings(): Bindings {
  try {
    return createRequire(import.meta.url)("webgpu") as Bindings;
  } catch {
    return createRequire(`${process.cwd()}/package.json`)("webgpu") as Bindings;
  }
}

async function gpuEntry(): Promise<GPU | null> {
  if (gpuSingleton !== undefined) return gpuSingleton;
  try {
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = "/tmp";
    const webgpu = loadBindings();
    Object.assign(globalThis, webgpu.globals);
    // Dawn rounds timestamp queries to 2^16 ns by default (a browser timing-attack guard); the
    // profiled step (WebGpuBackend.profileReplay) times passes of a few µs, so keep full precision.
    gpuSingleton = webgpu.create(["disable-dawn-features=timestamp_quantization"]);
  } catch (error) {
    gpuSingleton = null;
    process.stderr.write(`webgpu: could not load Dawn bindings: ${(error as Error).message}\n`);
  }
  return gpuSingleton;
}

export async function requestAdapter(): Promise<GPUAdapter | null> {
  const gpu = await gpuEntry();
  if (!gpu) return null;
  return (await gpu.requestAdapter({ powerPreference: "high-performance" })) ?? null;
}

export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? parts.join(" / ") : "unknown adapter";
}

const WANTED_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupsPerDimension",
] as const;

export async function acquireDevice(adapter: GPUAdapter): Promise<AcquiredDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const key of WANTED_LIMITS) requiredLimits[key] = adapter.limits[key];
  const hasTimestamps = adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({
    label: "gim-webgpu",
    requiredLimits,
    requiredFeatures: hasTimestamps ? ["timestamp-query"] : [],
  });
  return { device, adapterName: describeAdapter(adapter), hasTimestamps };
}
