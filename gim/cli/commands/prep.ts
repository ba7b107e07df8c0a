import { UsageError } from "../args.js";
import { AnnData } from "../../data/anndata/anndata.js";
import { writePrepared } from "../../data/prep/output.js";
import { type PrepOptions, prepare } from "../../data/prep/prep.js";
import { registerCommand } from "./registry.js";

registerCommand("prep", {
  summary: "AnnData .h5ad → dataset folder: the paper's single-cell preprocessing (D.2), features, held-out doses",
  flags: {
    data: { type: "string", required: true, help: "AnnData file (.h5ad) with raw counts" },
    out: {
      type: "string",
      required: true,
      help: "dataset folder to write (samples.csv, features.csv, split.json, prep.json)",
    },
    "perturbation-key": {
      type: "string",
      required: true,
      help: "obs column naming the perturbation (e.g. product_name)",
    },
    "dose-key": { type: "string", required: true, help: "obs column holding the dose (e.g. dose, in nM)" },
    "control-value": {
      type: "string",
      required: true,
      help: "the perturbation value of unperturbed cells (e.g. Vehicle)",
    },
    "covariate-key": { type: "string", help: "obs column of a covariate to select on (e.g. cell_type)" },
    covariate: { type: "string", help: "the covariate value to keep (e.g. A549); needs --covariate-key" },
    perturbations: { type: "list", help: "keep only this perturbation (and the control); default: all" },
    holdout: { type: "list", help: "PERTURBATION@DOSE: move these cells to the test split" },
    layer: { type: "string", default: "X", help: "matrix of raw counts: X or the name of a layer (e.g. counts)" },
    features: { type: "string", help: "CSV `perturbation,<f_1>,…`: descriptors replacing the one-hot perturbation" },
    "dose-features": {
      type: "choice",
      choices: ["paper", "log", "per-drug"],
      default: "paper",
      help: "paper: one-hot dose and log-dose (D.2); log: the log-dose alone, so a held-out dose lies on its drug's dose axis; per-drug: each perturbation column times the log-dose, so drugs share no dose feature",
    },
    "min-counts": { type: "number", min: 0, default: 200, help: "keep cells with at least this total count" },
    "min-cells": {
      type: "number",
      integer: true,
      min: 0,
      default: 20,
      help: "keep genes expressed in at least this many cells",
    },
    "n-top-genes": {
      type: "number",
      integer: true,
      min: 2,
      default: 1000,
      help: "highly variable genes (scanpy seurat flavour)",
    },
    "n-markers": {
      type: "number",
      integer: true,
      min: 2,
      default: 50,
      help: "marker genes kept (largest |t| vs control)",
    },
    "select-genes-on": {
      type: "choice",
      choices: ["all", "train"],
      default: "all",
      help: "cells the gene selection sees: all kept cells (as the paper) or the training split only",
    },
  },
  async run(v) {
    if (v.covariate !== undefined && v["covariate-key"] === undefined)
      throw new UsageError("--covariate needs --covariate-key (the obs column it is a value of)");
    const options: PrepOptions = {
      perturbationKey: v["perturbation-key"],
      doseKey: v["dose-key"],
      controlValue: v["control-value"],
      covariateKey: v["covariate-key"],
      covariate: v.covariate,
      perturbations: v.perturbations.length ? v.perturbations : undefined,
      holdout: v.holdout,
      layer: v.layer,
      nTopGenes: v["n-top-genes"],
      nMarkers: v["n-markers"],
      minCounts: v["min-counts"],
      minCells: v["min-cells"],
      selectOn: v["select-genes-on"],
    };
    const started = performance.now();
    const data = await AnnData.open(v.data);
    try {
      const result = prepare(data, options);
      writePrepared(v.out, result, {
        ...options,
        data: v.data,
        features: v.features,
        doseFeatures: v["dose-features"],
      });
      const c = result.counts;
      console.log(
        `wrote ${v.out}: ${c.cellsKept} cells in ${result.cells.envs.length} envs (${result.cells.heldOut.size} held out), ` +
          `${result.genes.length} genes (of ${c.genesInFile}; ${c.genesAfterFilter} after filtering, ${c.genesHighlyVariable} highly variable) ` +
          `in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      data.close();
    }
    return 0;
  },
});
