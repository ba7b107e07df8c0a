// Types of table.mjs (plain JS so the driver runs without a build; the test imports it through these).
import type { EvaluationReport, SplitScores } from "../../gim/eval/evaluate.js";

/** One trained method on one dataset: what scripts/results-table.mjs writes as <method>.run.json. */
export interface RunRecord {
  family: string;
  d: number;
  seed: number;
  method: string;
  flags?: { generator: string[]; train: string[]; eval: string[] };
  backend: string;
  adapter: string | null;
  steps: number;
  seconds: { train: number; eval: number };
  cycleEdgesDropped: number;
  graph: EvaluationReport["graph"];
  splits: SplitScores[];
}

export interface MeanSe {
  mean: number;
  se: number;
  n: number;
}

export interface Group {
  key: string;
  family: string;
  d: number;
  seeds: number[];
  /** method → metric → seed → value */
  values: Map<string, Map<string, Map<number, number>>>;
  methods: string[];
  splits: string[];
}

export type Want = "greater" | "less" | "equal";
export type Verdict = "holds" | "does not hold" | "undecided";

export interface Claim {
  text: string;
  families: (family: string) => boolean;
  a: [method: string, metric: string];
  b: [method: string, metric: string];
  want: Want;
  margin?: number;
  /** The difference is a − scaleB·b (default 1). */
  scaleB?: number;
}

export interface ClaimRow {
  scope: string;
  a: MeanSe;
  b: MeanSe;
  diff: MeanSe;
  verdict: Verdict;
}

export const FAMILIES: string[];
export const SPLITS: string[];
export const PREDICTION: string[];
export const DECIDE_SE: number;
export const EQUIVALENCE_MARGIN: number;
export const CLAIMS: Claim[];
export function meanSe(values: number[]): MeanSe;
export function observations(run: RunRecord): { method: string; metric: string; value: number }[];
export function groupRuns(runs: RunRecord[]): Group[];
export function cell(group: Group, method: string, metric: string): MeanSe;
export function verdict(diff: MeanSe, want: Want, margin?: number): Verdict;
export function decideClaims(groups: Group[]): { claim: Claim; rows: ClaimRow[]; pooled: ClaimRow }[];
