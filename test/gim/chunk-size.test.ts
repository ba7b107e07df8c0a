/**
 * The chunk size over N (gim/train/trainer.ts autoChunkRows): L^o-sized [M, rows, d] tensors stay under
 * the 64 MiB budget and the MLP VJP's weight-gradient partials S [C, M, d+3, dH] under the
 * 128 MiB binding limit; the benchmark sizes of spec §9 stay in one block; --chunk-rows sets the
 * block count a trainer uses. Sizes only (cpu; nothing runs but a trainer's upload).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cpuBackend } from "../../engine/context.js";
import { HostRandom } from "../../engine/host-random.js";
import { DEFAULTS, type GimConfig } from "../../gim/model/config.js";
import { BINDING_BYTES, CHUNK_BYTES, Trainer, autoChunkRows } from "../../gim/train/trainer.js";
import type { TrainingSet } from "../../gim/data/training-set.js";
import { mlpPartialElements } from "../../kernels/mlp-mechanism.js";

const M = 32;
const config = (mechanism: GimConfig["mechanism"], hidden = DEFAULTS.hidden): GimConfig => ({
  ...DEFAULTS,
  mechanism,
  hidden,
  mcSamples: M,
});

const loBytes = (d: number, rows: number) => 4 * M * rows * d;
const partialBytes = (d: number, H: number, rows: number) => 4 * mlpPartialElements(rows, M, d, H);

test("spec §9 sizes (d = 10 and 20, N = 9,000) run in one block: no chunking, no second pass", () => {
  for (const d of [10, 20]) {
    for (const mechanism of ["linear", "mlp"] as const) {
      assert.ok(
        autoChunkRows(config(mechanism), d) >= 9000,
        `${mechanism} d=${d}: ${autoChunkRows(config(mechanism), d)} rows per block`,
      );
    }
  }
});

test("d = 100 mlp (H = 5), M = 32, N = 100,000: 20 blocks of 5,242 rows, every per-block tensor within 64 MiB", () => {
  const rows = autoChunkRows(config("mlp"), 100);
  assert.is(rows, 5242);
  assert.is(Math.ceil(100000 / rows), 20);
  assert.ok(loBytes(100, rows) <= CHUNK_BYTES && partialBytes(100, 5, rows) <= CHUNK_BYTES);
  assert.ok(
    loBytes(100, 100000) > BINDING_BYTES && partialBytes(100, 5, 100000) > BINDING_BYTES,
    "unchunked, the step would pass the binding limit",
  );
});

// S has one partial per row chunk of 64 lanes × up to 64 rows (kernels/mechanism-wgsl.ts
// rowsPerLane): at M = 32 a block of up to 4,096 rows is one chunk, and at H = 64 two chunks of
// S pass the binding limit where one does not.
test("wide MLP (d = 100, H = 64): the weight-gradient partials, not [M, rows, d], set the block size", () => {
  const H = 64;
  const rows = autoChunkRows(config("mlp", H), 100);
  const byLoOnly = Math.floor(CHUNK_BYTES / (4 * M * 100));
  assert.ok(partialBytes(100, H, byLoOnly) > BINDING_BYTES, "at the L^o-only size S would pass the binding limit");
  assert.ok(
    rows < byLoOnly && partialBytes(100, H, rows) <= BINDING_BYTES,
    `${rows} rows: S is ${partialBytes(100, H, rows)} bytes`,
  );
  // The search shrinks by 10 % a step; the largest block that fits is one chunk of 4,096 rows.
  assert.ok(rows >= 0.9 * 4096, `${rows} rows: needlessly small blocks`);
});

test("--chunk-rows sets the trainer's block count; 0 picks it from the budget", () => {
  const rng = new HostRandom(5);
  const d = 3;
  const env = (id: string, n: number, features: number[]) => ({
    id,
    features,
    samples: Float64Array.from({ length: n * d }, () => rng.normal()),
    n,
  });
  const set: TrainingSet = {
    variables: ["a", "b", "c"],
    featureNames: ["f"],
    envs: [env("obs", 30, [0]), env("e1", 20, [1]), env("e2", 20, [-1])],
  };
  const blocks = (chunkRows: number) =>
    new Trainer({ ...DEFAULTS, holdoutFraction: 0, mcSamples: 4, chunkRows }, set, cpuBackend(), "f64")
      .likelihoodBlocks;
  assert.is(blocks(0), 1);
  assert.is(blocks(16), 5);
  assert.is(blocks(70), 1);
});

test.run();
