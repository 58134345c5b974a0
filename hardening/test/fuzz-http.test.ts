// Fuzzing (fast-check) of every HTTP listener with raw request lines, headers and bodies (issue 12):
// the receiver agent's admin listener and public site, the site's stats listener, and the
// publisher's dashboard/operator API, all real servers on 127.0.0.1 in this process. Bounded in time
// for `npm test` (~5 s per target); PREPCAST_HARDENING=1 (or PREPCAST_FUZZ_SECONDS) runs longer.
// Invariants: no request makes a handler throw (no 500, nothing reaches uncaughtException), no
// request is answered 5xx except the site's documented 503s, every listener still answers
// normally afterwards.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { PublisherService, loadPublisherConfig } from "@prepcast/publisher";
import { PUBLISHER_BIN } from "@prepcast/testkit";
import { rawRequest, type RawAnswer } from "./support/raw-http";
import { REPO, siteFiles, startAgentRig, tmpDir, quietLog, type AgentRig } from "./support/rig";

const LONG = process.env.PREPCAST_HARDENING === "1";
const TIME_MS = Number(process.env.PREPCAST_FUZZ_SECONDS ?? (LONG ? 120 : 5)) * 1000;
jest.setTimeout(TIME_MS * 6 + 60_000);

interface Target {
  name: string;
  port: number;
  paths: string[];
  /** 5xx statuses this listener may answer by design (the site's 503 during an embargo or without a cut). */
  allowed5xx: number[];
}

let rig: AgentRig;
let publisher: PublisherService | null = null;
let stats: { close(): Promise<void>; adminUrl: string | undefined } | null = null;
const work = tmpDir("fuzz-http");
const targets: Target[] = [];
const uncaught: unknown[] = [];
const onUncaught = (e: unknown) => uncaught.push(e);

beforeAll(async () => {
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  rig = await startAgentRig({ site: true });
  const s = await rig.connect();
  await s.deliver(rig.ople.plan(rig.ople.cut(1, { ...siteFiles("fuzz"), "diputaciones/index.html": "<h1>d</h1>" })));
  await s.close();
  const agentAdmin = rig.agent.adminAddress!.port;
  const sitePort = Number(new URL(rig.agent.siteUrl!).port);
  targets.push({ name: "receiver admin", port: agentAdmin, paths: ["/", "/status", "/status.json", "/livez", "/readyz", "/metrics"], allowed5xx: [] });
  targets.push({
    name: "public site",
    port: sitePort,
    paths: [
      "/",
      "/index.html",
      "/datos/s1.json",
      "/diputaciones",
      "/diputaciones/",
      "/.well-known/prepcast.json",
      "/.well-known/prepcast/manifest.json",
      "/.well-known/prepcast/beacon",
      "/.well-known/prepcast/banner.js",
      "/.well-known/prepcast/verify.html",
    ],
    allowed5xx: [503],
  });
  // the site's stats listener (prep-receiver serve --admin), with analytics and a token
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const site = require(path.join(REPO, "packages/site/src")) as {
    createSiteServer(o: Record<string, unknown>): Promise<{ close(): Promise<void>; adminUrl: string | undefined }>;
  };
  const srv = await site.createSiteServer({
    root: rig.root,
    listen: "127.0.0.1:0",
    analytics: path.join(work, "a.sqlite"),
    admin: { listen: "127.0.0.1:0", token: "fuzz-token-0123456789" },
    log: { info() {}, warn() {}, error() {} },
  });
  stats = srv;
  targets.push({
    name: "stats listener",
    port: Number(new URL(srv.adminUrl!).port),
    paths: ["/stats", "/stats.json", "/stats.html", "/status.json", "/.well-known/prepcast/stats.json"],
    allowed5xx: [],
  });
  // the publisher's dashboard and operator API (token and password configured)
  spawnSync(process.execPath, [PUBLISHER_BIN, "init", "--dir", path.join(work, "ople"), "--id", "ople", "--process", "VER-2024"], { encoding: "utf8" });
  fs.writeFileSync(path.join(work, "ople", "admin.token"), "token-de-operacion-de-fuzz", { mode: 0o600 });
  const yaml = fs
    .readFileSync(path.join(work, "ople", "publisher.yaml"), "utf8")
    .replace(/admin:\n {2}listen: [^\n]*/, "admin:\n  listen: 127.0.0.1:0\n  tokenFile: ./admin.token");
  fs.writeFileSync(path.join(work, "ople", "publisher.yaml"), yaml);
  publisher = await PublisherService.start({
    config: loadPublisherConfig(path.join(work, "ople", "publisher.yaml")),
    log: quietLog(),
    admin: true,
    watchInbox: false,
    monitor: false,
  });
  targets.push({
    name: "publisher dashboard",
    port: publisher!.adminAddress!.port,
    paths: ["/", "/login", "/logout", "/api/status", "/api/overview", "/api/push", "/api/receivers/uv/suspend", "/dashboard.js", "/metrics"],
    allowed5xx: [],
  });
}, 120_000);

