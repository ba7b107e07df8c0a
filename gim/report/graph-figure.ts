/**
 * Figure 1: the learned graph. The MAP DAG (the graph prediction samples from) with each edge's
 * probability σ(α s_ij) as its width, opacity and, when there are few edges, a label. Nodes sit on
 * a circle in topological order, so most edges run clockwise. With a true graph the edges are
 * coloured correct (in both), extra (MAP only) or missing (true only, dashed, with the model's
 * probability of it); edges bend to their right, so i → j and j → i stay apart.
 */
import { topologicalOrder } from "../graph/dag.js";
import { COLORS, el, svg, text, title } from "./svg.js";

export interface GraphFigureInput {
  variables: string[];
  /** G_MAP: graph[i][j] = 1 iff i → j. */
  graph: number[][];
  edgeProbabilities: number[][];
  /** The true graph (truth.json), or null. */
  truth: number[][] | null;
}

type Kind = "map" | "correct" | "extra" | "missing";
const STYLE: Record<Kind, { color: string; label: string }> = {
  map: { color: COLORS.edge, label: "MAP edge" },
  correct: { color: COLORS.correct, label: "correct" },
  extra: { color: COLORS.extra, label: "extra (not in the true graph)" },
  missing: { color: COLORS.missing, label: "missing (true edge not in the MAP graph)" },
};
/** Above this many edges, probabilities are shown by width and opacity only. */
const LABELLED_EDGES = 40;

interface Edge {
  i: number;
  j: number;
  kind: Kind;
  p: number;
}

function edgesOf({ graph, edgeProbabilities, truth }: GraphFigureInput): Edge[] {
  const edges: Edge[] = [];
  graph.forEach((row, i) =>
    row.forEach((_, j) => {
      const inMap = graph[i][j] === 1;
      const inTruth = truth?.[i][j] === 1;
      if (!inMap && !inTruth) return;
      const kind: Kind = !truth ? "map" : inMap && inTruth ? "correct" : inMap ? "extra" : "missing";
      edges.push({ i, j, kind, p: edgeProbabilities[i]?.[j] ?? Number.NaN });
    }),
  );
  return edges;
}

function arrowMarker(kind: Kind): string {
  return el(
    "marker",
    {
      id: `arrow-${kind}`,
      viewBox: "0 0 10 10",
      refX: 10,
      refY: 5,
      markerWidth: 9,
      markerHeight: 9,
      markerUnits: "userSpaceOnUse",
      orient: "auto",
    },
    el("path", { d: "M0,0L10,5L0,10z", fill: STYLE[kind].color }),
  );
}

export function graphFigure(input: GraphFigureInput): string {
  const { variables } = input;
  const d = variables.length;
  const order = topologicalOrder(input.graph) ?? variables.map((_, k) => k);
  const r = d <= 12 ? 9 : 6;
  const R = Math.max(130, (d * 36) / (2 * Math.PI));
  const margin = 24 + 8 * Math.max(...variables.map((v) => v.length));
  const size = 2 * (R + margin);
  const c = size / 2;
  const pos: [number, number][] = [];
  order.forEach((v, k) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * k) / d;
    pos[v] = [c + R * Math.cos(angle), c + R * Math.sin(angle)];
  });
  const edges = edgesOf(input);
  const labelled = edges.length <= LABELLED_EDGES;
  const paths = edges.map((e) => {
    const [x0, y0] = pos[e.i];
    const [x1, y1] = pos[e.j];
    const len = Math.hypot(x1 - x0, y1 - y0);
    // Control point: the midpoint pushed to the edge's right by an eighth of its length.
    const [cx, cy] = [(x0 + x1) / 2 - ((y1 - y0) / len) * 0.125 * len, (y0 + y1) / 2 + ((x1 - x0) / len) * 0.125 * len];
    const toward = (x: number, y: number, by: number): [number, number] => {
      const l = Math.hypot(cx - x, cy - y);
      return [x + ((cx - x) / l) * by, y + ((cy - y) / l) * by];
    };
    const [sx, sy] = toward(x0, y0, r + 1);
    const [tx, ty] = toward(x1, y1, r + 2);
    const p = Number.isFinite(e.p) ? e.p : 1;
    const style = STYLE[e.kind];
    const path = el(
      "path",
      {
        d: `M${sx.toFixed(1)},${sy.toFixed(1)}Q${cx.toFixed(1)},${cy.toFixed(1)} ${tx.toFixed(1)},${ty.toFixed(1)}`,
        fill: "none",
        stroke: style.color,
        "stroke-width": e.kind === "missing" ? 1.3 : 1 + 2.5 * p,
        "stroke-opacity": e.kind === "missing" ? 0.9 : 0.45 + 0.55 * p,
        "stroke-dasharray": e.kind === "missing" ? "5 3" : undefined,
        "marker-end": `url(#arrow-${e.kind})`,
      },
      title(`${variables[e.i]} → ${variables[e.j]}: P(edge) = ${e.p.toFixed(3)} (${style.label})`),
    );
    if (!labelled) return path;
    // The curve's midpoint B(½) = ¼ P0 + ½ C + ¼ P1.
    const [mx, my] = [0.25 * x0 + 0.5 * cx + 0.25 * x1, 0.25 * y0 + 0.5 * cy + 0.25 * y1];
    return path + text(mx, my + 3, e.p.toFixed(2), { "text-anchor": "middle", class: "edge-label", fill: style.color });
  });
  const nodes = variables.map((name, v) => {
    const [x, y] = pos[v];
    const [ux, uy] = [(x - c) / R, (y - c) / R];
    const anchor = ux > 0.3 ? "start" : ux < -0.3 ? "end" : "middle";
    return (
      el("circle", { cx: x, cy: y, r, fill: "#ffffff", stroke: COLORS.ink, "stroke-width": 1.5 }, title(name)) +
      text(x + ux * (r + 5), y + uy * (r + 5) + 4 + (uy > 0.3 ? 5 : uy < -0.3 ? -3 : 0), name, {
        "text-anchor": anchor,
        class: "node-label",
      })
    );
  });
  const kinds = (Object.keys(STYLE) as Kind[]).filter((kind) => edges.some((e) => e.kind === kind));
  const legendY = size + 8;
  const legend = kinds.map((kind, k) => {
    const y = legendY + 16 * k;
    const count = edges.filter((e) => e.kind === kind).length;
    return (
      el("line", {
        x1: 10,
        x2: 40,
        y1: y,
        y2: y,
        stroke: STYLE[kind].color,
        "stroke-width": 2,
        "stroke-dasharray": kind === "missing" ? "5 3" : undefined,
      }) + text(46, y + 4, `${STYLE[kind].label}: ${count}`, { class: "legend" })
    );
  });
  const explained = labelled ? "width, opacity and label: P(edge)" : "width and opacity: P(edge)";
  const note = text(10, legendY + 16 * kinds.length + 4, explained, { class: "legend" });
  return svg(
    {
      width: size,
      height: legendY + 16 * kinds.length + 12,
      label: `learned graph over ${d} variables, ${edges.length} edges drawn`,
      attrs: { "data-figure": "graph", "data-edges": edges.length },
    },
    el("defs", {}, ...(Object.keys(STYLE) as Kind[]).map(arrowMarker)),
    el("g", { class: "edges" }, ...paths),
    el("g", { class: "nodes" }, ...nodes),
    el("g", { class: "legend" }, ...legend, note),
    edges.length === 0 ? text(c, c, "no edges in the MAP graph", { "text-anchor": "middle", class: "axis" }) : "",
  );
}
