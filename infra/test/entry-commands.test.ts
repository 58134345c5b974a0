// The images' and units' entry commands, run as plain processes (Docker does not run here): the
// exact ENTRYPOINT + CMD of each Dockerfile and the units' ExecStart, with image paths mapped onto
// this checkout's built apps and `--help` appended; and each image's HEALTHCHECK command against a
// real HTTP server on 127.0.0.1 serving /readyz the way the services' admin listeners do.
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";
import { envOf, finalStage, last, parseDockerfile } from "./helpers/dockerfile";
import { parseUnit, valueOf } from "./helpers/systemd-unit";
import { readRepoFile, repoPath, repoRoot, runAsync, which } from "./helpers/repo";

const apps = ["receiver", "publisher"] as const;
const tini = which("tini");

/** Maps an image command line onto this machine: tini if installed, this node, /app → the repo. */
function localize(command: string[]): string[] {
  let parts = command;
  if (parts[0] === "/usr/bin/tini") {
    expect(parts[1]).toBe("--");
    parts = tini ? [tini, "--", ...parts.slice(2)] : parts.slice(2);
  }
  // a unit's bare `prep-<app>` is the bin npm install -g links onto systemd's search path
  const bin = /^prep-(receiver|publisher)$/.exec(parts[0] ?? "");
  if (bin) parts = [process.execPath, `${repoRoot}/apps/${bin[1]}/bin/prep-${bin[1]}.js`, ...parts.slice(1)];
  return parts.map((part) => (part === "node" || part === "/usr/bin/node" ? process.execPath : part.replace(/^\/app\//, `${repoRoot}/`)));
}

function runtimeOf(app: string) {
  return finalStage(parseDockerfile(readRepoFile("infra", "docker", `${app}.Dockerfile`)));
}

beforeAll(() => {
  for (const app of apps) {
    const built = repoPath("apps", app, "dist", "cli", "main.js");
    if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` at the repository root before the infra tests`);
  }
});

describe.each(apps)("prep-%s entry commands", (app) => {
  const runtime = runtimeOf(app);
  const entrypoint = last(runtime, "ENTRYPOINT")!.exec!;
  const cmd = last(runtime, "CMD")!.exec!;

  async function expectHelpWorks(commandLine: string[]): Promise<void> {
    const [command, ...args] = localize([...commandLine, "--help"]);
    // In a container tini is PID 1; here it must register as subreaper or it warns on stderr.
    const result = await runAsync(command, args, { env: { ...process.env, TINI_SUBREAPER: "1" } });
    expect({ commandLine, status: result.status, stderr: result.stderr }).toEqual({ commandLine, status: 0, stderr: "" });
    expect(result.stdout.trim()).not.toBe("");
    // once the CLI prints commander usage, `run --help` must document --config
    if (commandLine.includes("run") && /^Usage:/m.test(result.stdout)) expect(result.stdout).toContain("--config");
  }

  it(`ENTRYPOINT --help exits 0${tini ? "" : " (tini not installed here: run without it)"}`, async () => {
    await expectHelpWorks(entrypoint);
  });

  it("ENTRYPOINT + CMD (`run --config /etc/prepcast/...yaml`) --help exits 0", async () => {
    await expectHelpWorks([...entrypoint, ...cmd]);
  });

  it("the systemd unit's ExecStart --help exits 0", async () => {
    const execStart = valueOf(parseUnit(readRepoFile("infra", "systemd", `prep-${app}.service`)), "Service", "ExecStart")!.split(" ");
    await expectHelpWorks(execStart);
  });

  it("the compose services' command lines --help exit 0", async () => {
    const compose = parse(readRepoFile("infra", "docker", "compose.yaml"), { merge: true }) as {
      services: Record<string, { build: { dockerfile: string }; command: string[]; restart?: string }>;
    };
    const mine = Object.values(compose.services).filter((s) => s.build.dockerfile.endsWith(`${app}.Dockerfile`) && s.restart !== "no");
    expect(mine.length).toBeGreaterThan(0);
    for (const service of mine) await expectHelpWorks([...entrypoint, ...service.command]);
  });
});

describe.each(apps)("prep-%s HEALTHCHECK command", (app) => {
  const runtime = runtimeOf(app);
  const check = last(runtime, "HEALTHCHECK")!;
  const timeoutMs = Number.parseInt(check.flags.timeout, 10) * 1000; // Docker kills the check after this
  let server: http.Server;
  let port = 0;
  let mode: "live" | "dead" | "hang" = "live";
  const seen: string[] = [];

  beforeAll(async () => {
    // Stands in for the admin listener until the real one exists: /readyz only, nothing else.
    server = http.createServer((request, response) => {
      seen.push(`${request.method} ${request.url}`);
      if (mode === "hang") return; // never answers
      if (request.url !== "/readyz") return void response.writeHead(404).end();
      response.writeHead(mode === "live" ? 200 : 503, { "content-type": "text/plain" }).end(mode === "live" ? "ok\n" : "not live\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function runCheck(url: string) {
    const [command, ...args] = localize(check.exec!);
    return runAsync(command, args, { env: { ...process.env, PREPCAST_HEALTH_URL: url }, timeoutMs: timeoutMs + 5000 });
  }

  it("defaults to the service's admin /readyz on loopback", () => {
    expect(envOf(runtime).PREPCAST_HEALTH_URL).toBe(`http://127.0.0.1:${app === "receiver" ? 8731 : 8740}/readyz`);
  });

  it("exits 0 when /readyz answers 200", async () => {
    mode = "live";
    seen.length = 0;
    const result = await runCheck(`http://127.0.0.1:${port}/readyz`);
    expect(result.status).toBe(0);
    expect(seen).toEqual(["GET /readyz"]);
  });

  it("exits 1 when /readyz answers 503", async () => {
    mode = "dead";
    expect((await runCheck(`http://127.0.0.1:${port}/readyz`)).status).toBe(1);
  });

  it("exits 1 when nothing listens on the admin port", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await runCheck(`http://127.0.0.1:${closedPort}/readyz`)).status).toBe(1);
  });

  it("gives up and exits 1 before Docker's --timeout when the service hangs", async () => {
    mode = "hang";
    const result = await runCheck(`http://127.0.0.1:${port}/readyz`);
    expect(result.status).toBe(1);
    expect(result.elapsedMs).toBeLessThan(timeoutMs);
  });
});
