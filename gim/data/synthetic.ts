/**
 * The synthetic benchmark of spec §9: a random DAG (ER or scale-free), linear or tanh-MLP
 * mechanisms, perturbations hitting 1–2 variables with Hill dose-responses, hard or shift
 * interventions, three splits (train, partially OOD = new dosages, fully OOD = new target
 * sets), z-scored with observational statistics, and PCA features of [I_e; ψ_e].
 *
 * Count-like data (`noise: "ziln"`, with `intervention: "ziln"` and an MLP mean) [default]:
 *   x_j = 0 w.p. π_j ~ U[0.1, 0.4], else exp(μ_j(pa) + σ_obs ε), μ_j the tanh MLP with its
 *   output weights halved (|μ| stays ≲ 3; roots μ = 0, so a median of 1);
 *   targeted (hard-ZILN, Hill value h = h_j(s)): x_j = 0 w.p. σ(−2 + 0.6h), else
 *   exp(1.5 − h + σ_int ε): a knock-down, more zeros and a lower level as the dose grows.
 * A linear mean of raw counts is excluded: exp(w·x) of an exp(·) parent explodes down the graph.
 * ZILN data are not z-scored (zeros must stay exact zeros and values non-negative).
 */
import type { Dataset, Environment, Split, Truth } from "./dataset.js";
import { parents, topologicalOrder } from "../graph/dag.js";
import { erdosRenyi, scaleFree } from "./random-graphs.js";
import { applyPca, fitPca } from "./pca.js";
import { Random } from "./random.js";

export interface BenchmarkOptions {
  d: number;
  graph: "er" | "sf";
  edgesPerNode: number;
  mechanism: "linear" | "mlp";
  intervention: "hard" | "shift" | "ziln";
  /** Observational noise; absent means "gaussian". */
  noise?: "gaussian" | "ziln";
  perturbations: number;
  nPerEnv: number;
  /**
   * New samples per training env, as env `<id>_fresh` of split "train-fresh" (same features): the
   * in-distribution score on data no model was fitted to. Absent means 0. Drawn after everything
   * else, so the other envs do not change with it.
   */
  freshPerEnv?: number;
  nObs: number;
  q: number;
  seed: number;
}

export const BENCHMARK_DEFAULTS: BenchmarkOptions = {
  d: 20,
  graph: "er",
  edgesPerNode: 2,
  mechanism: "linear",
  intervention: "hard",
  perturbations: 20,
  nPerEnv: 100,
  nObs: 1000,
  q: 10,
  seed: 0,
};

const TRAIN_DOSES = [0.5, 1, 2, 4];
const PARTIAL_DOSES = [0.75, 1.5, 3, 6];
const SIGMA_OBS = Math.sqrt(0.1);
const SIGMA_INT = 1;
const HIDDEN = 5;

interface Hill {
  a: number;
  K: number;
  n: number;
}

interface Perturbation {
  targets: number[];
  hills: Hill[];
}

type Mechanism = (x: Float64Array) => number;

/** Zero-inflated log-normal SCM parameters (count-like data). */
interface Ziln {
  zeroProb: number[];
}

function mechanisms(g: number[][], options: BenchmarkOptions, rng: Random, outScale = 1): Mechanism[] {
  return g.map((_, j) => {
    const pa = parents(g, j);
    if (pa.length === 0) return () => 0;
    if (options.mechanism === "linear") {
      const w = pa.map(() => rng.sign() * rng.between(0.5, 2));
      return (x) => pa.reduce((s, i, k) => s + w[k] * x[i], 0);
    }
    const W1 = pa.map(() => Array.from({ length: HIDDEN }, () => rng.normal()));
    const b1 = Array.from({ length: HIDDEN }, () => rng.normal());
    const w2 = Array.from({ length: HIDDEN }, () => rng.normal());
    const b2 = rng.normal();
    return (x) => {
      let out = b2;
      for (let h = 0; h < HIDDEN; h++) {
        let pre = b1[h];
        pa.forEach((i, k) => (pre += W1[k][h] * x[i]));
        out += w2[h] * Math.tanh(pre);
      }
      return outScale * out;
    };
  });
}

