// `prep-receiver doctor` against real configs, keys, certificates and ports: the real CLI in its own
// process, nothing of the OS mocked. The machine's own figures (cores, memory, disk, NTP) differ
// from one runner to another, so those checks are asserted for shape and consistency only; the
// ones this test controls (key modes and owners, an expired certificate, a port held by another
// process or by the agent, the OPLE's reachability) are asserted for their verdict and their fix.
// Needs `npm run build`.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { createRoot, formatBytes, generateKeyPair, keyIdOf, signWithKeys } from "@prepcast/protocol";
import { freePort, waitFor } from "@prepcast/testkit";
import { CHECKS } from "../src/doctor/checks";
import { REQUIREMENTS } from "../src/doctor/requirements";

const REPO = path.resolve(__dirname, "../../..");
const PUBLISHER = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-doctor-"));
(globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(work); // removed after the test file (jest.environment.js)
const config = path.join(work, "difusor", "receiver.yaml");
const children: ChildProcess[] = [];

jest.setTimeout(90_000);

interface Report {
  ok: boolean;
  code?: string;
  message?: string;
  summary: Record<string, number>;
  checks: Array<{ id: string; title: string; status: string; detail: string; fix: string | null }>;
}

/** The CLI in its own process, without blocking this one (a server here must keep answering). */
function cli(bin: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: work, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

async function doctor(...args: string[]): Promise<{ status: number | null; report: Report; stderr: string }> {
  const r = await cli(RECEIVER, ["doctor", "--config", config, "--json", ...args]);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`doctor printed no JSON (exit ${r.status}): ${r.stdout}${r.stderr}`);
  }
  return { status: r.status, report, stderr: r.stderr };
}
const check = (r: Report, id: string) => r.checks.find((c) => c.id === id)!;

async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once("exit", r));
  p.kill("SIGTERM");
  await exited;
}

let ports: { site: number; push: number; admin: number };

beforeAll(async () => {
  expect((await cli(PUBLISHER, ["init", "--dir", "keys"])).status).toBe(0);
  const init = await cli(RECEIVER, [
    "init",
    "--dir",
    "difusor",
    "--id",
    "uv",
    "--local",
    "--trust",
    "../keys/root.pub",
    "--publisher-key",
    "../keys/identity.pub",
  ]);
  expect(init.status).toBe(0);
  ports = { site: await freePort(), push: await freePort(), admin: await freePort() };
  const yaml = fs
    .readFileSync(config, "utf8")
    .replace("127.0.0.1:8080", `127.0.0.1:${ports.site}`)
    .replace("127.0.0.1:8730", `127.0.0.1:${ports.push}`)
    .replace("127.0.0.1:8731", `127.0.0.1:${ports.admin}`);
  expect(yaml).toContain(`127.0.0.1:${ports.admin}`);
  fs.writeFileSync(config, yaml);
});

afterAll(async () => {
  await Promise.all(children.map(stop));
});

const MINE = "config,keys,root,tls-push,port-site,port-push,port-admin";

