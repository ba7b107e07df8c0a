/**
 * AnnData .h5ad (anndata's on-disk format, encoding-version 0.1/0.2) read through h5wasm:
 * - `obs` columns as factors: `categorical` groups (`categories` + integer `codes`, −1 = missing),
 *   `string-array` and numeric `array` datasets, `nullable-*` groups (`values` + `mask`);
 * - `var` names (the `var` index);
 * - a matrix (`X` or `layers/<name>`: dense `array`, `csr_matrix` or `csc_matrix`; `shape` is a
 *   BigInt64Array) in row blocks, so memory stays bounded whatever the file (the wasm heap stops at
 *   2 GiB). CSR reads each block's slice of data/indices; dense reads a row slab; CSC, stored by
 *   column, is scanned whole once per block (convert to CSR for large files).
 */
import { DataError } from "../csv.js";
import { H5File, toNumbers } from "./h5.js";

/** A column as a factor: `codes[cell]` indexes `levels`; −1 = missing. */
export interface Factor {
  key: string;
  levels: (string | number)[];
  codes: Int32Array;
}

export interface MatrixInfo {
  key: string;
  encoding: "dense" | "csr" | "csc";
  rows: number;
  cols: number;
}

/** Rows [start, start + rows) as CSR: row r's entries are indptr[r]..indptr[r + 1] (block-local). */
export interface RowBlock {
  start: number;
  rows: number;
  indptr: Float64Array;
  indices: Int32Array;
  values: Float64Array;
}

/** Entries per block read at once: ~8 M entries ≈ 64 MiB as float64 on the JS side. */
export const BLOCK_ENTRIES = 1 << 23;

export class AnnData {
  private constructor(
    readonly h5: H5File,
    readonly obsCount: number,
    readonly varNames: string[],
  ) {}

  get path(): string {
    return this.h5.path;
  }

  static async open(path: string): Promise<AnnData> {
    const h5 = await H5File.open(path);
    try {
      for (const key of ["obs", "var"])
        if (!h5.isGroup(key)) {
          throw new DataError(
            h5.entity(key)
              ? `${path}: '${key}' is a table of the pre-0.7 anndata format; re-save the file with a current anndata`
              : `${path}: no '${key}' group: not an AnnData .h5ad file`,
          );
        }
      const varNames = indexOf(h5, "var").map(String);
      const obsCount = indexOf(h5, "obs").length;
      return new AnnData(h5, obsCount, varNames);
    } catch (error) {
      h5.close();
      throw error;
    }
  }

  close(): void {
    this.h5.close();
  }

  /** Cell names (the `obs` index), for messages. */
  obsNames(): string[] {
    return indexOf(this.h5, "obs").map(String);
  }

  obsKeys(): string[] {
    const index = String(this.h5.attr("obs", "_index") ?? "_index");
    return this.h5
      .group("obs", "")
      .keys()
      .filter((k) => k !== index && k !== "__categories");
  }

  /** Column `key` of `obs`; `flag` names the option that asked for it, for the error. */
  obs(key: string, flag: string): Factor {
    const keys = this.obsKeys();
    if (!keys.includes(key))
      throw new DataError(`${this.path}: obs has no column '${key}' (${flag}); its columns: ${keys.join(", ")}`);
    const column = readColumn(this.h5, `obs/${key}`);
    if (column.codes.length !== this.obsCount)
      throw new DataError(`${this.path}: obs/${key} has ${column.codes.length} entries for ${this.obsCount} cells`);
    return { ...column, key };
  }