/**
 * `count` target sets drawn uniformly from the subsets of size 1 or 2 that are not in `taken`
 * (so perturbations are distinct, and fully-OOD sets are new); repeats only once all
 * d + d(d−1)/2 subsets are used up (tiny d).
 */
function drawTargetSets(d: number, count: number, rng: Random, taken: Set<string>): number[][] {
  const all: number[][] = [];
  for (let i = 0; i < d; i++) all.push([i]);
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) all.push([i, j]);
  const out: number[][] = [];
  while (out.length < count) {
    const free = all.filter((s) => !taken.has(s.join()));
    const pool = free.length > 0 ? free : all;
    const pick = pool[rng.below(pool.length)];
    taken.add(pick.join());
    out.push(pick);
  }
  return out;
}

function hill(h: Hill, s: number): number {
  return (h.a * s ** h.n) / (h.K ** h.n + s ** h.n);
}

function drawHill(rng: Random): Hill {
  return { a: rng.between(1, 5), K: rng.between(0.5, 2), n: 1 + rng.below(4) };
}

function simulate(
  n: number,
  d: number,
  order: number[],
  f: Mechanism[],
  psi: Map<number, number>,
  hard: boolean,
  rng: Random,
  ziln: Ziln | null = null,
): Float64Array {
  if (ziln) return simulateZiln(n, d, order, f, psi, ziln, rng);
  const out = new Float64Array(n * d);
  for (let s = 0; s < n; s++) {
    const x = out.subarray(s * d, (s + 1) * d);
    for (const j of order) {
      const shift = psi.get(j);
      if (shift !== undefined && hard) x[j] = shift + SIGMA_INT * rng.normal();
      else x[j] = f[j](x) + (shift ?? 0) + SIGMA_OBS * rng.normal();
    }
  }
  return out;
}

function simulateZiln(
  n: number,
  d: number,
  order: number[],
  f: Mechanism[],
  hillValue: Map<number, number>,
  ziln: Ziln,
  rng: Random,
): Float64Array {
  const out = new Float64Array(n * d);
  for (let s = 0; s < n; s++) {
    const x = out.subarray(s * d, (s + 1) * d);
    for (const j of order) {
      const h = hillValue.get(j);
      const zero = rng.uniform() < (h === undefined ? ziln.zeroProb[j] : 1 / (1 + Math.exp(2 - 0.6 * h)));
      const eps = rng.normal();
      x[j] = zero ? 0 : h === undefined ? Math.exp(f[j](x) + SIGMA_OBS * eps) : Math.exp(1.5 - h + SIGMA_INT * eps);
    }
  }
  return out;
}

/** Refuses option combinations the generator cannot honour, naming the flags. */
export function checkBenchmarkOptions(options: BenchmarkOptions): void {
  const ziln = options.noise === "ziln";
  if (ziln && options.intervention !== "ziln")
    throw new Error(`--noise ziln needs --intervention ziln (got --intervention ${options.intervention})`);
  if (!ziln && options.intervention === "ziln") throw new Error("--intervention ziln needs --noise ziln");
  if (ziln && options.mechanism !== "mlp")
    throw new Error(
      "--noise ziln needs --mechanism mlp: a linear mean of raw counts, exp(w·x) of exp(·) parents, explodes down the graph",
    );
}

