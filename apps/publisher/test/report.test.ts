// prep-publisher report: the OPLE's record of the night from a real night in small. A real
// `prep-publisher run` pushes a cut to two real receivers (their agents and public sites), the
// operator suspends one with `prep-publisher suspend` and reinstates it, the other's public site
// breaks behind its proxy and the 45-minute rule (1 s periods here) suspends it; then the report,
// as a process, must hold the receipts, both suspensions with their evidence and the timelines,
// as HTML (escaped), PDF (no browser), CSV and JSON. Needs `npm run build` first.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { freePort, readPdf } from "@prepcast/testkit";
import {
  PUBLISHER_BIN as BIN,
  FrontProxy,
  auditEvents,
  cut,
  runPublisherCli,
  startReceiver,
  makePublisherKeys,
  tmpDir,
  waitFor,
  writePublisherConfig,
  type ReceiverFixture,
} from "./helpers";

jest.setTimeout(240_000);

const work = tmpDir("ople-report");
const receivers: ReceiverFixture[] = [];
let proxy: FrontProxy | null = null;
let service: ChildProcess | null = null;
const EVIL = 'Universidad <script>alert("x")</script> =cmd';

async function cli(args: string[]): Promise<{ status: number | null; json: Record<string, any>; stderr: string }> {
  const r = await runPublisherCli([...args, "--json"], 60_000);
  let json: Record<string, any> = {};
  try {
    json = JSON.parse(r.stdout) as Record<string, any>;
  } catch {
    json = { unparsed: r.stdout };
  }
  return { status: r.status, json, stderr: r.stderr };
}

async function stopService(): Promise<void> {
  if (!service || service.exitCode !== null) return;
  const exited = new Promise((r) => service!.once("exit", r));
  service.kill("SIGTERM");
  await exited;
}

afterAll(async () => {
  await stopService();
  await proxy?.stop();
  for (const r of receivers) await r.agent.stop();
});

