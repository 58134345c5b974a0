import { InvalidArgumentError } from "commander";
import { installLastResort } from "@prepcast/protocol";

/** A plain-text table for operators: fixed columns, no colors needed to read it at 3 a.m. */
export function renderTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "-" : String(c))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n") + "\n";
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 90) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

export { EXIT_CONFIG } from "@prepcast/protocol";

/**
 * Runs a long-lived service until SIGINT/SIGTERM, then stops it cleanly. A start-up failure is
 * thrown to the CLI wrapper (cliAction), which prints it and exits 78 for a configuration problem
 * (every problem listed), 1 for anything else.
 */
export async function runUntilSignal(start: () => Promise<{ stop(): Promise<void> }>, onStarted?: () => void): Promise<void> {
  // A long-running service: what nothing caught is logged and ends the process (exit 70) for a supervised restart.
  installLastResort(process.argv[1] ? `${process.argv[1].split("/").pop()} run` : "prepcast");
  const service = await start();
  onStarted?.();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`received ${signal}, stopping\n`);
      service.stop().then(resolve, (e) => {
        process.stderr.write(`error while stopping: ${(e as Error).message}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

/** commander option parsers shared by both CLIs: a clear "must be ..." message on bad input. */
export function positiveInteger(value: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
}

export function positiveIntegerOrZero(value: string): number {
  if (!/^(0|[1-9][0-9]{0,5})$/.test(value)) throw new InvalidArgumentError("must be a non-negative integer");
  return Number(value);
}
