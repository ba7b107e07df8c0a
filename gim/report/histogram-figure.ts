/**
 * Figure 3 (the paper's Figure 13): for one held-out environment, per-gene marginal histograms of
 * the true cells (filled), GIM's predicted samples (orange outline) and the observational/control
 * cells (grey dashes), each as the share of its samples per bin, so that sets of different sizes
 * compare. The bins span the 0.5–99.5 % quantiles of all three together; values beyond fall in
 * the end bins.
 */
import { axes } from "./axes.js";
import { COLORS, el, linePath, scale, svg, text, ticks } from "./svg.js";

export interface MarginalPanel {
  gene: string;
  /** Why the gene is shown: "true target · P 0.91 · Δ +1.20" (P(target), mean shift from observational). */
  tag: string;
  truth: number[];
  predicted: number[];
  control: number[];
}

const BINS = 20;
const PANEL = { width: 180, height: 118, columns: 4 };
const PAD = { left: 14, right: 10, top: 30, bottom: 26 };

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const at = q * (sorted.length - 1);
  const k = Math.floor(at);
  return sorted[k] + (sorted[Math.min(k + 1, sorted.length - 1)] - sorted[k]) * (at - k);
}

/** The share of `values` per bin of [lo, hi] (clipped into the end bins). */
export function binShares(values: number[], lo: number, hi: number, bins = BINS): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins || 1;
  for (const v of values) counts[Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width)))]++;
  return counts.map((c) => c / Math.max(values.length, 1));
}

function panel(p: MarginalPanel, x0: number, y0: number): string {
  const sorted = [...p.truth, ...p.predicted, ...p.control].filter(Number.isFinite).sort((a, b) => a - b);
  let [lo, hi] = [quantile(sorted, 0.005), quantile(sorted, 0.995)];
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, lo + 0.5];
  if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
  const shares = [p.truth, p.predicted, p.control].map((v) => binShares(v, lo, hi));
  const top = Math.max(...shares.flat(), 1e-9);
  const frame = {
    left: x0 + PAD.left,
    top: y0 + PAD.top,
    width: PANEL.width - PAD.left - PAD.right,
    height: PANEL.height - PAD.top - PAD.bottom,
  };
  const x = scale([lo, hi], [frame.left, frame.left + frame.width]);
  const y = scale([0, top * 1.05], [frame.top + frame.height, frame.top]);
  const edge = (k: number) => x(lo + ((hi - lo) * k) / BINS);
  const bars = shares[0].map((s, k) =>
    el("rect", {
      x: edge(k),
      y: y(s),
      width: Math.max(edge(k + 1) - edge(k) - 0.5, 0.5),
      height: y(0) - y(s),
      fill: COLORS.truth,
      "fill-opacity": 0.45,
    }),
  );
  const step = (s: number[]) =>
    linePath(
      s.flatMap((v, k): [number, number][] => [
        [edge(k), y(v)],
        [edge(k + 1), y(v)],
      ]),
    );
  return el(
    "g",
    { class: "panel" },
    text(x0 + PAD.left, y0 + 12, p.gene, { class: "panel-title" }),
    text(x0 + PAD.left, y0 + 24, p.tag, { class: "legend" }),
    ...bars,
    el("path", { d: step(shares[2]), fill: "none", stroke: COLORS.control, "stroke-dasharray": "3 2" }),
    el("path", { d: step(shares[1]), fill: "none", stroke: COLORS.predicted, "stroke-width": 1.8 }),
    axes(frame, { ticks: ticks(lo, hi, 3).filter((t) => t >= lo && t <= hi), at: x }, { ticks: [], at: y }),
  );
}

/** The histogram grid of one environment; `sizes` counts the true, predicted and control samples. */
export function histogramFigure(env: string, panels: MarginalPanel[], sizes: [number, number, number]): string {
  const rows = Math.ceil(panels.length / PANEL.columns);
  const width = Math.min(panels.length, PANEL.columns) * PANEL.width;
  const legendHeight = 22;
  const key = [
    el("rect", { x: 4, y: 6, width: 14, height: 10, fill: COLORS.truth, "fill-opacity": 0.45 }),
    text(22, 15, `true (${sizes[0]} samples)`, { class: "legend" }),
    el("path", { d: "M150,11H168", stroke: COLORS.predicted, "stroke-width": 1.8 }),
    text(172, 15, `predicted (${sizes[1]})`, { class: "legend" }),
    el("path", { d: "M270,11H288", stroke: COLORS.control, "stroke-dasharray": "3 2" }),
    text(292, 15, `observational (${sizes[2]})`, { class: "legend" }),
  ];
  return svg(
    {
      width: Math.max(width, 420),
      height: legendHeight + rows * PANEL.height,
      label: `marginals of ${panels.length} genes in environment ${env}: true vs predicted`,
      attrs: { "data-figure": "marginals", "data-env": env },
    },
    ...key,
    ...panels.map((p, k) =>
      panel(p, (k % PANEL.columns) * PANEL.width, legendHeight + Math.floor(k / PANEL.columns) * PANEL.height),
    ),
  );
}
