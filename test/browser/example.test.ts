/**
 * The browser example (examples/browser/) in headless chromium on cpu (test/browser/chromium.ts):
 * it synthesizes data, trains a few hundred steps in a Web Worker, and the test asserts the loss
 * went down, the graph was drawn and the console has no errors; the screenshot goes to
 * .build/artifacts/. The webgpu backend in the page: test/browser/webgpu.test.ts.
 */
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NO_GPU, browserTestOrSkip, exampleUrl, finished, screenshot, withPage } from "./chromium.js";

const browserTest = browserTestOrSkip("the browser example test");

test("the browser bundles import no Node built-in and require nothing", () => {
  for (const file of ["dist/browser/gim.js", "dist/browser/gim-worker.js"]) {
    const code = readFileSync(file, "utf8");
    assert.not.match(code, /\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(/, file);
  }
});

browserTest("the example trains in a worker: loss down, graph drawn, no console errors", async () => {
  await withPage(NO_GPU, async (page, errors) => {
    await page.goto(exampleUrl("autostart=synth&steps=200&backend=cpu&small=1"));
    const run = await finished(page, 240_000);
    const inked = await page.evaluate<number>(`(() => {
      const canvas = document.getElementById("graph");
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let k = 3; k < pixels.length; k += 4) if (pixels[k] > 0) n++;
      return n;
    })()`);
    await screenshot(page, "browser-example.png");
    assert.is(run.error, null, `training failed: ${run.error}`);
    const losses = run.losses;
    console.log(
      `\n[info] browser: ${run.backendLine}; loss ${losses[0]?.toFixed(3)} → ${losses.at(-1)?.toFixed(3)} over ${losses.length} reports`,
    );
    assert.ok(losses.length >= 10, `${losses.length} progress reports`);
    const head = losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const tail = losses.slice(-3).reduce((a, b) => a + b) / 3;
    assert.ok(tail < head, `loss went down: ${head} → ${tail}`);
    assert.ok(inked > 500, `the graph canvas has ${inked} painted pixels`);
    assert.equal(errors, [], "console errors");
  });
});

test.run();
