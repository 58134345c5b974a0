import { writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { ingestLogsCommand, registerSiteCommands, reportCommand, serveCommand, SiteServer, verifySiteCommand } from "../src";
import { activate, cleanup, makeKeys, sampleSite, tempRoot, writeCut, writeRootPub } from "./fixtures";
import { request } from "./http";

function capture(): { io: { stdout: (s: string) => void; stderr: (s: string) => void }; out: () => string; err: () => string } {
  let o = "";
  let e = "";
  return { io: { stdout: (s) => (o += s), stderr: (s) => (e += s) }, out: () => o, err: () => e };
}

describe("CLI commands", () => {
  test("serve + verify-site end to end, then ingest-logs and report", async () => {
    const root = tempRoot();
    const keys = makeKeys();
    const cut = writeCut(root, keys, { sequence: 4, corte: "2024-06-02T20:45:00-06:00", notBefore: "2024-06-02T20:00:00-06:00", files: sampleSite("C") });
    activate(root, cut.id);
    const trust = writeRootPub(root, keys);
    const ac = new AbortController();
    const serveOut = capture();
    let server: SiteServer | undefined;
    const serving = serveCommand({ root, listen: "127.0.0.1:0", admin: "127.0.0.1:0", io: serveOut.io, signal: ac.signal, onListening: (s) => (server = s) });
    try {
      for (let i = 0; i < 100 && !server; i++) await new Promise((r) => setTimeout(r, 20));
      expect(serveOut.out()).toContain(`serving ${root}/current at ${server!.url}`);
      await request(`${server!.url}/`, { headers: { "User-Agent": "Mozilla/5.0 (X11) Firefox/126.0" } });
      const v = capture();
      expect(await verifySiteCommand({ url: server!.url, trust, io: v.io })).toBe(0);
      expect(v.out()).toContain("OK: 11 of 11 files checked");
      const bad = capture();
      expect(await verifySiteCommand({ url: server!.url, trust: join(root, "nope.pub"), io: bad.io })).toBe(1);
      expect(bad.err()).toMatch(/^error \[KEY_FILE_INVALID\]: --trust .*nope\.pub: no such file/);
      expect(bad.err()).toContain("is the OPLE's root: get it from the OPLE");
      const json = capture();
      expect(await verifySiteCommand({ url: server!.url, trust, sample: 2, json: true, io: json.io })).toBe(0);
      expect(JSON.parse(json.out())).toMatchObject({ ok: true, checked: 2 });
    } finally {
      ac.abort();
      expect(await serving).toBe(0);
    }
    const log = join(root, "access.log");
    writeFileSync(log, `10.0.0.1 - - [02/Jun/2024:20:50:00 -0600] "GET / HTTP/1.1" 200 10 "-" "Mozilla/5.0 (X11) Firefox/126.0"\ngarbage\n`);
    const ing = capture();
    expect(await ingestLogsCommand({ files: [log], root, io: ing.io })).toBe(3);
    expect(ing.err()).toContain(`${log} line 2: not in nginx combined format`);
    expect(await ingestLogsCommand({ files: [log], root, io: capture().io })).toBe(1);
    const rep = capture();
    expect(await reportCommand({ root, from: "2024-06-02T20:00", to: "2024-06-09T23:59", out: join(root, "memoria"), io: rep.io })).toBe(0);
    expect(existsSync(join(root, "memoria", "memoria.html"))).toBe(true);
    expect(rep.out()).toContain("1 visitors, 1 pageviews");
    const badWindow = capture();
    expect(await reportCommand({ root, from: "junio", to: "2024-06-09T23:59", out: join(root, "m2"), io: badWindow.io })).toBe(1);
    expect(badWindow.err()).toContain('"junio" is not an ISO 8601 time');
    cleanup(root);
  });

  test("serve refuses a non-loopback admin listener without a token (a configuration problem: exit 78)", async () => {
    const root = tempRoot();
    const c = capture();
    delete process.env.PREPCAST_ADMIN_TOKEN;
    expect(await serveCommand({ root, listen: "127.0.0.1:0", admin: "0.0.0.0:0", io: c.io, signal: AbortSignal.abort() })).toBe(78);
    expect(c.err()).toContain("error [CONFIG_INVALID]: --admin 0.0.0.0:0 is not a loopback address");
    cleanup(root);
  });

  test("registerSiteCommands wires the four subcommands into commander 14", () => {
    const program = new Command();
    registerSiteCommands(program);
    expect(program.commands.map((c) => c.name())).toEqual(["serve", "report", "ingest-logs", "verify-site"]);
    const serve = program.commands[0]!;
    expect(serve.options.map((o) => o.long)).toEqual(
      expect.arrayContaining([
        "--root",
        "--listen",
        "--workers",
        "--analytics",
        "--no-analytics",
        "--admin",
        "--frame-ancestor",
        "--tls-cert",
        "--tls-key",
        "--stale-after",
        "--trust-proxy",
      ]),
    );
  });
});
