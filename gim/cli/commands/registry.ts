/** The command table of `gim`: each command module registers itself. */
import { type CheckedDecls, type FlagDecls, type FlagValues, UsageError, parseFlags, usage } from "../args.js";

export interface Command<F extends FlagDecls = FlagDecls> {
  summary: string;
  flags: F;
  /** The values are typed by `flags`: declared names only, each with its flag's type. */
  run(values: FlagValues<F>): Promise<number>;
}

export const commands = new Map<string, Command>();

export function registerCommand<const F extends FlagDecls>(
  name: string,
  command: Command<F> & { flags: CheckedDecls<F> },
): void {
  commands.set(name, command);
}

export async function runCommand(name: string, argv: string[]): Promise<number> {
  const command = commands.get(name);
  if (!command) {
    console.error(
      `gim: unknown command '${name}'\n\ncommands:\n${[...commands].map(([n, c]) => `  ${n.padEnd(10)}${c.summary}`).join("\n")}`,
    );
    return 2;
  }
  try {
    const values = parseFlags(argv, command.flags);
    if (values === "help") {
      console.log(usage(name, command.summary, command.flags));
      return 0;
    }
    return await command.run(values);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`gim ${name}: ${message}`);
    if (error instanceof UsageError) console.error(`(see gim ${name} --help)`);
    return error instanceof UsageError ? 2 : 1;
  }
}
