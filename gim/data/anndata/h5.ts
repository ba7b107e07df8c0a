/**
 * HDF5 through h5wasm, loaded on first use (4 MB of wasm that only .h5ad readers pay for), with
 * its silent failure modes turned into errors that name the file and the key:
 * - a missing, truncated or non-HDF5 file does not throw in h5wasm (`file_id === -1n`): we check
 *   existence and the HDF5 signature first, then open with HDF5's error stack turned into throws;
 * - a dataset whose compression filter h5wasm lacks reads as zeros or garbage: every read checks
 *   `dataset.filters` against the filters built into h5wasm first.
 * LZF (h5py's `compression="lzf"`, filter 32000) is refused. h5wasm-plugins 0.2.1 (the latest, built
 * for h5wasm 0.8) decodes numeric LZF chunks under h5wasm 0.10.3, but on a variable-length string
 * dataset (every .h5ad index) its LZF plugin calls an unlinked `__errno_location` and aborts the
 * whole wasm module (checked on node 20 with ../shared/fixtures/h5ad/csr_lzf.h5ad).
 */
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import type { Dataset, Entity, File, Group, OutputData } from "h5wasm";
import { DataError } from "../csv.js";

type H5wasm = (typeof import("h5wasm"))["default"];

/** Filters compiled into h5wasm's HDF5: deflate (gzip), shuffle, fletcher32, nbit, scale-offset. */
const BUILT_IN = new Set([1, 2, 3, 5, 6]);

let library: Promise<H5wasm> | null = null;

function load(): Promise<H5wasm> {
  library ??= (async () => {
    const h5 = (await import("h5wasm/node")).default;
    const module = await h5.ready;
    // HDF5 errors then throw (and are not printed); open and read catch them and say what failed.
    module.activate_throwing_error_handler();
    return h5;
  })();
  return library;
}

/** HDF5's superblock sits at byte 0, 512, 1024, 2048, … (after an optional user block). */
function hasHdf5Signature(path: string): boolean {
  const signature = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
  const fd = openSync(path, "r");
  try {
    const size = statSync(path).size;
    const buffer = Buffer.alloc(8);
    for (let offset = 0; offset + 8 <= size && offset <= 1 << 20; offset = offset === 0 ? 512 : offset * 2) {
      readSync(fd, buffer, 0, 8, offset);
      if (buffer.equals(signature)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

export type Numbers = Float64Array;

/** An open HDF5 file; every error names `path` and the key that failed. */
export class H5File {
  private constructor(
    readonly path: string,
    private readonly file: File,
  ) {}

  static async open(path: string): Promise<H5File> {
    if (!existsSync(path)) throw new DataError(`${path}: file not found`);
    if (!statSync(path).isFile()) throw new DataError(`${path}: not a file`);
    if (!hasHdf5Signature(path))
      throw new DataError(`${path}: not an HDF5 file (no HDF5 signature; an .h5ad file is HDF5)`);
    const h5 = await load();
    let file: File | null = null;
    try {
      file = new h5.File(path, "r");
    } catch {
      file = null;
    }
    if (file === null || file.file_id === -1n)
      throw new DataError(`${path}: HDF5 cannot open it: the file is truncated or damaged`);
    return new H5File(path, file);
  }

  close(): void {
    this.file.close();
  }

  /** The entity at `key`, or null. */
  entity(key: string): Entity | null {
    try {
      return this.file.get(key);
    } catch {
      return null;
    }
  }

  group(key: string, what: string): Group {
    const e = this.entity(key);
    if (!e || !("keys" in e)) throw new DataError(`${this.path}: no group '${key}' (${what})`);
    return e as Group;
  }

  dataset(key: string, what: string): Dataset {
    const e = this.entity(key);
    if (!e || !("shape" in e)) throw new DataError(`${this.path}: no dataset '${key}' (${what})`);
    return e as Dataset;
  }

  isGroup(key: string): boolean {
    const e = this.entity(key);
    return e !== null && "keys" in e;
  }

  /** A string attribute of `key`, or null. */
  attr(key: string, name: string): OutputData | null {
    const e = this.entity(key);
    if (!e || !("attrs" in e)) return null;
    const a = (e as Group).attrs[name];
    return a ? a.value : null;
  }

  /** Refuses a dataset whose compression filter this build cannot decode (it would read as garbage). */
  checkFilters(key: string): void {
    for (const f of this.dataset(key, "").filters) {
      if (BUILT_IN.has(f.id)) continue;
      throw new DataError(
        `${this.path}: dataset '${key}' is compressed with the HDF5 filter '${f.name}' (id ${f.id}), which gim cannot ` +
          "decode (h5wasm has gzip built in; its LZF plugin crashes on string datasets); rewrite the file with gzip " +
          "or no compression: adata.write_h5ad(path, compression='gzip')",
      );
    }
  }

  /** Reads a whole dataset (after the filter check). */
  read(key: string): OutputData {
    this.checkFilters(key);
    return this.guard(key, () => this.dataset(key, "").value);
  }

  /** Reads rows [start, end) of a dataset (1-D or 2-D), after the filter check. */
  readRows(key: string, start: number, end: number): OutputData {
    this.checkFilters(key);
    const d = this.dataset(key, "");
    const ranges: [number, number][] = d.shape!.map((n, axis) => (axis === 0 ? [start, end] : [0, n]));
    return this.guard(key, () => d.slice(ranges));
  }

  private guard(key: string, read: () => OutputData | null): OutputData {
    let value: OutputData | null;
    try {
      value = read();
    } catch (error) {
      const first = String((error as Error)?.message ?? error)
        .split("\n")
        .find((l) => /minor:|error/.test(l));
      throw new DataError(`${this.path}: HDF5 failed reading '${key}'${first ? ` (${first.trim()})` : ""}`);
    }
    if (value === null) throw new DataError(`${this.path}: '${key}' has no data`);
    return value;
  }
}

/** Any numeric HDF5 read (typed array, BigInt array, number list) as float64. */
export function toNumbers(value: OutputData, where: string): Numbers {
  if (value instanceof Float64Array) return value;
  if (value instanceof BigInt64Array || value instanceof BigUint64Array) return Float64Array.from(value, Number);
  if (ArrayBuffer.isView(value)) return Float64Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value) && value.every((v) => typeof v === "number" || typeof v === "boolean"))
    return Float64Array.from(value as number[], Number);
  if (typeof value === "number" || typeof value === "bigint") return Float64Array.of(Number(value));
  throw new DataError(`${where}: expected numbers`);
}