test("a sound config passes its checks (exit 0); every check of a full run has an id, a status and, unless it passes, a fix", async () => {
  const good = await doctor("--only", MINE);
  expect(good.report.checks.map((c) => [c.id, c.status])).toEqual([
    ["config", "pass"],
    ["port-site", "pass"],
    ["port-push", "pass"],
    ["port-admin", "pass"],
    ["tls-push", "pass"],
    ["keys", "pass"],
    ["root", "pass"],
  ]);
  expect(good.status).toBe(0);
  expect(good.report).toMatchObject({ ok: true, summary: { pass: 7, warn: 0, fail: 0, skip: 0 } });
  expect(check(good.report, "root").detail).toMatch(/^single root key [0-9a-f]{16}… from trust\.rootPublicKey/);

  // everything, on whatever machine runs this: consistent, whatever the verdicts
  const all = await doctor();
  expect(all.report.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
  for (const c of all.report.checks) {
    expect(["pass", "warn", "fail", "skip"]).toContain(c.status);
    expect(c.detail.length).toBeGreaterThan(0);
    if (c.status === "warn" || c.status === "fail") expect(c.fix).toBeTruthy();
  }
  const failed = all.report.checks.filter((c) => c.status === "fail");
  expect(all.status).toBe(failed.length ? 1 : 0);
  expect(all.report.ok).toBe(failed.length === 0);
  expect(check(all.report, "ople")).toMatchObject({ status: "skip" });
  // what it checked is said, not only the verdict
  expect(check(all.report, "ntp").detail).toMatch(/timedatectl/);
  expect(check(all.report, "os").detail).toContain("/etc/os-release");
});

test("a secret key readable by others fails, with the chmod to run; after it the check passes", async () => {
  const key = path.join(work, "difusor", "identity.key");
  fs.chmodSync(key, 0o644);
  const bad = await doctor("--only", "keys,config");
  expect(bad.status).toBe(1);
  expect(bad.report).toMatchObject({ ok: false, code: "PREFLIGHT_FAILED" });
  expect(bad.report.message).toContain("keys");
  expect(check(bad.report, "keys")).toMatchObject({ status: "fail", fix: `sudo chmod 0600 ${key}` });
  expect(check(bad.report, "keys").detail).toContain("mode 0644");
  expect(check(bad.report, "config").status).toBe("fail"); // the agent would refuse to start, and says why
  // the human form: the FAIL line, its fix, and the error line on stderr
  const human = await cli(RECEIVER, ["doctor", "--config", config, "--only", "keys"]);
  expect(human.status).toBe(1);
  expect(human.stdout).toMatch(/FAIL {2}keys/);
  expect(human.stdout).toContain(`fix: sudo chmod 0600 ${key}`);
  expect(human.stderr).toContain("error [PREFLIGHT_FAILED]: 1 requirement not met: keys");
  fs.chmodSync(key, 0o600); // what the fix says
  expect((await doctor("--only", "keys,config")).status).toBe(0);
});

test("secret keys owned by another user than the service user fail, with the chown to run", async () => {
  const other = spawnSync("id", ["-un", "65534"], { encoding: "utf8" }).stdout.trim() || "nobody";
  const r = await doctor("--only", "keys", "--user", other);
  expect(r.status).toBe(1);
  expect(check(r.report, "keys").fix).toContain(`sudo chown ${other} ${path.join(work, "difusor", "identity.key")}`);
  const unknown = await doctor("--only", "keys", "--user", "no-such-user-prepcast");
  expect(unknown.status).toBe(78);
  expect(unknown.report).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--user" });
});

test("an expired push certificate fails, saying when it expired and that the OPLE pins the new one", async () => {
  const dir = path.join(work, "expired");
  fs.mkdirSync(path.join(dir, "ca"), { recursive: true });
  fs.writeFileSync(path.join(dir, "ca", "index.txt"), "");
  fs.writeFileSync(path.join(dir, "ca", "serial"), "01\n");
  fs.writeFileSync(
    path.join(dir, "ca.cnf"),
    "[ca]\ndefault_ca=d\n[d]\ndatabase=ca/index.txt\nserial=ca/serial\nnew_certs_dir=ca\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n",
  );
  const ssl = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  };
  ssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "tls.key"]);
  ssl(["req", "-new", "-key", "tls.key", "-subj", "/CN=uv-old", "-out", "req.csr"]);
  ssl([
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-selfsign",
    "-keyfile",
    "tls.key",
    "-in",
    "req.csr",
    "-out",
    "tls.crt",
    "-startdate",
    "200101000000Z",
    "-enddate",
    "200102000000Z",
    "-notext",
  ]);
  const cert = path.join(work, "difusor", "tls.crt");
  const saved = fs.readFileSync(cert);
  fs.copyFileSync(path.join(dir, "tls.crt"), cert);
  try {
    const r = await doctor("--only", "tls-push");
    expect(r.status).toBe(1);
    expect(check(r.report, "tls-push").status).toBe("fail");
    expect(check(r.report, "tls-push").detail).toContain("expired on 2020-01-02T00:00:00.000Z");
    expect(check(r.report, "tls-push").fix).toContain("registration.yaml");
  } finally {
    fs.writeFileSync(cert, saved);
  }
  expect((await doctor("--only", "tls-push")).status).toBe(0);
});

