/**
 * Figure 2: environment × gene target probabilities σ(f_φ(γ_e))_j of the amortized network, one
 * row per environment (training envs first, then each held-out split, split by a rule), one
 * column per variable, white (0) to navy (1). A dot marks a true target where truth.json says.
 */
import { COLORS, el, probabilityColor, svg, text, title } from "./svg.js";

export interface HeatmapRow {
  env: string;
  split: string;
  /** P(target j) per variable. */
  probabilities: number[];
  /** The true targets (0/1 per variable), when known. */
  truth: number[] | null;
}

/** Above this many cells the per-cell tooltips are left out (they would dominate the file). */
const TOOLTIP_CELLS = 4000;

export function heatmapFigure(variables: string[], rows: HeatmapRow[]): string {
  const d = variables.length;
  const cw = Math.max(8, Math.min(30, Math.floor(760 / d)));
  const ch = rows.length > 60 ? 9 : 16;
  const font = Math.min(11, ch - 2);
  const left = 12 + font * 0.6 * Math.max(...rows.map((r) => r.env.length));
  const top = 14 + 6.2 * Math.max(...variables.map((v) => v.length));
  const width = left + d * cw + 110;
  const heatHeight = rows.length * ch;
  const tooltips = rows.length * d <= TOOLTIP_CELLS;
  const cells: string[] = [];
  const marks: string[] = [];
  rows.forEach((row, r) => {
    row.probabilities.forEach((p, j) => {
      const [x, y] = [left + j * cw, top + r * ch];
      const tip = tooltips ? [title(`${row.env} × ${variables[j]}: P(target) = ${p.toFixed(3)}`)] : [];
      cells.push(el("rect", { x, y, width: cw, height: ch, fill: probabilityColor(p) }, ...tip));
      if (row.truth?.[j] === 1)
        marks.push(el("circle", { cx: x + cw / 2, cy: y + ch / 2, r: Math.min(cw, ch) / 5, fill: COLORS.predicted }));
    });
  });
  const rowLabels = rows.map((row, r) =>
    text(left - 4, top + r * ch + ch / 2 + font / 3, row.env, { "text-anchor": "end", "font-size": font }),
  );
  const colLabels = variables.map((v, j) => {
    const [x, y] = [Math.round(left + j * cw + cw / 2 + 3), Math.round(top - 4)];
    return text(x, y, v, { transform: `rotate(-90 ${x} ${y})`, "font-size": Math.min(11, cw), class: "col-label" });
  });
  // A rule and the split's name where a new split starts.
  const groups: string[] = [];
  rows.forEach((row, r) => {
    if (r > 0 && rows[r - 1].split === row.split) return;
    const y = top + r * ch;
    if (r > 0) groups.push(el("line", { x1: 4, x2: left + d * cw + 100, y1: y, y2: y, stroke: COLORS.ink }));
    groups.push(text(left + d * cw + 8, y + font, row.split, { class: "legend" }));
  });
  const barTop = top + heatHeight + 18;
  const barWidth = Math.min(240, Math.max(120, d * cw));
  const stops = Array.from({ length: 11 }, (_, k) =>
    el("stop", { offset: `${k * 10}%`, "stop-color": probabilityColor(k / 10) }),
  );
  const bar = [
    el("defs", {}, el("linearGradient", { id: "probability-scale" }, ...stops)),
    el("rect", {
      x: left,
      y: barTop,
      width: barWidth,
      height: 10,
      fill: "url(#probability-scale)",
      stroke: COLORS.grid,
    }),
    ...[0, 0.5, 1].map((v) =>
      text(left + v * barWidth, barTop + 23, String(v), { "text-anchor": "middle", class: "tick" }),
    ),
    text(left + barWidth + 10, barTop + 9, "P(target) = σ(f_φ(γ))", { class: "legend" }),
  ];
  const anyTruth = rows.some((r) => r.truth);
  const truthKey = anyTruth
    ? [
        el("circle", { cx: left + 5, cy: barTop + 40, r: 4, fill: COLORS.predicted }),
        text(left + 14, barTop + 44, "true target (truth.json)", { class: "legend" }),
      ]
    : [];
  return svg(
    {
      width,
      height: barTop + (anyTruth ? 54 : 32),
      label: `target probabilities of ${rows.length} environments × ${d} variables`,
      attrs: { "data-figure": "targets" },
    },
    el("g", {}, ...cells),
    el("g", {}, ...marks),
    el("g", {}, ...rowLabels, ...colLabels, ...groups),
    ...bar,
    ...truthKey,
  );
}
