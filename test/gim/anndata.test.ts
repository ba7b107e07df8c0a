/**
 * AnnData .h5ad reading: the four readable fixture encodings (dense, CSR, CSC, gzip; made by
 * test/fixtures/h5ad/make_h5ad.py with anndata) give the same matrix in any block size; obs
 * columns and var names; h5wasm's silent failures become errors naming the file and the key.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { AnnData, type RowBlock } from "../../gim/data/anndata/anndata.js";
import { createH5ad } from "../../gim/data/anndata/write.js";
import { scratchDir } from "../helpers.js";

const FIXTURES = join(process.cwd(), "test", "fixtures", "h5ad");
const dir = scratchDir("gim-h5ad-");
/** X of every fixture (12 cells × 5 genes, Poisson(0.7) counts from make_h5ad.py). */
const X = [
  [1, 0, 0, 2, 1],
  [2, 1, 1, 1, 0],
  [0, 0, 0, 1, 1],
  [3, 1, 0, 1, 0],
  [0, 2, 1, 1, 0],
  [1, 1, 2, 1, 0],
  [0, 0, 1, 0, 0],
  [0, 0, 1, 1, 1],
  [0, 2, 1, 0, 3],
  [1, 1, 0, 2, 0],
  [3, 3, 3, 0, 2],
  [1, 1, 1, 0, 1],
];

function dense(blocks: Iterable<RowBlock>, cols: number): number[][] {
  const rows: number[][] = [];
  let next = 0;
  for (const b of blocks) {
    assert.is(b.start, next, "blocks are consecutive");
    for (let r = 0; r < b.rows; r++) {
      const row = new Array(cols).fill(0);
      for (let k = b.indptr[r]; k < b.indptr[r + 1]; k++) row[b.indices[k]] = b.values[k];
      rows.push(row);
    }
    next += b.rows;
  }
  return rows;
}

async function fails(path: string, action: (a: AnnData) => unknown, ...fragments: (string | RegExp)[]) {
  try {
    const a = await AnnData.open(path);
    try {
      await action(a);
    } finally {
      a.close();
    }
  } catch (error) {
    const message = (error as Error).message;
    for (const f of fragments)
      assert.ok(typeof f === "string" ? message.includes(f) : f.test(message), `'${message}' should mention ${f}`);
    return;
  }
  assert.unreachable(`expected an error mentioning ${fragments.join(", ")}`);
}

for (const name of ["dense", "dense_gzip", "csr", "csc"]) {
  test(`${name}.h5ad: X, layers/counts, obs and var read exactly, in any block size`, async () => {
    const a = await AnnData.open(join(FIXTURES, `${name}.h5ad`));
    const info = a.matrix();
    assert.equal([info.rows, info.cols], [12, 5]);
    for (const entries of [1, 4, 7, 1000]) assert.equal(dense(a.rowBlocks(info, entries), 5), X, `entries ${entries}`);
    assert.equal(dense(a.rowBlocks(a.matrix("counts")), 5), X);
    assert.equal(a.varNames, ["ENSG00000", "ENSG00001", "ENSG00002", "ENSG00003", "ENSG00004"]);
    assert.equal(a.obsNames().slice(0, 2), ["cell0", "cell1"]);
    const pert = a.obs("perturbation", "--perturbation-key");
    assert.equal(pert.levels, ["control", "drugA", "drugB"]);
    assert.equal([...pert.codes], [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    const dose = a.obs("dose", "--dose-key");
    assert.equal(
      [...dose.codes].map((c) => dose.levels[c]),
      [0, 0, 0, 0, 0.1, 0.1, 1, 1, 10, 10, 10, 10],
    );
    const line = a.obs("cell_line", "--covariate-key");
    assert.equal([...line.codes].map((c) => line.levels[c]).join(""), "A549".repeat(6) + "K562".repeat(6));
    a.close();
  });
}

test("a file written by createH5ad reads back (CSR appended in blocks, categorical obs)", async () => {
  const path = join(dir, "written.h5ad");
  const w = await createH5ad(path, ["c0", "c1", "c2"], { drug: ["b", "a", "b"], dose: [1, 2, 3] }, ["g0", "g1"]);
  w.append([0, 1, 3], [1, 0, 1], [5, 6, 7]);
  w.append([0, 0], [], []);
  w.close();
  const a = await AnnData.open(path);
  assert.equal(dense(a.rowBlocks(a.matrix(), 1), 2), [
    [0, 5],
    [6, 7],
    [0, 0],
  ]);
  const drug = a.obs("drug", "--perturbation-key");
  assert.equal(
    [...drug.codes].map((c) => drug.levels[c]),
    ["b", "a", "b"],
  );
  a.close();
});

test("missing, non-HDF5 and truncated files are errors naming the file", async () => {
  await fails(join(dir, "nope.h5ad"), () => 0, "nope.h5ad", "file not found");
  writeFileSync(join(dir, "notes.h5ad"), "cell,gene\n1,2\n");
  await fails(join(dir, "notes.h5ad"), () => 0, "notes.h5ad", "not an HDF5 file");
  const bytes = readFileSync(join(FIXTURES, "csr.h5ad"));
  writeFileSync(join(dir, "cut.h5ad"), bytes.subarray(0, 10_000));
  await fails(join(dir, "cut.h5ad"), () => 0, "cut.h5ad", "truncated or damaged");
});

test("LZF is refused naming the file, the dataset and the filter (before any read returns garbage)", async () => {
  await fails(
    join(FIXTURES, "csr_lzf.h5ad"),
    () => 0,
    /csr_lzf\.h5ad: dataset '[\w/]+' is compressed with the HDF5 filter 'lzf' \(id 32000\)/,
    "compression='gzip'",
  );
});

test("an unknown obs key and a missing layer are errors listing what exists", async () => {
  const path = join(dir, "csr.h5ad");
  copyFileSync(join(FIXTURES, "csr.h5ad"), path);
  await fails(path, (a) => a.obs("product_name", "--perturbation-key"), "csr.h5ad", "'product_name'", "dose, is_ctrl");
  await fails(path, (a) => a.matrix("raw"), "csr.h5ad", "layers/raw", "counts");
});

test.run();
