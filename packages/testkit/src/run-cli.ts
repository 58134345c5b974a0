// Running the apps' built CLIs (and other commands) as child processes, for the deployment and the tests.
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";

// src/ (jest) or dist/ (node): either way two levels below the repository root
export const REPO = path.resolve(__dirname, "..", "..", "..");
export const PUBLISHER_BIN = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
export const RECEIVER_BIN = path.join(REPO, "apps/receiver/bin/prep-receiver.js");

export type CliResult = { code: number; stdout: string; stderr: string; json: any };

/** The outcome of a CLI run: its last stdout line parsed as JSON (the --json output), an error unless it exited 0 or allowFail. */
function cliResult(bin: string, args: string[], status: number | null, stdout: string, stderr: string, allowFail: boolean | undefined): CliResult {
  let json: any = null;
  try {
    json = JSON.parse(stdout.trim().split("\n").pop() ?? "");
  } catch {
    /* not JSON */
  }
  if (status !== 0 && !allowFail) throw new Error(`${path.basename(bin)} ${args.join(" ")} exited ${status}\n${stdout}\n${stderr}`);
  return { code: status ?? -1, stdout, stderr, json };
}

/** Runs a CLI to completion; with --json its last stdout line is parsed. */
export function cli(bin: string, args: string[], opts: { cwd?: string; allowFail?: boolean } = {}): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd, encoding: "utf8", timeout: 120_000 });
  return cliResult(bin, args, r.status, r.stdout, r.stderr, opts.allowFail);
}

/** Runs a command without blocking this process's event loop (a server in the test must keep answering meanwhile). */
export function runAsync(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout!.on("data", (d) => (stdout += d));
    p.stderr!.on("data", (d) => (stderr += d));
    p.once("error", reject);
    p.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `cli`, without blocking the event loop. */
export async function cliAsync(bin: string, args: string[], opts: { cwd?: string; allowFail?: boolean } = {}): Promise<CliResult> {
  const r = await runAsync(process.execPath, [bin, ...args], opts);
  return cliResult(bin, args, r.code, r.stdout, r.stderr, opts.allowFail);
}
