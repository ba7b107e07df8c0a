/**
 * The package as a user gets it: `npm pack`, then in empty folders an offline install of the
 * tarball (`npm ci --offline` of a lockfile naming the tarball and, from our own package-lock.json,
 * its dependencies: the tarballs `npm ci` left in the npm cache suffice, no registry metadata is
 * needed, so CI runs it without a network), a 10-line ESM script
 * that trains on cpu and predicts an unseen environment, and the same script in TypeScript under
 * `tsc --strict` against the packed .d.ts. With --omit=optional there is no `webgpu` and asking
 * for it says the optional package is missing. Prints the install sizes ([info]).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { scratchDir } from "../helpers.js";

const repo = process.cwd();
const work = scratchDir("gim-pack-");
const npm = (args: string[], cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });

function sizeOf(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

const CONSUMER = `import { generateBenchmark, trainGim } from "gim-webgpu";
const bench = generateBenchmark({ d: 4, graph: "er", edgesPerNode: 1, mechanism: "linear", intervention: "hard",
  perturbations: 3, nPerEnv: 40, nObs: 100, q: 3, seed: 1 });
const split = (id: string) => bench.truth.split[id];
const train = bench.envs.filter((e) => split(e.id) === "observational" || split(e.id) === "train");
const unseen = bench.envs.find((e) => split(e.id) === "full-ood")!;
const model = await trainGim({ variables: bench.variables, envs: train },
  { backend: "cpu", steps: 30, mcSamples: 2, gimHidden: 8, log: () => {} });
const mean: number[] = model.predictMean(unseen.features, 200);
console.log(JSON.stringify({ graph: model.graph, mean, targets: model.targetProbabilities(unseen.features) }));
`;
const asJs = (ts: string) => ts.replace("(id: string)", "(id)").replace(")!;", ");").replace(": number[] =", " =");

let tarball = "";
test.before(() => {
  const out = npm(["pack", "--pack-destination", work], repo).trim().split("\n");
  tarball = resolve(work, out[out.length - 1]);
  console.log(`[info] packed ${out[out.length - 1]}: ${mb(statSync(tarball).size)}`);
});

type LockEntry = {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};

/** A consumer's lockfile: the tarball, then what it needs, as our lockfile resolves it. */
function consumerLock(name: string): object {
  const ours = JSON.parse(readFileSync(join(repo, "package-lock.json"), "utf8")).packages as Record<string, LockEntry>;
  const root = ours[""];
  const spec = `file:${tarball}`;
  const packages: Record<string, object> = {
    "": { name, dependencies: { "gim-webgpu": spec } },
    "node_modules/gim-webgpu": {
      version: root.version,
      resolved: spec,
      dependencies: root.dependencies,
      optionalDependencies: root.optionalDependencies,
    },
  };
  const visit = (deps: Record<string, string> = {}, optional: boolean) => {
    for (const dep of Object.keys(deps)) {
      const key = `node_modules/${dep}`;
      if (packages[key]) continue;
      const {
        dev: _dev,
        devOptional: _devOptional,
        ...entry
      } = ours[key] as LockEntry & { dev?: boolean; devOptional?: boolean };
      const base = dep.split("/").pop();
      const resolved = `https://registry.npmjs.org/${dep}/-/${base}-${entry.version}.tgz`;
      packages[key] = { ...entry, resolved, ...(optional ? { optional: true } : {}) };
      visit(entry.dependencies, optional);
      visit(entry.optionalDependencies, true);
    }
  };
  visit(root.dependencies, false);
  visit(root.optionalDependencies, true);
  return { name, lockfileVersion: 3, requires: true, packages };
}

function install(name: string, flags: string[]): string {
  const dir = join(work, name);
  execFileSync("mkdir", ["-p", dir]);
  const pkg = {
    name,
    type: "module",
    dependencies: { "gim-webgpu": `file:${tarball}` },
    allowScripts: { webgpu: true },
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  writeFileSync(join(dir, "package-lock.json"), JSON.stringify(consumerLock(name)));
  npm(["ci", "--offline", ...flags], dir);
  const size = sizeOf(join(dir, "node_modules"));
  console.log(`[info] install ${flags.join(" ")} of the tarball: node_modules ${mb(size)}`);
  return dir;
}

function runConsumer(dir: string): { graph: number[][]; mean: number[]; targets: number[] } {
  writeFileSync(join(dir, "consumer.mjs"), asJs(CONSUMER));
  return JSON.parse(execFileSync(process.execPath, ["consumer.mjs"], { cwd: dir, encoding: "utf8" }));
}

test("--omit=optional: no webgpu, cpu training and prediction work, types check under --strict", () => {
  const dir = install("cpu-only", ["--omit=optional", "--omit=dev"]);
  assert.not.ok(existsSync(join(dir, "node_modules/webgpu")), "webgpu was not installed");
  const { graph, mean, targets } = runConsumer(dir);
  assert.equal(graph.length, 4);
  assert.ok(mean.length === 4 && mean.every(Number.isFinite), `mean ${mean}`);
  assert.ok(
    targets.every((p) => p >= 0 && p <= 1),
    `targets ${targets}`,
  );
  writeFileSync(join(dir, "consumer.ts"), CONSUMER);
  const compilerOptions = {
    strict: true,
    noEmit: true,
    target: "es2022",
    module: "nodenext",
    lib: ["es2022", "dom"],
    types: [],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions, files: ["consumer.ts"] }));
  const tsc = spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", "."], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.is(tsc.status, 0, `tsc --strict consumer.ts:\n${tsc.stdout}${tsc.stderr}`);
  const ask = spawnSync(
    process.execPath,
    ["--input-type=module", "-e", `import { createBackend } from "gim-webgpu"; await createBackend("webgpu");`],
    { cwd: dir, encoding: "utf8" },
  );
  assert.is.not(ask.status, 0);
  assert.match(ask.stderr, /backend 'webgpu' requested, but the optional package 'webgpu' is not installed/);
});

test("full install: webgpu is there and the same script runs", () => {
  const dir = install("full", ["--omit=dev"]);
  assert.ok(existsSync(join(dir, "node_modules/webgpu/package.json")), "webgpu was installed");
  assert.equal(runConsumer(dir).graph.length, 4);
});

test.run();
