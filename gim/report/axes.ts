/** A plot frame for the line and histogram panels: axis lines, ticks with labels, axis titles. */
import { COLORS, el, text, tickLabel } from "./svg.js";

/** The plotting area of a panel, in the SVG's pixels. */
export interface Frame {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Axis {
  ticks: number[];
  /** Value → pixel. */
  at: (v: number) => number;
  label?: string;
  /** Tick labels; default tickLabel. */
  format?: (v: number) => string;
}

/** The x axis below the frame and the y axis left of it, with grid lines at the y ticks. */
export function axes(frame: Frame, x: Axis, y: Axis): string {
  const { left, top, width, height } = frame;
  const bottom = top + height;
  const parts: string[] = [];
  for (const v of y.ticks) {
    const py = y.at(v);
    parts.push(el("line", { x1: left, x2: left + width, y1: py, y2: py, stroke: COLORS.grid, "stroke-width": 0.5 }));
    parts.push(text(left - 4, py + 3.5, (y.format ?? tickLabel)(v), { "text-anchor": "end", class: "tick" }));
  }
  for (const v of x.ticks) {
    const px = x.at(v);
    parts.push(el("line", { x1: px, x2: px, y1: bottom, y2: bottom + 4, stroke: COLORS.ink }));
    parts.push(text(px, bottom + 15, (x.format ?? tickLabel)(v), { "text-anchor": "middle", class: "tick" }));
  }
  parts.push(
    el("path", { d: `M${left},${top}V${bottom}H${left + width}`, fill: "none", stroke: COLORS.ink, "stroke-width": 1 }),
  );
  if (x.label) parts.push(text(left + width / 2, bottom + 30, x.label, { "text-anchor": "middle", class: "axis" }));
  if (y.label) {
    const [cx, cy] = [Math.round(left - 38), Math.round(top + height / 2)];
    parts.push(text(cx, cy, y.label, { "text-anchor": "middle", class: "axis", transform: `rotate(-90 ${cx} ${cy})` }));
  }
  return el("g", {}, ...parts);
}
