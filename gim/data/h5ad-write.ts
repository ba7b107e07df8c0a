/**
 * Writes an AnnData .h5ad file with h5wasm, in anndata's on-disk encoding (anndata ≥ 0.8, the
 * layout of ../shared/fixtures/h5ad/csr.h5ad): X as a `csr_matrix` group (data, indices, indptr,
 * int64 `shape` attribute); obs and var as `dataframe` groups with an `_index` string array,
 * categorical columns as `categories` + `codes`, numeric columns as arrays; uns as a `dict` of
 * string arrays. h5wasm is imported on first use, so the library does not load it otherwise.
 */
import type { Categorical } from "./sc-screen.js";

export interface H5adContent {
  X: { data: Float32Array; indices: Int32Array; indptr: Int32Array; shape: [number, number] };
  obsNames: string[];
  obs: Record<string, Categorical | Float64Array>;
  varNames: string[];
  uns: Record<string, string[] | Record<string, string[]>>;
}

type Attributed = {
  create_attribute(name: string, data: unknown, shape?: number[] | null, dtype?: string | null): void;
};
type H5Group = Attributed & {
  create_group(name: string): H5Group;
  create_dataset(args: { name: string; data: unknown; shape?: number[]; dtype?: string }): Attributed;
};

function encoding(node: Attributed, type: string, version: string): void {
  node.create_attribute("encoding-type", type);
  node.create_attribute("encoding-version", version);
}

function stringArray(group: H5Group, name: string, values: string[]): void {
  encoding(group.create_dataset({ name, data: values }), "string-array", "0.2.0");
}

function dataframe(group: H5Group, index: string[], columns: Record<string, Categorical | Float64Array>): void {
  encoding(group, "dataframe", "0.2.0");
  group.create_attribute("_index", "_index");
  const names = Object.keys(columns);
  // An empty string list has no HDF5 string type to guess; anndata accepts an empty float array.
  if (names.length > 0) group.create_attribute("column-order", names);
  else group.create_attribute("column-order", new Float64Array(0), [0]);
  stringArray(group, "_index", index);
  for (const [name, column] of Object.entries(columns)) {
    if (column instanceof Float64Array) {
      encoding(group.create_dataset({ name, data: column }), "array", "0.2.0");
      continue;
    }
    const cat = group.create_group(name);
    encoding(cat, "categorical", "0.2.0");
    cat.create_attribute("ordered", new Uint8Array([0]), [], "<B");
    stringArray(cat, "categories", column.categories);
    encoding(cat.create_dataset({ name: "codes", data: column.codes }), "array", "0.2.0");
  }
}

export async function writeH5ad(path: string, content: H5adContent): Promise<void> {
  const { default: h5wasm } = await import("h5wasm/node");
  await h5wasm.ready;
  const file = new h5wasm.File(path, "w");
  try {
    const root = file as unknown as H5Group;
    encoding(root, "anndata", "0.1.0");
    const X = root.create_group("X");
    encoding(X, "csr_matrix", "0.1.0");
    X.create_attribute("shape", BigInt64Array.from(content.X.shape.map(BigInt)), [2]);
    X.create_dataset({ name: "data", data: content.X.data });
    X.create_dataset({ name: "indices", data: content.X.indices });
    X.create_dataset({ name: "indptr", data: content.X.indptr });
    dataframe(root.create_group("obs"), content.obsNames, content.obs);
    dataframe(root.create_group("var"), content.varNames, {});
    for (const name of ["layers", "obsm", "obsp", "varm", "varp"]) encoding(root.create_group(name), "dict", "0.1.0");
    const uns = root.create_group("uns");
    encoding(uns, "dict", "0.1.0");
    for (const [key, value] of Object.entries(content.uns)) {
      if (Array.isArray(value)) {
        stringArray(uns, key, value);
        continue;
      }
      const sub = uns.create_group(key);
      encoding(sub, "dict", "0.1.0");
      for (const [k, v] of Object.entries(value)) stringArray(sub, k, v);
    }
  } finally {
    file.close();
  }
}
