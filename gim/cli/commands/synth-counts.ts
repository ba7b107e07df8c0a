/**
 * `gim synth --counts --out screen.h5ad`: the simulated single-cell drug screen of
 * gim/data/sc-screen.ts as an AnnData file (raw counts in sparse CSR X; obs `cell_type`,
 * `product_name` with `Vehicle` as control, `dose` in nM), and its truth beside it as
 * screen.truth.json (also in uns: `targets` per drug and `responsive_genes`).
 */
import { writeFileSync } from "node:fs";
import { defineFlags, type FlagValues, UsageError } from "../args.js";
import { writeH5ad } from "../../data/h5ad-write.js";
import { SCREEN_DEFAULTS, type ScreenOptions, checkScreenOptions, simulateScreen } from "../../data/sc-screen.js";

const S = SCREEN_DEFAULTS;
export const SCREEN_FLAGS = defineFlags({
  counts: { type: "boolean", default: false, help: "write a single-cell drug screen as .h5ad instead" },
  genes: { type: "number", integer: true, min: 2, default: S.genes, help: "with --counts: genes in all" },
  "responsive-genes": {
    type: "number",
    integer: true,
    min: 3,
    default: S.responsive,
    help: "with --counts: genes in the regulatory DAG (the rest are background)",
  },
  "cell-lines": {
    type: "number",
    integer: true,
    min: 1,
    default: S.cellLines,
    help: "with --counts: cell lines (≤ 3)",
  },
  drugs: { type: "number", integer: true, min: 1, default: S.drugs, help: "with --counts: drugs, each at 4 doses" },
  "cells-per-dose": {
    type: "number",
    integer: true,
    min: 1,
    default: S.cellsPerDose,
    help: "with --counts: cells per cell line, drug and dose",
  },
  "control-cells": {
    type: "number",
    integer: true,
    min: 1,
    default: S.controlCells,
    help: "with --counts: Vehicle cells per cell line",
  },
});

/** `out` minus a trailing .h5ad, plus .truth.json. */
export const truthPathOf = (out: string) => `${out.replace(/\.h5ad$/, "")}.truth.json`;

export async function writeScreen(v: FlagValues<typeof SCREEN_FLAGS> & { out: string; seed: number }): Promise<number> {
  const options: ScreenOptions = {
    genes: v.genes,
    responsive: v["responsive-genes"],
    cellLines: v["cell-lines"],
    drugs: v.drugs,
    cellsPerDose: v["cells-per-dose"],
    controlCells: v["control-cells"],
    seed: v.seed,
  };
  try {
    checkScreenOptions(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const screen = simulateScreen(options);
  await writeH5ad(v.out, {
    X: { ...screen.X, shape: [screen.cells.length, screen.genes.length] },
    obsNames: screen.cells,
    obs: screen.obs,
    varNames: screen.genes,
    uns: { targets: screen.truth.targets, responsive_genes: screen.truth.responsiveGenes },
  });
  writeFileSync(truthPathOf(v.out), `${JSON.stringify(screen.truth, null, 1)}\n`);
  console.log(
    `wrote ${screen.cells.length} cells × ${screen.genes.length} genes (${screen.X.data.length} non-zero counts) to ${v.out}, truth to ${truthPathOf(v.out)}`,
  );
  return 0;
}