  /** The matrix `X` (layer undefined or "X") or `layers/<layer>`. */
  matrix(layer?: string): MatrixInfo {
    const key = layer === undefined || layer === "X" ? "X" : `layers/${layer}`;
    if (!this.h5.entity(key)) {
      const layers = this.h5.isGroup("layers") ? this.h5.group("layers", "").keys() : [];
      throw new DataError(
        `${this.path}: no matrix '${key}' (--layer ${layer ?? "X"}); layers in the file: ${layers.length ? layers.join(", ") : "none"}`,
      );
    }
    let info: MatrixInfo;
    if (this.h5.isGroup(key)) {
      const type = String(this.h5.attr(key, "encoding-type") ?? "");
      if (type !== "csr_matrix" && type !== "csc_matrix")
        throw new DataError(`${this.path}: '${key}' has encoding-type '${type}'; expected csr_matrix or csc_matrix`);
      const shape = this.h5.attr(key, "shape");
      if (shape === null) throw new DataError(`${this.path}: '${key}' has no 'shape' attribute`);
      const [rows, cols] = toNumbers(shape, `${this.path}: ${key} shape`);
      info = { key, encoding: type === "csr_matrix" ? "csr" : "csc", rows, cols };
    } else {
      const shape = this.h5.dataset(key, "matrix").shape ?? [];
      if (shape.length !== 2) throw new DataError(`${this.path}: '${key}' is not 2-D (shape ${shape.join("×")})`);
      info = { key, encoding: "dense", rows: shape[0], cols: shape[1] };
    }
    if (info.rows !== this.obsCount || info.cols !== this.varNames.length)
      throw new DataError(
        `${this.path}: '${key}' is ${info.rows}×${info.cols} but obs has ${this.obsCount} cells and var ${this.varNames.length} genes`,
      );
    return info;
  }

  /** The matrix in row blocks of about `entries` stored values each. */
  *rowBlocks(info: MatrixInfo, entries = BLOCK_ENTRIES): Generator<RowBlock> {
    if (info.encoding === "dense") yield* denseBlocks(this.h5, info, entries);
    else if (info.encoding === "csr") yield* csrBlocks(this.h5, info, entries);
    else yield* cscBlocks(this.h5, info, entries);
  }
}

/** The index (row names) of the `obs` or `var` dataframe. */
function indexOf(h5: H5File, frame: string): (string | number)[] {
  const name = String(h5.attr(frame, "_index") ?? "_index");
  if (!h5.entity(`${frame}/${name}`)) throw new DataError(`${h5.path}: ${frame} has no index '${name}'`);
  const value = h5.read(`${frame}/${name}`);
  return Array.isArray(value) ? (value as (string | number)[]) : Array.from(toNumbers(value, `${h5.path}: ${frame}`));
}

/** Any obs column encoding as a factor (levels in first-appearance order unless categorical). */
function readColumn(h5: H5File, key: string): Omit<Factor, "key"> {
  const where = `${h5.path}: ${key}`;
  if (h5.isGroup(key)) {
    const type = String(h5.attr(key, "encoding-type") ?? "");
    if (type === "categorical") {
      const categories = h5.read(`${key}/categories`);
      const levels = Array.isArray(categories) ? (categories as string[]) : Array.from(toNumbers(categories, where));
      const codes = Int32Array.from(toNumbers(h5.read(`${key}/codes`), where));
      for (const c of codes)
        if (c < -1 || c >= levels.length)
          throw new DataError(`${where}: code ${c} outside its ${levels.length} categories`);
      return { levels, codes };
    }
    if (type.startsWith("nullable")) {
      const values = h5.read(`${key}/values`);
      const mask = toNumbers(h5.read(`${key}/mask`), where);
      const factor = factorOf(Array.isArray(values) ? (values as string[]) : Array.from(toNumbers(values, where)));
      mask.forEach((m, i) => m && (factor.codes[i] = -1));
      return factor;
    }
    throw new DataError(`${where}: unsupported column encoding '${type}'`);
  }
  const value = h5.read(key);
  return factorOf(Array.isArray(value) ? (value as string[]) : Array.from(toNumbers(value, where)));
}

function factorOf(values: (string | number)[]): Omit<Factor, "key"> {
  const index = new Map<string | number, number>();
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    if (typeof v === "number" && Number.isNaN(v)) return void (codes[i] = -1);
    let code = index.get(v);
    if (code === undefined) index.set(v, (code = index.size));
    codes[i] = code;
  });
  return { levels: [...index.keys()], codes };
}

