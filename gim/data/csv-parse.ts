/**
 * Minimal CSV for the dataset format: comma-separated, unquoted cells, a header row. Errors
 * name the file, the 1-based line and the column (by header name and 1-based index). Text only:
 * gim/data/csv.ts reads files; the browser build parses what a file picker gives it.
 */
export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

export interface CsvTable {
  path: string;
  header: string[];
  /** Data rows with their 1-based line numbers in the file. */
  rows: { line: number; cells: string[] }[];
}

export function parseCsv(path: string, text: string): CsvTable {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length === 0) throw new DataError(`${path}: the file is empty (expected a header row)`);
  const split = (line: string, lineNo: number) => {
    if (line.includes('"')) throw new DataError(`${path}, line ${lineNo}: quoted fields are not supported`);
    return line.split(",").map((c) => c.trim());
  };
  const header = split(lines[0], 1);
  const rows: CsvTable["rows"] = [];
  lines.slice(1).forEach((line, k) => {
    const lineNo = k + 2;
    if (line.trim() === "") throw new DataError(`${path}, line ${lineNo}: empty line inside the table`);
    const cells = split(line, lineNo);
    if (cells.length !== header.length) {
      throw new DataError(`${path}, line ${lineNo}: ${cells.length} fields, but the header has ${header.length}`);
    }
    rows.push({ line: lineNo, cells });
  });
  return { path, header, rows };
}

/** Parses cell `col` (0-based) of a row as a finite number. */
export function numberAt(table: CsvTable, row: CsvTable["rows"][number], col: number): number {
  const cell = row.cells[col];
  const where = `${table.path}, line ${row.line}, column ${col + 1} (${table.header[col]})`;
  if (cell === "") throw new DataError(`${where}: empty cell`);
  const value = Number(cell);
  if (Number.isNaN(value) && /^[+-]?nan$/i.test(cell)) throw new DataError(`${where}: NaN is not allowed`);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell) && !/^[+-]?(inf|infinity)$/i.test(cell)) {
    throw new DataError(`${where}: '${cell}' is not a number`);
  }
  if (!Number.isFinite(value)) throw new DataError(`${where}: non-finite value '${cell}'`);
  return value;
}

/** Checks a header: first column `env`, then unique non-empty names. */
export function checkHeader(table: CsvTable, what: string): string[] {
  const [first, ...names] = table.header;
  if (first !== "env") throw new DataError(`${table.path}, line 1: the first column must be 'env', found '${first}'`);
  if (names.length === 0) throw new DataError(`${table.path}, line 1: no ${what} columns after 'env'`);
  const seen = new Map<string, number>();
  names.forEach((name, k) => {
    if (name === "") throw new DataError(`${table.path}, line 1, column ${k + 2}: empty ${what} name`);
    if (seen.has(name))
      throw new DataError(
        `${table.path}, line 1: duplicate ${what} name '${name}' (columns ${seen.get(name)! + 2} and ${k + 2})`,
      );
    seen.set(name, k);
  });
  return names;
}

export function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(8).replace(/\.?0+(e|$)/, "$1");
}
