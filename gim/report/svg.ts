/**
 * Hand-written SVG for `gim report`: elements as strings, scales, tick values and the one colour
 * map. Every figure module builds on these, so the page needs no plotting library and no script;
 * the SVG is inline HTML5 (no xmlns, so the file holds no URL at all).
 */

export type Attrs = Record<string, string | number | undefined>;

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "#39" }[c]};`);
}

/** Rounds coordinates to 0.1 px: the file stays small and the picture is unchanged. */
const num = (v: number) => String(Math.round(v * 10) / 10);

/** `<tag a="…">children</tag>`; numbers are rounded, undefined attributes left out. */
export function el(tag: string, attrs: Attrs = {}, ...children: string[]): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${typeof v === "number" ? num(v) : escapeXml(v!)}"`)
    .join("");
  return children.length === 0 ? `<${tag}${a}/>` : `<${tag}${a}>${children.join("")}</${tag}>`;
}

export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return el("text", { x, y, ...attrs }, escapeXml(content));
}

/** A tooltip for its parent element. */
export const title = (content: string) => el("title", {}, escapeXml(content));

/** An `<svg>` of the given size; `label` is what a screen reader says; `attrs` e.g. data-* for tests. */
export function svg(
  box: { width: number; height: number; label: string; attrs?: Attrs },
  ...children: string[]
): string {
  const { width, height, label, attrs = {} } = box;
  const viewBox = `0 0 ${num(width)} ${num(height)}`;
  return el("svg", { width, height, viewBox, role: "img", "aria-label": label, ...attrs }, ...children);
}

/** A polyline path through points, broken where a point is null. */
export function linePath(points: ([number, number] | null)[]): string {
  let d = "";
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${num(p[0])},${num(p[1])}`;
    pen = true;
  }
  return d;
}

/** Maps [d0, d1] to [r0, r1]; log: the decimal logarithm of both ends and of each value. */
export function scale(domain: [number, number], range: [number, number], log = false): (v: number) => number {
  const f = log ? Math.log10 : (v: number) => v;
  const [a, b] = [f(domain[0]), f(domain[1])];
  const span = b - a || 1;
  return (v) => range[0] + ((f(v) - a) / span) * (range[1] - range[0]);
}

/** About `count` round tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw)!;
  const out: number[] = [];
  // k·step rounded, not a running sum: no 0.6000000000000001, and −0 becomes 0.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++)
    out.push(Number((k * step).toPrecision(12)) || 0);
  return out;
}

/** Log-axis ticks within [lo, hi] (lo > 0): the powers of ten, or 1-2-5 steps when fewer than two fit. */
export function logTicks(lo: number, hi: number): number[] {
  const within = (mantissas: number[]) => {
    const out: number[] = [];
    for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++)
      for (const m of mantissas) {
        const v = m * 10 ** k;
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(Number(v.toPrecision(6)));
      }
    return out;
  };
  const decades = within([1]);
  if (decades.length >= 2) return decades;
  const finer = within([1, 2, 5]);
  if (finer.length >= 2) return finer;
  // Less than a factor of 2 to 5 in all: the ends, and a round value between them if any.
  return [...new Set([lo, ...finer, hi])];
}

/** A tick label: short, and exponential only where it must be. */
export function tickLabel(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
  return String(Number(v.toPrecision(3)));
}

/** [lo, hi] of the finite values (log: of the positive ones), widened when they are all equal. */
export function extent(values: number[], log = false): [number, number] {
  const usable = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (usable.length === 0) return log ? [1, 10] : [0, 1];
  let lo = Math.min(...usable);
  let hi = Math.max(...usable);
  if (hi === lo) [lo, hi] = log ? [lo / 10, hi * 10] : [lo - 1, hi + 1];
  return [lo, hi];
}

/**
 * The probability colour map: white at 0 through blue to a dark navy at 1 (ColorBrewer "Blues",
 * sequential, so a reader orders the values by lightness alone).
 */
const BLUES = [
  [247, 251, 255],
  [198, 219, 239],
  [107, 174, 214],
  [33, 113, 181],
  [8, 48, 107],
];

export function probabilityColor(p: number): string {
  const t = Math.min(1, Math.max(0, Number.isFinite(p) ? p : 0)) * (BLUES.length - 1);
  const k = Math.min(Math.floor(t), BLUES.length - 2);
  const f = t - k;
  const c = BLUES[k].map((v, i) => Math.round(v + f * (BLUES[k + 1][i] - v)));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** Colours of the figures, named once. */
export const COLORS = {
  ink: "#24292f",
  muted: "#6e7781",
  grid: "#d0d7de",
  edge: "#0969da",
  correct: "#1a7f37",
  missing: "#8c959f",
  extra: "#cf222e",
  truth: "#0969da",
  predicted: "#e36209",
  control: "#6e7781",
} as const;
