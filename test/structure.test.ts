/**
 * The code's structure as tests, so CI fails where a promise would not: the whole tree type-checks
 * (which also runs the type-level tests: `@ts-expect-error` lines that must stay errors), is
 * formatted, and the import graph has no cycle and no folder importing one above it
 * (scripts/check-imports.mjs).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scratchDir } from "./helpers.js";

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 240_000 });
  return { status: result.status, output: `${result.stdout ?? ""}${result.stderr ?? ""}` };
}

test("tsc --noEmit passes over engine, kernels, gim, bench and test", () => {
  const { status, output } = run(process.execPath, [
    "node_modules/typescript/bin/tsc",
    "--noEmit",
    "-p",
    "tsconfig.json",
  ]);
  assert.is(status, 0, `tsc failed:\n${output}`);
});

test("the tree is formatted (npm run format)", () => {
  const { status, output } = run(process.execPath, ["node_modules/prettier/bin/prettier.cjs", "--check", "."]);
  assert.is(status, 0, `prettier --check found unformatted files (run npm run format):\n${output}`);
});

test("no import cycle and no upward import (engine ← kernels ← gim/{graph,data,model,train,eval,report,cli})", () => {
  const { status, output } = run(process.execPath, ["scripts/check-imports.mjs"]);
  assert.is(status, 0, output);
  assert.match(output, /no cycles, no upward imports/);
});

test("the import check fails on a type-only cycle and on engine importing kernels", () => {
  const root = scratchDir("imports-");
  const files: Record<string, string> = {
    "engine/tensor.ts": 'import type { Scope } from "./scope.js";\nexport type T = Scope;\n',
    "engine/scope.ts": 'import type { T } from "./tensor.js";\nexport type Scope = T[];\n',
    "engine/create.ts": 'import { fill } from "../kernels/fill.js";\nexport const f = fill;\n',
    "kernels/fill.ts": "export const fill = 1;\n",
    "gim/model/params.ts": 'export { fill } from "../../kernels/fill.js";\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const { status, output } = run(process.execPath, ["scripts/check-imports.mjs", "--root", root]);
  assert.is(status, 1, output);
  assert.match(output, "import cycle: engine/scope.ts ↔ engine/tensor.ts");
  assert.match(output, "upward import: engine/create.ts imports kernels/fill.ts");
  assert.not.match(output, "gim/model/params.ts");
});

test.run();
