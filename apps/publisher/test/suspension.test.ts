import * as fs from "node:fs";
import * as path from "node:path";
import { verifyAuditLog } from "@prepcast/protocol";
import type { PublisherService } from "../src/service/publisher-service";
import {
  FrontProxy,
  auditEvents,
  cut,
  httpGet,
  makePublisherKeys,
  startPublisher,
  startReceiver,
  tmpDir,
  waitFor,
  writePublisherConfig,
  type ReceiverFixture,
} from "./helpers";

// The 45-minute rule end to end, with periods of one second: a receiver that is connected and
// holds the latest cut, but whose public site (behind a frozen cache, like a stale CDN) keeps
// serving an older one, is suspended after 3 failed periods; its site then shows the OPLE's
// notice, its link is disabled on the public list; reinstatement pushes the cut it missed,
// removes the notice and restores the link once the probe confirms it.

const work = tmpDir("suspension");
let svc: PublisherService | null = null;
let rx: ReceiverFixture | null = null;
let proxy: FrontProxy | null = null;
const token = "prueba-token-de-operacion-0123456789";

afterAll(async () => {
  await svc?.stop();
  await rx?.agent.stop();
  await proxy?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test("a stale public site is suspended after 3 periods, shows the notice, and is reinstated", async () => {
  const keys = makePublisherKeys(work);
  rx = await startReceiver(work, "uv", keys);
  proxy = await new FrontProxy(rx.agent.siteUrl!).start();
  fs.writeFileSync(path.join(work, "admin.token"), token, { mode: 0o600 });
  const configFile = writePublisherConfig(work, keys, [rx], {
    publicUrls: { uv: proxy.url },
    admin: { tokenFile: path.join(work, "admin.token") },
    monitor: { periodSeconds: 2 },
  });
  const [c1, c2, c3] = [await cut(work, 1), await cut(work, 2), await cut(work, 3)];
  // Cut 1 goes out before the monitor runs (a slow first delivery must not count here).
  const first = await startPublisher(configFile, { monitor: false });
  await first.publish(c1.dir);
  await waitFor("cut 1 live", () => first.link("uv")!.status().live?.sequence === 1);
  await first.stop();
  svc = await startPublisher(configFile);
  const s = svc;
  const state = s.config.state;
  const mon = () => s.monitor.status("uv")!;
  await waitFor("cut 1 confirmed by the probe", () => mon().probe?.verdict === "ok" && mon().probe?.served?.sequence === 1);
  expect(mon().linkEnabled).toBe(true);
  expect(mon().probe!.file?.ok).toBe(true);

  // The site keeps answering from a stale cache while the receiver itself gets cut 2.
  proxy.mode = "frozen";
  const frozenAt = Date.now();
  await s.publish(c2.dir);
  await waitFor("cut 2 live on the receiver", () => s.link("uv")!.status().live?.sequence === 2);
  expect(s.link("uv")!.status().state).not.toBe("disconnected");
  await waitFor("the probe sees the stale site", () => mon().probe?.code === "STALE_CUT");
  await waitFor("suspension", () => mon().suspended, 25_000);
  const elapsed = Date.now() - frozenAt;
  expect(elapsed).toBeGreaterThanOrEqual(6000); // 3 periods of 2 s
  expect(elapsed).toBeLessThan(20_000);
  expect(s.link("uv")!.status().suspended).toBe(true);
  expect(mon().linkEnabled).toBe(false);
  expect(mon().suspended!.manual).toBe(false);
  expect(mon().suspended!.evidence.length).toBeGreaterThanOrEqual(2);
  expect(mon().suspended!.evidence.every((e) => e.verdict === "stale" && e.served?.sequence === 1 && e.expected?.sequence === 2)).toBe(true);

  // The receiver verified the signed notice and its site serves it in place of the results.
  const noticeFile = path.join(rx.root, "notice", "notice.json");
  await waitFor("notice written by the agent", () => fs.existsSync(noticeFile));
  expect(JSON.parse(fs.readFileSync(noticeFile, "utf8"))).toMatchObject({ active: true, title: "Publicación de resultados suspendida" });
  const page = await waitFor("notice page on the site", async () => {
    const r = await httpGet(rx!.agent.siteUrl! + "/", { "sec-fetch-dest": "document" });
    return r.body.includes("Publicación de resultados suspendida") ? r : null;
  });
  expect(page.body).toContain("Por disposición del Organismo Público Local Electoral");
  const data = await httpGet(rx.agent.siteUrl! + "/data/corte.json");
  expect(data.status).toBe(503);
  const wellKnown = JSON.parse((await httpGet(rx.agent.siteUrl! + "/.well-known/prepcast.json")).body) as Record<string, unknown>;
  expect(wellKnown.status).toBe("suspended");

  // Prometheus sees it too.
  const metrics = await (await fetch(`http://127.0.0.1:${s.adminAddress!.port}/metrics`)).text();
  expect(metrics).toMatch(/prepcast_publisher_receiver_suspended\{receiver="uv"\} 1/);
  expect(metrics).toMatch(/prepcast_publisher_probe_ok\{receiver="uv"\} 0/);
  expect(metrics).toMatch(/prepcast_publisher_probes_total\{receiver="uv",verdict="stale"\} [1-9]/);

  // The public list shows the difusor without a link.
  await waitFor("public list regenerated", () => {
    const j = JSON.parse(fs.readFileSync(path.join(state, "public", "difusores.json"), "utf8")) as { difusores: Array<{ id: string; enabled: boolean }> };
    return j.difusores.find((d) => d.id === "uv")?.enabled === false;
  });
  const html = fs.readFileSync(path.join(state, "public", "index.html"), "utf8");
  expect(html).toContain("Enlace deshabilitado");
  expect(html).not.toContain(`href="${proxy.url}"`);

  // While suspended it gets no results.
  await s.publish(c3.dir);
  await new Promise((r) => setTimeout(r, 700));
  expect(s.link("uv")!.status().live?.sequence).toBe(2);

  // The fault is fixed (cache purged) and the operator reinstates through the admin API.
  proxy.mode = "pass";
  const admin = s.adminAddress!;
  const noAuth = await fetch(`http://127.0.0.1:${admin.port}/api/receivers/uv/reinstate`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ reason: "x" }),
  });
  expect(noAuth.status).toBe(401);
  const res = await fetch(`http://127.0.0.1:${admin.port}/api/receivers/uv/reinstate`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ reason: "caché del CDN purgada" }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true, latest: 3 });
  await waitFor("cut 3 pushed after reinstatement", () => s.link("uv")!.status().live?.sequence === 3);
  await waitFor("notice removed", () => !fs.existsSync(noticeFile));
  await waitFor(`link restored after a good probe`, () => {
    if (mon().suspended) throw new Error(`suspended again: ${mon().suspended!.reason}`);
    return mon().linkEnabled && mon().probe?.verdict === "ok" && mon().probe?.served?.sequence === 3;
  });
  const home = await httpGet(rx.agent.siteUrl! + "/data/corte.json");
  expect(home.status).toBe(200);
  await waitFor("public list shows the link again", () => {
    const j = JSON.parse(fs.readFileSync(path.join(state, "public", "difusores.json"), "utf8")) as {
      difusores: Array<{ id: string; enabled: boolean; url: string | null }>;
    };
    return j.difusores.find((d) => d.id === "uv")?.url === proxy!.url;
  });

  // A second reinstatement is a clear conflict.
  const again = await fetch(`http://127.0.0.1:${admin.port}/api/receivers/uv/reinstate`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ reason: "otra vez" }),
  });
  expect(again.status).toBe(409);
  expect(await again.json()).toMatchObject({ code: "STATE_CONFLICT" });

  // Every step is in the (intact) audit log, with the evidence.
  await s.stop();
  svc = null;
  expect(verifyAuditLog(path.join(state, "audit.log")).ok).toBe(true);
  const events = auditEvents(state);
  const names = events.map((e) => e.event);
  const order = ["suspended", "notice_sent", "reinstated", "link_restored"].map((n) => names.indexOf(n));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  const suspended = events.find((e) => e.event === "suspended")!.data;
  expect(suspended).toMatchObject({ receiver: "uv", manual: false, suspendAfterPeriods: 3, periodSeconds: 2 });
  expect((suspended.evidence as unknown[]).length).toBeGreaterThan(0);
  expect(events.some((e) => e.event === "probe_state" && e.data.to === "stale")).toBe(true);
  const receiverAudit = fs.readFileSync(path.join(rx.root, "audit.log"), "utf8");
  expect(receiverAudit).toContain('"suspension"');
  expect(receiverAudit).toContain('"reinstatement"');
});
