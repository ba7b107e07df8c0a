/**
 * What the browser tests share: Debian's chromium driven headless by playwright-core (no browser
 * download), a static server on 127.0.0.1 over the repository root (the example page and
 * dist/browser/), and the loud skip — a failure under CI=true or GIM_REQUIRE_BROWSER=1 — when
 * chromium is missing (scripts/setup-chromium.sh installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { type Page, chromium } from "playwright-core";
import { test } from "uvu";

const CHROMIUM = process.env.GIM_CHROMIUM ?? "/usr/bin/chromium";
export const requireBrowser = process.env.CI === "true" || process.env.GIM_REQUIRE_BROWSER === "1";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
/** No GPU process work at all: the page trains on cpu. */
export const NO_GPU = ["--disable-gpu"];
/**
 * WebGPU on the CPU in headless chromium: SwiftShader's Vulkan, bundled with chromium
 * (/usr/lib/chromium/libvk_swiftshader.so). Without these flags navigator.gpu finds no adapter.
 */
export const WEBGPU_SWIFTSHADER = ["--enable-unsafe-webgpu", "--use-angle=swiftshader", "--enable-features=Vulkan"];

const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };
const root = process.cwd();
const server = createServer((req, res) => {
  const path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)));
  if (!path.startsWith(root) || !existsSync(path)) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
});

/** `test` when chromium is there; else `test.skip`, announced loudly (thrown when required). */
export function browserTestOrSkip(suite: string): typeof test {
  if (existsSync(CHROMIUM)) {
    test.before(() => new Promise<void>((done) => server.listen(0, "127.0.0.1", done)));
    test.after(() => void server.close());
    return test;
  }
  if (requireBrowser) throw new Error(`${suite}: ${CHROMIUM} is missing (run scripts/setup-chromium.sh)`);
  console.log(`[info] !!! NO CHROMIUM at ${CHROMIUM}: ${suite} is SKIPPED (scripts/setup-chromium.sh) !!!`);
  return test.skip as unknown as typeof test;
}

/** The example page, served from the static server, with these query parameters. */
export const exampleUrl = (query: string) =>
  `http://127.0.0.1:${(server.address() as AddressInfo).port}/examples/browser/index.html?${query}`;

/**
 * Runs `body` on a fresh page of a fresh headless chromium (own profile) with `flags`; `errors`
 * collects the console's errors and uncaught page errors.
 */
export async function withPage<T>(flags: string[], body: (page: Page, errors: string[]) => Promise<T>): Promise<T> {
  const profile = mkdtempSync(join(tmpdir(), "gim-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...FLAGS, ...flags],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    return await body(page, errors);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** What the example page reports in window.gimRun (examples/browser/main.js). */
export interface PageRun {
  losses: number[];
  backendLine: string;
  error: string | null;
}

/** Waits until the example page has finished training (or failed); then what it reported. */
export async function finished(page: Page, timeout: number): Promise<PageRun> {
  await page.waitForFunction(`["done", "error"].includes(document.body.dataset.state)`, null, { timeout });
  return page.evaluate<PageRun>(
    "(({ losses, backendLine, error }) => ({ losses, backendLine, error }))(window.gimRun)",
  );
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(".build/artifacts", { recursive: true });
  await page.screenshot({ path: `.build/artifacts/${name}`, fullPage: true });
}
