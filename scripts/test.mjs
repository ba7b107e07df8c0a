// `npm test`: builds, reports the backends and adapter, runs every test file in its own process
// under a timeout (a hung GPU process must not hang CI), and ends with "N passed, N failed".
// WebGPU is required when GIM_REQUIRE_WEBGPU=1 or CI=true: then a missing adapter fails the run.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildAll, distDir } from "./build.mjs";

// Per file. A fresh machine compiles every shader (Mesa's cache is empty): on 2 cores the parity
// file then takes 210–240 s and the whole suite ~13 min, against ~3 min with the cache warm.
const TIMEOUT_MS = Number(process.env.GIM_TEST_TIMEOUT_MS ?? 600_000);
const filter = process.argv.slice(2);
process.env.XDG_RUNTIME_DIR ??= "/tmp";
const required = process.env.GIM_REQUIRE_WEBGPU === "1" || process.env.CI === "true";
if (required) process.env.GIM_REQUIRE_WEBGPU = "1";

const built = (await buildAll({ tests: true })).filter(
  ({ file }) => filter.length === 0 || filter.some((p) => file.includes(p)),
);
const files = built.filter((b) => !b.error).map((b) => b.file);
const broken = built.filter((b) => b.error);

const probe = spawnSync(process.execPath, ["--enable-source-maps", join(distDir, "cli.js"), "backends"], {
  encoding: "utf8",
  timeout: 120_000,
});
process.stdout.write(probe.stdout);
if (probe.status !== 0) process.stdout.write(probe.stderr);
const hasWebGpu = probe.status === 0 && /webgpu: available/.test(probe.stdout);
if (!hasWebGpu) {
  const banner = "!!! NO WEBGPU ADAPTER: WebGPU tests will be SKIPPED (run scripts/setup-lavapipe.sh) !!!";
  console.log(`\n${"!".repeat(banner.length)}\n${banner}\n${"!".repeat(banner.length)}\n`);
  if (required) {
    console.log("GIM_REQUIRE_WEBGPU is set: failing.");
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const { file, error } of broken) {
  failed++;
  console.log(
    `${file.replace(/^.*\.build\//, "")}: does not build (FAILED)\n${error
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n")}`,
  );
}
for (const file of files) {
  const started = Date.now();
  const run = spawnSync(process.execPath, ["--enable-source-maps", file], {
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    env: process.env,
  });
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
  const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const ok = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
  const skip = Number(/Skipped:\s+(\d+)/.exec(output)?.[1] ?? 0);
  // uvu's Total counts the tests that ran (skipped ones are reported apart).
  const bad = run.status !== 0 || run.error ? Math.max(1, total - ok) : total - ok;
  passed += ok;
  failed += bad;
  skipped += skip;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const status = run.error?.code === "ETIMEDOUT" ? `TIMED OUT after ${TIMEOUT_MS / 1000}s` : bad > 0 ? "FAILED" : "ok";
  console.log(
    `${file.replace(/^.*\.build\//, "")}: ${ok} passed, ${bad} failed${skip ? `, ${skip} skipped` : ""} (${seconds}s) ${status}`,
  );
  if (bad > 0 || process.env.GIM_TEST_VERBOSE) {
    process.stdout.write(
      output
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n") + "\n",
    );
  } else {
    for (const line of output.split("\n"))
      if (line.startsWith("[sweep]") || line.startsWith("[info]")) console.log(`    ${line}`);
  }
}
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || built.length === 0 ? 1 : 0);
