/** docs/kernels.md is kept true: it is what `npm run docs` writes, and every file it names exists. */
import { existsSync, readFileSync } from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { kernelsMarkdown } from "../kernels/docs.js";
import { OP_GROUPS, OP_NAMES } from "../kernels/index.js";

test("docs/kernels.md lists every registered op", () => {
  const doc = readFileSync("docs/kernels.md", "utf8");
  const missing = OP_NAMES.filter((name) => !doc.includes(`| \`${name}\` |`));
  assert.equal(missing, [], `missing from docs/kernels.md (run npm run docs): ${missing.join(", ")}`);
});

test("docs/kernels.md is current (run npm run docs)", () => {
  assert.fixture(readFileSync("docs/kernels.md", "utf8"), kernelsMarkdown());
});

test("every op group's file and test files exist", () => {
  const paths = OP_GROUPS.flatMap((g) => [g.file, ...g.tests.map((t) => (typeof t === "string" ? t : t.file))]);
  assert.equal(
    paths.filter((p) => !existsSync(p)),
    [],
  );
});

test("each op is declared in its group's file", () => {
  for (const g of OP_GROUPS) {
    const text = readFileSync(g.file, "utf8");
    for (const name of Object.keys(g.ops))
      assert.ok(text.includes(`"${name}"`) || text.includes(`${name}:`), `${name} does not appear in ${g.file}`);
  }
});

test.run();
