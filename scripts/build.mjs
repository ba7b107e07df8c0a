// Bundles the library, the CLI, the benchmarks and (with --tests) every test file with esbuild;
// the browser build (browser/ → dist/browser/, no Node built-ins: platform "browser" fails on any);
// with --types, the .d.ts of the public entries (tsconfig.types.json → dist/types/).
// `.wgsl` files load as text; `webgpu` (a native addon), `playwright-core` (tests only) and `h5wasm`
// (4 MB of inlined wasm, imported lazily: only code that reads or writes .h5ad loads it) stay external.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const common = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  loader: { ".wgsl": "text" },
  external: ["webgpu", "h5wasm", "playwright-core"],
  logLevel: "warning",
};

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

// GIM_BUILD_DIR lets several builds run side by side (the default writes dist/ and .build/ here).
const root = process.env.GIM_BUILD_DIR ?? ".";
export const distDir = join(root, "dist");
const testDir = join(root, ".build");

export async function buildAll({ tests = false, types = false } = {}) {
  await build({
    ...common,
    entryPoints: {
      index: "index.ts",
      engine: "kernels/library.ts",
      cli: "gim/cli/cli.ts",
      bench: "bench/run.ts",
      "show-wgsl": "bench/show-wgsl.ts",
      "kernels-doc": "kernels/docs.ts",
    },
    outdir: distDir,
  });
  await build({
    ...common,
    platform: "browser",
    target: "es2022",
    external: [],
    entryPoints: { gim: "browser/index.ts", "gim-worker": "browser/worker.ts" },
    outdir: join(distDir, "browser"),
  });
  if (types) {
    const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.types.json"], {
      stdio: "inherit",
    });
    if (tsc.status !== 0) throw new Error("build: tsc -p tsconfig.types.json failed");
  }
  if (tests) {
    // One build per test file, so a file that does not compile fails alone (reported by the runner).
    const entries = findTests("test");
    const results = await Promise.allSettled(
      entries.map((entry) =>
        build({
          ...common,
          entryPoints: [entry],
          outdir: testDir,
          outbase: ".",
          outExtension: { ".js": ".mjs" },
          logLevel: "silent",
        }),
      ),
    );
    return entries.map((e, i) => ({
      file: join(testDir, e.replace(/\.ts$/, ".mjs")),
      error: results[i].status === "rejected" ? String(results[i].reason?.message ?? results[i].reason) : null,
    }));
  }
  return [];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll({ tests: process.argv.includes("--tests"), types: process.argv.includes("--types") });
}
