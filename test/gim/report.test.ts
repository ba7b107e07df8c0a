/**
 * `gim report` end to end on cpu: a tiny synthetic benchmark and a tiny prepared single-cell screen
 * (gim synth --counts → gim prep), each trained a few steps and reported through the CLI. The
 * HTML is checked for its structure (four figures whose SVG hold drawn elements, counts that follow
 * from the model and the data, no URL, no script), then rendered in Debian's chromium, headless
 * (playwright-core, the launch flags of test/browser/example.test.ts): every SVG has a non-zero
 * box and children, the console stays clean, nothing is fetched, and a screenshot goes to
 * .build/artifacts/report.png. Without chromium that part is skipped loudly; it fails under CI
 * (CI=true or GIM_REQUIRE_BROWSER=1). Also: the training history the model file records, and a
 * model file without one (older files) reported with a note instead of the curves.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { binShares } from "../../gim/report/histogram-figure.js";
import { logTicks, ticks } from "../../gim/report/svg.js";
import { runGim, TINY_SYNTH, scratchDir } from "../helpers.js";

const dir = scratchDir("gim-report-");
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
const have = existsSync(CHROMIUM);
if (!have) {
  if (required) throw new Error(`report test: ${CHROMIUM} is missing (run scripts/setup-chromium.sh)`);
  console.log(`[info] !!! NO CHROMIUM at ${CHROMIUM}: the report's browser check is SKIPPED !!!`);
}
const browserTest = have ? test : (test.skip as unknown as typeof test);

function gim(...args: string[]): string {
  const r = runGim(args);
  assert.is(r.code, 0, `gim ${args.join(" ")}:\n${r.err}`);
  return r.err;
}

/** The figures of a report: id → its HTML. */
function figures(html: string): Map<string, string> {
  return new Map([...html.matchAll(/<figure id="([^"]+)">([\s\S]*?)<\/figure>/g)].map((m) => [m[1], m[2]]));
}

const count = (text: string, re: RegExp) => [...text.matchAll(re)].length;

function checkCommon(html: string): Map<string, string> {
  assert.not.match(html, /https?:/, "no URL in the page");
  assert.not.match(html, /<script|<link|<img|<iframe|\bsrc=/, "nothing loaded from elsewhere");
  const figs = figures(html);
  assert.equal([...figs.keys()], ["fig-graph", "fig-targets", "fig-marginals", "fig-curves"]);
  return figs;
}

const STEPS = 60;
const LOG_EVERY = 5;
const syn = join(dir, "syn");
const synModel = join(dir, "syn.json");
const synHtml = join(dir, "syn.html");

test("synthetic data: train, report; four figures drawn from the model and the data", () => {
  gim("synth", "--out", syn, ...TINY_SYNTH);
  const train = ["--backend", "cpu", "--mc-samples", "4", "--steps", String(STEPS), "--log-every", String(LOG_EVERY)];
  gim("train", "--data", syn, "--out", synModel, ...train);
  const said = gim("report", "--model", synModel, "--data", syn, "--out", synHtml);
  assert.match(said, /wrote .*syn\.html \(\d+ KB\)/);
  const html = readFileSync(synHtml, "utf8");
  console.log(`[info] tiny synthetic report: ${html.length} bytes`);
  const figs = checkCommon(html);
  const model = JSON.parse(readFileSync(synModel, "utf8"));
  const truth = JSON.parse(readFileSync(join(syn, "truth.json"), "utf8"));
  // 1: every MAP edge, plus the true edges it misses, is one path with an arrow.
  const either = model.graph.flat().filter((v: number, k: number) => v === 1 || truth.graph.flat()[k] === 1).length;
  assert.match(figs.get("fig-graph")!, new RegExp(`data-edges="${either}"`));
  assert.is(count(figs.get("fig-graph")!, /<path d="M[^"]+Q[^"]+" [^>]*marker-end/g), either);
  assert.is(count(figs.get("fig-graph")!, /<circle /g), 3, "one node per variable");
  // 2: one cell per interventional env and variable (24 envs × 3), with true targets marked.
  const envs = Object.values(truth.split).filter((s) => s !== "observational").length;
  assert.is(count(figs.get("fig-targets")!, /<rect x[^>]*fill="#[0-9a-f]{6}"/g), envs * 3);
  // 3: full-ood envs spread over the two perturbations, highest scales first, every gene each.
  const shown = [...figs.get("fig-marginals")!.matchAll(/data-env="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(shown, ["q0_s2", "q0_s4", "q1_s2", "q1_s4"]);
  assert.is(count(figs.get("fig-marginals")!, /class="panel"/g), 4 * 3);
  // 4: three panels of curves.
  assert.is(count(figs.get("fig-curves")!, /<path d="M[\d.]+,[\d.]+L/g) >= 3, true, "curves drawn");
  assert.match(html, /Edge-F1 <b>[\d.]+<\/b>/);
  assert.match(html, /<td>full-ood<\/td><td>GIM<\/td>/);
});

test("the model file records the training curve at every log step", () => {
  const { history, augmentedLagrangian } = JSON.parse(readFileSync(synModel, "utf8"));
  const steps = Array.from({ length: STEPS / LOG_EVERY }, (_, k) => (k + 1) * LOG_EVERY);
  assert.equal(history.step, steps);
  for (const key of ["loss", "h", "alpha", "mu"]) {
    assert.is(history[key].length, steps.length, key);
    assert.ok(history[key].every(Number.isFinite), key);
  }
  assert.is(history.alpha.at(-1), augmentedLagrangian.alpha);
  assert.is(history.mu.at(-1), augmentedLagrangian.mu);
});

test("a model file without history (older files): a note instead of the curves", () => {
  const model = JSON.parse(readFileSync(synModel, "utf8"));
  delete model.history;
  const old = join(dir, "old.json");
  writeFileSync(old, JSON.stringify(model));
  const out = join(dir, "old.html");
  gim("report", "--model", old, "--data", syn, "--out", out);
  const curves = figures(readFileSync(out, "utf8")).get("fig-curves")!;
  assert.match(curves, /no training history recorded/);
  assert.not.match(curves, /<svg/);
});

test("a mismatched model and dataset is refused, naming both", () => {
  const other = join(dir, "other");
  gim("synth", "--out", other, ...TINY_SYNTH.map((a) => (a === "3" ? "4" : a)));
  const r = runGim(["report", "--model", synModel, "--data", other, "--out", join(dir, "x.html")]);
  assert.is(r.code, 1);
  assert.match(r.err, /syn\.json: the model's variables \(x1, x2, x3\) differ from the dataset's in .*other/);
});

const sc = join(dir, "sc");
const scHtml = join(dir, "sc.html");

test("a prepared single-cell screen: prep, train, report; the held-out dose is figure 3", () => {
  const h5ad = join(dir, "screen.h5ad");
  gim(
    ...["synth", "--counts", "--out", h5ad, "--genes", "60", "--responsive-genes", "6", "--cell-lines", "1"],
    ...["--drugs", "2", "--cells-per-dose", "15", "--control-cells", "40", "--seed", "1"],
  );
  gim(
    ...["prep", "--data", h5ad, "--out", sc, "--perturbation-key", "product_name", "--dose-key", "dose"],
    ...["--control-value", "Vehicle", "--min-counts", "20", "--min-cells", "5", "--n-top-genes", "20"],
    ...["--n-markers", "8", "--holdout", "Belinostat@10000"],
  );
  gim("train", "--data", sc, "--out", join(dir, "sc.json"), "--backend", "cpu", "--steps", "20", "--log-every", "5");
  gim("report", "--model", join(dir, "sc.json"), "--data", sc, "--out", scHtml);
  const html = readFileSync(scHtml, "utf8");
  console.log(`\n[info] tiny single-cell report: ${html.length} bytes`);
  const figs = checkCommon(html);
  const genes: string[] = JSON.parse(readFileSync(join(sc, "prep.json"), "utf8")).genes;
  for (const g of genes) assert.ok(figs.get("fig-targets")!.includes(`>${g}</text>`), `gene ${g} labels a column`);
  assert.match(figs.get("fig-marginals")!, /data-env="Belinostat@10000"/);
  assert.is(count(figs.get("fig-marginals")!, /class="panel"/g), genes.length);
  // Rows: Belinostat's then Dacinostat's doses in order, the held-out dose last.
  const rows = [...figs.get("fig-targets")!.matchAll(/text-anchor="end"[^>]*>([^<]+)</g)].map((m) => m[1]);
  assert.equal(rows, [
    ...["Belinostat@10", "Belinostat@100", "Belinostat@1000"],
    ...["Dacinostat@10", "Dacinostat@100", "Dacinostat@1000", "Dacinostat@10000"],
    "Belinostat@10000",
  ]);
  assert.match(html, /prepared from/);
  assert.match(html, /<td>test<\/td><td>next-lower dose<\/td>/);
});

browserTest("chromium renders both reports: every SVG drawn, no console error, nothing fetched", async () => {
  const profile = scratchDir("gim-chromium-");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => requests.push(r.url()));
    for (const [file, shot] of [
      [synHtml, ".build/artifacts/report.png"],
      [scHtml, ".build/artifacts/report-single-cell.png"],
    ]) {
      await page.setContent(readFileSync(file, "utf8"));
      // Strings, not functions: the project compiles without the DOM library.
      const boxes = await page.evaluate<{ figure: string; width: number; height: number; children: number }[]>(
        `[...document.querySelectorAll("svg")].map((s) => {
          const box = s.getBBox();
          return { figure: s.dataset.figure, width: box.width, height: box.height, children: s.querySelectorAll("path, rect, circle, line").length };
        })`,
      );
      assert.equal([...new Set(boxes.map((b) => b.figure))], ["graph", "targets", "marginals", "curves"], file);
      for (const b of boxes)
        assert.ok(b.width > 50 && b.height > 50 && b.children > 5, `${file}: ${JSON.stringify(b)}`);
      mkdirSync(".build/artifacts", { recursive: true });
      await page.screenshot({ path: shot, fullPage: true });
    }
    assert.equal(errors, [], "console errors");
    assert.equal(requests, [], "requests");
  } finally {
    await context.close();
  }
});

test("ticks, log ticks and histogram shares", () => {
  assert.equal(ticks(0, 200, 4), [0, 50, 100, 150, 200]);
  assert.equal(ticks(-0.3, 0.7, 5), [-0.2, 0, 0.2, 0.4, 0.6]);
  assert.equal(logTicks(0.05, 300), [0.1, 1, 10, 100]);
  assert.equal(logTicks(0.17, 2.02), [0.2, 0.5, 1, 2]);
  assert.equal(logTicks(0.82, 1.14), [0.82, 1, 1.14]);
  assert.equal(binShares([0, 0.1, 0.6, 0.99, 5, -3], 0, 1, 2), [3 / 6, 3 / 6]);
});

test.run();
