// Running a guide's command blocks word for word: docScript turns every shell block into one bash
// script (the "second terminal" commands run in the background until they are ready and are
// stopped at the end), run in a fresh directory laid out like the repository root (its
// node_modules), so `npx prep-publisher ...` resolves exactly as it does for a reader who ran
// `npm ci && npm run build`. npx is kept offline: it can never fetch a package.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { docScriptFile } from "@prepcast/testkit";

export const REPO = path.resolve(__dirname, "..", "..", "..");
/** The fixed loopback ports the README's `init --local` configs use (site, push, agent admin, publisher admin). */
export const PORTS = [8080, 8730, 8731, 8740];

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

/** Another run of a guide on this machine holds the ports for a minute or two: wait for it. */
export async function waitForPorts(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = [];
    for (const p of PORTS) if (!(await portFree(p))) busy.push(p);
    if (busy.length === 0) return;
    if (Date.now() > deadline) throw new Error(`ports ${busy.join(", ")} on 127.0.0.1 stay in use: the README's --local configs need them`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** A directory that looks like the repository root to npx (package.json + node_modules), removed after the test file. */
export function repoLikeDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(dir); // removed after the test file (jest.environment.js)
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "prepcast-guide-trial", private: true }));
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  return dir;
}

export function runGuide(
  file: string,
  cwd: string,
  env: NodeJS.ProcessEnv = {},
  values: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string; seconds: number }> {
  const script = path.join(cwd, `${path.basename(file, ".md")}.sh`);
  fs.writeFileSync(script, docScriptFile(file, { source: path.relative(REPO, file), values }));
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn("bash", [script], {
      cwd,
      env: { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (status) => resolve({ status, stdout, stderr, seconds: (Date.now() - started) / 1000 }));
  });
}

/** The built CLIs the guides run. */
export function requireBuilt(): void {
  for (const bin of ["apps/publisher/dist/cli/main.js", "apps/receiver/dist/cli/main.js", "packages/cutgen/dist/cli.js"]) {
    if (!fs.existsSync(path.join(REPO, bin))) throw new Error(`${bin} is missing: run \`npm run build\` at the repository root first`);
  }
}
