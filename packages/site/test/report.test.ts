import { readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog } from "@prepcast/protocol";
import { createAnalyticsStore, writeReport } from "../src";
import { cleanup, tempRoot } from "./fixtures";
import { haveChromium, launchChromium } from "@prepcast/testkit";

const at = (hhmm: string): Date => new Date(`2024-06-02T${hhmm}:00-06:00`);

function writeAudit(file: string): void {
  let now = at("19:50");
  const log = AuditLog.open(file, { now: () => now, fsync: false });
  const ev = (hhmm: string, event: string, data: Record<string, unknown>): void => {
    now = at(hhmm);
    log.append(event, data);
  };
  ev("19:50", "agent_started", { receiver: "uv" });
  ev("20:00", "activated", {
    sequence: 1,
    corte: "2024-06-02T19:45:00-06:00",
    manifestSha256: "a".repeat(64),
    notBefore: "2024-06-02T20:00:00-06:00",
    receivedAt: "2024-06-02T19:55:00-06:00",
    activatedAt: "2024-06-02T20:00:05-06:00",
    late: false,
  });
  ev("20:10", "refused", { code: "ROLLBACK", message: "cut #0 is older than the installed #1", sequence: 0 });
  ev("20:11", "refused", { code: "ALREADY_INSTALLED", message: "already", sequence: 1 });
  ev("20:20", "transfer_failed", { code: "TIMEOUT", message: "the peer stopped making progress", sequence: 2, offset: 1000 });
  ev("20:25", "activated", {
    sequence: 2,
    corte: "2024-06-02T20:00:00-06:00",
    manifestSha256: "b".repeat(64),
    notBefore: "2024-06-02T20:15:00-06:00",
    receivedAt: "2024-06-02T20:24:00-06:00",
    activatedAt: "2024-06-02T20:25:00-06:00",
    late: true,
  });
  ev("20:26", "connection_rejected", { address: "198.51.100.9", reason: "not in allowlist" });
  ev("20:40", "agent_stopped", { receiver: "uv" });
  ev("20:50", "agent_started", { receiver: "uv" });
  ev("21:00", "notice_applied", { kind: "suspension", channel: "produccion", issuedAt: "2024-06-02T20:59:00-06:00" });
  ev("21:30", "notice_applied", { kind: "reinstatement", channel: "produccion", issuedAt: "2024-06-02T21:29:00-06:00" });
  ev("22:00", "agent_started", { receiver: "uv" });
  log.close();
}

