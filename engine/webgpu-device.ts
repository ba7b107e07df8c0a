/// <reference types="@webgpu/types" preserve="true" />
/**
 * Acquires a WebGPU device — `navigator.gpu` in browsers, else Dawn through the optional `webgpu`
 * package, loaded only on the first request — with the limits our kernels need (up to what the
 * adapter offers), and says why when there is none.
 */
export interface AcquiredDevice {
  device: GPUDevice;
  adapterName: string;
  hasTimestamps: boolean;
}

/** Why there is no WebGPU: the reason createBackend prints, with what to do about it. */
export type Unavailable = "no-package" | "no-driver" | "load-failed" | "no-adapter" | "no-navigator-gpu";

export const UNAVAILABLE_HELP: Record<Unavailable, string> = {
  "no-package":
    "the optional package 'webgpu' is not installed (omitted by --omit=optional?); `npm install webgpu` adds it",
  "no-driver":
    "no Vulkan driver is installed; install your GPU's Vulkan driver, or run scripts/setup-lavapipe.sh for Mesa's CPU driver (lavapipe)",
  "load-failed": "the 'webgpu' package (Dawn) failed to load",
  "no-adapter":
    "no WebGPU adapter found; install your GPU's Vulkan driver, or run scripts/setup-lavapipe.sh for Mesa's CPU driver (lavapipe)",
  "no-navigator-gpu":
    "this browser exposes no navigator.gpu (Chromium: --enable-unsafe-webgpu; headless also --use-angle=swiftshader)",
};

type Bindings = { create(flags: string[]): GPU; globals: Record<string, unknown> };
type Entry = { gpu: GPU } | { gpu: null; why: Unavailable; detail?: string };

let entry: Entry | undefined;
let lastUnavailable: { why: Unavailable; detail?: string } | null = null;

/** Why the last adapter request found nothing (null when it found one or none was made). */
export function unavailableReason(): { why: Unavailable; detail?: string } | null {
  return lastUnavailable;
}

/**
 * Node's built-in modules without an import statement, so the browser bundle (browser.ts) holds
 * no Node built-in; undefined outside Node (process.getBuiltinModule: Node ≥ 20.16).
 */
function builtin<T>(name: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(name) as T | undefined;
}

/** Resolves `webgpu` next to this bundle, else from the working directory's node_modules. */
function loadBindings(): Bindings {
  const { createRequire } = builtin<typeof import("node:module")>("node:module")!;
  try {
    return createRequire(import.meta.url)("webgpu") as Bindings;
  } catch (error) {
    if ((error as { code?: string }).code !== "MODULE_NOT_FOUND") throw error;
    return createRequire(`${process.cwd()}/package.json`)("webgpu") as Bindings;
  }
}

/**
 * Linux without any Vulkan ICD manifest: Dawn would only print the loader's "Found no drivers!"
 * warnings before failing, so when the caller expects a fallback we skip loading it. Paths: the
 * Vulkan loader's search list (LoaderInterfaceArchitecture.md, "Linux Layer/Driver Discovery").
 */
function noVulkanDriver(): boolean {
  const fs = builtin<typeof import("node:fs")>("node:fs");
  if (!fs || process.platform !== "linux") return false;
  if (process.env.VK_ICD_FILENAMES || process.env.VK_DRIVER_FILES || process.env.VK_ADD_DRIVER_FILES) return false;
  const dataDirs = (process.env.XDG_DATA_DIRS || "/usr/local/share:/usr/share").split(":");
  const dirs = [
    ...dataDirs.map((d) => `${d}/vulkan/icd.d`),
    "/etc/vulkan/icd.d",
    `${process.env.HOME ?? ""}/.local/share/vulkan/icd.d`,
  ];
  return !dirs.some((dir) => {
    try {
      return fs.readdirSync(dir).some((f) => f.endsWith(".json"));
    } catch {
      return false;
    }
  });
}

async function gpuEntry(quiet: boolean): Promise<Entry> {
  if (entry) return entry;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return (entry = { gpu: nav.gpu });
  if (!builtin("node:module")) return (entry = { gpu: null, why: "no-navigator-gpu" });
  if (quiet && noVulkanDriver()) return { gpu: null, why: "no-driver" }; // not cached: an explicit request still tries
  try {
    if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = "/tmp";
    const webgpu = loadBindings();
    Object.assign(globalThis, webgpu.globals);
    // Dawn rounds timestamp queries to 2^16 ns by default (a browser timing-attack guard); the
    // profiled step (WebGpuBackend.profileReplay) times passes of a few µs, so keep full precision.
    entry = { gpu: webgpu.create(["disable-dawn-features=timestamp_quantization"]) };
  } catch (error) {
    const missing = (error as { code?: string }).code === "MODULE_NOT_FOUND" && /'webgpu'/.test(String(error));
    entry = missing
      ? { gpu: null, why: "no-package" }
      : { gpu: null, why: "load-failed", detail: (error as Error).message };
  }
  return entry;
}

/**
 * The adapter, or null (then unavailableReason() says why). `quiet`: a cpu fallback is expected
 * (backend auto), so Dawn is not even loaded where it could only fail noisily.
 */
export async function requestAdapter(options: { quiet?: boolean } = {}): Promise<GPUAdapter | null> {
  const found = await gpuEntry(options.quiet ?? false);
  if (!found.gpu) {
    lastUnavailable = { why: found.why, detail: found.detail };
    return null;
  }
  const adapter = (await found.gpu.requestAdapter({ powerPreference: "high-performance" })) ?? null;
  lastUnavailable = adapter ? null : { why: "no-adapter" };
  return adapter;
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
