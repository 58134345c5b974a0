// Issue 12, findings 3, 4, 8 and 9 against a real site server on loopback: what an anonymous
// visitor can make the analytics store, the open-session map and the memoria técnica hold.
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAnalyticsStore, createSiteServer, RawHit, stats, writeReport, type SiteServer } from "../src";
import { OTHER_PATH } from "../src/server/respond";
import { pickClientIp } from "../src/server/request";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";
import { request } from "./http";

const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36";
const quiet = { info() {}, warn() {}, error() {} };

let root: string;
let server: SiteServer | undefined;

function paths(s: SiteServer): string[] {
  return (s.store!.db.prepare("SELECT DISTINCT path FROM hits ORDER BY path").all() as { path: string }[]).map((r) => r.path);
}

beforeEach(async () => {
  root = tempRoot();
  const cut = writeCut(root, makeKeys(), { sequence: 1, corte: "2024-06-02T20:15:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("R") });
  activate(root, cut.id);
});

afterEach(async () => {
  try {
    await server?.close();
  } finally {
    server = undefined;
    cleanup(root);
  }
});

test("404 flood with 2 KiB paths and 1 KiB referrers stores no path or referrer of the attacker's choosing", async () => {
  server = await createSiteServer({ root, listen: "127.0.0.1:0", analytics: join(root, "analytics.sqlite"), log: quiet });
  const junk = (i: number) => `/${i}-${"x".repeat(2040)}`;
  for (let i = 0; i < 300; i++) {
    const r = await request(`${server.url}${junk(i)}`, {
      headers: { "User-Agent": `${DESKTOP} ${i}`, Referer: `https://evil.example/${"r".repeat(1000)}?${i}` },
    });
    expect(r.status).toBe(404);
  }
  await request(`${server.url}/diputaciones/`, { headers: { "User-Agent": DESKTOP, Referer: "https://portal.example/noticias/123?x=y" } });
  await server.flushAnalytics();
  expect(paths(server)).toEqual([OTHER_PATH, "/diputaciones/"].sort());
  const refs = (server.store!.db.prepare("SELECT DISTINCT referrer FROM hits").all() as { referrer: string }[]).map((r) => r.referrer).sort();
  expect(refs).toEqual(["https://evil.example", "https://portal.example"]);
  const longest = server.store!.db.prepare("SELECT MAX(LENGTH(path) + LENGTH(referrer) + LENGTH(visitor)) AS n FROM hits").get() as { n: number };
  expect(longest.n).toBeLessThan(100);
});

test("analytics disk budget: past the cap hits are counted as dropped, not written; the count is in stats.json and the memoria", async () => {
  const db = join(root, "analytics.sqlite");
  const maxBytes = 512 * 1024;
  server = await createSiteServer({ root, listen: "127.0.0.1:0", analytics: db, analyticsMaxBytes: maxBytes, admin: { listen: "127.0.0.1:0" }, log: quiet });
  // straight to the store, as fast as the site would hand batches over
  const hits: RawHit[] = Array.from({ length: 500 }, (_, i) => ({
    time: Date.now(),
    ip: `10.0.${i % 250}.${i % 7}`,
    ua: DESKTOP,
    method: "GET",
    path: "/diputaciones/",
    status: 200,
    bytes: 100,
    referrer: "https://portal.example",
    dest: "document",
    html: true,
  }));
  let written = 0;
  for (let k = 0; k < 200; k++) written += server.store!.insertHits(hits);
  const dropped = server.store!.droppedHits();
  expect(dropped).toBeGreaterThan(0);
  expect(written + dropped).toBe(200 * 500);
  const size =
    statSync(db).size +
    (() => {
      try {
        return statSync(`${db}-wal`).size;
      } catch {
        return 0;
      }
    })();
  // the WAL is folded back when the cap is reached: the file stays within a batch or two of it
  expect(size).toBeLessThan(maxBytes + 256 * 1024);
  const s = JSON.parse((await request(`${server.adminUrl}/stats.json?from=2000-01-01T00:00Z&to=2100-01-01T00:00Z`)).body.toString());
  expect(s.droppedHits).toBe(dropped);
  const html = (await request(`${server.adminUrl}/stats`)).body.toString();
  expect(html).toContain("Solicitudes no registradas");
  await server.close();
  server = undefined;
  const out = join(root, "memoria");
  writeReport({ root, from: "2000-01-01T00:00Z", to: "2100-01-01T00:00Z", out, db });
  expect(readFileSync(join(out, "resumen.csv"), "utf8")).toMatch(new RegExp(`solicitudes_no_registradas\\n.*,${dropped}\\n`));
});

const DISTINCT_VISITORS = process.env.PREPCAST_HARDENING === "1" ? 600_000 : 60_000;

test(`${DISTINCT_VISITORS} distinct User-Agents keep the open-session map bounded (LRU)`, () => {
  const dir = tempRoot();
  try {
    const cap = DISTINCT_VISITORS / 12;
    const store = createAnalyticsStore(join(dir, "a.sqlite"), { maxOpenSessions: cap });
    const t0 = Date.now();
    const heap0 = process.memoryUsage().heapUsed;
    for (let b = 0; b < DISTINCT_VISITORS / 1000; b++) {
      const batch: RawHit[] = Array.from({ length: 1000 }, (_, i) => ({
        time: t0 + b,
        ip: "203.0.113.9",
        ua: `${DESKTOP} ${b}-${i}`,
        method: "GET",
        path: "/",
        status: 200,
        bytes: 1,
        referrer: "",
        dest: "document",
        html: true,
      }));
      store.insertHits(batch);
    }
    expect(store.openSessions()).toBeLessThanOrEqual(cap);
    const grownMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
    expect(grownMb).toBeLessThan(120);
    store.close();
  } finally {
    cleanup(dir);
  }
}, 120_000);

test("beacons: only from the site's own pages (or a configured portal) and only for pages the cut has", async () => {
  const srv = (server = await createSiteServer({
    root,
    listen: "127.0.0.1:0",
    analytics: join(root, "analytics.sqlite"),
    frameAncestors: ["'self'", "https://portal.example"],
    log: quiet,
  }));
  const beacon = (body: unknown, headers: Record<string, string> = {}) =>
    request(`${srv.url}/.well-known/prepcast/beacon`, {
      method: "POST",
      headers: { "User-Agent": DESKTOP, "Content-Type": "text/plain", ...headers },
      body: JSON.stringify(body),
    });
  const host = new URL(server.url).host;
  expect((await beacon({ path: "/diputaciones/", ms: 1000 }, { Origin: `http://${host}` })).status).toBe(204);
  expect((await beacon({ path: "/noticias/1.html", ms: 2000 }, { Origin: "https://portal.example" })).status).toBe(204);
  // recorded nothing, answered the same (no oracle)
  expect((await beacon({ path: "/diputaciones/", ms: 3000 }, { Origin: "https://evil.example" })).status).toBe(204);
  expect((await beacon({ path: "/diputaciones/", ms: 3000 }, { Origin: "null" })).status).toBe(204);
  expect((await beacon({ path: `/${"z".repeat(900)}`, ms: 4000 }, { Origin: `http://${host}` })).status).toBe(204);
  expect((await beacon({ path: "/no-existe.html", ms: 5000 })).status).toBe(204);
  await server.flushAnalytics();
  const rows = server.store!.db.prepare("SELECT path, duration_ms AS ms FROM hits WHERE method = 'BEACON' ORDER BY ms").all();
  expect(rows).toEqual([
    { path: "/diputaciones/", ms: 1000 },
    { path: "/noticias/1.html", ms: 2000 },
  ]);
});

test("fake pages under a suspension notice: a path the cut lacks is a 404, never a page view", async () => {
  mkdirSync(join(root, "notice"), { recursive: true });
  writeFileSync(
    join(root, "notice", "notice.json"),
    JSON.stringify({ title: "Publicación suspendida", text: "Suspendido.", issuedAt: "2024-06-02T21:00:00-06:00" }),
  );
  server = await createSiteServer({ root, listen: "127.0.0.1:0", analytics: join(root, "analytics.sqlite"), log: quiet });
  await new Promise((r) => setTimeout(r, 300));
  const fake = await request(`${server.url}/%0D=cmd|'/C calc'!A0.html`, { headers: { "User-Agent": DESKTOP, "Sec-Fetch-Dest": "document" } });
  expect(fake.status).toBe(404);
  expect(fake.body.toString()).toContain("Suspendido.");
  const real = await request(`${server.url}/diputaciones/`, { headers: { "User-Agent": DESKTOP, "Sec-Fetch-Dest": "document" } });
  expect(real.status).toBe(200);
  await server.flushAnalytics();
  const s = stats(server.store!, { from: "2000-01-01T00:00Z", to: "2100-01-01T00:00Z" });
  expect(s.pages.map((p) => p.path)).toEqual(["/diputaciones/"]);
  rmSync(join(root, "notice"), { recursive: true, force: true });
});

test("CSV formula injection: a hostile path, title or detail is quoted and neutralised in every memoria CSV", async () => {
  const db = join(root, "analytics.sqlite");
  // rows as an older version (or another writer) may have left them
  const store = createAnalyticsStore(db);
  const evil = ["/\r=cmd|'/C calc'!A0", '=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(1)", "\t=1", '/a,"b"\nc'];
  store.insertHits(
    evil.map((path, i) => ({
      time: Date.parse("2024-06-02T20:30:00-06:00") + i,
      ip: `10.0.0.${i}`,
      ua: DESKTOP,
      method: "GET",
      path,
      status: 200,
      bytes: 1,
      referrer: "",
      dest: "document",
      html: true,
    })),
  );
  store.close();
  const out = join(root, "memoria");
  writeReport({ root, from: "2024-06-02T20:00-06:00", to: "2024-06-02T22:00-06:00", out, db });
  const csv = readFileSync(join(out, "paginas.csv"), "utf8");
  // every data line starts with a quote or a safe character: no cell a spreadsheet would evaluate
  const cells = csv.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)|\n(?=(?:[^"]*"[^"]*")*[^"]*$)/).filter(Boolean);
  for (const cell of cells) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
  expect(csv).toContain(`"'/\r=cmd|'/C calc'!A0"`.replace("'/\r", "/\r"));
  expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
  expect(csv).toContain("'+1+1");
});

test("visitor salts are deleted once their day is over", () => {
  const dir = tempRoot();
  try {
    const file = join(dir, "a.sqlite");
    const day1 = Date.parse("2024-06-02T12:00:00-06:00");
    let store = createAnalyticsStore(file, { now: () => day1 });
    const hit = (time: number): RawHit => ({
      time,
      ip: "203.0.113.7",
      ua: DESKTOP,
      method: "GET",
      path: "/",
      status: 200,
      bytes: 1,
      referrer: "",
      dest: "document",
      html: true,
    });
    store.insertHits([hit(day1)]);
    const days = () => (store.db.prepare("SELECT day FROM salts ORDER BY day").all() as { day: string }[]).map((r) => r.day);
    expect(days()).toEqual(["2024-06-02"]);
    store.insertHits([hit(day1 + 86_400_000)]);
    expect(days()).toEqual(["2024-06-03"]);
    store.close();
    // a store opened on a later day drops what an older version left
    store = createAnalyticsStore(file, { now: () => day1 + 3 * 86_400_000 });
    expect(days()).toEqual([]);
    store.close();
  } finally {
    cleanup(dir);
  }
});

test("X-Forwarded-For: the address the trusted proxy saw (rightmost), never the client-written leftmost", async () => {
  expect(pickClientIp("10.0.0.1", "1.2.3.4, 198.51.100.7", 1)).toBe("198.51.100.7");
  expect(pickClientIp("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.2", 2)).toBe("198.51.100.7");
  expect(pickClientIp("10.0.0.1", "not-an-ip", 1)).toBe("10.0.0.1");
  expect(pickClientIp("10.0.0.1", "1.2.3.4", 0)).toBe("10.0.0.1");
  server = await createSiteServer({ root, listen: "127.0.0.1:0", analytics: join(root, "analytics.sqlite"), trustProxy: true, log: quiet });
  // one client rotating a forged leftmost address: one visitor, not 50
  for (let i = 0; i < 50; i++)
    await request(`${server.url}/`, { headers: { "User-Agent": DESKTOP, "X-Forwarded-For": `203.0.113.${i}, 198.51.100.7`, "Sec-Fetch-Dest": "document" } });
  await server.flushAnalytics();
  const s = stats(server.store!, { from: "2000-01-01T00:00Z", to: "2100-01-01T00:00Z" });
  expect(s.visitors).toBe(1);
});
