/**
 * `npm run bench -- prep`: `gim prep` on a large synthetic sparse .h5ad (default 100,000 cells ×
 * 20,000 genes, ~600 counts per cell spread over ~550 genes: SciPlex3-like depth), timed with
 * /usr/bin/time -v for the wall time and the peak resident memory. The file is written once (CSR in
 * row blocks) to $GIM_PREP_BENCH_DIR (default the OS temp folder) and reused.
 * Sizes: GIM_PREP_CELLS, GIM_PREP_GENES, GIM_PREP_DEPTH (mean counts per cell).
 */
import { spawnSync } from "node:child_process";
import { existsSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createH5ad } from "../gim/data/anndata/write.js";
import { Random } from "../gim/data/random.js";
import { type Row, registerSuite } from "./report.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

async function writeScreen(path: string, cells: number, genes: number, depth: number): Promise<void> {
  const rng = new Random(11);
  const lines = ["A549", "K562", "MCF7"];
  const drugs = ["Belinostat", "Dacinostat", "Givinostat", "Quisinostat"];
  const doses = [10, 100, 1000, 10000];
  const obs = { cell_type: [] as string[], product_name: [] as string[], dose: [] as number[] };
  for (let i = 0; i < cells; i++) {
    obs.cell_type.push(lines[i % 3]);
    const e = Math.floor(i / 3) % 17;
    obs.product_name.push(e === 0 ? "Vehicle" : drugs[(e - 1) >> 2]);
    obs.dose.push(e === 0 ? 0 : doses[(e - 1) & 3]);
  }
  // Gene j is drawn with weight ∝ 1/(j + 10) (a few highly expressed genes, a long tail); drug k
  // multiplies genes 40k..40k+2 by up to 6× through a Hill function of the dose.
  const weights = Float64Array.from({ length: genes }, (_, j) => 1 / (j + 10));
  const cdf = new Float64Array(genes);
  weights.reduce((s, w, j) => (cdf[j] = s + w), 0);
  const totalWeight = cdf[genes - 1];
  const w = await createH5ad(
    path,
    Array.from({ length: cells }, (_, i) => `cell${i}`),
    obs,
    Array.from({ length: genes }, (_, j) => `G${j}`),
    1 << 20,
  );
  const rowsPerBlock = 2000;
  for (let start = 0; start < cells; start += rowsPerBlock) {
    const indptr = [0];
    const indices: number[] = [];
    const data: number[] = [];
    for (let i = start; i < Math.min(cells, start + rowsPerBlock); i++) {
      const counts = new Map<number, number>();
      const size = Math.round(depth * Math.exp(0.4 * rng.normal()));
      for (let c = 0; c < size; c++) {
        const u = rng.uniform() * totalWeight;
        let lo = 0;
        let hi = genes - 1;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (cdf[mid] < u) lo = mid + 1;
          else hi = mid;
        }
        counts.set(lo, (counts.get(lo) ?? 0) + 1);
      }
      const drug = drugs.indexOf(obs.product_name[i]);
      if (drug >= 0) {
        const hill = obs.dose[i] / (obs.dose[i] + 300);
        for (let t = 0; t < 3; t++) {
          const j = 40 * (drug + 1) + t;
          counts.set(j, Math.round((counts.get(j) ?? 0) * (1 + 5 * hill) + 3 * hill * rng.uniform()));
        }
      }
      for (const j of [...counts.keys()].sort((a, b) => a - b))
        if (counts.get(j)! > 0) (indices.push(j), data.push(counts.get(j)!));
      indptr.push(indices.length);
    }
    w.append(indptr, indices, data);
  }
  w.close();
}

registerSuite("prep", async (log) => {
  const [cells, genes, depth] = [
    env("GIM_PREP_CELLS", 100_000),
    env("GIM_PREP_GENES", 20_000),
    env("GIM_PREP_DEPTH", 600),
  ];
  const folder = process.env.GIM_PREP_BENCH_DIR ?? tmpdir();
  const path = join(folder, `gim-prep-bench-${cells}x${genes}x${depth}.h5ad`);
  if (!existsSync(path)) {
    const t0 = performance.now();
    await writeScreen(`${path}.part`, cells, genes, depth);
    renameSync(`${path}.part`, path);
    log(
      `wrote ${path} (${(statSync(path).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const out = join(folder, `gim-prep-bench-out-${cells}`);
  const args = ["--data", path, "--out", out, "--perturbation-key", "product_name", "--dose-key", "dose"];
  args.push("--control-value", "Vehicle", "--covariate-key", "cell_type", "--covariate", "A549");
  args.push("--holdout", "Belinostat@10000");
  const run = spawnSync("/usr/bin/time", ["-v", process.execPath, join("dist", "cli.js"), "prep", ...args], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(`gim prep failed:\n${run.stdout}${run.stderr}`);
  const field = (name: string) => new RegExp(`${name}: (.*)`).exec(run.stderr)?.[1] ?? "?";
  const peakMiB = Number(field("Maximum resident set size \\(kbytes\\)")) / 1024;
  const wall = field("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)");
  log(run.stdout.trim());
  log(
    `gim prep ${cells} cells × ${genes} genes (${statSync(path).size >> 20} MiB): wall ${wall}, peak RSS ${peakMiB.toFixed(0)} MiB`,
  );
  const row: Row = { name: "gim prep", backend: "cpu", cells, genes, depth, wall, peakMiB };
  return [row];
});