export function generateBenchmark(options: BenchmarkOptions): Omit<Dataset, "dir"> & { truth: Truth } {
  checkBenchmarkOptions(options);
  const { d } = options;
  const rng = new Random(options.seed * 1000003 + 12345);
  const g = options.graph === "er" ? erdosRenyi(d, options.edgesPerNode, rng) : scaleFree(d, options.edgesPerNode, rng);
  const order = topologicalOrder(g)!;
  const zilnNoise = options.noise === "ziln";
  const f = mechanisms(g, options, rng, zilnNoise ? 0.5 : 1);
  const ziln: Ziln | null = zilnNoise ? { zeroProb: Array.from({ length: d }, () => rng.between(0.1, 0.4)) } : null;
  const taken = new Set<string>();
  const perturb = (sets: number[][]): Perturbation[] =>
    sets.map((targets) => ({ targets, hills: targets.map(() => drawHill(rng)) }));
  const train = perturb(drawTargetSets(d, options.perturbations, rng, taken));
  const full = perturb(drawTargetSets(d, options.perturbations, rng, taken));
  const hard = options.intervention === "hard";

  interface Raw {
    id: string;
    split: Split;
    targets: number[];
    psi: number[];
    samples: Float64Array;
    n: number;
  }
  const raws: Raw[] = [
    {
      id: "obs",
      split: "observational",
      targets: new Array(d).fill(0),
      psi: new Array(d).fill(0),
      samples: simulate(options.nObs, d, order, f, new Map(), hard, rng, ziln),
      n: options.nObs,
    },
  ];
  const addEnvs = (prefix: string, perts: Perturbation[], doses: number[], split: Split) =>
    perts.forEach((p, k) =>
      doses.forEach((s) => {
        const psiMap = new Map(p.targets.map((j, t) => [j, hill(p.hills[t], s)]));
        const targets = Array.from({ length: d }, (_, j) => (psiMap.has(j) ? 1 : 0));
        const psi = Array.from({ length: d }, (_, j) => psiMap.get(j) ?? 0);
        raws.push({
          id: `${prefix}${k}_s${s}`,
          split,
          targets,
          psi,
          samples: simulate(options.nPerEnv, d, order, f, psiMap, hard, rng, ziln),
          n: options.nPerEnv,
        });
      }),
    );
  addEnvs("p", train, TRAIN_DOSES, "train");
  addEnvs("p", train, PARTIAL_DOSES, "partial-ood");
  addEnvs("q", full, TRAIN_DOSES, "full-ood");
  const fresh = options.freshPerEnv ?? 0;
  for (const r of fresh > 0 ? raws.filter((r) => r.split === "train") : []) {
    const psiMap = new Map(r.targets.flatMap((t, j) => (t ? [[j, r.psi[j]] as const] : [])));
    const samples = simulate(fresh, d, order, f, psiMap, hard, rng, ziln);
    raws.push({ ...r, id: `${r.id}_fresh`, split: "train-fresh", samples, n: fresh });
  }

  // z-score every variable with the observational statistics (spec §9 "normalized data").
  const obs = raws[0].samples;
  const mean = Array.from({ length: d }, (_, j) => {
    let s = 0;
    for (let r = 0; r < options.nObs; r++) s += obs[r * d + j];
    return s / options.nObs;
  });
  const std = mean.map((m, j) => {
    let s = 0;
    for (let r = 0; r < options.nObs; r++) s += (obs[r * d + j] - m) ** 2;
    return Math.sqrt(s / options.nObs) || 1;
  });
  if (!ziln)
    for (const raw of raws)
      for (let k = 0; k < raw.samples.length; k++) raw.samples[k] = (raw.samples[k] - mean[k % d]) / std[k % d];

  // Features: PCA of the standardised [I_e; ψ_e], fitted on the training envs (spec §9).
  const rows = (r: Raw) => [...r.targets, ...r.psi];
  const pca = fitPca(raws.filter((r) => r.split === "train").map(rows), options.q);
  const envs: Environment[] = raws.map((r) => {
    let features = r.split === "observational" ? new Array(options.q).fill(0) : applyPca(pca, rows(r), options.q);
    // The loader takes the all-zero row for the observational env, so an interventional env may
    // never have one. Its PCA row is exactly zero only if its standardised [I; ψ] is orthogonal to
    // all q components (measure zero); should it happen, the first feature becomes 1e-6.
    if (r.split !== "observational" && features.every((v) => v === 0))
      features = features.map((v, k) => (k === 0 ? 1e-6 : v));
    return { id: r.id, features, samples: r.samples, n: r.n, observational: r.split === "observational" };
  });
  const variables = Array.from({ length: d }, (_, j) => `x${j + 1}`);
  const truth: Truth = {
    variables,
    graph: g,
    targets: Object.fromEntries(raws.map((r) => [r.id, r.targets])),
    split: Object.fromEntries(raws.map((r) => [r.id, r.split])),
  };
  return { variables, featureNames: Array.from({ length: options.q }, (_, k) => `pc${k + 1}`), envs, truth };
}
