// Writes docs/kernels.md from the op registry (kernels/docs.ts): name, forward/VJP derivation,
// the file that declares the op and the tests that exercise it, as kernels/index.ts declares
// them. Run after adding an op: `npm run docs`. test/docs.test.ts fails when the file is stale.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildAll, distDir } from "./build.mjs";

await buildAll();
const { kernelsMarkdown } = await import(join(process.cwd(), distDir, "kernels-doc.js"));
const text = kernelsMarkdown();
writeFileSync("docs/kernels.md", text);
console.log(`docs/kernels.md: ${text.split("\n").filter((l) => l.startsWith("| `")).length} ops`);
process.exit(0);
