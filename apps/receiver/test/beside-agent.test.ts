// The read-only commands the guides tell operators to run (status, audit verify, report) work
// beside the running agent, which holds the state directory's lock; a command that would change
// the directory (install, activate) is refused with a hint to stop the agent first. Real
// processes (needs `npm run build`).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateCut, waitFor } from "@prepcast/testkit";

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-beside-agent-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(work); // removed after the test file (jest.environment.js)
let agent: ChildProcess | null = null;

function run(bin: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(async () => {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent!.once("exit", r));
    agent.kill("SIGTERM");
    await exited;
  }
});

test("status, audit verify and report run beside the agent; install is refused with the way out", async () => {
  expect(run(PUBLISHER, ["init", "--dir", "keys"]).status).toBe(0);
  const cuts = [await generateCut({ outDir: path.join(work, "cortes"), k: 1 }), await generateCut({ outDir: path.join(work, "cortes"), k: 2 })];
  cuts.forEach((c, i) =>
    expect(run(PUBLISHER, ["pack", c.dir, "--keys", "keys", "--sequence", String(i + 1), "--corte", c.corte, "--out", `c${i + 1}.prep`]).status).toBe(0),
  );
  expect(
    run(RECEIVER, ["init", "--dir", "difusor", "--id", "uv", "--local", "--trust", "../keys/root.pub", "--publisher-key", "../keys/identity.pub"]).status,
  ).toBe(0);
  const config = path.join(work, "difusor", "receiver.yaml");
  // any free ports (the --local ones may be taken by another run on this machine)
  fs.writeFileSync(config, fs.readFileSync(config, "utf8").replace(/127\.0\.0\.1:87\d\d|127\.0\.0\.1:8080/g, "127.0.0.1:0"));
  expect(run(RECEIVER, ["install", "c1.prep", "--trust", "keys/root.pub", "--root", "difusor/data"]).status).toBe(0);

  agent = spawn(process.execPath, [RECEIVER, "run", "--config", config], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  agent.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await waitFor(
    "the agent to run",
    () => {
      if (agent!.exitCode !== null) throw new Error(`prep-receiver run exited ${agent!.exitCode}: ${stderr}`);
      return stderr.includes("prep-receiver running");
    },
    30_000,
  );
  expect(fs.existsSync(path.join(work, "difusor", "data", "lock"))).toBe(true);

  const status = run(RECEIVER, ["status", "--root", "difusor/data", "--json"]);
  expect(status.status).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ ok: true, live: expect.stringMatching(/^000001-/) });
  const audit = run(RECEIVER, ["audit", "verify", "--root", "difusor/data"]);
  expect(audit.status).toBe(0);
  expect(audit.stdout).toContain("chain intact");
  const report = run(RECEIVER, [
    "report",
    "--root",
    "difusor/data",
    "--from",
    "2024-06-02T20:00-06:00",
    "--to",
    "2030-01-01T00:00-06:00",
    "--out",
    "memoria",
    "--json",
  ]);
  expect(report.status).toBe(0);
  expect(JSON.parse(report.stdout)).toMatchObject({ ok: true, auditLogVerified: true });

  const install = run(RECEIVER, ["install", "c2.prep", "--trust", "keys/root.pub", "--root", "difusor/data"]);
  expect(install.status).toBe(1);
  expect(install.stderr).toMatch(/error \[STATE_INVALID\]: .*data is in use by process \d+/);
  expect(install.stderr).toContain("stop the agent first");
  // nothing the read-only commands did disturbed the agent, which still holds its lock and stops cleanly
  expect(agent.exitCode).toBeNull();
  const exited = new Promise<number | null>((r) => agent!.once("exit", (code) => r(code)));
  agent.kill("SIGTERM");
  expect(await exited).toBe(0);
  expect(fs.existsSync(path.join(work, "difusor", "data", "lock"))).toBe(false);
});
