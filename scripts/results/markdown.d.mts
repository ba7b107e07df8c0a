// Types of markdown.mjs.
import type { MeanSe, RunRecord } from "./table.mjs";

export interface ResultsMeta {
  command: string;
  date: string;
  wallSeconds: number;
  machine: string;
  generator: string;
  /** Runs taken from an earlier invocation (--resume). */
  reused: number;
  /** One line per run that failed. */
  failed: string[];
  /** `--collect`: the runs of the grid asked for that have no record. */
  notRun?: { family: string; d: number; seed: number; method: string }[];
}

export function formatCell(c: MeanSe, digits: number, rowN?: number): string;
export function formatDuration(seconds: number): string;
export function resultsMarkdown(runs: RunRecord[], meta: ResultsMeta): string;