test("receipts, a manual and an automatic suspension with their evidence, timelines; HTML, PDF, CSV, JSON; bad input refused", async () => {
  const keys = makePublisherKeys(work);
  receivers.push(await startReceiver(work, "uv", keys), await startReceiver(work, "diario", keys));
  const [uv, diario] = receivers as [ReceiverFixture, ReceiverFixture];
  proxy = await new FrontProxy(diario.agent.siteUrl!).start();
  const adminPort = await freePort();
  fs.writeFileSync(path.join(work, "admin.token"), "token-de-operacion-para-la-prueba", { mode: 0o600 });
  const configFile = writePublisherConfig(work, keys, receivers, {
    publicUrls: { uv: uv.agent.siteUrl!, diario: proxy.url },
    admin: { listen: `127.0.0.1:${adminPort}`, tokenFile: path.join(work, "admin.token") },
    // the rule over 3 periods of 2 s: a slow probe on a busy test machine is not an outage
    suspendAfterPeriods: 3,
    monitor: { periodSeconds: 2, probeTimeoutSeconds: 5 },
  });
  // the registry's names come from the difusores: attacker-influenced
  const config = JSON.parse(fs.readFileSync(configFile, "utf8"));
  config.receivers[0].name = EVIL;
  config.receivers[0].organization = '=HYPERLINK("http://x")';
  fs.writeFileSync(configFile, JSON.stringify(config, null, 2));
  const state = config.state as string;

  // cut 1 goes out before the service and its monitor run (a slow first delivery must not count against anyone)
  const c1 = await cut(work, 1);
  const push = await cli(["push", c1.dir, "--config", configFile]);
  expect(push.json).toMatchObject({ ok: true, sequence: 1, delivered: 2 });
  service = spawn(process.execPath, [BIN, "run", "--config", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  service.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  await waitFor("the service", async () => {
    if (service!.exitCode !== null) throw new Error(`prep-publisher run exited ${service!.exitCode}: ${err}`);
    return (
      (await fetch(`http://127.0.0.1:${adminPort}/livez`).then(
        (r) => r.ok,
        () => false,
      )) || null
    );
  });
  await waitFor("both receipts of cut 1 live", () => auditEvents(state).filter((e) => e.event === "receipt" && e.data.state === "active").length >= 2 || null);
  await waitFor(
    "both sites confirmed by the probe",
    () => auditEvents(state).filter((e) => e.event === "probe_state" && e.data.to === "ok").length >= 2 || null,
  );

  // the operator suspends uv by hand, and reinstates it
  const s = await cli(["suspend", "uv", "--config", configFile, "--reason", "prueba <b>manual</b>", "--by", "ana"]);
  expect({
    ...s,
    events:
      s.status === 0
        ? []
        : auditEvents(state)
            .filter((e) => e.data.receiver === "uv")
            .map((e) => [e.event, e.data.code ?? e.data.reason ?? ""]),
  }).toMatchObject({ status: 0, json: { ok: true, receiver: "uv" } });
  await waitFor(
    "the notice on uv's site",
    async () =>
      (await fetch(`${uv.agent.siteUrl}/`, { headers: { "sec-fetch-dest": "document" } }).then((r) => r.text())).includes(
        "Publicación de resultados suspendida",
      ) || null,
  );
  const re = await cli(["reinstate", "uv", "--config", configFile, "--reason", "servidor reparado", "--by", "ana"]);
  expect(re.json).toMatchObject({ ok: true, receiver: "uv" });
  await waitFor("uv's link restored", () => auditEvents(state).some((e) => e.event === "link_restored" && e.data.receiver === "uv") || null, 30_000);

  // diario's public site breaks behind its proxy: the rule suspends it
  proxy.mode = "down";
  await waitFor("the rule suspends diario", () => auditEvents(state).some((e) => e.event === "suspended" && e.data.receiver === "diario") || null, 30_000);
  await stopService();

  const out = path.join(work, "informe");
  const r = await cli(["report", "--config", configFile, "--out", out, "--from", "2024-06-02T20:00-06:00"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.json).toMatchObject({
    ok: true,
    auditLogVerified: true,
    difusores: 2,
    cuts: 1,
    suspensions: 2,
    invalidReceipts: 0,
    pdf: path.join(out, "informe.pdf"),
  });
  expect(r.json.receipts).toBeGreaterThanOrEqual(2);

  const report = JSON.parse(fs.readFileSync(path.join(out, "informe.json"), "utf8"));
  expect(report.format).toBe("prepcast/ople-report@1");
  const byId = Object.fromEntries(report.difusores.map((d: any) => [d.id, d]));
  for (const id of ["uv", "diario"]) {
    expect(byId[id].liveCuts).toEqual([
      expect.objectContaining({
        sequence: 1,
        manifestSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        receiptValid: true,
        activatedAt: expect.any(String),
        deliveredAt: expect.any(String),
      }),
    ]);
    expect(byId[id].receipts.every((x: any) => x.valid)).toBe(true);
    expect(byId[id].summary.sessions).toBeGreaterThanOrEqual(1);
    expect(byId[id].timeline.map((e: any) => e.event)).toEqual(expect.arrayContaining(["connected", "offer", "delivered", "receipt", "probe_state"]));
  }
  expect(byId.uv.suspensions).toEqual([
    expect.objectContaining({
      manual: true,
      by: "cli:ana",
      reason: "prueba <b>manual</b>",
      notice: expect.objectContaining({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      reinstatement: expect.objectContaining({ reason: "servidor reparado" }),
      linkRestoredAt: expect.any(String),
    }),
  ]);
  const auto = byId.diario.suspensions[0];
  expect(auto).toMatchObject({ manual: false, reinstatement: null, failingSince: expect.any(String) });
  expect(auto.evidence.length).toBeGreaterThanOrEqual(2);
  // each probe saw the proxy's 502: on the status document, or (a probe that began before the switch)
  // on a data file after the status document answered 200
  for (const ev of auto.evidence) {
    expect(ev.verdict).toBe("down");
    expect(ev.httpStatus === 502 || (ev.code === "FILE_HTTP_STATUS" && /HTTP 502/.test(ev.message))).toBe(true);
  }
  expect(byId.diario.summary.probeTimeMs.ok).toBeGreaterThan(0);
  expect(byId.diario.probes.map((p: any) => p.verdict)).toEqual(expect.arrayContaining(["ok", "down"]));

  // HTML: everything escaped
  const html = fs.readFileSync(path.join(out, "informe.html"), "utf8");
  expect(html).not.toContain("<script");
  expect(html).not.toContain("<b>manual");
  expect(html).toContain("Universidad &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; =cmd");
  expect(html).toContain("prueba &#60;b&#62;manual&#60;/b&#62;");
  for (const s of [
    "por la regla de 45 minutos",
    "Reinstalado",
    "servidor reparado",
    "Evidencia",
    "Recibos",
    "Cronología de la conexión",
    "cadena de hashes verificada",
  ])
    expect(html).toContain(s);
  // CSV: the tables, formulas defused
  const csv = (name: string): string => fs.readFileSync(path.join(out, name), "utf8");
  expect(
    csv("recibos.csv")
      .split("\n")
      .filter((l) => /^(uv|diario),/.test(l)).length,
  ).toBeGreaterThanOrEqual(2);
  expect(csv("suspensiones.csv")).toMatch(/^uv,.*,si,cli:ana,prueba <b>manual<\/b>,/m);
  expect(csv("suspensiones.csv")).toMatch(/^diario,.*,no,/m);
  expect(
    csv("evidencia.csv")
      .split("\n")
      .filter((l) => l.startsWith("diario,")).length,
  ).toBeGreaterThanOrEqual(2);
  expect(csv("difusores.csv")).toContain(`uv,"${EVIL.replace(/"/g, '""')}","'=HYPERLINK(""http://x"")",`);
  expect(csv("cortes_publicados.csv")).toMatch(/^uv,1,[0-9a-f]{64},/m);
  // PDF: parses, several pages, the same content
  const pdf = readPdf(fs.readFileSync(path.join(out, "informe.pdf")));
  expect(pdf.pages).toBeGreaterThan(2);
  for (const s of [
    "Registro de la jornada: difusores del PREP",
    EVIL,
    "prueba <b>manual</b>",
    "por la regla de 45 minutos",
    "servidor reparado",
    "Recibos",
    "Evidencia".toLowerCase(),
  ])
    expect(pdf.text.toLowerCase()).toContain(s.toLowerCase());

  // the window filters: nothing of tonight happened in 2024
  const old = await cli([
    "report",
    "--config",
    configFile,
    "--out",
    path.join(work, "viejo"),
    "--from",
    "2024-06-02T20:00-06:00",
    "--to",
    "2024-06-09T23:59-06:00",
  ]);
  expect(old.json).toMatchObject({ ok: true, receipts: 0, suspensions: 0, cuts: 0 });

  // bad input: a clear error with a stable code
  const badTime = await cli(["report", "--config", configFile, "--out", path.join(work, "x"), "--from", "junio"]);
  expect(badTime.status).toBe(1);
  expect(badTime.json).toMatchObject({ ok: false, code: "TIME_INVALID", where: "--from" });
  const reversed = await cli([
    "report",
    "--config",
    configFile,
    "--out",
    path.join(work, "x"),
    "--from",
    "2024-06-09T00:00-06:00",
    "--to",
    "2024-06-02T00:00-06:00",
  ]);
  expect(reversed.json).toMatchObject({ ok: false, code: "TIME_INVALID", where: "--to" });
  const noConfig = await cli(["report", "--config", path.join(work, "nope.yaml"), "--out", path.join(work, "x")]);
  expect(noConfig.status).toBe(78);
  expect(noConfig.json).toMatchObject({ ok: false, code: "CONFIG_INVALID" });

  // a receipt altered after the fact, and an edited audit log, are reported (exit 1), never trusted silently
  const receiptsFile = path.join(state, "receipts.jsonl");
  const lines = fs.readFileSync(receiptsFile, "utf8").split("\n");
  const rec = JSON.parse(lines[0]!);
  const doc = JSON.parse(Buffer.from(rec.receipt, "base64").toString());
  rec.receipt = Buffer.from(JSON.stringify({ ...doc, activatedAt: "2024-06-02T20:00:00-06:00" })).toString("base64");
  fs.writeFileSync(receiptsFile, [JSON.stringify(rec), ...lines.slice(1)].join("\n"));
  const forged = await cli(["report", "--config", configFile, "--out", path.join(work, "forjado")]);
  expect(forged.status).toBe(1);
  expect(forged.json).toMatchObject({ ok: true, invalidReceipts: 1 });
  expect(fs.readFileSync(path.join(work, "forjado", "informe.html"), "utf8")).toContain("INVÁLIDA");

  const auditFile = path.join(state, "audit.log");
  fs.writeFileSync(auditFile, fs.readFileSync(auditFile, "utf8").replace("prueba <b>manual</b>", "prueba <b>manuel</b>"));
  const edited = await cli(["report", "--config", configFile, "--out", path.join(work, "editado")]);
  expect(edited.status).toBe(1);
  expect(edited.json).toMatchObject({ ok: true, auditLogVerified: false, auditLogProblem: expect.stringContaining("audit") });
  expect(fs.readFileSync(path.join(work, "editado", "informe.html"), "utf8")).toContain("Atención:");
});
