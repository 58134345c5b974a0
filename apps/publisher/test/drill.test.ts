import * as fs from "node:fs";
import * as path from "node:path";
import { loadPublisherConfig } from "../src/service/config";
import type { PublisherService } from "../src/service/publisher-service";
import { drillReportMarkdown, runDrill } from "../src/drill/drill";
import {
  cut,
  httpGet,
  makePublisherKeys,
  quietLog,
  startPublisher,
  startReceiver,
  tmpDir,
  waitFor,
  writePublisherConfig,
  type ReceiverFixture,
} from "./helpers";

// Drills on the simulacro channel end to end: a receiver that accepts drills gets every drill cut
// and marks it as such on its site and status page; a production-only receiver refuses them
// (CHANNEL_MISMATCH); drill and production sequences are tracked apart; drill notices are titled
// SIMULACRO; the report says who received what and when.

const work = tmpDir("drill");
const receivers: ReceiverFixture[] = [];
let svc: PublisherService | null = null;

afterAll(async () => {
  await svc?.stop();
  for (const r of receivers) await r.agent.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

let keys: ReturnType<typeof makePublisherKeys>;
let drill: ReceiverFixture;
let prod: ReceiverFixture;
let configFile: string;

beforeAll(async () => {
  keys = makePublisherKeys(work);
  drill = await startReceiver(work, "ensayo", keys, { channels: ["produccion", "simulacro"] });
  prod = await startReceiver(work, "solo-prod", keys, { channels: ["produccion"] });
  receivers.push(drill, prod);
  configFile = writePublisherConfig(work, keys, receivers);
});

test("a timed drill reaches drill receivers only and is marked everywhere", async () => {
  const config = loadPublisherConfig(configFile);
  const lines: string[] = [];

  const report = await runDrill({ config, cuts: 2, intervalSeconds: 1, settleSeconds: 15, log: quietLog(), onEvent: (l) => lines.push(l) });
  expect(report.format).toBe("prepcast/drill-report@1");
  expect(report.channel).toBe("simulacro");
  expect(report.cuts.map((c) => c.sequence)).toEqual([1, 2]);
  const [rd, rp] = [report.receivers.find((r) => r.id === "ensayo")!, report.receivers.find((r) => r.id === "solo-prod")!];
  expect(rd).toMatchObject({ received: 2, expected: 2 });
  expect(rd.cuts.every((c) => c.outcome === "live" && c.latencyMs !== null && c.latencyMs >= 0 && c.activatedAt)).toBe(true);
  expect(rp).toMatchObject({ received: 0, expected: 2 });
  expect(rp.cuts.every((c) => c.outcome === "refused" && c.code === "CHANNEL_MISMATCH")).toBe(true);
  expect(rp.failures.length).toBeGreaterThanOrEqual(1);
  expect(report.ok).toBe(false);
  // the cuts went out about one interval apart
  const gap = Date.parse(report.cuts[1]!.preparedAt) - Date.parse(report.cuts[0]!.preparedAt);
  expect(gap).toBeGreaterThanOrEqual(900);
  const md = drillReportMarkdown(report);
  expect(md).toContain("| 2 de 2 |");
  expect(md).toContain("CHANNEL_MISMATCH");
  expect(md).toContain("rechazado");
  expect(lines.some((l) => l.includes("ensayo: corte 2 en línea"))).toBe(true);

  // Marked as a drill on every page the agent controls.
  const wk = JSON.parse((await httpGet(`${drill.agent.siteUrl}/.well-known/prepcast.json`)).body) as Record<string, unknown>;
  expect(wk).toMatchObject({ channel: "simulacro", simulacro: true, sequence: 2 });
  const statusPage = (await httpGet(`http://127.0.0.1:${drill.agent.adminAddress!.port}/`)).body;
  expect(statusPage).toContain("SIMULACRO");
  expect(statusPage).toContain('id="drill-marker"');
  // The production-only receiver has nothing and says so.
  const prodWk = JSON.parse((await httpGet(`${prod.agent.siteUrl}/.well-known/prepcast.json`)).body) as Record<string, unknown>;
  expect(prodWk.status).toBe("no-cut");
  expect(fs.readFileSync(path.join(prod.root, "audit.log"), "utf8")).toContain("CHANNEL_MISMATCH");
});

test("production never mixes with the drill, and drill notices say SIMULACRO", async () => {
  const config = loadPublisherConfig(configFile);

  // Production starts at sequence 1 although the drill reached 2: separate trust state.
  svc = await startPublisher(configFile, { monitor: false });
  const s = svc;
  await s.publish((await cut(work, 5)).dir);
  await waitFor("production cut 1 live on both", () =>
    receivers.every((r) => s.link(r.id)!.status().live?.sequence === 1 && s.link(r.id)!.status().live?.channel === "produccion"),
  );
  const trust = JSON.parse(fs.readFileSync(path.join(drill.root, "state.json"), "utf8")) as Record<string, unknown>;
  expect(JSON.stringify(trust)).toContain("VER-2024/simulacro");
  expect(JSON.stringify(trust)).toContain("VER-2024/produccion");
  const wk2 = JSON.parse((await httpGet(`${drill.agent.siteUrl}/.well-known/prepcast.json`)).body) as Record<string, unknown>;
  expect(wk2).toMatchObject({ channel: "produccion", simulacro: false, sequence: 1 });
  expect((await httpGet(`http://127.0.0.1:${drill.agent.adminAddress!.port}/`)).body).not.toContain('id="drill-marker"');
  await s.stop();
  svc = null;

  // A drill-channel service (same STATE/simulacro) suspends the drill receiver: the notice is titled SIMULACRO.
  const drillConfig = writePublisherConfig(work, keys, [drill], { channel: "simulacro", state: path.join(config.state, "simulacro") });
  svc = await startPublisher(drillConfig, { monitor: false });
  const d = svc;
  expect(d.repo.latest()?.ref.sequence).toBe(2);
  await waitFor("drill link connected", () => d.link("ensayo")!.status().state === "connected");
  await d.monitor.suspend("ensayo", { reason: "ensayo de suspensión", manual: true, by: "prueba" });
  const noticeFile = path.join(drill.root, "notice", "notice.json");
  await waitFor("drill notice", () => fs.existsSync(noticeFile));
  expect(JSON.parse(fs.readFileSync(noticeFile, "utf8")).title).toBe("SIMULACRO · Publicación de resultados suspendida");
  // the site server re-reads the notice file at most every 250 ms (packages/site/src/cut/notice.ts)
  await waitFor("the drill notice on the site", async () =>
    (await httpGet(`${drill.agent.siteUrl}/`, { "sec-fetch-dest": "document" })).body.includes("SIMULACRO · Publicación de resultados suspendida"),
  );
  d.monitor.sendTestNotice("ensayo", "Prueba de avisos del simulacro", "prueba");
  await waitFor("test notice on the status page", async () =>
    (await httpGet(`http://127.0.0.1:${drill.agent.adminAddress!.port}/`)).body.includes("Prueba de avisos del simulacro"),
  );
  await d.monitor.reinstate("ensayo", { reason: "fin del ensayo", by: "prueba" });
  await waitFor("drill notice removed", () => !fs.existsSync(noticeFile));
});
