/** `gim` command line: `gim <command> [--flags]`, `gim <command> --help`. */
import "./commands/backends.js";
import "./commands/synth.js";
import "./commands/prep.js";
import "./commands/train.js";
import "./commands/predict.js";
import "./commands/eval.js";
import "./commands/demo.js";
import "./commands/tune.js";
import "./commands/report.js";
import { commands, runCommand } from "./commands/registry.js";

const [name, ...rest] = process.argv.slice(2);
if (!name || name === "--help" || name === "help") {
  console.log(
    `usage: gim <command> [options]\n\ncommands:\n${[...commands].map(([n, c]) => `  ${n.padEnd(10)}${c.summary}`).join("\n")}\n\ngim <command> --help for its options`,
  );
  process.exitCode = name ? 0 : 2;
} else {
  process.exitCode = await runCommand(name, rest);
}
// dawn.node keeps the event loop alive while a device exists: exit once the command is done.
process.exit(process.exitCode);