function* denseBlocks(h5: H5File, info: MatrixInfo, entries: number): Generator<RowBlock> {
  const step = Math.max(1, Math.floor(entries / Math.max(1, info.cols)));
  for (let start = 0; start < info.rows; start += step) {
    const rows = Math.min(step, info.rows - start);
    const dense = toNumbers(h5.readRows(info.key, start, start + rows), `${h5.path}: ${info.key}`);
    const indptr = new Float64Array(rows + 1);
    let nnz = 0;
    for (const v of dense) if (v !== 0) nnz++;
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < info.cols; j++) {
        const v = dense[r * info.cols + j];
        if (v !== 0) ((indices[k] = j), (values[k++] = v));
      }
      indptr[r + 1] = k;
    }
    yield { start, rows, indptr, indices, values };
  }
}

function readIndptr(h5: H5File, info: MatrixInfo, length: number): Float64Array {
  const indptr = toNumbers(h5.read(`${info.key}/indptr`), `${h5.path}: ${info.key}/indptr`);
  if (indptr.length !== length)
    throw new DataError(`${h5.path}: ${info.key}/indptr has ${indptr.length} entries; expected ${length}`);
  for (let i = 1; i < indptr.length; i++)
    if (indptr[i] < indptr[i - 1]) throw new DataError(`${h5.path}: ${info.key}/indptr decreases at entry ${i}`);
  return indptr;
}

function checkIndices(h5: H5File, info: MatrixInfo, indices: Int32Array, bound: number): void {
  for (const j of indices)
    if (j < 0 || j >= bound) throw new DataError(`${h5.path}: ${info.key}/indices holds ${j}, outside 0..${bound - 1}`);
}

function* csrBlocks(h5: H5File, info: MatrixInfo, entries: number): Generator<RowBlock> {
  const indptr = readIndptr(h5, info, info.rows + 1);
  for (let start = 0; start < info.rows; ) {
    let end = start + 1;
    while (end < info.rows && indptr[end + 1] - indptr[start] <= entries) end++;
    const [a, b] = [indptr[start], indptr[end]];
    const indices = Int32Array.from(toNumbers(h5.readRows(`${info.key}/indices`, a, b), `${h5.path}: indices`));
    checkIndices(h5, info, indices, info.cols);
    const values = toNumbers(h5.readRows(`${info.key}/data`, a, b), `${h5.path}: ${info.key}/data`);
    const local = indptr.slice(start, end + 1).map((p) => p - a);
    yield { start, rows: end - start, indptr: local, indices, values };
    start = end;
  }
}

function* cscBlocks(h5: H5File, info: MatrixInfo, entries: number): Generator<RowBlock> {
  const indptr = readIndptr(h5, info, info.cols + 1);
  const nnz = indptr[info.cols];
  const step = Math.max(1, Math.floor((entries * info.rows) / Math.max(1, nnz)));
  for (let start = 0; start < info.rows; start += step) {
    const rows = Math.min(step, info.rows - start);
    // Entries of the block in column order; a stable counting sort by row then gives CSR.
    const hitRows: number[] = [];
    const hitCols: number[] = [];
    const hitValues: number[] = [];
    for (let col = 0, a = 0; a < nnz; ) {
      const b = Math.min(nnz, a + entries);
      const rowIdx = Int32Array.from(toNumbers(h5.readRows(`${info.key}/indices`, a, b), `${h5.path}: indices`));
      checkIndices(h5, info, rowIdx, info.rows);
      const data = toNumbers(h5.readRows(`${info.key}/data`, a, b), `${h5.path}: ${info.key}/data`);
      for (let k = 0; k < rowIdx.length; k++) {
        while (indptr[col + 1] <= a + k) col++;
        const r = rowIdx[k] - start;
        if (r >= 0 && r < rows) (hitRows.push(r), hitCols.push(col), hitValues.push(data[k]));
      }
      a = b;
    }
    const local = new Float64Array(rows + 1);
    for (const r of hitRows) local[r + 1]++;
    for (let r = 0; r < rows; r++) local[r + 1] += local[r];
    const next = local.slice(0, rows);
    const indices = new Int32Array(hitRows.length);
    const values = new Float64Array(hitRows.length);
    hitRows.forEach((r, k) => {
      const at = next[r]++;
      indices[at] = hitCols[k];
      values[at] = hitValues[k];
    });
    yield { start, rows, indptr: local, indices, values };
  }
}
