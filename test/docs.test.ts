/** docs/kernels.md is kept true: every op of the registry has its row (regenerate: npm run docs). */
import { readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { registry } from "../kernels/index.js";

test("docs/kernels.md lists every registered op", () => {
  const doc = readFileSync("docs/kernels.md", "utf8");
  const missing = Object.keys(registry).filter((name) => !doc.includes(`| \`${name}\` |`));
  assert.equal(missing, [], `missing from docs/kernels.md (run npm run docs): ${missing.join(", ")}`);
});

test.run();
