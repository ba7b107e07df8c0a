/**
 * A small flag parser: `--name value`, `--flag` (booleans, also `--flag true|false`) and repeatable
 * `--name a --name b` (type "list", parsed to string[]).
 * Unknown flags, missing values and bad values are errors naming the flag.
 * The declarations are `const` objects, so the parsed values get their types from them
 * (FlagValues): reading an undeclared flag, or a flag as the wrong type, fails to compile.
 */
export class UsageError extends Error {}

export type NumberFlag = {
  type: "number";
  default?: number;
  help: string;
  integer?: boolean;
  min?: number;
  max?: number;
};
export type FlagSpec =
  | NumberFlag
  | { type: "string"; default?: string; help: string; required?: boolean }
  | { type: "choice"; choices: readonly string[]; default?: string; help: string }
  | { type: "boolean"; default?: boolean; help: string }
  | { type: "list"; help: string };

export type FlagDecls = Readonly<Record<string, FlagSpec>>;

/** What a flag parses to: a choice flag to the union of its choices. */
type FlagType<S extends FlagSpec> = S extends { type: "number" }
  ? number
  : S extends { type: "list" }
    ? string[]
    : S extends { type: "boolean" }
      ? boolean
      : S extends { type: "choice"; choices: readonly (infer C)[] }
        ? C
        : string;

/** A flag always has a value when it has a default or is required; otherwise it may be absent. */
type FlagValue<S extends FlagSpec> = S extends
  | { default: number | string | boolean }
  | { required: true }
  | { type: "list" }
  ? FlagType<S>
  : FlagType<S> | undefined;

export type FlagValues<F extends FlagDecls> = { readonly [K in keyof F]: FlagValue<F[K]> };

/** A choice flag's default must be one of its choices, as FlagValues promises. */
export type CheckedDecls<F extends FlagDecls> = {
  readonly [K in keyof F]: F[K] extends { type: "choice"; choices: readonly (infer C)[] }
    ? { readonly default?: C }
    : unknown;
};

/** Declares flags outside a command (shared ones): keeps the literal types FlagValues reads. */
export function defineFlags<const F extends FlagDecls>(flags: F & CheckedDecls<F>): F {
  return flags;
}

export function usage(command: string, summary: string, flags: FlagDecls): string {
  const lines = [`gim ${command} — ${summary}`, "", "options:"];
  for (const [name, spec] of Object.entries(flags)) {
    const kind =
      spec.type === "choice"
        ? spec.choices.join("|")
        : spec.type === "boolean"
          ? ""
          : spec.type === "number"
            ? "N"
            : spec.type === "list"
              ? "VALUE (repeatable)"
              : "VALUE";
    const def =
      spec.type !== "list" && spec.default !== undefined
        ? ` (default ${spec.default})`
        : spec.type === "string" && spec.required
          ? " (required)"
          : "";
    // A flag wider than the column gets its own line, so its text never runs into the help.
    const flag = `  --${name}${kind ? ` ${kind}` : ""}`;
    lines.push(
      flag.length < 34 ? flag.padEnd(34) + `${spec.help}${def}` : `${flag}\n${" ".repeat(34)}${spec.help}${def}`,
    );
  }
  lines.push("  --help".padEnd(34) + "print this help");
  return lines.join("\n");
}

export function parseFlags<const F extends FlagDecls>(argv: string[], flags: F): FlagValues<F> | "help" {
  const values: Record<string, number | string | boolean | string[] | undefined> = {};
  for (const [name, spec] of Object.entries(flags)) values[name] = spec.type === "list" ? [] : spec.default;
  const given = new Set<string>();
  for (let k = 0; k < argv.length; k++) {
    const token = argv[k];
    if (token === "--help" || token === "-h") return "help";
    if (!token.startsWith("--")) throw new UsageError(`unexpected argument '${token}' (flags start with --)`);
    const name = token.slice(2);
    // Own properties only: `--toString` or `--constructor` must be unknown flags, not Object's.
    const spec = Object.hasOwn(flags, name) ? flags[name] : undefined;
    if (!spec) throw new UsageError(`unknown flag --${name}`);
    given.add(name);
    if (spec.type === "boolean") {
      const next = argv[k + 1];
      if (next === "true" || next === "false") {
        values[name] = next === "true";
        k++;
      } else values[name] = true;
      continue;
    }
    const raw = argv[++k];
    if (raw === undefined || raw.startsWith("--")) throw new UsageError(`--${name} needs a value`);
    if (spec.type === "number") {
      const v = Number(raw);
      if (!Number.isFinite(v) || raw.trim() === "") throw new UsageError(`--${name}: '${raw}' is not a number`);
      if (spec.integer && !Number.isInteger(v)) throw new UsageError(`--${name}: '${raw}' is not an integer`);
      if (spec.min !== undefined && v < spec.min)
        throw new UsageError(`--${name}: ${v} is below the minimum ${spec.min}`);
      if (spec.max !== undefined && v > spec.max)
        throw new UsageError(`--${name}: ${v} is above the maximum ${spec.max}`);
      values[name] = v;
    } else if (spec.type === "choice") {
      if (!spec.choices.includes(raw))
        throw new UsageError(`--${name}: '${raw}' is not one of ${spec.choices.join(", ")}`);
      values[name] = raw;
    } else if (spec.type === "list") (values[name] as string[]).push(raw);
    else values[name] = raw;
  }
  for (const [name, spec] of Object.entries(flags)) {
    if (spec.type === "string" && spec.required && values[name] === undefined)
      throw new UsageError(`--${name} is required`);
  }
  explicit.set(values, given);
  // Each declared flag now holds a value of its declared type (checked above) or, only when it has
  // neither a default nor `required`, undefined: what FlagValues<F> states.
  return values as FlagValues<F>;
}

const explicit = new WeakMap<object, ReadonlySet<string>>();

/** The flags given on the command line (not defaulted) of values from parseFlags. */
export function explicitFlags(values: object): ReadonlySet<string> {
  return explicit.get(values) ?? new Set();
}