afterAll(async () => {
  await publisher?.stop();
  await stats?.close();
  await rig?.close();
  fs.rmSync(work, { recursive: true, force: true });
  process.off("uncaughtException", onUncaught);
  process.off("unhandledRejection", onUncaught);
});

// ---- generators: request lines, headers, bodies ------------------------------------------------
const hostileChars = fc.constantFrom(
  "%",
  "%zz",
  "%0",
  "%00",
  "%0D%0A",
  "%E0%A4%A",
  "%C0%AF",
  "/",
  "//",
  "\\",
  "..",
  "?",
  "#",
  "[",
  "]",
  "@",
  ":",
  "*",
  "\u00ff",
  "\u0080",
  "é",
  "\u202e",
  ";",
  "&",
  "=",
  "+",
  " ",
  "\t",
);
const segment = fc.oneof(fc.stringMatching(/^[a-zA-Z0-9._~-]{0,12}$/), hostileChars, fc.string({ maxLength: 8 }));

function targetArb(t: Target): fc.Arbitrary<string> {
  const path = fc.tuple(fc.constantFrom(...t.paths), fc.array(segment, { maxLength: 4 })).map(([p, extra]) => p + extra.join(""));
  return fc.oneof(
    { weight: 4, arbitrary: path },
    {
      weight: 2,
      arbitrary: fc.tuple(path, fc.array(fc.tuple(segment, segment), { maxLength: 4 })).map(([p, q]) => `${p}?${q.map(([k, v]) => `${k}=${v}`).join("&")}`),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom("http://", "https://", "HTTP://", "ftp://", "//"),
          fc.constantFrom("127.0.0.1", "[::1]", "[::1", "%zz", "evil.example", "", "a@b"),
          path,
        )
        .map(([s, h, p]) => `${s}${h}${p}`),
    },
    { weight: 1, arbitrary: fc.constantFrom("*", "127.0.0.1:1", "", "/" + "a".repeat(9000), "//%zz/", "/%", "/?%") },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((x) => `/${x}`) },
  );
}

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("GET", "HEAD", "POST") },
  { weight: 2, arbitrary: fc.constantFrom("PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "get", "PRI") },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z!#$%&'*+.^_`|~-]{1,12}$/) },
);
const version = fc.oneof(
  { weight: 8, arbitrary: fc.constant("HTTP/1.1") },
  { weight: 1, arbitrary: fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "http/1.1", "HTTP/9", "") },
);

function headersArb(t: Target): fc.Arbitrary<Array<[string, string]>> {
  const host = fc.constantFrom(
    `127.0.0.1:${t.port}`,
    `localhost:${t.port}`,
    `[::1]:${t.port}`,
    "evil.example",
    `127.0.0.1.evil.example:${t.port}`,
    "[::1",
    "%zz",
    "",
    `127.0.0.1:${t.port}, evil.example`,
    "a".repeat(300),
  );
  const value = fc.oneof(
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    {
      weight: 4,
      arbitrary: fc.constantFrom(
        "",
        " ",
        "\u00ff\u00fe",
        "x".repeat(5000),
        "null",
        "https://evil.example",
        "http://127.0.0.1",
        "Bearer fuzz-token-0123456789",
        "Bearer token-de-operacion-de-fuzz",
        "prepcast_session=" + "A".repeat(43),
        "bytes=0-1,2-3",
        "bytes=-0",
        "gzip, br;q=0",
        "document",
        "iframe",
        "chunked",
        "-1",
        "99999999999999999999",
        "https",
        "1.2.3.4, 5.6.7.8",
      ),
    },
  );
  const name = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.constantFrom(
        "Host",
        "Origin",
        "Referer",
        "Cookie",
        "Authorization",
        "Content-Type",
        "Content-Length",
        "Transfer-Encoding",
        "Range",
        "If-None-Match",
        "Accept-Encoding",
        "Sec-Fetch-Dest",
        "Sec-Fetch-Site",
        "X-Forwarded-For",
        "X-Forwarded-Proto",
        "X-CSRF-Token",
        "User-Agent",
        "Connection",
        "Expect",
        "Upgrade",
      ),
    },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/) },
  );
  return fc
    .tuple(fc.option(host, { freq: 5 }), fc.array(fc.tuple(name, value), { maxLength: 12 }))
    .map(([h, rest]) => (h === null ? rest : [["Host", h] as [string, string], ...rest]));
}

