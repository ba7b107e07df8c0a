/**
 * Figure 4: the training curves of the model file's history — the loss (linear axis), the
 * acyclicity estimate ĥ and the augmented Lagrangian's α_AL and μ_AL (log axes; zeros, e.g.
 * α_AL before its first update, leave gaps). A dashed rule marks where the refit phase begins.
 */
import type { TrainingHistory } from "../model/history.js";
import { type Axis, axes } from "./axes.js";
import { COLORS, el, extent, linePath, logTicks, scale, svg, text, ticks } from "./svg.js";

const PANEL = { width: 300, height: 220 };
const PAD = { left: 58, right: 14, top: 26, bottom: 40 };

interface Series {
  values: number[];
  color: string;
  name: string;
  dashed?: boolean;
}

function panel(
  x0: number,
  titleText: string,
  steps: number[],
  series: Series[],
  log: boolean,
  refitFrom: number | null,
): string {
  const frame = {
    left: x0 + PAD.left,
    top: PAD.top,
    width: PANEL.width - PAD.left - PAD.right,
    height: PANEL.height - PAD.top - PAD.bottom,
  };
  const [s0, s1] = extent([0, ...steps]);
  const x = scale([s0, s1], [frame.left, frame.left + frame.width]);
  const [lo, hi] = extent(
    series.flatMap((s) => s.values),
    log,
  );
  const y = scale([lo, hi], [frame.top + frame.height, frame.top], log);
  const yAxis: Axis = { ticks: log ? logTicks(lo, hi) : ticks(lo, hi, 4), at: y };
  const lines = series.map((s) =>
    el("path", {
      d: linePath(s.values.map((v, k) => (Number.isFinite(v) && (!log || v > 0) ? [x(steps[k]), y(v)] : null))),
      fill: "none",
      stroke: s.color,
      "stroke-width": 1.6,
      "stroke-dasharray": s.dashed ? "4 3" : undefined,
    }),
  );
  // A key for panels with several series; a series a log axis cannot show says so.
  const keys =
    series.length < 2
      ? []
      : series.map((s, k) => {
          const [kx, ky] = [frame.left + frame.width - 70, frame.top + 10 + 14 * k];
          const hidden = log && !s.values.some((v) => v > 0);
          return (
            el("line", {
              x1: kx,
              x2: kx + 16,
              y1: ky - 4,
              y2: ky - 4,
              stroke: s.color,
              "stroke-width": 1.6,
              "stroke-dasharray": s.dashed ? "4 3" : undefined,
            }) + text(kx + 20, ky, hidden ? `${s.name} = 0` : s.name, { class: "legend" })
          );
        });
  const refit =
    refitFrom !== null
      ? el("line", {
          x1: x(refitFrom),
          x2: x(refitFrom),
          y1: frame.top,
          y2: frame.top + frame.height,
          stroke: COLORS.muted,
          "stroke-dasharray": "2 3",
        })
      : "";
  return el(
    "g",
    {},
    text(frame.left, 16, titleText, { class: "panel-title" }),
    axes(frame, { ticks: ticks(s0, s1, 4), at: x, label: "step" }, yAxis),
    refit,
    ...lines,
    ...keys,
  );
}

/** The three panels; `refitFrom`: the first refit step, or null. */
export function curvesFigure(history: TrainingHistory, refitFrom: number | null): string {
  const { step } = history;
  return svg(
    {
      width: 3 * PANEL.width,
      height: PANEL.height,
      label: `training curves over ${step.at(-1) ?? 0} steps`,
      attrs: { "data-figure": "curves" },
    },
    panel(0, "loss −J/N", step, [{ values: history.loss, color: COLORS.edge, name: "loss" }], false, refitFrom),
    panel(
      PANEL.width,
      "acyclicity ĥ (log scale)",
      step,
      [{ values: history.h, color: COLORS.extra, name: "ĥ" }],
      true,
      refitFrom,
    ),
    panel(
      2 * PANEL.width,
      "augmented Lagrangian (log scale)",
      step,
      [
        { values: history.alpha, color: COLORS.correct, name: "α_AL" },
        { values: history.mu, color: COLORS.predicted, name: "μ_AL", dashed: true },
      ],
      true,
      refitFrom,
    ),
  );
}
