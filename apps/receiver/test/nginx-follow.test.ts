// `prep-receiver ingest-logs --follow` against Debian's real nginx: requests served by nginx land in
// the analytics SQLite exactly once across a logrotate-style rename + `nginx -s reopen`, a
// copytruncate, a kill -9 and restart of the follower (also while a rotation happens), and a
// half-written line. Real processes (needs `npm run build`); skipped only when nginx is absent.
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openAnalyticsReadOnly } from "@prepcast/site";
import { nginxBinary, startNginx, waitFor, type TestNginx } from "@prepcast/testkit";

const RECEIVER = resolve(__dirname, "../bin/prep-receiver.js");
const haveNginx = nginxBinary() !== undefined;
if (!haveNginx) console.warn("SKIPPED nginx-follow.test.ts: nginx is not installed (Debian: apt-get install -y nginx; CI installs it)");
const maybe = haveNginx ? describe : describe.skip;

maybe("ingest-logs --follow with Debian's nginx", () => {
  let work: string;
  let nginx: TestNginx;
  let db: string;
  let follower: (ChildProcess & { out: () => string }) | undefined;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "prepcast-nginx-follow-"));
    (globalThis as { __prepcastTempDirs?: string[] }).__prepcastTempDirs?.push(work);
    mkdirSync(join(work, "www"));
    writeFileSync(join(work, "www", "index.html"), "<!doctype html><title>PREP</title>");
    writeFileSync(join(work, "www", "data.json"), '{"votos":1}');
    nginx = await startNginx(join(work, "nginx"), { server: `root ${join(work, "www")};` });
    db = join(work, "analytics.sqlite");
  });

  afterAll(async () => {
    if (follower && follower.exitCode === null && follower.signalCode === null) {
      follower.kill("SIGKILL");
      await new Promise((r) => follower!.once("exit", r));
    }
    await nginx?.stop();
  });

  const startFollower = (): ChildProcess & { out: () => string } => {
    const p = spawn(
      process.execPath,
      [RECEIVER, "ingest-logs", "--follow", nginx.accessLog, "--db", db, "--poll-ms", "50", "--rotate-grace-ms", "300", "--json"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    p.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    return Object.assign(p, { out: () => out });
  };
  const kill9 = async (p: ChildProcess): Promise<void> => {
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGKILL");
    await exited;
  };
  let sent = 0;
  const get = async (n: number, path = "/data.json"): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${nginx.url}${path}`, { headers: { "user-agent": `test-${sent}` } });
      expect(r.status).toBe(200);
      await r.arrayBuffer();
      sent++;
    }
  };
  const count = (): number => {
    if (!existsSync(db)) return -1;
    const s = openAnalyticsReadOnly(db);
    try {
      return s.count();
    } catch {
      return -1; // the follower has not created the table yet
    } finally {
      s.close();
    }
  };
  /** Waits until the store holds `expected` hits, then checks that no more arrive (no double count). */
  const settle = async (expected: number): Promise<void> => {
    await waitFor(`${expected} hits in the store`, () => count() === expected, 10_000, 25).catch((e: Error) => {
      throw new Error(`${e.message}: have ${count()}; follower said: ${follower?.out()}`);
    });
    await new Promise((r) => setTimeout(r, 400));
    expect(count()).toBe(expected);
  };
  const timeLocal = (): string => {
    const d = new Date();
    const mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][d.getUTCMonth()];
    const p2 = (n: number): string => String(n).padStart(2, "0");
    return `${p2(d.getUTCDate())}/${mon}/${d.getUTCFullYear()}:${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} +0000`;
  };

  test("every request once: live, rename + reopen, half-written line, kill -9 (also across a rotation), copytruncate, SIGTERM", async () => {
    follower = startFollower();
    await get(10);
    await settle(10);

    // logrotate's default: rename, nginx keeps writing to the old file until it reopens
    renameSync(nginx.accessLog, `${nginx.accessLog}.1`);
    await get(5);
    nginx.reopen();
    await waitFor("nginx to reopen its log", () => existsSync(nginx.accessLog), 5000, 20);
    await get(5);
    await settle(20);
    await waitFor("the rotation event", () => follower!.out().includes('"event":"rotated"'), 5000, 25);

    // a line nginx is half-way through writing waits for its newline
    const line = `127.0.0.1 - - [${timeLocal()}] "GET /data.json HTTP/1.1" 200 11 "-" "half-written"`;
    appendFileSync(nginx.accessLog, line.slice(0, 40));
    await new Promise((r) => setTimeout(r, 300));
    expect(count()).toBe(20);
    appendFileSync(nginx.accessLog, `${line.slice(40)}\n`);
    sent++;
    await settle(21);

    // kill -9 while idle, then a rotation while the follower is down: it finishes FILE.1 first
    await kill9(follower);
    await get(5);
    renameSync(nginx.accessLog, `${nginx.accessLog}.1`);
    await get(3);
    nginx.reopen();
    await waitFor("nginx to reopen its log", () => existsSync(nginx.accessLog), 5000, 20);
    await get(4);
    follower = startFollower();
    await settle(33);
    expect(follower.out()).toMatch(/"event":"start".*\.log\.1".*"resumed":true/);

    // kill -9 in the middle of a burst
    const burst = (async () => {
      for (let i = 0; i < 15; i++) await Promise.all(Array.from({ length: 20 }, () => get(1)));
    })();
    await waitFor("the first hits of the burst", () => count() > 33, 10_000, 5);
    await kill9(follower);
    await burst;
    follower = startFollower();
    await settle(333);

    // copytruncate: the lines after the follower's offset are read from the copy
    await get(5);
    copyFileSync(nginx.accessLog, `${nginx.accessLog}.1`);
    truncateSync(nginx.accessLog, 0);
    await get(3);
    await settle(341);
    expect(follower.out()).toContain('"event":"truncated"');
    expect(sent).toBe(341);

    // SIGTERM: a clean stop with the summary
    const exited = new Promise<number | null>((r) => follower!.once("exit", (code) => r(code)));
    follower.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(follower.out()).toMatch(/"ok":true.*"rotations":0,"truncations":1/);
  });
});
