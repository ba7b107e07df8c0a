/**
 * The CLI's flag values take their types from the flag declarations. The checks are at compile
 * time: `npx tsc --noEmit` (and test/structure.test.ts) fails if a `@ts-expect-error` below stops
 * being an error (a misspelled flag read without complaint) or a `same<…>` check stops holding;
 * the tests also run, to show the parsed values are the ones the types promise.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type FlagValues, defineFlags, parseFlags, usage } from "../../gim/cli/args.js";
import { TRAIN_FLAGS } from "../../gim/cli/commands/train-flags.js";
import { registerCommand, runCommand } from "../../gim/cli/commands/registry.js";

/** true only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** Compiles only when A and B are the same type. */
const same = <A, B>(check: Equal<A, B>) => check;

const FLAGS = defineFlags({
  steps: { type: "number", integer: true, min: 1, default: 10, help: "steps" },
  rate: { type: "number", help: "optional number" },
  data: { type: "string", required: true, help: "required string" },
  label: { type: "string", help: "optional string" },
  mode: { type: "choice", choices: ["fast", "slow"], default: "fast", help: "choice with a default" },
  shape: { type: "choice", choices: ["round", "square"], help: "optional choice" },
  verbose: { type: "boolean", default: false, help: "boolean" },
});

function parse(...argv: string[]): FlagValues<typeof FLAGS> {
  const values = parseFlags(argv, FLAGS);
  if (values === "help") throw new Error("no --help given, yet parseFlags answered help");
  return values;
}

test("each kind of flag has its type: number, string, union of choices, boolean; undefined only without a default", () => {
  const v = parse("--data", "d.csv", "--rate", "0.5", "--shape", "square", "--verbose");
  assert.ok(same<typeof v.steps, number>(true));
  assert.ok(same<typeof v.rate, number | undefined>(true));
  assert.ok(same<typeof v.data, string>(true));
  assert.ok(same<typeof v.label, string | undefined>(true));
  assert.ok(same<typeof v.mode, "fast" | "slow">(true));
  assert.ok(same<typeof v.shape, "round" | "square" | undefined>(true));
  assert.ok(same<typeof v.verbose, boolean>(true));
  assert.equal(
    { ...v },
    { steps: 10, rate: 0.5, data: "d.csv", label: undefined, mode: "fast", shape: "square", verbose: true },
  );
});

test("help: a flag wider than its column puts its text on the next line, aligned", () => {
  const text = usage("train", "trains", TRAIN_FLAGS);
  const line = text.split("\n").findIndex((l) => l.startsWith("  --marginalize "));
  assert.ok(line > 0, text);
  assert.not.match(text.split("\n")[line], /per-envwhere/);
  assert.match(text.split("\n")[line + 1], /^ {34}\S/);
});

test("reading a misspelled or undeclared flag does not compile", () => {
  const v = parse("--data", "d.csv");
  // @ts-expect-error: the flag is `steps`
  assert.is(v.step, undefined);
  // @ts-expect-error: not declared
  assert.is(v["n-per-env"], undefined);
  // @ts-expect-error: a number flag is no string
  const s: string = v.steps;
  assert.is(s, 10);
});

test("a choice flag's default must be one of its choices", () => {
  const flags = defineFlags({
    // @ts-expect-error: "medium" is not a choice
    mode: { type: "choice", choices: ["fast", "slow"], default: "medium", help: "choice" },
  });
  assert.is(flags.mode.default, "medium");
});

test("the shared train flags are typed too (configFrom reads them without casts)", () => {
  const values = parseFlags(["--mechanism", "mlp", "--steps", "7"], TRAIN_FLAGS);
  if (values === "help") throw new Error("no --help given, yet parseFlags answered help");
  assert.ok(same<typeof values.mechanism, "linear" | "mlp">(true));
  assert.ok(same<typeof values.marginalize, "per-sample" | "per-env">(true));
  assert.ok(same<typeof values.backend, "auto" | "webgpu" | "cpu">(true));
  assert.ok(same<typeof values.amortize, boolean>(true));
  assert.ok(same<typeof values.steps, number>(true));
  // @ts-expect-error: the flag is `mc-samples`
  assert.is(values.mcSamples, undefined);
  assert.equal([values.mechanism, values.steps], ["mlp", 7]);
});

test("a command's run() gets values typed by its own flags", async () => {
  let seen: unknown;
  registerCommand("typed", {
    summary: "type-level test command",
    flags: { n: { type: "number", default: 1, help: "n" }, name: { type: "string", help: "name" } },
    async run(v) {
      assert.ok(same<typeof v.n, number>(true));
      assert.ok(same<typeof v.name, string | undefined>(true));
      // @ts-expect-error: the flag is `name`
      seen = [v.n, v.name, v.nmae];
      return 0;
    },
  });
  assert.is(await runCommand("typed", ["--n", "3", "--name", "x"]), 0);
  assert.equal(seen, [3, "x", undefined]);
});

test.run();