test("a port held by another process fails, naming it; the same ports held by the running agent pass", async () => {
  // the same port on another address is no conflict
  const neighbour = spawn(process.execPath, ["-e", `require("net").createServer().listen(${ports.push}, "127.0.0.2", () => console.log("listening"))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(neighbour);
  await new Promise<void>((resolve) => neighbour.stdout!.once("data", () => resolve()));
  expect(check((await doctor("--only", "port-push")).report, "port-push")).toMatchObject({ status: "pass" });
  await stop(neighbour);
  const squatter = spawn(process.execPath, ["-e", `require("net").createServer().listen(${ports.push}, "127.0.0.1", () => console.log("listening"))`], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(squatter);
  await new Promise<void>((resolve) => squatter.stdout!.once("data", () => resolve()));
  const held = await doctor("--only", "port-push");
  expect(held.status).toBe(1);
  expect(check(held.report, "port-push").status).toBe("fail");
  expect(check(held.report, "port-push").detail).toContain(`:${ports.push} (push.listen) is held by another process: PID ${squatter.pid}`);
  expect(check(held.report, "port-push").fix).toContain(`ss -ltnp 'sport = :${ports.push}'`);
  await stop(squatter);

  const agent = spawn(process.execPath, [RECEIVER, "run", "--config", config], { cwd: work, stdio: ["ignore", "ignore", "pipe"] });
  children.push(agent);
  let stderr = "";
  agent.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  await waitFor(
    "the agent ready",
    async () => {
      if (agent.exitCode !== null) throw new Error(`prep-receiver run exited ${agent.exitCode}: ${stderr}`);
      return (await fetch(`http://127.0.0.1:${ports.admin}/readyz`).catch(() => null))?.ok;
    },
    30_000,
  );
  const beside = await doctor("--only", "port-site,port-push,port-admin,keys,config");
  for (const id of ["port-site", "port-push", "port-admin"]) {
    expect([id, check(beside.report, id).status]).toEqual([id, "pass"]);
    expect(check(beside.report, id).detail).toContain(`held by this receiver's agent, PID ${agent.pid}`);
  }
  expect(beside.status).toBe(0);
  await stop(agent);
});

test("the OPLE's reachability: an answer passes, a refused port and a silent server fail within the timeout", async () => {
  const http = await import("node:http");
  const answering = http.createServer((_req, res) => res.end("PREP")).listen(0, "127.0.0.1");
  const silent = net.createServer(() => undefined).listen(0, "127.0.0.1"); // accepts, never answers
  await Promise.all([new Promise((r) => answering.once("listening", r)), new Promise((r) => silent.once("listening", r))]);
  try {
    const up = await doctor("--only", "ople", "--ople", `http://127.0.0.1:${(answering.address() as net.AddressInfo).port}/`);
    expect(up.status).toBe(0);
    expect(check(up.report, "ople").detail).toMatch(/answered HTTP 200 in \d+ ms/);
    const refused = await doctor("--only", "ople", "--ople", `http://127.0.0.1:${await freePort()}/`);
    expect(refused.status).toBe(1);
    expect(check(refused.report, "ople").detail).toContain("ECONNREFUSED");
    const started = Date.now();
    const hung = await doctor("--only", "ople", "--ople", `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`, "--timeout", "800");
    expect(hung.status).toBe(1);
    expect(check(hung.report, "ople").detail).toContain("did not answer within 800 ms");
    expect(Date.now() - started).toBeLessThan(15_000);
  } finally {
    answering.close();
    silent.close();
  }
});

