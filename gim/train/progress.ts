/** A one-line progress bar on stderr: steps, steps/s, loss, acyclicity ĥ, ETA (the browser example shows the same line). */
import type { Progress } from "./trainer.js";

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

export function progressLine(p: Progress, width = 24): string {
  const done = Math.min(1, p.step / Math.max(p.steps, 1));
  const filled = Math.round(done * width);
  const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  const eta = p.stepsPerSecond > 0 ? (p.steps - p.step) / p.stepsPerSecond : Number.NaN;
  return `[${bar}] ${p.step}/${p.steps} | ${p.stepsPerSecond.toFixed(1)} steps/s | loss ${p.loss.toFixed(4)} | h ${p.acyclicity.toExponential(2)} | ETA ${duration(eta)}`;
}

/** Rewrites the line in place on a terminal; prints one line per update otherwise. */
export function progressPrinter(
  stream: { isTTY?: boolean; write(text: string): unknown } = process.stderr,
): (p: Progress) => void {
  return (p) => {
    const line = progressLine(p);
    if (stream.isTTY) stream.write(`\r${line}${p.step === p.steps ? "\n" : ""}`);
    else stream.write(`${line}\n`);
  };
}
