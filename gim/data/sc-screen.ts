/**
 * A simulated single-cell drug screen in the layout of SciPlex3 (Srivatsan et al. 2020): cell
 * lines × drugs × doses (nM) plus vehicle controls, raw UMI counts over responsive and background
 * genes. The generative model, per cell c of cell line L under drug D at dose s:
 *   responsive genes (a random ER DAG, ~1 edge per gene, topological order):
 *     y_j = Σ_{i ∈ pa(j)} w_ij tanh(y_i) + σ_bio ε_j + Σ_{D targets j} a_Dj H_DjL(s),
 *     H(s) = sⁿ/(Kⁿ + sⁿ) (Hill; K varies by cell line), a knock-down or an induction of 1.5–3
 *     log units;
 *   background genes: y_j = σ_bio ε_j on a fraction of genes, else 0;
 *   counts: x_cj ~ NB(μ = sf_c exp(b_Lj + y_j), θ_j), then set to 0 w.p. π_j (dropout);
 *   size factors sf_c = exp(0.35 ε), and 2 % low-quality cells at 1/20 of that (they fall below
 *   the paper's 200-count cell filter).
 * The truth (targets per drug, Hill parameters, the DAG) comes out beside the counts.
 */
import { erdosRenyi } from "./random-graphs.js";
import { negativeBinomial } from "./count-random.js";
import { parents, topologicalOrder } from "../graph/dag.js";
import { Random } from "./random.js";

export interface ScreenOptions {
  genes: number;
  responsive: number;
  cellLines: number;
  drugs: number;
  cellsPerDose: number;
  controlCells: number;
  seed: number;
}

export const SCREEN_DEFAULTS: ScreenOptions = {
  genes: 2000,
  responsive: 40,
  cellLines: 3,
  drugs: 4,
  cellsPerDose: 400,
  controlCells: 1000,
  seed: 0,
};

export const CELL_LINES = ["A549", "K562", "MCF7"];
export const DRUGS = ["Belinostat", "Dacinostat", "Givinostat", "Quisinostat", "Abexinostat", "Panobinostat"];
export const DOSES_NM = [10, 100, 1000, 10000];
export const CONTROL = "Vehicle";
const SIGMA_BIO = 0.25;

export interface DrugEffect {
  gene: string;
  /** Log-scale effect at saturation (negative: knock-down). */
  effect: number;
  hillN: number;
  /** Half-maximal dose in nM, per cell line. */
  K: Record<string, number>;
}

export interface ScreenTruth {
  cellLines: string[];
  drugs: string[];
  doses: number[];
  control: string;
  responsiveGenes: string[];
  /** [from, to, weight] among the responsive genes. */
  edges: [string, string, number][];
  targets: Record<string, string[]>;
  effects: Record<string, DrugEffect[]>;
}

export interface Categorical {
  categories: string[];
  codes: Int8Array;
}

export interface Screen {
  genes: string[];
  cells: string[];
  obs: { cell_type: Categorical; product_name: Categorical; dose: Float64Array };
  /** Raw counts, CSR over cells × genes. */
  X: { data: Float32Array; indices: Int32Array; indptr: Int32Array };
  truth: ScreenTruth;
}

export function checkScreenOptions(o: ScreenOptions): void {
  if (o.cellLines < 1 || o.cellLines > CELL_LINES.length)
    throw new Error(`--cell-lines must be 1..${CELL_LINES.length} (got ${o.cellLines})`);
  if (o.drugs < 1 || o.drugs > DRUGS.length) throw new Error(`--drugs must be 1..${DRUGS.length} (got ${o.drugs})`);
  if (o.responsive < 3 * o.drugs)
    throw new Error(`--responsive-genes must be at least 3 × --drugs = ${3 * o.drugs} (got ${o.responsive})`);
  if (o.genes < o.responsive)
    throw new Error(`--genes (${o.genes}) must be at least --responsive-genes (${o.responsive})`);
}

const hill = (s: number, K: number, n: number) => s ** n / (K ** n + s ** n);

/** Growable typed arrays for the CSR entries. */
class Entries {
  data = new Float32Array(1 << 20);
  indices = new Int32Array(1 << 20);
  length = 0;
  push(index: number, value: number): void {
    if (this.length === this.data.length) {
      const data = new Float32Array(this.data.length * 2);
      const indices = new Int32Array(this.data.length * 2);
      data.set(this.data);
      indices.set(this.indices);
      this.data = data;
      this.indices = indices;
    }
    this.data[this.length] = value;
    this.indices[this.length++] = index;
  }
}