test("free space is measured against retain + 3 cuts of the live cut's size and the analytics budget under root", async () => {
  // a small cut of three files: the sizes matter, not the content
  const dir = path.join(work, "corte");
  fs.mkdirSync(path.join(dir, "data"), { recursive: true });
  fs.writeFileSync(path.join(dir, "index.html"), "<h1>PREP</h1>\n");
  fs.writeFileSync(path.join(dir, "data", "corte.json"), JSON.stringify({ corte: "2024-06-02T20:00:00-06:00" }));
  fs.writeFileSync(path.join(dir, "data", "votos.csv"), "seccion|votos\n".repeat(5000));
  const c = { dir, bytes: ["index.html", "data/corte.json", "data/votos.csv"].reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0) };
  expect((await cli(PUBLISHER, ["pack", c.dir, "--keys", "keys", "--sequence", "1", "--corte", "2024-06-02T20:00:00-06:00", "--out", "c1.prep"])).status).toBe(
    0,
  );
  expect((await cli(RECEIVER, ["install", "c1.prep", "--trust", "keys/root.pub", "--root", "difusor/data"])).status).toBe(0);
  const r = await doctor("--only", "space");
  expect(check(r.report, "space").detail).toContain(`needed: 6 cuts of the live cut's ${formatBytes(c.bytes)} (retain 3 + 3) + the analytics budget 1.0 GiB`);
  // a budget of 1 TiB for the analytics database: more than this disk has free, unless it is huge
  const yaml = fs.readFileSync(config, "utf8");
  fs.writeFileSync(config, yaml.replace("  workers: 1 ", "  analyticsMaxMiB: 1048576\n  workers: 1 "));
  try {
    const big = await doctor("--only", "space");
    const st = fs.statfsSync(path.join(work, "difusor", "data"));
    const free = st.bavail * st.bsize;
    const need = 6 * c.bytes + 1024 ** 4 - c.bytes;
    expect(check(big.report, "space").status).toBe(free < need ? "fail" : free < need * 1.5 ? "warn" : "pass");
    if (free < need) {
      expect(big.status).toBe(1);
      expect(check(big.report, "space").fix).toContain("lower retain");
    }
  } finally {
    fs.writeFileSync(config, yaml);
  }
});

test("bad input: an unknown check or a non-http --ople is refused, naming the flag", async () => {
  const unknown = await doctor("--only", "cpu,disco");
  expect(unknown.status).toBe(78);
  expect(unknown.report).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--only" });
  expect(unknown.report.message).toContain('"disco"');
  const ople = await doctor("--ople", "ftp://ople.example/");
  expect(ople.status).toBe(78);
  expect(ople.report).toMatchObject({ ok: false, code: "CONFIG_INVALID", where: "--ople" });
});

test("the runbook's threshold table is the code's", () => {
  const page = fs.readFileSync(path.join(REPO, "docs/operations/preflight.md"), "utf8").split("\n## Thresholds\n")[1]!.split("\n## ")[0]!;
  const rows = [...page.matchAll(/^\| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2]!.trim(), m[3]!.trim(), m[4]!.trim()]);
  expect(rows).toEqual(Object.entries(REQUIREMENTS).map(([k, r]) => [k, String(r.value), r.source, r.text]));
});

test("a root set: pinned from root.json (m of n), a warning days before it expires and a failure once it has", async () => {
  const keys = [generateKeyPair(), generateKeyPair(), generateKeyPair()].map((k) => ({ ...k, keyid: keyIdOf(k.publicKey) }));
  const original = fs.readFileSync(config, "utf8");
  const pin = (name: string, expires: Date) => {
    const root = createRoot({ version: 1, threshold: 2, publicKeys: keys.map((k) => k.publicKey), expires });
    fs.writeFileSync(path.join(work, "difusor", `${name}.json`), root);
    fs.writeFileSync(path.join(work, "difusor", `${name}.sig`), signWithKeys("root", root, keys.slice(0, 2)));
    fs.writeFileSync(config, original.replace(/rootPublicKey: \S+/, `rootPublicKey: ./${name}.json`));
  };
  try {
    pin("root-year", new Date(Date.now() + 365 * 86_400_000));
    expect(check((await doctor("--only", "root")).report, "root")).toMatchObject({
      status: "pass",
      detail: expect.stringMatching(/^root version 1, 2 of 3 root keys, from trust\.rootPublicKey \(\.\/root-year\.json\), valid until /),
    });
    pin("root-soon", new Date(Date.now() + 5 * 86_400_000 + 3_600_000));
    const soon = check((await doctor("--only", "root")).report, "root");
    expect(soon).toMatchObject({ status: "warn", detail: expect.stringContaining("expires in 5 day(s)"), fix: expect.stringContaining("keys root-rotate") });
    pin("root-gone", new Date(Date.now() - 86_400_000));
    const gone = await doctor("--only", "root");
    expect(gone.status).toBe(1);
    expect(check(gone.report, "root")).toMatchObject({ status: "fail", detail: expect.stringMatching(/expired/) });
  } finally {
    fs.writeFileSync(config, original);
  }
});
