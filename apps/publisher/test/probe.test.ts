// The public-URL probe against a real HTTP server on 127.0.0.1 that plays each failure a citizen
// could meet: the right cut, an older one, another channel, a file with other bytes, an error
// page from a proxy, a hang.
import { createHash } from "node:crypto";
import * as http from "node:http";
import { probeDifusor, publicUrlFor, type ProbeExpectation } from "../src/monitor/probe";

const corte = Buffer.from('{"corte":"2024-06-02T20:15:00-06:00"}\n');
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const expected: ProbeExpectation = {
  process: "VER-2024",
  channel: "produccion",
  sequence: 7,
  manifestSha256: "a".repeat(64),
  corte: "2024-06-02T20:15:00-06:00",
  files: [{ path: "data/corte.json", size: corte.length, sha256: sha(corte) }],
};

let server: http.Server;
let base: string;
let behaviour: { status?: Record<string, unknown> | string; statusCode?: number; file?: Buffer; hang?: boolean } = {};

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (behaviour.hang) return; // never answers
    if (req.url === "/sitio/.well-known/prepcast.json") {
      const body = typeof behaviour.status === "string" ? behaviour.status : JSON.stringify(behaviour.status);
      res.writeHead(behaviour.statusCode ?? 200, { "content-type": "application/json" });
      return res.end(body);
    }
    if (req.url === "/sitio/data/corte.json") {
      res.writeHead(200);
      return res.end(behaviour.file ?? corte);
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/sitio`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const live = (over: Record<string, unknown> = {}) => ({
  format: "prepcast/site-status@1",
  status: "live",
  process: "VER-2024",
  channel: "produccion",
  simulacro: false,
  sequence: 7,
  manifestSha256: "a".repeat(64),
  corte: expected.corte,
  ...over,
});
const probe = (exp: ProbeExpectation | null = expected, timeoutMs = 2000) => probeDifusor(base, exp, { timeoutMs, maxFileBytes: 1 << 20 });

test("a site serving the latest cut passes, and the sampled file is checked", async () => {
  behaviour = { status: live() };
  const r = await probe();
  expect(r).toMatchObject({ verdict: "ok", code: "OK", httpStatus: 200, served: { sequence: 7 }, file: { path: "data/corte.json", ok: true } });
  expect(r.url).toBe(`${base}/.well-known/prepcast.json`);
});

test.each([
  ["an older cut", { status: live({ sequence: 6 }) }, "stale", "STALE_CUT"],
  ["the same sequence with other content", { status: live({ manifestSha256: "b".repeat(64) }) }, "wrong", "WRONG_CUT"],
  ["another channel", { status: live({ channel: "simulacro" }) }, "wrong", "WRONG_CHANNEL"],
  ["the suspension notice", { status: live({ status: "suspended" }) }, "notice", "NOTICE_SHOWN"],
  ["no cut", { status: { format: "prepcast/site-status@1", status: "no-cut" } }, "stale", "NO_CUT"],
  ["a proxy error page", { status: "<html>502</html>", statusCode: 502 }, "down", "HTTP_STATUS"],
  ["HTML where the status document should be", { status: "<html>bienvenidos</html>" }, "down", "BAD_STATUS_DOC"],
  ["a data file with other bytes (stale CDN)", { status: live(), file: Buffer.from('{"corte":"2024-06-02T20:00:00-06:00"}\n') }, "wrong", "FILE_MISMATCH"],
])("a site serving %s fails with a clear code", async (_what, b, verdict, code) => {
  behaviour = b as typeof behaviour;
  const r = await probe();
  expect(r.verdict).toBe(verdict);
  expect(r.code).toBe(code);
  expect(r.message.length).toBeGreaterThan(10);
});

test("a site that does not answer times out within the limit", async () => {
  behaviour = { hang: true };
  const t = Date.now();
  const r = await probe(expected, 300);
  expect(r).toMatchObject({ verdict: "down", code: "TIMEOUT" });
  expect(Date.now() - t).toBeLessThan(2000);
});

test("an unreachable site is reported as such", async () => {
  const r = await probeDifusor("http://127.0.0.1:1/", expected, { timeoutMs: 1000, maxFileBytes: 1024 });
  expect(r).toMatchObject({ verdict: "down", code: "UNREACHABLE" });
});

test("before any cut only reachability is checked", async () => {
  behaviour = { status: { format: "prepcast/site-status@1", status: "no-cut" } };
  expect(await probe(null)).toMatchObject({ verdict: "ok", code: "NO_CUT_YET" });
});

test("public URLs with or without a trailing slash and odd file names", () => {
  expect(publicUrlFor("https://prep.uv.mx", "data/corte.json")).toBe("https://prep.uv.mx/data/corte.json");
  expect(publicUrlFor("https://uv.mx/prep/", "data/a b#c.json")).toBe("https://uv.mx/prep/data/a%20b%23c.json");
});
