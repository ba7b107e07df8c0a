/** `gim` command line. */
import { webgpuBackend } from "../engine/context.js";

async function backends(): Promise<number> {
  console.log("backends: cpu (TypeScript reference, f32 + f64)");
  const gpu = await webgpuBackend();
  if (gpu) {
    console.log(`webgpu: available, adapter: ${gpu.description}`);
    gpu.destroy();
  } else console.log("webgpu: NO ADAPTER");
  return 0;
}

const commands: Record<string, (args: string[]) => Promise<number>> = { backends };

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = commands[name ?? ""];
  if (!command) {
    console.error(`gim: unknown command '${name ?? ""}' (commands: ${Object.keys(commands).join(", ")})`);
    return 2;
  }
  return command(rest);
}

process.exitCode = await main(process.argv.slice(2));
