// The images' and units' entry commands start the REAL services here, as plain processes: the
// compose demo's configs (written by demo-init.sh through the CLIs' own `init`) are run with the
// exact ENTRYPOINT of each Dockerfile, only ports and state moved to loopback and a temp dir through
// the documented PREPCAST_* overrides. The image's HEALTHCHECK command must then pass against the
// live admin listener, and SIGTERM (what `docker stop` and systemd send) must stop it cleanly.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "@prepcast/testkit";
import { parse } from "yaml";
import { finalStage, last, parseDockerfile } from "./helpers/dockerfile";
import { readRepoFile, repoPath, repoRoot, run, runAsync, which } from "./helpers/repo";

const tini = which("tini");
const apps = ["receiver", "publisher"] as const;

function cliSupportsInitDir(app: string): boolean {
  if (!fs.existsSync(repoPath("apps", app, "dist", "cli", "main.js"))) return false;
  const help = run(process.execPath, [repoPath("apps", app, "bin", `prep-${app}.js`), "init", "--help"]);
  return help.status === 0 && help.stdout.includes("--dir");
}
const ready = apps.every(cliSupportsInitDir) && which("openssl") !== undefined;
const describeIfReady = ready ? describe : describe.skip;

function localize(command: string[]): string[] {
  const parts = command[0] === "/usr/bin/tini" ? (tini ? [tini, ...command.slice(1)] : command.slice(2)) : command;
  return parts.map((p) => (p === "node" ? process.execPath : p.replace(/^\/app\//, `${repoRoot}/`)));
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once("exit", (code, signal) => resolve({ code, signal }));
  });
}

describeIfReady(`the real services started by the images' entry commands${tini ? " (under tini)" : ""}`, () => {
  let dir: string;
  let keys: string;
  const compose = parse(readRepoFile("infra", "docker", "compose.yaml"), { merge: true }) as { services: Record<string, { command: string[] }> };

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-services-"));
    keys = path.join(dir, "keys");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const app of apps) {
      fs.writeFileSync(path.join(bin, `prep-${app}`), `#!/bin/sh\nexec "${process.execPath}" "${repoPath("apps", app, "bin", `prep-${app}.js`)}" "$@"\n`, {
        mode: 0o755,
      });
    }
    const init = run("sh", [repoPath("infra", "docker", "demo-init.sh")], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, PREPCAST_DEMO_KEYS: keys },
      timeoutMs: 30_000,
    });
    if (init.status !== 0) throw new Error(`demo-init.sh failed: ${init.stderr}`);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    { app: "receiver" as const, service: "receiver-a" },
    { app: "publisher" as const, service: "publisher" },
  ])("$service: starts on the demo config, passes the image HEALTHCHECK, stops cleanly on SIGTERM", async ({ app, service }) => {
    const runtime = finalStage(parseDockerfile(readRepoFile("infra", "docker", `${app}.Dockerfile`)));
    const adminPort = await freePort();
    const state = path.join(dir, `${service}-state`);
    fs.mkdirSync(state);
    // the documented overrides: everything the container would own moves to loopback and a temp dir
    const env: NodeJS.ProcessEnv = { ...process.env, TINI_SUBREAPER: "1", PREPCAST_ADMIN_LISTEN: `127.0.0.1:${adminPort}` };
    // the demo's config names the compose paths: substitute this run's key directory
    const configArgs = compose.services[service].command.map((part) => part.replace("/etc/prepcast", keys));
    if (app === "receiver") {
      Object.assign(env, {
        PREPCAST_ROOT: state,
        PREPCAST_SITE_LISTEN: `127.0.0.1:${await freePort()}`,
        PREPCAST_PUSH_LISTEN: `127.0.0.1:${await freePort()}`,
      });
    } else {
      const inbox = path.join(dir, "inbox");
      fs.mkdirSync(inbox, { recursive: true });
      Object.assign(env, { PREPCAST_STATE: state, PREPCAST_INBOX: inbox });
    }
    const [command, ...args] = localize([...last(runtime, "ENTRYPOINT")!.exec!, ...configArgs]);
    const child = spawn(command, args, { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (output += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (output += d));
    try {
      const [checkCommand, ...checkArgs] = localize(last(runtime, "HEALTHCHECK")!.exec!);
      const healthEnv = { ...process.env, PREPCAST_HEALTH_URL: `http://127.0.0.1:${adminPort}/readyz` };
      let healthy = false;
      for (const deadline = Date.now() + 20_000; Date.now() < deadline && child.exitCode === null;) {
        if ((await runAsync(checkCommand, checkArgs, { env: healthEnv })).status === 0) {
          healthy = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      if (!healthy) throw new Error(`${service} never became healthy on 127.0.0.1:${adminPort}; its output:\n${output}`);
      const readiness = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
      expect(readiness.status).toBe(200);

      const stopping = Date.now();
      child.kill("SIGTERM");
      const result = await exited(child);
      expect({ result, output: result.code === 0 ? "" : output }).toEqual({ result: { code: 0, signal: null }, output: "" });
      expect(Date.now() - stopping).toBeLessThan(10_000); // docker stop's grace period
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited(child);
      }
    }
  });
});

if (!ready) {
  describe("the real services started by the images' entry commands", () => {
    it.skip("skipped: build the apps first (`npm run build`) and install openssl; the CLIs must support `init --dir`", () => undefined);
  });
}
