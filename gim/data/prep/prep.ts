/**
 * `gim prep`: the paper's single-cell preprocessing (D.2) on an AnnData file, in three passes
 * over row blocks of the count matrix (memory: O(genes · groups + kept cells · K), never the matrix):
 *   1. per cell: total count (integer, ≥ 0 checked), the ≥ min-counts cell filter; per gene: the
 *      cells expressing it among kept cells → the ≥ min-cells gene filter; the median total of the
 *      kept control cells is the normalisation target;
 *   2. x ↦ log1p(x · target/total) per kept cell and gene: Σ and Σ² of expm1 (the normalised counts)
 *      for the seurat highly-variable-gene flavour, and per group (control, each perturbation) Σ and
 *      Σ² of the log values for the t-test against control;
 *   3. the K selected genes' log values of every kept cell, grouped by environment.
 * Formulas and their scanpy sources: ./scanpy.ts and docs/single-cell.md.
 */
import { DataError } from "../csv.js";
import type { AnnData, MatrixInfo } from "../anndata/anndata.js";
import { type CellAssignment, type CellOptions, assignCells } from "./cells.js";
import { meanVar, median, seuratDispersion, topIndices, tTestOverestimVar } from "./scanpy.js";

export interface PrepOptions extends CellOptions {
  layer?: string;
  nTopGenes: number;
  nMarkers: number;
  minCounts: number;
  minCells: number;
  /** Cells the gene selection sees: all kept cells (the paper) or only the training ones. */
  selectOn: "all" | "train";
  blockEntries?: number;
}

export interface PrepResult {
  cells: CellAssignment;
  matrix: MatrixInfo;
  genes: string[];
  highlyVariable: string[];
  markerScores: number[];
  targetSum: number;
  /** Per env: kept cells' log1p-normalised values of `genes`, row-major [n, K]. */
  samples: Float64Array[];
  counts: Record<string, number>;
}

