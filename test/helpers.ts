/** Test helpers: the WebGPU backend (or a loud skip / CI failure), closeness checks. */
import type { Backend } from "../engine/backend.js";
import { webgpuBackend } from "../engine/context.js";
import { test } from "uvu";

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

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = "values"): void {
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
