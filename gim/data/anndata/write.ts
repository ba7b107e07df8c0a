/**
 * Writes a small-to-large AnnData .h5ad with h5wasm (as anndata 0.10 lays it out): `X` as CSR
 * (float32 data, int32 indices, int64 indptr), appended row block by row block so a large file
 * never sits in memory; `obs` string columns as categoricals, numeric ones as arrays; `var` index.
 * Used by tests and the prep benchmark; anndata/scanpy read the result.
 */
import type { Dataset, Group } from "h5wasm";

export interface ObsColumns {
  [key: string]: string[] | number[];
}

export interface H5adWriter {
  /** Appends rows (CSR, block-local indptr of length rows + 1). */
  append(indptr: ArrayLike<number>, indices: ArrayLike<number>, data: ArrayLike<number>): void;
  close(): void;
}

function encoding(node: Group | Dataset, type: string, version = "0.2.0"): void {
  node.create_attribute("encoding-type", type);
  node.create_attribute("encoding-version", version);
}

function writeFrame(parent: Group, name: string, index: string[], columns: ObsColumns): void {
  const frame = parent.create_group(name);
  encoding(frame, "dataframe");
  frame.create_attribute("_index", "_index");
  frame.create_attribute("column-order", Object.keys(columns).length ? Object.keys(columns) : [""]);
  encoding(frame.create_dataset({ name: "_index", data: index }), "string-array");
  for (const [key, values] of Object.entries(columns)) {
    if (typeof values[0] === "number") {
      encoding(frame.create_dataset({ name: key, data: Float64Array.from(values as number[]) }), "array");
      continue;
    }
    const categories = [...new Set(values as string[])].sort();
    const code = new Map(categories.map((c, i) => [c, i]));
    const group = frame.create_group(key);
    encoding(group, "categorical");
    group.create_attribute("ordered", 0); // anndata reads bool(ordered)
    encoding(group.create_dataset({ name: "categories", data: categories }), "string-array");
    group.create_dataset({ name: "codes", data: Int32Array.from(values as string[], (v) => code.get(v)!) });
  }
}

/** Opens `path` for writing a rows × varNames.length CSR matrix with the given obs. */
export async function createH5ad(
  path: string,
  obsNames: string[],
  obs: ObsColumns,
  varNames: string[],
  nnzHint = 1 << 16,
): Promise<H5adWriter> {
  const h5 = (await import("h5wasm/node")).default;
  await h5.ready;
  const file = new h5.File(path, "w");
  file.create_attribute("encoding-type", "anndata");
  file.create_attribute("encoding-version", "0.1.0");
  writeFrame(file, "obs", obsNames, obs);
  writeFrame(file, "var", varNames, {});
  for (const g of ["layers", "obsm", "obsp", "varm", "varp", "uns"]) encoding(file.create_group(g), "dict", "0.1.0");
  const X = file.create_group("X");
  encoding(X, "csr_matrix", "0.1.0");
  X.create_attribute("shape", new BigInt64Array([BigInt(obsNames.length), BigInt(varNames.length)]));
  const chunk = Math.max(1024, Math.min(1 << 20, nnzHint));
  const extensible = (name: string, dtype: string) =>
    X.create_dataset({ name, data: [], shape: [0], maxshape: [null], chunks: [chunk], dtype });
  const data = extensible("data", "<f4");
  const indices = extensible("indices", "<i4");
  const indptr = X.create_dataset({ name: "indptr", data: new BigInt64Array(obsNames.length + 1) });
  let rows = 0;
  let nnz = 0;
  return {
    append(ptr, idx, values) {
      const n = values.length;
      data.resize([nnz + n]);
      indices.resize([nnz + n]);
      if (n > 0) {
        data.write_slice([[nnz, nnz + n]], Float32Array.from(values));
        indices.write_slice([[nnz, nnz + n]], Int32Array.from(idx));
      }
      const block = BigInt64Array.from({ length: ptr.length - 1 }, (_, r) => BigInt(nnz + ptr[r + 1]));
      if (block.length > 0) indptr.write_slice([[rows + 1, rows + 1 + block.length]], block);
      rows += block.length;
      nnz += n;
    },
    close() {
      if (rows !== obsNames.length) throw new Error(`${path}: wrote ${rows} rows of ${obsNames.length}`);
      file.close();
    },
  };
}
