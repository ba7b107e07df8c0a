/** Test helpers: the devices a suite runs on (webgpu or a loud skip / CI failure), closeness checks. */
import type { Backend, BackendName, DType } from "../engine/backend.js";
import { cpuBackend, webgpuBackend } from "../engine/context.js";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";

/**
 * A fresh folder under the system temp dir, removed when the test process exits (pass or fail):
 * test files write datasets, models and packed packages (≈ 180 MB for the package test), and a
 * suite run must not leave them behind.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export const requireWebGpu = process.env.GIM_REQUIRE_WEBGPU === "1";

/** The WebGPU backend, or null (announced loudly; fatal when GIM_REQUIRE_WEBGPU=1). */
export async function gpuOrSkip(suite: string): Promise<Backend | null> {
  const gpu = await webgpuBackend();
  if (!gpu) {
    if (requireWebGpu) throw new Error(`${suite}: GIM_REQUIRE_WEBGPU=1 but no WebGPU adapter was found`);
    console.log(`[info] !!! ${suite}: NO WEBGPU ADAPTER, these tests are SKIPPED !!!`);
  }
  return gpu;
}

/** `test` when the backend exists, `test.skip` otherwise. */
export function gpuTest(gpu: Backend | null): typeof test {
  return gpu ? test : (test.skip as unknown as typeof test);
}

/** One backend a suite runs on, with its dtype and whatever else the suite sets per device (tolerances). */
export type Device<X extends { dtype: DType } = { dtype: DType }> = X & {
  name: BackendName;
  /** "cpu f64", "webgpu f32": what test names carry. */
  label: string;
  /** False for webgpu without an adapter: its tests are skipped and its backend throws on use. */
  available: boolean;
  backend: Backend;
  /** uvu's `test`, or `test.skip` where the device is not available. */
  test: typeof test;
};

/** cpu, then webgpu (present even without an adapter, so that its tests show up as skipped). */
export class Devices<X extends { dtype: DType }> {
  constructor(
    readonly cpu: Device<X>,
    readonly webgpu: Device<X>,
  ) {}

  [Symbol.iterator](): Iterator<Device<X>> {
    return [this.cpu, this.webgpu][Symbol.iterator]();
  }

  /** Registers `name (label)` once per device. */
  each(name: string, fn: (device: Device<X>) => void | Promise<void>): void {
    for (const d of this) d.test(`${name} (${d.label})`, () => fn(d));
  }
}

/**
 * The devices of a suite, each with its settings (by default float32 on both). Without an adapter
 * the webgpu tests are announced loudly and skipped, or fail the suite when GIM_REQUIRE_WEBGPU=1.
 */
export async function eachDevice<X extends { dtype: DType } = { dtype: DType }>(
  suite: string,
  settings: Record<BackendName, X> = { cpu: { dtype: "f32" }, webgpu: { dtype: "f32" } } as Record<BackendName, X>,
): Promise<Devices<X>> {
  const gpu = await gpuOrSkip(suite);
  const missing = new Proxy({} as Backend, {
    get: () => {
      throw new Error(`${suite}: no WebGPU adapter, yet a webgpu test ran instead of being skipped`);
    },
  });
  const device = (name: BackendName, backend: Backend | null): Device<X> => ({
    ...settings[name],
    name,
    label: `${name} ${settings[name].dtype}`,
    available: backend !== null,
    backend: backend ?? missing,
    test: gpuTest(backend),
  });
  return new Devices(device("cpu", cpuBackend()), device("webgpu", gpu));
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what = "values",
): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const err = Math.abs(a - e);
    if (!(err <= tol * Math.max(1, Math.abs(e))) && !(Number.isNaN(a) && Number.isNaN(e)) && a !== e) {
      throw new Error(`${what}[${i}]: got ${a}, expected ${e} (tol ${tol})`);
    }
  }
}

/** Ends the process once uvu has finished, so an open GPU device cannot keep it alive. */
export function exitWhenDone(): void {
  process.on("beforeExit", () => process.exit(process.exitCode ?? 0));
}

/** The CLI that `npm test` builds before running the tests. */
export const CLI = join(process.env.GIM_BUILD_DIR ?? ".", "dist", "cli.js");

/** Runs `gim …args` as a child process, under a timeout so that a hung GPU process cannot hang the test. */
export function runGim(args: readonly string[], timeout = 240_000): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: "utf8",
    timeout,
    env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp" },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `gim synth` flags for a tiny benchmark (d = 3, 2 perturbations, 20 rows per env, 60 observational). */
export const TINY_SYNTH = ["--d", "3", "--edges-per-node", "1", "--perturbations", "2", "--n-per-env", "20"].concat([
  "--n-obs",
  "60",
  "--q",
  "3",
  "--seed",
  "4",
]);