export function prepare(a: AnnData, o: PrepOptions): PrepResult {
  const cells = assignCells(a, o);
  const matrix = a.matrix(o.layer);
  const g = matrix.cols;
  const { envOf } = cells;
  const blocks = () => a.rowBlocks(matrix, o.blockEntries);

  // Pass 1: totals, the integer check, the cell filter, cells per gene.
  const total = new Float64Array(a.obsCount);
  const kept = new Uint8Array(a.obsCount);
  const cellsPerGene = new Float64Array(g);
  let belowMinCounts = 0;
  for (const b of blocks()) {
    for (let r = 0; r < b.rows; r++) {
      const cell = b.start + r;
      if (envOf[cell] < 0) continue;
      let t = 0;
      for (let k = b.indptr[r]; k < b.indptr[r + 1]; k++) {
        const v = b.values[k];
        if (!(v >= 0) || !Number.isInteger(v)) {
          throw new DataError(
            `${a.path}: '${matrix.key}' holds ${v} at cell '${a.obsNames()[cell]}', gene '${a.varNames[b.indices[k]]}'; ` +
              "gim prep needs raw counts (non-negative integers): pass --layer with the counts layer" +
              " (e.g. --layer counts) or a file whose X holds counts",
          );
        }
        t += v;
      }
      total[cell] = t;
      if (t < o.minCounts) {
        belowMinCounts++;
        continue;
      }
      kept[cell] = 1;
      for (let k = b.indptr[r]; k < b.indptr[r + 1]; k++) if (b.values[k] > 0) cellsPerGene[b.indices[k]]++;
    }
  }
  const cellsPerEnv = new Int32Array(cells.envs.length);
  kept.forEach((k, i) => k && cellsPerEnv[envOf[i]]++);
  cells.envs.forEach((e, i) => {
    if (cellsPerEnv[i] === 0)
      throw new DataError(
        `${a.path}: ${e.control ? "the control" : "perturbation"} '${e.id}' (obs '${o.perturbationKey}'${e.control ? "" : ` and '${o.doseKey}'`}) ` +
          `has no cells with ≥ ${o.minCounts} counts in '${matrix.key}' (--min-counts)`,
      );
  });
  const keptCells = kept.reduce((s, k) => s + k, 0);
  const geneKept = Array.from({ length: g }, (_, j) => j).filter((j) => cellsPerGene[j] >= o.minCells);
  if (geneKept.length < 2)
    throw new DataError(
      `${a.path}: the gene filter (--min-cells ${o.minCells}) keeps ${geneKept.length} of ${g} genes of '${matrix.key}' ` +
        `over ${keptCells} cells; at least 2 are needed: lower --min-cells`,
    );
  const targetSum = median(
    Array.from({ length: a.obsCount }, (_, i) => i).flatMap((i) => (kept[i] && envOf[i] === 0 ? [total[i]] : [])),
  );

  // Pass 2: moments of the normalised counts (HVG) and of the log values per group (t-test).
  const geneSlot = new Int32Array(g).fill(-1);
  geneKept.forEach((j, s) => (geneSlot[j] = s));
  const G = geneKept.length;
  const perts = [...new Set(cells.envs.map((e) => e.perturbation))];
  const groupOfEnv = cells.envs.map((e) => perts.indexOf(e.perturbation));
  const sel = (cell: number) => kept[cell] && (o.selectOn === "all" || !cells.heldOut.has(envOf[cell]));
  const expSum = new Float64Array(G);
  const expSq = new Float64Array(G);
  const logSum = perts.map(() => new Float64Array(G));
  const logSq = perts.map(() => new Float64Array(G));
  const groupN = new Float64Array(perts.length);
  let nSel = 0;
  for (const b of blocks()) {
    for (let r = 0; r < b.rows; r++) {
      const cell = b.start + r;
      if (!sel(cell)) continue;
      nSel++;
      const grp = groupOfEnv[envOf[cell]];
      groupN[grp]++;
      const scale = targetSum / total[cell];
      for (let k = b.indptr[r]; k < b.indptr[r + 1]; k++) {
        const s = geneSlot[b.indices[k]];
        if (s < 0) continue;
        const x = b.values[k] * scale;
        const l = Math.log1p(x);
        expSum[s] += x;
        expSq[s] += x * x;
        logSum[grp][s] += l;
        logSq[grp][s] += l * l;
      }
    }
  }
  const hvgStats = meanVar(expSum, expSq, nSel);
  const hvg = topIndices(seuratDispersion(hvgStats.mean, hvgStats.variance).normalized, o.nTopGenes).sort(
    (x, y) => x - y,
  );
  const reference = meanVar(logSum[0], logSq[0], groupN[0]);
  const score = new Float64Array(G);
  for (let p = 1; p < perts.length; p++) {
    if (groupN[p] === 0) continue;
    const t = tTestOverestimVar({ ...meanVar(logSum[p], logSq[p], groupN[p]), n: groupN[p] }, reference);
    for (let s = 0; s < G; s++) score[s] = Math.max(score[s], Math.abs(t[s]));
  }
  const hvgScores = hvg.map((s) => score[s]);
  const markers = topIndices(hvgScores, o.nMarkers).map((i) => hvg[i]);
  markers.sort((x, y) => x - y);
  const K = markers.length;

  // Pass 3: the selected genes of every kept cell.
  const column = new Int32Array(g).fill(-1);
  markers.forEach((s, c) => (column[geneKept[s]] = c));
  const rows = cells.envs.map(() => [] as number[]);
  for (const b of blocks()) {
    for (let r = 0; r < b.rows; r++) {
      const cell = b.start + r;
      if (!kept[cell]) continue;
      const row = new Array<number>(K).fill(0);
      const scale = targetSum / total[cell];
      for (let k = b.indptr[r]; k < b.indptr[r + 1]; k++) {
        const c = column[b.indices[k]];
        if (c >= 0) row[c] = Math.log1p(b.values[k] * scale);
      }
      rows[envOf[cell]].push(...row);
    }
  }
  const name = (s: number) => a.varNames[geneKept[s]];
  return {
    cells,
    matrix,
    genes: markers.map(name),
    highlyVariable: hvg.map(name),
    markerScores: markers.map((s) => score[s]),
    targetSum,
    samples: rows.map((r) => Float64Array.from(r)),
    counts: {
      cellsInFile: a.obsCount,
      genesInFile: g,
      ...Object.fromEntries(Object.entries(cells.dropped).map(([k, v]) => [`cellsDropped_${k}`, v])),
      cellsDropped_belowMinCounts: belowMinCounts,
      cellsKept: keptCells,
      cellsSelectingGenes: nSel,
      genesDropped_belowMinCells: g - G,
      genesAfterFilter: G,
      genesHighlyVariable: hvg.length,
      genesMarkers: K,
    },
  };
}