const body = fc.oneof(
  fc.constant(""),
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{"path":"/","ms":1}',
    '{"path":"/diputaciones/","ms":-1}',
    "secreto=x",
    '{"dir":"/etc"}',
    '{"reason":"x","by":"y"}',
    "{",
    "null",
    "[]",
    "0\r\n\r\n",
  ),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
);

function requestArb(t: Target): fc.Arbitrary<{ bytes: string; consistent: boolean }> {
  return fc.tuple(method, targetArb(t), version, headersArb(t), body, fc.boolean()).map(([m, target, v, headers, b, withLength]) => {
    const hasLength = headers.some(([n]) => /^content-length$/i.test(n) || /^transfer-encoding$/i.test(n));
    const all =
      withLength && !hasLength && b.length > 0 ? [...headers, ["Content-Length", String(Buffer.byteLength(b, "latin1"))] as [string, string]] : headers;
    const bytes = `${m} ${target} ${v}\r\n${all.map(([n, val]) => `${n}: ${val}`).join("\r\n")}${all.length ? "\r\n" : ""}\r\n${b}`;
    // a declared length larger than what is sent keeps the server waiting: not a failure
    return { bytes, consistent: !hasLength };
  });
}

interface Tally {
  requests: number;
  statuses: Map<string, number>;
  held: number;
}

async function fuzz(t: Target): Promise<Tally> {
  const tally: Tally = { requests: 0, statuses: new Map(), held: 0 };
  const deadline = Date.now() + TIME_MS;
  await fc.assert(
    // 16 requests at once per run: most answers take a millisecond, a request that declared more
    // body than it sent is held by the server until it times out (that is the point of a timeout)
    fc.asyncProperty(fc.array(requestArb(t), { minLength: 16, maxLength: 16 }), async (batch) => {
      if (Date.now() > deadline) return;
      await Promise.all(
        batch.map(async ({ bytes, consistent }) => {
          const r: RawAnswer = await rawRequest(t.port, Buffer.from(bytes, "latin1"), { timeoutMs: 1000 });
          tally.requests++;
          const key = r.status === null ? (r.text === "" ? "no answer in 1 s" : "closed") : String(r.status);
          tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1);
          if (r.status === null && r.text === "" && consistent) tally.held++;
          if (r.status !== null && r.status >= 500 && !t.allowed5xx.includes(r.status))
            throw new Error(`${t.name} answered ${r.status} to ${JSON.stringify(bytes.slice(0, 300))}`);
        }),
      );
      if (uncaught.length) throw new Error(`${t.name}: uncaught ${String(uncaught[0])}`);
    }),
    { numRuns: 1_000_000, interruptAfterTimeLimit: TIME_MS, markInterruptAsFailure: false },
  );
  // still serving normally
  const ok = await rawRequest(t.port, `GET ${t.paths[0]} HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nConnection: close\r\n\r\n`);
  expect(ok.status === 200 || ok.status === 303 || ok.status === 401).toBe(true);
  return tally;
}

const figures: string[] = [];
afterAll(() => {
  if (LONG || process.env.PREPCAST_FUZZ_SECONDS) process.stderr.write(`fuzz http:\n${figures.join("\n")}\n`);
});

for (const name of ["receiver admin", "public site", "stats listener", "publisher dashboard"]) {
  test(`fuzz HTTP listener (${name}): request lines, headers and bodies never make it throw, answer 500, or stop serving`, async () => {
    const t = targets.find((x) => x.name === name)!;
    const tally = await fuzz(t);
    expect(tally.requests).toBeGreaterThan(20);
    expect(uncaught).toEqual([]);
    figures.push(
      `${name}: ${tally.requests} requests, ${[...tally.statuses]
        .sort((a, b) => b[1] - a[1])
        .map(([s, n]) => `${s}×${n}`)
        .join(" ")}; ${tally.held} with a consistent length held open`,
    );
  });
}
