// Issue 12, finding 1 and its class: no request line, header or body kills or wedges a listener.
// Real processes (prep-receiver run, prep-receiver serve --admin, prep-publisher run) on loopback,
// raw sockets for what fetch refuses to send. Each hostile request must be answered 4xx (or the
// connection closed by the parser), and the process must keep answering /livez afterwards.
import * as fs from "node:fs";
import * as path from "node:path";
import { PUBLISHER_BIN, RECEIVER_BIN, freePort } from "@prepcast/testkit";
import { startAgentRig, tmpDir, type AgentRig } from "./support/rig";
import { hostileRequests, rawRequest, spawnUntil, stopChild } from "./support/raw-http";
import { spawnSync, type ChildProcess } from "node:child_process";

const children: ChildProcess[] = [];
const dirs: string[] = [];
let rig: AgentRig | null = null;

afterAll(async () => {
  for (const c of children) await stopChild(c);
  await rig?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function alive(port: number, host = "127.0.0.1"): Promise<boolean> {
  const r = await rawRequest(port, `GET /livez HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  return r.status === 200;
}

/** Every hostile request gets a 4xx or a closed connection (never a 5xx from a crash, never a hang), and the process lives. */
async function attack(child: ChildProcess, port: number, livezPort: number): Promise<Record<string, number | null>> {
  const answers: Record<string, number | null> = {};
  for (const { name, bytes } of hostileRequests(`127.0.0.1:${port}`)) {
    const r = await rawRequest(port, bytes, { timeoutMs: 4000 });
    answers[name] = r.status;
    expect({ name, settled: r.settled }).toEqual({ name, settled: true }); // answered or closed, never held
    expect({ name, exited: child.exitCode ?? child.signalCode }).toEqual({ name, exited: null });
    // 4xx; a public site with no cut yet answers 503 for everything it can parse
    if (r.status !== null) expect({ name, status: (r.status >= 400 && r.status < 500) || r.status === 503 }).toEqual({ name, status: true });
  }
  expect(await alive(livezPort)).toBe(true);
  return answers;
}

let receiverRun: { child: ChildProcess; admin: number; site: number } | null = null;

async function startReceiverRun(): Promise<{ child: ChildProcess; admin: number; site: number }> {
  if (receiverRun) return receiverRun;
  rig = await startAgentRig({ site: true });
  await rig.agent.stop(); // the same config, now as a real process
  const { child, match } = await spawnUntil(
    RECEIVER_BIN,
    ["run", "--config", rig.configFile],
    /site http:\/\/127\.0\.0\.1:(\d+), admin http:\/\/127\.0\.0\.1:(\d+)\//,
  );
  children.push(child);
  receiverRun = { child, site: Number(match[1]), admin: Number(match[2]) };
  return receiverRun;
}

test("GET //%zz/ does not kill prep-receiver run (admin listener and public site)", async () => {
  const r = await startReceiverRun();
  const one = await rawRequest(r.admin, `GET //%zz/ HTTP/1.1\r\nHost: 127.0.0.1:${r.admin}\r\n\r\n`);
  expect(one.status).toBe(400);
  await attack(r.child, r.admin, r.admin);
  await attack(r.child, r.site, r.admin);
  expect(r.child.exitCode).toBeNull();
}, 60_000);

test("GET //%zz/ does not kill prep-receiver serve --admin (stats listener)", async () => {
  const work = tmpDir("serve");
  dirs.push(work);
  fs.mkdirSync(path.join(work, "state"));
  const { child, match } = await spawnUntil(
    RECEIVER_BIN,
    ["serve", "--root", path.join(work, "state"), "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--no-analytics", "--json"],
    /"url":"http:\/\/127\.0\.0\.1:(\d+)","admin":"http:\/\/127\.0\.0\.1:(\d+)"/,
  );
  children.push(child);
  const site = Number(match[1]);
  const admin = Number(match[2]);
  expect((await rawRequest(admin, `GET //%zz/ HTTP/1.1\r\nHost: 127.0.0.1:${admin}\r\n\r\n`)).status).toBe(400);
  for (const port of [admin, site]) {
    for (const { name, bytes } of hostileRequests(`127.0.0.1:${port}`)) {
      const res = await rawRequest(port, bytes, { timeoutMs: 4000 });
      expect({ name, exited: child.exitCode }).toEqual({ name, exited: null });
      expect({ name, settled: res.settled }).toEqual({ name, settled: true });
      if (res.status !== null) expect({ name, ok: res.status < 500 || res.status === 503 }).toEqual({ name, ok: true });
    }
  }
  const ok = await rawRequest(admin, `GET /stats.json HTTP/1.1\r\nHost: 127.0.0.1:${admin}\r\nConnection: close\r\n\r\n`);
  expect(ok.status).toBe(404); // --no-analytics: answered, alive
  expect(child.exitCode).toBeNull();
}, 60_000);

test("GET //%zz/ does not kill prep-publisher run (dashboard and operator API)", async () => {
  const work = tmpDir("publisher");
  dirs.push(work);
  spawnSync(process.execPath, [PUBLISHER_BIN, "init", "--dir", work, "--id", "ople", "--process", "VER-2024"], { encoding: "utf8" });
  fs.writeFileSync(path.join(work, "admin.token"), "token-de-operacion-de-prueba", { mode: 0o600 });
  fs.appendFileSync(path.join(work, "publisher.yaml"), "");
  const port = await freePort();
  const yaml = fs
    .readFileSync(path.join(work, "publisher.yaml"), "utf8")
    .replace(/admin:\n {2}listen: [^\n]*/, `admin:\n  listen: 127.0.0.1:${port}\n  tokenFile: ./admin.token`);
  fs.writeFileSync(path.join(work, "publisher.yaml"), yaml);
  const { child } = await spawnUntil(PUBLISHER_BIN, ["run", "--config", path.join(work, "publisher.yaml")], /prep-publisher running/);
  children.push(child);
  expect((await rawRequest(port, `GET //%zz/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`)).status).toBe(400);
  await attack(child, port, port);
  // slowloris: headers trickled one byte a second are cut by the headers timeout, the process serves meanwhile
  const slow = rawRequest(port, Array.from("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: b\r\n"), { gapMs: 1000, timeoutMs: 20_000 });
  expect(await alive(port)).toBe(true);
  const s = await slow;
  expect(s.status === 408 || s.status === null).toBe(true);
  expect(child.exitCode).toBeNull();
}, 90_000);
