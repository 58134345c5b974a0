// Notices to people with real processes: a running publisher and receiver, a real SMTP server on
// loopback (Debian's python3-aiosmtpd, e2e/test/support/smtp_sink.py) and a real webhook endpoint.
// A suspension and a reinstatement reach the difusor's technical staff (copy to the OPLE's
// operators) by email and every webhook, signed by the publisher identity key; a failing target
// is retried and ends as notification_failed in the audit log; `notify test` checks the setup.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { readAuditLog, readPublicKeyFile, verifyDocument, type SigFile } from "@prepcast/protocol";
import { cliAsync as cli, Cluster, freePort, PUBLISHER_BIN, waitFor } from "@prepcast/testkit";

// cliAsync: the webhook endpoint below answers from this process's event loop while a CLI runs

const PYTHON = "/usr/bin/python3";
const available = spawnSync(PYTHON, ["-c", "import aiosmtpd"]).status === 0;
if (!available) console.warn(`notifications.test.ts skipped: ${PYTHON} lacks aiosmtpd (apt-get install -y python3-aiosmtpd)`);
const maybe = available ? describe : describe.skip;

jest.setTimeout(180_000);

interface Mail {
  envelope: { from: string; to: string[]; authenticated: boolean };
  raw: string;
}

maybe("notifications: email through the OPLE's SMTP relay and signed webhooks", () => {
  let c: Cluster;
  let smtp: ChildProcess;
  let mailDir: string;
  let hook: http.Server;
  const hooks: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
  let failingHits = 0;

  const mails = (): Mail[] =>
    fs
      .readdirSync(mailDir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => ({
        envelope: JSON.parse(fs.readFileSync(path.join(mailDir, f), "utf8")),
        raw: fs.readFileSync(path.join(mailDir, f.replace(".json", ".eml")), "utf8"),
      }));
  const audit = () => readAuditLog(path.join(c.pubDir, "state", "audit.log"));
  const publisherKey = () => readPublicKeyFile(path.join(c.pubDir, "identity.pub")).publicKey;
  const verifyHook = (h: { headers: http.IncomingHttpHeaders; body: Buffer }) =>
    verifyDocument(
      "notification",
      h.body,
      { keyid: String(h.headers["x-prepcast-key-id"]), sig: String(h.headers["x-prepcast-signature"]) } as SigFile,
      publisherKey(),
    );

  beforeAll(async () => {
    c = await Cluster.create([{ id: "uv", transport: "grpc" }], { adminToken: true });
    mailDir = path.join(c.dir, "mail");
    fs.mkdirSync(mailDir);
    const smtpPort = await freePort();
    smtp = spawn(
      PYTHON,
      [path.join(__dirname, "support", "smtp_sink.py"), "--dir", mailDir, "--port", String(smtpPort), "--user", "prep-ople", "--password", "relay-s3cret"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    await new Promise<void>((resolve, reject) => {
      smtp.stdout!.once("data", () => resolve());
      smtp.once("exit", (code) => reject(new Error(`smtp_sink.py exited ${code}`)));
    });
    hook = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (d: Buffer) => parts.push(d));
      req.on("end", () => {
        if (req.url?.startsWith("/failing")) {
          failingHits++;
          return void res.writeHead(500).end();
        }
        hooks.push({ headers: req.headers, body: Buffer.concat(parts) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    const hookPort = (hook.address() as { port: number }).port;
    fs.writeFileSync(path.join(c.pubDir, "smtp.password"), "relay-s3cret\n", { mode: 0o600 });
    const doc = parseDocument(fs.readFileSync(c.pubConfig, "utf8"));
    doc.set(
      "notifications",
      doc.createNode({
        operators: ["guardia@oplever.org.mx"],
        email: {
          host: "127.0.0.1",
          port: smtpPort,
          security: "none",
          from: "PREP OPLE Veracruz <prep@oplever.org.mx>",
          user: "prep-ople",
          passwordFile: "./smtp.password",
        },
        webhooks: [{ url: `http://127.0.0.1:${hookPort}/prepcast` }, { url: `http://127.0.0.1:${hookPort}/failing?token=not-logged` }],
        attempts: 2,
      }),
    );
    doc.setIn(
      ["receivers", 0, "staff"],
      doc.createNode([{ name: "Ana Pérez", role: "Responsable técnica", phone: "+52 228 842 1700", email: "ana.perez@uv.mx" }]),
    );
    fs.writeFileSync(c.pubConfig, doc.toString());
    await c.startReceiver(c.receiver("uv"));
    await c.startPublisher();
  });
  afterAll(async () => {
    await c?.stop();
    smtp?.kill("SIGTERM");
    await new Promise((r) => hook?.close(r));
    c?.cleanup();
  });

  test("notify test: one test notice to the operators and to every webhook; the failing one is named and the command fails", async () => {
    const r = await cli(PUBLISHER_BIN, ["notify", "test", "--config", c.pubConfig, "--json"], { allowFail: true });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, code: "UNAVAILABLE" });
    const results = (r.json as { details: { results: Array<{ channel: string; target: string; ok: boolean }> } }).details.results;
    expect(results).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: "email", ok: true }),
        expect.objectContaining({ channel: "webhook", ok: true }),
        expect.objectContaining({ channel: "webhook", ok: false }),
      ]),
    );
    expect(JSON.stringify(r.json)).not.toContain("not-logged"); // a webhook's query string (a token) is never printed
    expect(JSON.stringify(r.json)).not.toContain("relay-s3cret");
    const m = mails().at(-1)!;
    expect(m.envelope).toMatchObject({ to: ["guardia@oplever.org.mx"], authenticated: true });
    expect(m.raw).toContain("Prueba de notificaciones");
    const h = hooks.at(-1)!;
    expect(h.headers["x-prepcast-event"]).toBe("test");
    expect(() => verifyHook(h)).not.toThrow();
  });

  test("a suspension reaches the difusor's staff (copy to the operators) and the webhooks, signed; the reinstatement too; every outcome is audited", async () => {
    const before = { mails: mails().length, hooks: hooks.length };
    expect((await cli(PUBLISHER_BIN, ["suspend", "uv", "--config", c.pubConfig, "--reason", "sitio sin actualizar (prueba)", "--json"])).json).toMatchObject({
      ok: true,
    });
    await waitFor("the suspension email and webhook", () => mails().length > before.mails && hooks.length > before.hooks, 30_000, 100);
    const mail = mails().at(-1)!;
    expect(mail.envelope.to.sort()).toEqual(["ana.perez@uv.mx", "guardia@oplever.org.mx"]);
    expect(mail.raw).toMatch(/Subject: .*Difusor suspendido/);
    expect(mail.raw).toContain("notification.json");
    const h = hooks.at(-1)!;
    expect(h.headers["x-prepcast-event"]).toBe("suspended");
    expect(() => verifyHook(h)).not.toThrow();
    const doc = JSON.parse(h.body.toString("utf8"));
    expect(doc).toMatchObject({
      format: "prepcast/notification@1",
      event: "suspended",
      receiver: "uv",
      publisher: "ople",
      detail: { manual: true, reason: "sitio sin actualizar (prueba)" },
    });
    // the signed document names the audit entry it reports
    const suspended = audit().find((e) => e.event === "suspended")!;
    expect(doc.cause).toEqual({ seq: suspended.seq, hash: suspended.hash, event: "suspended" });
    // a byte changed: the signature fails (a webhook consumer must check it)
    expect(() => verifyHook({ headers: h.headers, body: Buffer.from(h.body.toString("utf8").replace("suspended", "reinstated")) })).toThrow(/signature/);

    expect((await cli(PUBLISHER_BIN, ["reinstate", "uv", "--config", c.pubConfig, "--reason", "corregido", "--json"])).json).toMatchObject({ ok: true });
    await waitFor("the reinstatement webhook", () => hooks.some((x) => x.headers["x-prepcast-event"] === "reinstated"), 30_000, 100);
    await waitFor(
      "notification_failed for the failing webhook, twice (suspended, reinstated)",
      () => audit().filter((e) => e.event === "notification_failed").length >= 2,
      30_000,
      200,
    );
    const entries = audit();
    const sent = entries.filter((e) => e.event === "notification_sent").map((e) => `${String(e.data.event)}/${String(e.data.channel)}`);
    expect(sent).toEqual(expect.arrayContaining(["suspended/email", "suspended/webhook", "reinstated/webhook"]));
    const failed = entries.filter((e) => e.event === "notification_failed");
    expect(failed[0]!.data).toMatchObject({ channel: "webhook", attempts: 2, code: "UNAVAILABLE" });
    expect(JSON.stringify(entries)).not.toContain("not-logged");
    expect(failingHits).toBeGreaterThanOrEqual(4); // each notice retried once on the failing webhook
  });
});
