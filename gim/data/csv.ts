/** Reads a CSV file (Node); the parsing is gim/data/csv-parse.ts, re-exported here. */
import { readFileSync } from "node:fs";
import { type CsvTable, DataError, parseCsv } from "./csv-parse.js";

export { type CsvTable, DataError, checkHeader, formatNumber, numberAt, parseCsv } from "./csv-parse.js";

export function readCsv(path: string): CsvTable {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new DataError(
      `${path}: cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  return parseCsv(path, text);
}
