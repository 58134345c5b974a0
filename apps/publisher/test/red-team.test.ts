// Issue 12, findings 5, 6, 7 and the probe: a real publisher service with its admin listener on
// loopback (dashboard login, DNS rebinding), the public list written to disk (logos), the probe
// against a real difusor-like server that redirects.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { isPrepcastError } from "@prepcast/protocol";
import { AdminAuth, hashPassword, LOGIN_FAILURES_PER_MINUTE } from "../src/dashboard/auth";
import { checkSvgLogo } from "../src/difusores/svg-logo";
import { probeDifusor } from "../src/monitor/probe";
import { loadPublisherConfig } from "../src/service/config";
import type { PublisherService } from "../src/service/publisher-service";
import { makePublisherKeys, startPublisher, tmpDir, writePublisherConfig } from "./helpers";

const work = tmpDir("red-team");
const TOKEN = "token-de-operacion-para-la-prueba";
const PASSWORD = "contraseña-de-prueba-larga";
let svc: PublisherService | null = null;
let base = "";

beforeAll(async () => {
  const keys = makePublisherKeys(work);
  writeFileSync(path.join(work, "admin.token"), TOKEN, { mode: 0o600 });
  // the production cost (N = 2^15): what makes a burst of guesses queue
  writeFileSync(path.join(work, "admin.pass"), (await hashPassword(PASSWORD)) + "\n", { mode: 0o600 });
  const configFile = writePublisherConfig(work, keys, [], {
    admin: { tokenFile: path.join(work, "admin.token"), passwordFile: path.join(work, "admin.pass"), allowedHosts: ["panel.ople.example:8443"] },
  });
  svc = await startPublisher(configFile, { monitor: false });
  base = `http://127.0.0.1:${svc.adminAddress!.port}`;
});

afterAll(async () => {
  await svc?.stop();
  rmSync(work, { recursive: true, force: true });
});

function post(
  pathname: string,
  body: string,
  opts: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; ms: number }> {
  const u = new URL(base + pathname);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: "POST",
        localAddress: opts.localAddress,
        headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), host: u.host, ...opts.headers },
      },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, ms: Date.now() - t0 }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const login = (secret: string, opts: { localAddress?: string; headers?: Record<string, string> } = {}) =>
  post("/login", `secreto=${encodeURIComponent(secret)}`, opts);

test("dashboard login brute force: a burst of 200 wrong passwords gets at most 10 hashed (401), the rest 429/503 at once; the token still logs in, and the lockout is per source", async () => {
  const t0 = Date.now();
  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => login(`adivinanza-${i}`)));
  const burstMs = Date.now() - t0;
  const by = (s: number) => answers.filter((a) => a.status === s).length;
  expect(by(401)).toBeLessThanOrEqual(LOGIN_FAILURES_PER_MINUTE);
  expect(by(401) + by(429) + by(503)).toBe(200);
  expect(by(429) + by(503)).toBeGreaterThanOrEqual(190);
  // guesses that found the hash queue full (503) were not guesses: going on one at a time, the
  // source gets exactly 10 hashed in the minute, then 429 ...
  let hashed = by(401);
  for (let i = 0; i < 20; i++) {
    const r = await login(`otra-adivinanza-${i}`);
    if (r.status === 429) break;
    expect(r.status).toBe(401);
    hashed++;
  }
  expect(hashed).toBe(LOGIN_FAILURES_PER_MINUTE);
  // ... and the right password from the same source is refused for the minute too
  expect((await login(PASSWORD)).status).toBe(429);
  // ...the token always gets in (nobody can lock the operators out) ...
  const tokenLogin = await login(TOKEN);
  expect(tokenLogin.status).toBe(303);
  // ...and another source is not locked by this one: its right password is not queued behind the burst
  const other = await login(PASSWORD, { localAddress: "127.0.0.2" });
  expect(other.status).toBe(303);
  expect(other.ms).toBeLessThan(5000);
  if (process.env.PREPCAST_HARDENING === "1")
    process.stderr.write(
      `login burst: ${by(401)} hashed (401), ${by(429)} × 429, ${by(503)} × 503 in ${burstMs} ms; other source's right password in ${other.ms} ms\n`,
    );
}, 60_000);

test("session cookie: HttpOnly, SameSite=Strict, and Secure when the request came over TLS (X-Forwarded-Proto: https from the terminating proxy)", async () => {
  const plain = await login(TOKEN, { localAddress: "127.0.0.3" });
  expect(String(plain.headers["set-cookie"])).toMatch(/HttpOnly; SameSite=Strict/);
  expect(String(plain.headers["set-cookie"])).not.toMatch(/Secure/);
  const tls = await login(TOKEN, { localAddress: "127.0.0.3", headers: { "x-forwarded-proto": "https" } });
  expect(String(tls.headers["set-cookie"])).toMatch(/; Secure$/);
});

