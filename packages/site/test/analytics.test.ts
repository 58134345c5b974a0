import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { classifyUserAgent, decodeHits, encodeHits, createAnalyticsStore, createSiteServer, ingestNginxLog, parseCombinedLine, RawHit, stats } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut } from "./fixtures";
import { request } from "./http";

const DESKTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36";
const MOBILE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const T0 = Date.parse("2024-06-02T20:05:00-06:00");

function hit(over: Partial<RawHit>): RawHit {
  return { time: T0, ip: "10.0.0.1", ua: DESKTOP, method: "GET", path: "/", status: 200, bytes: 100, referrer: "", dest: "document", html: true, ...over };
}

describe("analytics store and stats", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempRoot("prepcast-analytics-");
  });
  afterEach(() => cleanup(dir));

  test("visitors, pageviews, sessions, time on page (next view + beacon), bots apart, per-hour series", () => {
    const store = createAnalyticsStore(join(dir, "a.sqlite"));
    store.insertHits([
      hit({ path: "/" }),
      hit({ time: T0 + 1_000, path: "/assets/app.css", html: false, dest: "style" }),
      hit({ time: T0 + 20_000, path: "/diputaciones/" }),
      hit({ time: T0 + 80_000, path: "/", status: 304 }),
      hit({ time: T0 + 125_000, method: "BEACON", path: "/", status: 204, bytes: 0, html: false, dest: "", durationMs: 45_000 }),
      // same visitor after 31 idle minutes: a new session
      hit({ time: T0 + 80_000 + 31 * 60_000, path: "/datos/" }),
      hit({ time: T0 + 10 * 60_000, ip: "10.0.0.2", ua: MOBILE, path: "/" }),
      hit({ time: T0 + 10 * 60_000 + 500, ip: "10.0.0.2", ua: MOBILE, path: "/nope", status: 404 }),
      // a JSON fetched by a page script is a hit, not a page view
      hit({ time: T0 + 10 * 60_000 + 700, ip: "10.0.0.2", ua: MOBILE, path: "/datos/e.json", html: false, dest: "empty" }),
      hit({ time: T0 + 5_000, ip: "66.249.66.1", ua: GOOGLEBOT, path: "/" }),
      hit({ time: T0 + 6_000, ip: "66.249.66.1", ua: GOOGLEBOT, path: "/diputaciones/" }),
    ]);
    const s = stats(store, { from: "2024-06-02T20:00-06:00", to: "2024-06-02T23:59-06:00" });
    expect(s.visitors).toBe(2);
    expect(s.pageviews).toBe(5);
    expect(s.sessions).toBe(3);
    expect(s.hits).toBe(8);
    expect(s.bots).toEqual({ hits: 2, visitors: 1, bytes: 200 });
    const home = s.pages.find((p) => p.path === "/")!;
    expect(home.pageviews).toBe(3);
    expect(home.visitors).toBe(2);
    // "/" viewed at T0 (20 s until next), at T0+80 s (beacon: 45 s), mobile (unknown)
    expect(home.avgTimeOnPageMs).toBe(Math.round((20_000 + 45_000) / 2));
    expect(s.pages.find((p) => p.path === "/diputaciones/")!.avgTimeOnPageMs).toBe(60_000);
    // sessions: 125 s, 0 s (single view, no beacon), 0 s
    expect(s.timeOnSite.find((b) => b.bucket === "1-3 min")!.sessions).toBe(1);
    expect(s.timeOnSite.find((b) => b.bucket === "0-10 s")!.sessions).toBe(2);
    expect(s.statusCodes).toEqual([
      { status: 200, hits: 8 },
      { status: 304, hits: 1 },
      { status: 404, hits: 1 },
    ]);
    expect(s.hourly[0]).toEqual({ hour: "2024-06-02T20:00:00-06:00", visitors: 2, pageviews: 5, hits: 8 });
    expect(s.hourly[1]).toEqual({ hour: "2024-06-02T21:00:00-06:00", visitors: 0, pageviews: 0, hits: 0 });
    expect(s.hourly).toHaveLength(4);
    store.close();
  });

  test("no raw IP is stored; the salt is random per UTC-6 day (and deleted once the day is over)", () => {
    const file = join(dir, "b.sqlite");
    const store = createAnalyticsStore(file, { now: () => T0 });
    store.insertHits([hit({ ip: "203.0.113.77" }), hit({ ip: "203.0.113.77", time: T0 + 86_400_000 })]);
    const rows = store.db.prepare("SELECT * FROM hits").all() as Record<string, unknown>[];
    expect(JSON.stringify(rows)).not.toContain("203.0.113");
    expect(rows[0]!.visitor).not.toBe(rows[1]!.visitor);
    const salts = store.db.prepare("SELECT day, salt FROM salts ORDER BY day").all() as { day: string; salt: Buffer }[];
    expect(salts.map((s) => s.day)).toEqual(["2024-06-03"]);
    store.close();
    // a restart the same day keeps the day's salt (same visitor hash) and the open session
    const again = createAnalyticsStore(file, { now: () => T0 + 86_400_000 + 60_000 });
    again.insertHits([hit({ ip: "203.0.113.77", time: T0 + 86_400_000 + 60_000 })]);
    const last = again.db.prepare("SELECT visitor, session FROM hits ORDER BY id DESC LIMIT 2").all() as { visitor: string; session: number }[];
    expect(last[0]).toEqual(last[1]);
    again.close();
  });

  test("IPC batches round-trip; malformed rows from a worker are dropped", () => {
    const hits = [hit({}), hit({ ua: GOOGLEBOT, method: "BEACON", durationMs: 5, html: false }), hit({ path: "/x" })];
    const batch = encodeHits(hits);
    // each distinct string once: ip, 2 UAs, GET, BEACON, 2 paths, dest, "" (referrer)
    expect([...batch.strings].sort()).toEqual(["", "/", "/x", "BEACON", "GET", "10.0.0.1", "document", DESKTOP, GOOGLEBOT].sort());
    expect(batch.flat.every((v) => v === null || typeof v === "number")).toBe(true);
    expect(decodeHits(JSON.parse(JSON.stringify(batch)))).toEqual(hits);
    // a string index out of range, a string where a number belongs, a short row
    expect(decodeHits({ strings: ["a"], flat: [1, 0, 7, 0, 0, 200, 1, 0, 0, 1, null] })).toEqual([]);
    expect(decodeHits({ strings: ["a"], flat: [1, "ip", 0, 0, 0, 200, 1, 0, 0, 1, null] })).toEqual([]);
    expect(decodeHits({ strings: [], flat: [1, 2] })).toEqual([]);
    expect(decodeHits(null)).toEqual([]);
  });

  test("user-agent classes", () => {
    expect(classifyUserAgent(DESKTOP)).toBe("desktop");
    expect(classifyUserAgent(MOBILE)).toBe("mobile");
    expect(classifyUserAgent("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X)")).toBe("tablet");
    for (const ua of [
      GOOGLEBOT,
      "curl/8.5.0",
      "",
      "python-requests/2.31",
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0",
    ])
      expect(classifyUserAgent(ua)).toBe("bot");
  });

  test("nginx combined log: parsed, malformed lines named by number and skipped, same file refused twice", async () => {
    const store = createAnalyticsStore(join(dir, "c.sqlite"));
    const log = join(dir, "access.log");
    writeFileSync(
      log,
      [
        `10.1.1.1 - - [02/Jun/2024:20:15:03 -0600] "GET /diputaciones/?x=1 HTTP/1.1" 200 5120 "https://www.google.com/" "${DESKTOP}"`,
        `10.1.1.1 - - [02/Jun/2024:20:15:04 -0600] "GET /datos/entidad.json HTTP/1.1" 200 812 "http://prep.example/diputaciones/" "${DESKTOP}"`,
        `this is not a log line`,
        `10.1.1.2 - - [02/Jun/2024:20:16:00 -0600] "GET /secci%C3%B3n/1.html HTTP/2.0" 304 - "-" "${MOBILE}"`,
        `10.1.1.3 - - [32/Jun/2024:20:16:00 -0600] "GET / HTTP/1.1" 200 1 "-" "x"`,
        `66.249.66.1 - - [02/Jun/2024:21:00:00 -0600] "GET / HTTP/1.1" 200 900 "-" "${GOOGLEBOT}"`,
        "",
      ].join("\n"),
    );
    const r = await ingestNginxLog(store, log);
    expect(r.hits).toBe(4);
    expect(r.errorCount).toBe(2);
    expect(r.errors[0]!.message).toBe(
      `${log} line 3: not in nginx combined format (expected: IP - USER [dd/Mon/yyyy:hh:mm:ss +zzzz] "METHOD PATH PROTO" STATUS BYTES "REFERER" "USER-AGENT")`,
    );
    expect(r.errors[1]).toMatchObject({ line: 5 });
    const s = stats(store, { from: "2024-06-02T20:00-06:00", to: "2024-06-02T22:00-06:00" });
    expect(s.pageviews).toBe(2);
    expect(s.pages.map((p) => p.path).sort()).toEqual(["/diputaciones/", "/sección/1.html"]);
    expect(s.bots.hits).toBe(1);
    await expect(ingestNginxLog(store, log)).rejects.toMatchObject({ code: "ALREADY_INSTALLED" });
    await expect(ingestNginxLog(store, join(dir, "missing.log"))).rejects.toMatchObject({ code: "IO_ERROR" });
    expect(parseCombinedLine(`1.2.3.4 - - [02/Jun/2024:20:15:03 +0000] "GET / HTTP/1.1" 200 1 "-" "ua"`)).toMatchObject({
      time: Date.parse("2024-06-02T20:15:03Z"),
    });
    store.close();
  });

  test("served requests are recorded through the batching sink; stats on the admin listener need the token", async () => {
    const root = tempRoot();
    const keys = makeKeys();
    const cut = writeCut(root, keys, { sequence: 1, corte: "2024-06-02T20:15:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("S") });
    activate(root, cut.id);
    const server = await createSiteServer({
      root,
      listen: "127.0.0.1:0",
      analytics: join(root, "analytics.sqlite"),
      admin: { listen: "127.0.0.1:0", token: "s3cret" },
      log: { info() {}, warn() {}, error() {} },
    });
    try {
      await request(`${server.url}/`, { headers: { "User-Agent": DESKTOP, "Sec-Fetch-Dest": "document" } });
      await request(`${server.url}/assets/app.css`, { headers: { "User-Agent": DESKTOP, "Sec-Fetch-Dest": "style" } });
      await request(`${server.url}/datos/entidad.json`, { headers: { "User-Agent": DESKTOP, "Sec-Fetch-Dest": "empty" } });
      await request(`${server.url}/diputaciones/`, { headers: { "User-Agent": DESKTOP } });
      await request(`${server.url}/`, { headers: { "User-Agent": "curl/8.0" } });
      const beacon = await request(`${server.url}/.well-known/prepcast/beacon`, {
        method: "POST",
        headers: { "User-Agent": DESKTOP, "Content-Type": "text/plain" },
        body: JSON.stringify({ path: "/diputaciones/", ms: 42_000 }),
      });
      expect(beacon.status).toBe(204);
      expect((await request(`${server.url}/.well-known/prepcast/beacon`, { method: "POST", body: "{nope" })).status).toBe(400);
      await server.flushAnalytics();
      expect((await request(`${server.adminUrl}/stats.json`)).status).toBe(401);
      const json = await request(`${server.adminUrl}/stats.json?from=2000-01-01T00:00Z&to=2100-01-01T00:00Z`, { headers: { Authorization: "Bearer s3cret" } });
      expect(json.status).toBe(200);
      const s = JSON.parse(json.body.toString());
      expect(s).toMatchObject({ visitors: 1, pageviews: 2, hits: 4, bots: { hits: 1 } });
      expect(s.pages.find((p: { path: string }) => p.path === "/diputaciones/").avgTimeOnPageMs).toBe(42_000);
      const html = await request(`${server.adminUrl}/stats?token=s3cret&from=2000-01-01T00:00Z&to=2000-01-03T00:00Z`);
      expect(html.body.toString()).toContain("<svg");
      // the public listener never exposes the stats
      expect((await request(`${server.url}/.well-known/prepcast/stats.json`)).status).toBe(404);
    } finally {
      await server.close();
      cleanup(root);
    }
  });
});
