/**
 * The hyperparameter search space of `gim tune` and the trials drawn from it.
 *
 * The paper tunes, by held-out KDE-NLL, the sparsities λ_G and λ_I, the inverse temperature and
 * the sizes of the networks (appendix D.6, Tables 1–2), with Adam's learning rate and the step
 * budget fixed per setting (D.4). The numeric ranges of its tables did not survive the text
 * extraction ([recon]); the defaults below bracket this project's defaults (docs/tuning.md) by
 * about a factor of 3–4 each way. Each parameter is given as `lo:hi` (a range: log-uniform in a
 * random search, `gridPoints` geometric points in a grid), `a,b,c` (choices) or one value (fixed).
 */
import { HostRandom } from "../../engine/host-random.js";
import type { GimConfig } from "../model/config.js";

export type TunedKey = "lr" | "lambdaGraph" | "lambdaTargets" | "alphaLinear" | "gimHidden" | "hidden" | "steps";

export interface ParamSpace {
  key: TunedKey;
  /** The CLI flag it comes from, for messages. */
  flag: string;
  integer: boolean;
  /** [lo, hi] for a range, else null. */
  range: [number, number] | null;
  choices: number[];
}

export type Trial = Partial<Pick<GimConfig, TunedKey>>;

export const INTEGER_KEYS: readonly TunedKey[] = ["gimHidden", "hidden", "steps"];

/** The default text of each searched parameter; `steps` is derived from the base --steps. */
export function defaultSpace(base: GimConfig): Record<TunedKey, string> {
  return {
    lr: "3e-3:3e-2",
    lambdaGraph: "1:100",
    lambdaTargets: "10:200",
    alphaLinear: String(base.alphaLinear),
    gimHidden: "32,64,100",
    // The mechanism MLP's width means nothing to linear mechanisms: not searched there.
    hidden: base.mechanism === "mlp" ? "5,10,20" : String(base.hidden),
    steps: `${Math.max(1, Math.round(base.steps / 2))},${base.steps}`,
  };
}

/** Parses `lo:hi`, `a,b,…` or `v`; errors name the flag. */
export function parseParam(key: TunedKey, flag: string, text: string): ParamSpace {
  const integer = INTEGER_KEYS.includes(key);
  const number = (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === "" || !Number.isFinite(v)) throw new Error(`--${flag}: '${raw}' is not a number (in '${text}')`);
    if (v <= 0) throw new Error(`--${flag}: ${v} must be positive (in '${text}')`);
    if (integer && !Number.isInteger(v)) throw new Error(`--${flag}: ${v} is not an integer (in '${text}')`);
    return v;
  };
  if (text.includes(":")) {
    const parts = text.split(":");
    if (parts.length !== 2) throw new Error(`--${flag}: '${text}' is not a range lo:hi`);
    const [lo, hi] = parts.map(number);
    if (!(lo < hi)) throw new Error(`--${flag}: the range '${text}' needs lo < hi`);
    return { key, flag, integer, range: [lo, hi], choices: [] };
  }
  const choices = [...new Set(text.split(",").map(number))];
  return { key, flag, integer, range: null, choices };
}

/** The parameters that vary (more than one value); the rest are fixed overrides. */
export function varying(space: ParamSpace[]): ParamSpace[] {
  return space.filter((p) => p.range !== null || p.choices.length > 1);
}

function geometric(p: ParamSpace, points: number): number[] {
  const [lo, hi] = p.range!;
  const values = Array.from({ length: points }, (_, k) =>
    points === 1 ? Math.sqrt(lo * hi) : lo * (hi / lo) ** (k / (points - 1)),
  );
  return [...new Set(values.map((v) => (p.integer ? Math.round(v) : Number(v.toPrecision(3)))))];
}

function shuffle<T>(items: T[], rng: HostRandom): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * `count` trials: random (each parameter drawn independently; ranges log-uniform) or grid (every
 * combination, in a seeded random order, the first `count`: a budget cut keeps the grid's spread).
 */
export function drawTrials(
  space: ParamSpace[],
  search: "random" | "grid",
  count: number,
  seed: number,
  gridPoints = 3,
): Trial[] {
  const rng = new HostRandom(seed * 7919 + 17);
  if (search === "random") {
    return Array.from({ length: count }, () => {
      const trial: Trial = {};
      for (const p of space) {
        if (p.range) {
          const [lo, hi] = p.range;
          const v = Math.exp(Math.log(lo) + rng.uniform() * Math.log(hi / lo));
          trial[p.key] = p.integer ? Math.round(v) : Number(v.toPrecision(3));
        } else trial[p.key] = p.choices[Math.floor(rng.uniform() * p.choices.length)];
      }
      return trial;
    });
  }
  let grid: Trial[] = [{}];
  for (const p of space) {
    const values = p.range ? geometric(p, gridPoints) : p.choices;
    grid = grid.flatMap((t) => values.map((v) => ({ ...t, [p.key]: v })));
  }
  return shuffle(grid, rng).slice(0, count);
}