test("expired dashboard sessions are swept without being presented", async () => {
  let now = Date.now();
  const auth = new AdminAuth(TOKEN, null, { listenHost: "127.0.0.1", extra: [] }, () => now);
  try {
    for (let i = 0; i < 50; i++) expect(await auth.login(TOKEN)).toMatchObject({ id: expect.any(String) });
    expect(auth.sessionCount).toBe(50);
    now += 13 * 3600_000;
    auth.sweep();
    expect(auth.sessionCount).toBe(0);
  } finally {
    auth.close();
  }
});

test("DNS rebinding: Host evil.example gets 421 from every admin route, even /metrics; listed admin.allowedHosts pass", async () => {
  const get = (p: string, host: string) =>
    new Promise<number>((resolve, reject) => {
      const u = new URL(base + p);
      http
        .get({ host: "127.0.0.1", port: u.port, path: p, headers: { host, authorization: `Bearer ${TOKEN}` } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on("error", reject);
    });
  const port = new URL(base).port;
  for (const p of ["/", "/login", "/api/status", "/api/overview", "/metrics"]) {
    expect({ p, status: await get(p, `evil.example:${port}`) }).toEqual({ p, status: 421 });
    expect({ p, status: await get(p, "127.0.0.1.evil.example") }).toEqual({ p, status: 421 });
  }
  expect(await get("/api/status", `127.0.0.1:${port}`)).toBe(200);
  expect(await get("/api/status", `localhost:${port}`)).toBe(200);
  expect(await get("/api/status", "panel.ople.example:8443")).toBe(200); // admin.allowedHosts (port of the proxy in front)
  expect(await get("/livez", "evil.example")).toBe(200); // liveness says nothing
});

test("wildcard admin listen without a credential is refused at start-up (CONFIG_INVALID), with one it answers only to loopback names and admin.allowedHosts", async () => {
  const keys = makePublisherKeys(path.join(work, "w"));
  const file = writePublisherConfig(path.join(work, "w"), keys, [], { admin: { listen: "0.0.0.0:0" } });
  let err: unknown;
  try {
    AdminAuth.fromConfig(loadPublisherConfig(file), { host: "0.0.0.0", port: 0 });
  } catch (e) {
    err = e;
  }
  expect(isPrepcastError(err, "CONFIG_INVALID")).toBe(true);
  expect((err as Error).message).toMatch(/every interface.*no credential/);
  const withToken = writePublisherConfig(path.join(work, "w"), keys, [], { admin: { listen: "0.0.0.0:0", tokenFile: path.join(work, "admin.token") } });
  const auth = AdminAuth.fromConfig(loadPublisherConfig(withToken), { host: "0.0.0.0", port: 8740 });
  const req = (host: string) => ({ headers: { host }, socket: { localPort: 8740 } }) as unknown as http.IncomingMessage;
  expect(auth.hostOk(req("127.0.0.1:8740"))).toBe(true);
  expect(auth.hostOk(req("evil.example:8740"))).toBe(false);
  expect(auth.hostOk(req("10.0.0.5:8740"))).toBe(false); // a wildcard has no own name: list it in admin.allowedHosts
  auth.close();
});

describe("difusor logos (allowlist sanitizer)", () => {
  const dir = path.join(work, "logos");
  const NS = 'xmlns="http://www.w3.org/2000/svg"';
  const hostile: Array<[string, string]> = [
    ["script element", `<svg ${NS}><script>alert(document.domain)</script><rect width="1" height="1"/></svg>`],
    ["SCRIPT in another case inside a group", `<svg ${NS}><g><SCRIPT>alert(1)</SCRIPT></g><rect width="1" height="1"/></svg>`],
    ["event handlers in any case", `<svg ${NS} onload="alert(1)" OnLoad="alert(2)"><rect width="1" height="1" onclick="x()" onMouseOver="y()"/></svg>`],
    [
      "foreignObject with HTML",
      `<svg ${NS}><foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml"><img src="x" onerror="alert(1)"/></div></foreignObject><rect width="1" height="1"/></svg>`,
    ],
    ["javascript: link", `<svg ${NS} xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>`],
    ["javascript: hidden behind entities", `<svg ${NS}><a href="&#106;avascript&#x3A;alert(1)"><rect width="1" height="1"/></a></svg>`],
    ["external <use href>", `<svg ${NS}><use href="https://evil.example/sprite.svg#a"/><rect width="1" height="1"/></svg>`],
    [
      "external xlink:href",
      `<svg ${NS} xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="//evil.example/s.svg#a"/><rect width="1" height="1"/></svg>`,
    ],
    [
      "image with a data: SVG",
      `<svg ${NS}><image href="data:image/svg+xml;base64,PHN2Zz48c2NyaXB0PmFsZXJ0KDEpPC9zY3JpcHQ+PC9zdmc+" width="1" height="1"/><rect width="1" height="1"/></svg>`,
    ],
    ["<style> with @import", `<svg ${NS}><style>@import url(https://evil.example/x.css); rect{fill:red}</style><rect width="1" height="1"/></svg>`],
    ["CSS url() in a style attribute", `<svg ${NS}><rect width="1" height="1" style="fill:url(https://evil.example/p.svg#x);stroke:red"/></svg>`],
    ["CSS url() in a presentation attribute", `<svg ${NS}><rect width="1" height="1" fill="url('https://evil.example/#g')"/></svg>`],
    ["CSS escapes", `<svg ${NS}><rect width="1" height="1" style="fill:u\\72l(https://evil.example/)"/></svg>`],
    ["animate rewriting an href", `<svg ${NS}><a href="#x"><animate attributeName="href" to="javascript:alert(1)"/><rect width="1" height="1"/></a></svg>`],
    ["set adding a handler", `<svg ${NS}><rect width="1" height="1"><set attributeName="onmouseover" to="alert(1)"/></rect></svg>`],
    ["CDATA script", `<svg ${NS}><script><![CDATA[alert(1)]]></script><rect width="1" height="1"/></svg>`],
    ["iframe / embed / object", `<svg ${NS}><iframe src="https://evil.example"/><embed src="x"/><object data="x"/><rect width="1" height="1"/></svg>`],
    [
      "xml:base and xml-stylesheet",
      `<?xml-stylesheet href="https://evil.example/x.xsl" type="text/xsl"?><svg ${NS} xml:base="https://evil.example/"><rect width="1" height="1"/></svg>`,
    ],
  ];

  test.each(hostile)("SVG logo with %s is published without it (no script, no handler, no external reference)", (_name, svg) => {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${Math.random().toString(36).slice(2)}.svg`);
    writeFileSync(file, svg);
    const out = checkSvgLogo(file).bytes.toString("utf8");
    expect(out).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(out).toContain("<rect");
    expect(out).not.toMatch(
      /script|javascript|on[a-z]+=|foreignObject|<image|<style|@import|evil|<a[\s>]|animate|<set|iframe|embed|object|xml:base|xml-stylesheet|data:/i,
    );
    expect(out).not.toMatch(/(?:href|url\()\s*=?\s*["']?(?!#)[a-z/]/i);
  });

  test("a drawing logo keeps its shapes, gradients, internal references and text", () => {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "good.svg");
    const good = `<?xml version="1.0"?>\n<svg ${NS} xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="#003"/></linearGradient><path id="p" d="M0 0L10 10"/></defs><title>UV &amp; más</title><rect width="10" height="10" fill="url(#g)" style="stroke:#fff;stroke-width:2"/><use xlink:href="#p"/><text x="1" y="9" font-family="sans-serif">UV</text></svg>`;
    writeFileSync(file, good);
    const out = checkSvgLogo(file).bytes.toString("utf8");
    for (const kept of [
      'fill="url(#g)"',
      'style="stroke:#fff;stroke-width:2"',
      'xlink:href="#p"',
      "<title>UV &amp; más</title>",
      ">UV</text>",
      '<stop offset="0" stop-color="#003"/>',
    ])
      expect(out).toContain(kept);
  });
});

test("the probe does not follow a difusor's redirect to another host (internal addresses), only within its own site", async () => {
  let hits = 0;
  const internal = http.createServer((_req, res) => {
    hits++;
    res.end("{}");
  });
  await new Promise<void>((r) => internal.listen(0, "127.0.0.1", () => r()));
  const internalPort = (internal.address() as { port: number }).port;
  let target = "";
  const difusor = http.createServer((req, res) => {
    if (req.url === "/a/.well-known/prepcast.json") {
      res.writeHead(302, { location: target });
      return res.end();
    }
    if (req.url === "/b/.well-known/prepcast.json") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify({ status: "live" }));
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => difusor.listen(0, "127.0.0.2", () => r()));
  const port = (difusor.address() as { port: number }).port;
  try {
    for (const t of [`http://127.0.0.1:${internalPort}/latest/meta-data/`, `http://localhost:${internalPort}/`, `http://127.0.0.2:${internalPort}/`]) {
      target = t;
      const r = await probeDifusor(`http://127.0.0.2:${port}/a/`, null, { timeoutMs: 2000, maxFileBytes: 1 << 20 });
      expect(r).toMatchObject({ verdict: "down", code: "REDIRECT_REFUSED" });
    }
    expect(hits).toBe(0);
    target = `http://127.0.0.2:${port}/b/.well-known/prepcast.json`; // the same site: followed
    const ok = await probeDifusor(`http://127.0.0.2:${port}/a/`, null, { timeoutMs: 2000, maxFileBytes: 1 << 20 });
    expect(ok.code).toBe("NO_CUT_YET");
  } finally {
    difusor.closeAllConnections();
    internal.closeAllConnections();
    await new Promise((r) => difusor.close(r));
    await new Promise((r) => internal.close(r));
  }
});