export function simulateScreen(options: ScreenOptions): Screen {
  checkScreenOptions(options);
  const { genes: G, responsive: R } = options;
  const rng = new Random(options.seed * 1000003 + 4242);
  const lines = CELL_LINES.slice(0, options.cellLines);
  const drugs = DRUGS.slice(0, options.drugs);
  const width = String(G).length;
  const genes = Array.from({ length: G }, (_, j) => `G${String(j + 1).padStart(width, "0")}`);
  // Responsive genes sit at random columns, so nothing downstream can find them by position.
  const responsiveIdx = rng.permutation(G).slice(0, R);
  const graph = erdosRenyi(R, 1, rng);
  const order = topologicalOrder(graph)!;
  const pa = graph.map((_, j) => parents(graph, j));
  const w = graph.map((row) => row.map((e) => (e ? rng.sign() * rng.between(0.8, 1.5) : 0)));
  const isResponsive = new Int32Array(G).fill(-1);
  responsiveIdx.forEach((g, r) => (isResponsive[g] = r));
  const globalBase = genes.map((_, j) =>
    isResponsive[j] >= 0 ? rng.between(Math.log(1.5), Math.log(6)) : Math.min(3, Math.max(-5, -1 + 1.3 * rng.normal())),
  );
  const base = lines.map(() => globalBase.map((b) => b + 0.25 * rng.normal()));
  const theta = genes.map(() => rng.between(2, 10));
  const dropout = genes.map(() => rng.between(0.02, 0.15));
  const backgroundNoise = genes.map((_, j) => isResponsive[j] < 0 && rng.uniform() < 0.2);

  // Each drug hits 1–3 responsive genes, distinct across drugs.
  const pool = rng.permutation(R);
  const effects: Record<string, (DrugEffect & { r: number })[]> = {};
  for (const drug of drugs) {
    const count = 1 + rng.below(3);
    effects[drug] = pool.splice(0, count).map((r) => {
      const K = Math.exp(rng.between(Math.log(300), Math.log(5000)));
      return {
        r,
        gene: genes[responsiveIdx[r]],
        effect: rng.sign() * rng.between(1.5, 3),
        hillN: 1 + rng.below(2),
        K: Object.fromEntries(lines.map((l) => [l, K * Math.exp(0.3 * rng.normal())])),
      };
    });
  }

  // Conditions per cell, then a shuffle: files are not sorted by condition.
  const conditions: [number, number, number][] = [];
  lines.forEach((_, l) => {
    for (let c = 0; c < options.controlCells; c++) conditions.push([l, -1, 0]);
    drugs.forEach((_, d) =>
      DOSES_NM.forEach((dose) => {
        for (let c = 0; c < options.cellsPerDose; c++) conditions.push([l, d, dose]);
      }),
    );
  });
  const perm = rng.permutation(conditions.length);
  const n = conditions.length;
  const cellType = new Int8Array(n);
  const product = new Int8Array(n);
  const dose = new Float64Array(n);
  const indptr = new Int32Array(n + 1);
  const entries = new Entries();
  const y = new Float64Array(R);
  for (let c = 0; c < n; c++) {
    const [l, d, s] = conditions[perm[c]];
    cellType[c] = l;
    product[c] = d + 1;
    dose[c] = s;
    const shift = new Float64Array(R);
    if (d >= 0) for (const e of effects[drugs[d]]) shift[e.r] += e.effect * hill(s, e.K[lines[l]], e.hillN);
    for (const j of order) {
      let v = SIGMA_BIO * rng.normal() + shift[j];
      for (const i of pa[j]) v += w[i][j] * Math.tanh(y[i]);
      y[j] = v;
    }
    const sf = Math.exp(0.35 * rng.normal()) * (rng.uniform() < 0.02 ? 0.05 : 1);
    for (let j = 0; j < G; j++) {
      const r = isResponsive[j];
      const state = r >= 0 ? y[r] : backgroundNoise[j] ? SIGMA_BIO * rng.normal() : 0;
      const x = negativeBinomial(rng, sf * Math.exp(base[l][j] + state), theta[j]);
      if (x > 0 && rng.uniform() >= dropout[j]) entries.push(j, x);
    }
    indptr[c + 1] = entries.length;
  }
  const name = (r: number) => genes[responsiveIdx[r]];
  const truth: ScreenTruth = {
    cellLines: lines,
    drugs,
    doses: DOSES_NM,
    control: CONTROL,
    responsiveGenes: responsiveIdx.map((g) => genes[g]),
    edges: graph.flatMap((row, i) =>
      row.flatMap((e, j) => (e ? [[name(i), name(j), w[i][j]] as [string, string, number]] : [])),
    ),
    targets: Object.fromEntries(drugs.map((dr) => [dr, effects[dr].map((e) => e.gene)])),
    effects: Object.fromEntries(drugs.map((dr) => [dr, effects[dr].map(({ r: _r, ...e }) => e)])),
  };
  const cw = String(n).length;
  return {
    genes,
    cells: Array.from({ length: n }, (_, c) => `cell${String(c + 1).padStart(cw, "0")}`),
    obs: {
      cell_type: { categories: lines, codes: cellType },
      product_name: { categories: [CONTROL, ...drugs], codes: product },
      dose,
    },
    X: { data: entries.data.slice(0, entries.length), indices: entries.indices.slice(0, entries.length), indptr },
    truth,
  };
}
