/**
 * `npm run bench [-- <suite…>] [--json]`: runs the named suites (default: engine) side by side
 * on webgpu and cpu in one process, prints the adapter and a line per measurement; with --json
 * prints one JSON document on stdout (logs go to stderr).
 */
import { webgpuBackend } from "../engine/context.js";
import "./engine.bench.js";
import "./gim.bench.js";
import "./kernels.bench.js";
import "./prep.bench.js";
import "./concurrent.bench.js";
import { type Row, suites } from "./report.js";

const args = process.argv.slice(2);
const json = args.includes("--json");
const names = args.filter((a) => !a.startsWith("--"));
const log = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
const gpu = await webgpuBackend();
const adapter = gpu?.description ?? "none (cpu only)";
log(`adapter: ${adapter}`);
const results: Row[] = [];
for (const name of names.length > 0 ? names : ["engine"]) {
  const suite = suites.get(name);
  if (!suite) {
    console.error(`unknown suite '${name}' (suites: ${[...suites.keys()].join(", ")})`);
    process.exit(2);
  }
  results.push(...(await suite(log)));
}
if (json) process.stdout.write(`${JSON.stringify({ adapter, results }, null, 2)}\n`);
process.exit(0);
