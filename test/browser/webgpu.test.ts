/**
 * The browser example on the webgpu backend in headless chromium (test/browser/chromium.ts), on
 * SwiftShader, chromium's bundled CPU Vulkan: the page trains the small synthetic benchmark a
 * few steps with step replay and reports every step's loss; Node then trains the same data
 * (read back from the page) with the same options on cpu and, where an adapter exists, on
 * webgpu (lavapipe), and the losses after steps 1 and 5 must agree. Also: the page names the
 * adapter it used, the console has no errors, and the screenshot goes to .build/artifacts/.
 * Chromium with lavapipe instead (VK_ICD_FILENAMES=…/lvp_icd.json, --use-vulkan=native,
 * --use-angle=vulkan) still gives SwiftShader's adapter here, and with --ignore-gpu-blocklist its
 * GPU process crashes, so SwiftShader is what we test.
 * A missing adapter under these flags is skipped loudly, and fails under CI=true or
 * GIM_REQUIRE_BROWSER=1: SwiftShader ships inside chromium, so its absence is a broken setup.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpuBackend } from "../../engine/context.js";
import type { Backend } from "../../engine/backend.js";
import type { GimData } from "../../gim/data/in-memory.js";
import { type TrainGimOptions, trainGim } from "../../gim/train/train-gim.js";
import { exitWhenDone, gpuOrSkip } from "../helpers.js";
import {
  WEBGPU_SWIFTSHADER,
  browserTestOrSkip,
  exampleUrl,
  finished,
  requireBrowser,
  screenshot,
  withPage,
} from "./chromium.js";

exitWhenDone();
const SUITE = "the browser WebGPU test";
const browserTest = browserTestOrSkip(SUITE);
const gpu = await gpuOrSkip(`${SUITE} (Node's webgpu side)`);

/**
 * Five steps show Adam at work and keep the file near 30 s on two busy cores: the page's time
 * goes mostly to compiling pipelines and recording the step; SwiftShader then replays ~4 steps/s.
 */
const STEPS = 5;
/**
 * Relative tolerance on the loss after step k. Both sides run float32 from the same Philox draws,
 * so they differ by summation order and exp/log rounding only: measured 3.7·10⁻⁶ after step 1
 * and 2.4·10⁻⁶ after step 5 (chromium SwiftShader vs Node cpu; vs Node lavapipe 3.7·10⁻⁶ and 0).
 * Step 1 is the loss at the initial parameters, so 1e-4 leaves 25× room. Later steps go through
 * Adam, which normalises each gradient by its running RMS: a parameter whose gradient is near 0
 * can move by up to lr differently on two devices, so step 5 gets 1e-3.
 */
const TOLERANCE: Record<number, number> = { 1: 1e-4, [STEPS]: 1e-3 };

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** Node's losses per step for the page's data and options on `backend`. */
async function nodeLosses(data: GimData, options: TrainGimOptions, backend: Backend): Promise<number[]> {
  const losses: number[] = [];
  await trainGim(data, { ...options, backend, log: () => {}, onProgress: (p) => losses.push(p.loss) });
  return losses;
}

browserTest("the example trains on WebGPU in chromium; its step losses match Node's cpu and webgpu", async () => {
  await withPage(WEBGPU_SWIFTSHADER, async (page, errors) => {
    await page.goto(exampleUrl(""));
    const adapter = await page.evaluate<string | null>(`(async () => {
      const adapter = await navigator.gpu?.requestAdapter();
      return adapter ? [adapter.info.vendor, adapter.info.architecture].join(" / ") : null;
    })()`);
    if (!adapter) {
      const why = `chromium ${WEBGPU_SWIFTSHADER.join(" ")} finds no WebGPU adapter`;
      if (requireBrowser) assert.unreachable(`${why} (CI=true / GIM_REQUIRE_BROWSER=1)`);
      console.log(`[info] !!! ${why}: the browser WebGPU comparison is SKIPPED !!!`);
      return;
    }
    await page.goto(exampleUrl(`autostart=synth&steps=${STEPS}&backend=webgpu&small=1&logEvery=1`));
    const run = await finished(page, 150_000);
    await screenshot(page, "browser-webgpu.png");
    assert.is(run.error, null, `training failed: ${run.error}`);
    assert.is(run.backendLine, `backend: webgpu (adapter: ${adapter})`, "the page names the adapter it used");
    assert.is(run.losses.length, STEPS, "one loss per step");
    assert.equal(errors, [], "console errors");

    // Typed arrays do not cross page.evaluate as such; JSON keeps every float64 exactly.
    const trained: { data: GimData; options: TrainGimOptions } = JSON.parse(
      await page.evaluate<string>(
        "JSON.stringify(window.gimRun, (key, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v))",
      ),
    );
    const others: [string, Backend][] = [["Node cpu", cpuBackend()]];
    if (gpu) others.push([`Node webgpu (${gpu.description})`, gpu]);
    for (const [name, backend] of others) {
      const losses = await nodeLosses(trained.data, trained.options, backend);
      const diffs = Object.keys(TOLERANCE).map((k) => relative(run.losses[+k - 1], losses[+k - 1]));
      console.log(
        `[info] chromium webgpu (${adapter}) vs ${name}: loss after step ${Object.keys(TOLERANCE).join(", ")}: ` +
          `${Object.keys(TOLERANCE)
            .map((k) => `${run.losses[+k - 1].toFixed(5)} vs ${losses[+k - 1].toFixed(5)}`)
            .join(", ")}; relative difference ${diffs.map((d) => d.toExponential(1)).join(", ")}`,
      );
      Object.entries(TOLERANCE).forEach(([k, tolerance], i) =>
        assert.ok(diffs[i] <= tolerance, `${name}, step ${k}: relative difference ${diffs[i]} > ${tolerance}`),
      );
    }
  });
});

test.run();
