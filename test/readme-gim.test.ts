/** The README's library block (<!-- readme-test: train-gim -->), run as written against dist/index.js. */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scratchDir } from "./helpers.js";

test("README: train on in-memory arrays, predict an unseen environment, in ≤ 30 lines", () => {
  const readme = readFileSync("README.md", "utf8");
  const block = /<!-- readme-test: train-gim -->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, "README has the train-gim block");
  assert.ok(block.trimEnd().split("\n").length <= 30, "the block has at most 30 lines");
  const script = join(scratchDir("gim-readme-"), "readme.mjs");
  writeFileSync(script, block.replace('"gim-webgpu"', JSON.stringify(pathToFileURL(resolve("dist/index.js")).href)));
  const out = execFileSync(process.execPath, [script], { encoding: "utf8" });
  assert.match(out, /step 300: loss/);
  const targets =
    /P\(target\): \[([^\]]*)\]/
      .exec(out)?.[1]
      .match(/[\d.]+/g)
      ?.map(Number) ?? [];
  assert.is(targets.length, 3, out);
  assert.ok(
    targets.every((p) => p >= 0 && p <= 1),
    out,
  );
  const mean =
    /predicted mean: \[([^\]]*)\]/
      .exec(out)?.[1]
      .match(/-?[\d.]+/g)
      ?.map(Number) ?? [];
  assert.ok(mean.length === 3 && mean.every(Number.isFinite), out);
});

test.run();
