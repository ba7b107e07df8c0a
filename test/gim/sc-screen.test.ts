/**
 * The single-cell screen simulator and its .h5ad writer on a small screen: layout (conditions,
 * obs, a valid CSR of positive integer counts), determinism per seed, drug targets moving in the
 * direction of their effect, the file read back with h5wasm in anndata's encoding, and
 * `gim synth --counts` through the CLI.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeH5ad } from "../../gim/data/h5ad-write.js";
import { type ScreenOptions, simulateScreen } from "../../gim/data/sc-screen.js";
import { scratchDir } from "../helpers.js";

const CLI = join(process.env.GIM_BUILD_DIR ?? ".", "dist", "cli.js");
const dir = scratchDir("gim-sc-screen-");
const SMALL: ScreenOptions = {
  genes: 200,
  responsive: 20,
  cellLines: 3,
  drugs: 4,
  cellsPerDose: 20,
  controlCells: 40,
  seed: 1,
};
const screen = simulateScreen(SMALL);
const n = 3 * (40 + 4 * 4 * 20);

test("layout: cells per condition, obs categories, a valid CSR of positive integer counts", () => {
  assert.is(screen.cells.length, n);
  assert.is(screen.genes.length, 200);
  assert.equal(screen.obs.cell_type.categories, ["A549", "K562", "MCF7"]);
  assert.equal(screen.obs.product_name.categories, [
    "Vehicle",
    "Belinostat",
    "Dacinostat",
    "Givinostat",
    "Quisinostat",
  ]);
  const count = new Map<string, number>();
  for (let c = 0; c < n; c++) {
    const key = `${screen.obs.cell_type.codes[c]}/${screen.obs.product_name.codes[c]}/${screen.obs.dose[c]}`;
    count.set(key, (count.get(key) ?? 0) + 1);
    assert.ok((screen.obs.product_name.codes[c] === 0) === (screen.obs.dose[c] === 0), "dose 0 iff Vehicle");
  }
  assert.is(count.size, 3 * 17);
  for (const [key, k] of count) assert.is(k, key.endsWith("/0/0") ? 40 : 20, key);
  const { data, indices, indptr } = screen.X;
  assert.is(indptr[0], 0);
  assert.is(indptr[n], data.length);
  for (let c = 0; c < n; c++) {
    assert.ok(indptr[c + 1] >= indptr[c]);
    for (let k = indptr[c] + 1; k < indptr[c + 1]; k++) assert.ok(indices[k] > indices[k - 1], "sorted columns");
  }
  assert.ok(data.every((v) => v >= 1 && Number.isInteger(v)));
  assert.ok(indices.every((j) => j >= 0 && j < 200));
  const density = data.length / (n * 200);
  assert.ok(density > 0.05 && density < 0.9, `density ${density}`);
});

test("same seed → the same screen; another seed → another", () => {
  const again = simulateScreen(SMALL);
  assert.equal(again.X.data, screen.X.data);
  assert.equal(again.X.indices, screen.X.indices);
  assert.equal(again.truth, screen.truth);
  const other = simulateScreen({ ...SMALL, seed: 2 });
  assert.not.equal(other.X.data.length, screen.X.data.length);
});

test("truth: 1–3 distinct responsive targets per drug, and each moves the way its effect says", () => {
  const { truth } = screen;
  const all = Object.values(truth.targets).flat();
  assert.is(new Set(all).size, all.length);
  for (const drug of truth.drugs) {
    assert.ok(truth.targets[drug].length >= 1 && truth.targets[drug].length <= 3);
    for (const e of truth.effects[drug]) {
      assert.ok(truth.responsiveGenes.includes(e.gene));
      const j = screen.genes.indexOf(e.gene);
      // Mean log1p of the size-normalised count (per 1,000) at the top dose vs Vehicle, over all lines.
      const mean = (pick: (c: number) => boolean) => {
        let s = 0;
        let k = 0;
        for (let c = 0; c < n; c++) {
          if (!pick(c)) continue;
          let total = 0;
          let x = 0;
          for (let q = screen.X.indptr[c]; q < screen.X.indptr[c + 1]; q++) {
            total += screen.X.data[q];
            if (screen.X.indices[q] === j) x = screen.X.data[q];
          }
          s += Math.log1p((1000 * x) / Math.max(total, 1));
          k++;
        }
        return s / k;
      };
      const d = truth.drugs.indexOf(drug) + 1;
      const top = mean((c) => screen.obs.product_name.codes[c] === d && screen.obs.dose[c] === 10000);
      const control = mean((c) => screen.obs.product_name.codes[c] === 0);
      assert.ok(Math.sign(top - control) === Math.sign(e.effect), `${drug} → ${e.gene}: ${top} vs ${control}`);
    }
  }
});

test("writeH5ad: anndata's encoding, read back with h5wasm", async () => {
  const path = join(dir, "s.h5ad");
  await writeH5ad(path, {
    X: { ...screen.X, shape: [n, 200] },
    obsNames: screen.cells,
    obs: screen.obs,
    varNames: screen.genes,
    uns: { targets: screen.truth.targets },
  });
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
  const f = new h5wasm.File(path, "r");
  const attr = (p: string, a: string) =>
    (f.get(p) as unknown as { attrs: Record<string, { value: unknown }> }).attrs[a].value;
  const value = (p: string) => (f.get(p) as unknown as { value: unknown }).value;
  assert.is(attr("/", "encoding-type"), "anndata");
  assert.is(attr("X", "encoding-type"), "csr_matrix");
  assert.equal([...(attr("X", "shape") as BigInt64Array)].map(Number), [n, 200]);
  assert.equal([...(value("X/data") as Float32Array)], [...screen.X.data]);
  assert.equal([...(value("X/indptr") as Int32Array)], [...screen.X.indptr]);
  assert.equal(attr("obs", "column-order"), ["cell_type", "product_name", "dose"]);
  assert.is(attr("obs/product_name", "encoding-type"), "categorical");
  assert.equal(value("obs/product_name/categories"), screen.obs.product_name.categories);
  assert.equal([...(value("obs/product_name/codes") as Int8Array)], [...screen.obs.product_name.codes]);
  assert.equal([...(value("obs/dose") as Float64Array)], [...screen.obs.dose]);
  assert.equal(value("var/_index"), screen.genes);
  assert.equal(value("uns/targets/Belinostat"), screen.truth.targets.Belinostat);
  f.close();
});

test("gim synth --counts writes the .h5ad and its truth; flags of the other generator are refused", () => {
  const gim = (...args: string[]) => spawnSync(process.execPath, [CLI, "synth", ...args], { encoding: "utf8" });
  const out = join(dir, "cli.h5ad");
  const r = gim(
    "--counts",
    "--out",
    out,
    "--genes",
    "100",
    "--responsive-genes",
    "15",
    "--cells-per-dose",
    "5",
    "--control-cells",
    "10",
  );
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /wrote 270 cells × 100 genes/);
  assert.ok(existsSync(out));
  const truth = JSON.parse(readFileSync(join(dir, "cli.truth.json"), "utf8"));
  assert.equal(truth.drugs, ["Belinostat", "Dacinostat", "Givinostat", "Quisinostat"]);
  assert.equal(truth.doses, [10, 100, 1000, 10000]);
  const stray = gim("--counts", "--out", out, "--d", "5");
  assert.is(stray.status, 2);
  assert.match(stray.stderr, /--d does not apply with --counts/);
  const missing = gim("--out", join(dir, "bench"), "--genes", "50");
  assert.is(missing.status, 2);
  assert.match(missing.stderr, /--genes applies only with --counts/);
  const few = gim("--counts", "--out", out, "--responsive-genes", "5");
  assert.is(few.status, 2);
  assert.match(few.stderr, /--responsive-genes must be at least 3 × --drugs = 12/);
});

test.run();
