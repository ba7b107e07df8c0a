// Checks the project's import graph: no cycles between files (type-only imports included) and no
// folder importing one above it in the layering engine ← kernels ← gim ← (bench, browser, index.ts), where
// gim/ itself is layered graph ← data ← model ← train ← eval ← report ← cli.
// `node scripts/check-imports.mjs` prints each violation and exits 1 if there is any; the test
// test/structure.test.ts runs the same check on every `npm test`. `--root DIR` checks another tree.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const rootFlag = process.argv.indexOf("--root");
const root =
  rootFlag > 0 ? resolve(process.argv[rootFlag + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** Lower layers first: a file may import its own layer or any layer before it. */
export const LAYERS = [
  "engine",
  "kernels",
  "gim/graph",
  "gim/data",
  "gim/model",
  "gim/train",
  "gim/eval",
  "gim/report",
  "gim/cli",
  "bench",
  "browser",
  "index.ts",
];
const SOURCE_DIRS = ["engine", "kernels", "gim", "bench", "browser"];

function layerOf(file) {
  const layer = LAYERS.findIndex((l) => file === l || file.startsWith(`${l}/`));
  if (layer < 0) throw new Error(`check-imports: ${file} belongs to no layer (${LAYERS.join(", ")})`);
  return layer;
}

function sourceFiles(dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Every relative specifier a file imports or re-exports, statically or dynamically, types too. */
export function importsOf(text) {
  const specs = [];
  const patterns = [
    /\b(?:import|export)\b[^'";]*?\bfrom\s*["']([^"']+)["']/gs,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) specs.push(m[1]);
  return specs.filter((s) => s.startsWith("."));
}

function resolveSpec(from, spec) {
  const path = relative(root, resolve(root, dirname(from), spec)).replace(/\.js$/, ".ts");
  return path;
}

export function importGraph() {
  const files = [...SOURCE_DIRS.flatMap(sourceFiles), ...(existsSync(join(root, "index.ts")) ? ["index.ts"] : [])];
  const graph = new Map();
  for (const file of files) {
    const text = readFileSync(join(root, file), "utf8");
    graph.set(
      file,
      importsOf(text)
        .map((s) => resolveSpec(file, s))
        .filter((t) => t.endsWith(".ts")),
    );
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself). */
export function cycles(graph) {
  let index = 0;
  const stack = [];
  const info = new Map();
  const found = [];
  const visit = (v) => {
    info.set(v, { index, low: index, onStack: true });
    index++;
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!info.has(w)) {
        visit(w);
        info.get(v).low = Math.min(info.get(v).low, info.get(w).low);
      } else if (info.get(w).onStack) info.get(v).low = Math.min(info.get(v).low, info.get(w).index);
    }
    if (info.get(v).low === info.get(v).index) {
      const component = [];
      let w;
      do {
        w = stack.pop();
        info.get(w).onStack = false;
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!info.has(v)) visit(v);
  return found;
}

export function upwardImports(graph) {
  const bad = [];
  for (const [file, targets] of graph) {
    for (const t of targets) if (layerOf(t) > layerOf(file)) bad.push(`${file} imports ${t}`);
  }
  return bad;
}

export function violations() {
  const graph = importGraph();
  return [
    ...cycles(graph).map((c) => `import cycle: ${c.join(" ↔ ")}`),
    ...upwardImports(graph).map((u) => `upward import: ${u}`),
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const found = violations();
  for (const v of found) console.log(v);
  console.log(found.length === 0 ? "imports: no cycles, no upward imports" : `imports: ${found.length} violation(s)`);
  process.exit(found.length === 0 ? 0 : 1);
}