describe("memoria técnica", () => {
  let root: string;
  beforeEach(() => {
    root = tempRoot("prepcast-report-");
    writeAudit(join(root, "audit.log"));
    const store = createAnalyticsStore(join(root, "analytics.sqlite"));
    const base = at("20:05").getTime();
    const ua = "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0";
    store.insertHits(
      Array.from({ length: 60 }, (_, i) => ({
        time: base + i * 60_000,
        ip: `10.0.0.${i % 7}`,
        ua,
        method: "GET",
        path: i % 3 ? "/" : "/diputaciones/",
        status: 200,
        bytes: 1000,
        referrer: "",
        dest: "document",
        html: true,
      })),
    );
    store.close();
  });
  afterEach(() => cleanup(root));

  test("incidents, cut table, statistics, CSV/JSON, and the operator's improvement notes kept between runs", () => {
    const out = join(root, "memoria");
    const r = writeReport({
      root,
      from: "2024-06-02T20:00-06:00",
      to: "2024-06-09T23:59-06:00",
      out,
      difusor: "Universidad de prueba",
      clock: () => at("23:00").getTime(),
    });
    const m = r.memoria;
    expect(m.auditLog).toMatchObject({ verified: true, entries: 12 });
    expect(m.incidents.map((i) => [i.kind, i.start, i.durationMs])).toEqual([
      ["refused", "2024-06-02T20:10:00-06:00", null],
      ["late_activation", "2024-06-02T20:15:00-06:00", 10 * 60_000],
      ["transfer_failed", "2024-06-02T20:20:00-06:00", null],
      ["downtime", "2024-06-02T20:40:00-06:00", 10 * 60_000],
      ["suspension", "2024-06-02T21:00:00-06:00", 30 * 60_000],
      ["crash", "2024-06-02T21:30:00-06:00", 30 * 60_000],
    ]);
    expect(m.cuts.map((c) => [c.sequence, c.lateByMs, c.delayFromCorteMs])).toEqual([
      [1, 5_000, 15 * 60_000 + 5_000],
      [2, 10 * 60_000, 25 * 60_000],
    ]);
    expect(m.rejectedConnections).toBe(1);
    expect(m.stats).toMatchObject({ pageviews: 60, visitors: 7 });
    const html = readFileSync(r.html, "utf8");
    for (const s of [
      "Memoria técnica",
      "Activación tardía",
      "Suspensión de la publicación",
      "02/06/2024 20:25:00",
      "<svg",
      "Criterios de mejora",
      "Universidad de prueba",
      "@media print",
    ])
      expect(html).toContain(s);
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/); // self-contained
    expect(readFileSync(join(out, "cortes.csv"), "utf8").split("\n")[1]).toBe(
      `1,2024-06-02T19:45:00-06:00,2024-06-02T19:55:00-06:00,2024-06-02T20:00:05-06:00,2024-06-02T20:00:00-06:00,905,5,${"a".repeat(64)}`,
    );
    expect(readFileSync(join(out, "paginas.csv"), "utf8")).toContain("/diputaciones/,20,");
    expect(JSON.parse(readFileSync(r.json, "utf8")).format).toBe("prepcast/memoria@1");
    // the operator writes the improvement criteria; the next run includes them and keeps the file
    writeFileSync(r.improvementsFile, "# Mejoras\n\n- Contratar un segundo enlace de 100 Mbps <antes> de la jornada\n");
    const again = writeReport({ root, from: "2024-06-02T20:00-06:00", to: "2024-06-09T23:59-06:00", out });
    expect(readFileSync(again.improvementsFile, "utf8")).toContain("segundo enlace");
    expect(readFileSync(again.html, "utf8")).toContain("<li>Contratar un segundo enlace de 100 Mbps &lt;antes&gt; de la jornada</li>");
  });

  test("a tampered audit log is reported, not trusted silently", () => {
    const file = join(root, "audit.log");
    const lines = readFileSync(file, "utf8").split("\n");
    lines[2] = lines[2]!.replace("ROLLBACK", "REPLAY__");
    writeFileSync(file, lines.join("\n"));
    appendFileSync(file, "");
    const r = writeReport({ root, from: "2024-06-02T20:00-06:00", to: "2024-06-02T23:59-06:00", out: join(root, "m") });
    expect(r.memoria.auditLog.verified).toBe(false);
    expect(r.memoria.incidents[0]!.kind).toBe("audit_integrity");
    expect(readFileSync(r.html, "utf8")).toContain("Atención:");
  });

  if (!haveChromium) console.warn("memoria PDF test skipped: /usr/bin/chromium not found (apt-get install -y chromium)");
  (haveChromium ? test : test.skip)(
    "prints to PDF and renders in Chromium",
    async () => {
      const out = join(root, "memoria");
      const r = writeReport({ root, from: "2024-06-02T20:00-06:00", to: "2024-06-02T23:59-06:00", out });
      const browser = await launchChromium();
      try {
        const page = await browser.newPage();
        await page.goto(`file://${r.html}`);
        const results = join(__dirname, "..", "test-results");
        const pdf = await page.pdf({ path: join(results, "memoria.pdf"), format: "A4", printBackground: true });
        expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
        expect(pdf.toString("latin1").match(/\/Type\s*\/Page[^s]/g)!.length).toBeGreaterThanOrEqual(2);
        await page.screenshot({ path: join(results, "memoria.png"), fullPage: true });
        expect(await page.locator("svg.chart").count()).toBeGreaterThanOrEqual(4);
      } finally {
        await browser.close();
      }
    },
    30_000,
  );
});
