/**
 * The browser example (examples/browser/) in Debian's chromium, headless, driven by playwright-core
 * (no browser download) from a static server on 127.0.0.1: it synthesizes data, trains a few
 * hundred steps in a Web Worker, and the test asserts the loss went down, the graph was drawn and
 * the console has no errors; the screenshot goes to .build/artifacts/. It also records whether this
 * chromium exposes WebGPU ([info]). Without chromium the test is skipped loudly, and fails under CI
 * (CI=true or GIM_REQUIRE_BROWSER=1): scripts/setup-chromium.sh installs it.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { chromium } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";

const CHROMIUM = process.env.GIM_CHROMIUM ?? "/usr/bin/chromium";
const required = process.env.CI === "true" || process.env.GIM_REQUIRE_BROWSER === "1";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };

const root = process.cwd();
const server = createServer((req, res) => {
  const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
  if (!path.startsWith(root) || !existsSync(path)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
});

async function withBrowser<T>(extraFlags: string[], body: (page: import("playwright-core").Page) => Promise<T>) {
  const profile = mkdtempSync(join(tmpdir(), "gim-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...extraFlags],
  });
  try {
    return await body(context.pages()[0] ?? (await context.newPage()));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

const have = existsSync(CHROMIUM);
if (!have) {
  if (required) throw new Error(`browser test: ${CHROMIUM} is missing (run scripts/setup-chromium.sh)`);
  console.log(`[info] !!! NO CHROMIUM at ${CHROMIUM}: the browser test is SKIPPED (scripts/setup-chromium.sh) !!!`);
}
const browserTest = have ? test : (test.skip as unknown as typeof test);

test.before(async () => {
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
});
test.after(() => {
  server.close();
});
const url = (query: string) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/examples/browser/index.html?${query}`;

test("the browser bundles import no Node built-in and require nothing", () => {
  for (const file of ["dist/browser/gim.js", "dist/browser/gim-worker.js"]) {
    const code = readFileSync(file, "utf8");
    assert.not.match(code, /\bfrom\s*["']node:|\bimport\(\s*["']node:|\brequire\(/, file);
  }
});

browserTest("does this headless chromium expose WebGPU? ([info] only)", async () => {
  for (const flags of [[], ["--enable-unsafe-webgpu", "--use-angle=swiftshader", "--enable-features=Vulkan"]]) {
    const found = await withBrowser(flags, async (page) => {
      await page.goto(url("probe"));
      // Strings, not functions: the project compiles without the DOM library.
      return page.evaluate<string>(`(async () => {
        if (!navigator.gpu) return "no navigator.gpu";
        return (await navigator.gpu.requestAdapter()) ? "adapter found" : "navigator.gpu but no adapter";
      })()`);
    });
    console.log(`[info] chromium ${flags.join(" ") || "(default flags)"}: ${found}`);
  }
});

browserTest("the example trains in a worker: loss down, graph drawn, no console errors", async () => {
  const errors: string[] = [];
  await withBrowser([], async (page) => {
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url("autostart=synth&steps=200&backend=cpu&small=1"));
    await page.waitForFunction(`["done", "error"].includes(document.body.dataset.state)`, null, { timeout: 240_000 });
    const run = await page.evaluate<Record<string, unknown>>("window.gimRun");
    const inked = await page.evaluate<number>(`(() => {
      const canvas = document.getElementById("graph");
      const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let k = 3; k < pixels.length; k += 4) if (pixels[k] > 0) n++;
      return n;
    })()`);
    mkdirSync(".build/artifacts", { recursive: true });
    await page.screenshot({ path: ".build/artifacts/browser-example.png", fullPage: true });
    assert.is(run.error, null, `training failed: ${run.error}`);
    const losses = run.losses as number[];
    console.log(
      `[info] browser: ${run.backendLine}; loss ${losses[0]?.toFixed(3)} → ${losses.at(-1)?.toFixed(3)} over ${losses.length} reports`,
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
