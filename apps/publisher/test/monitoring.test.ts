import * as fs from "node:fs";
import type { PublisherService } from "../src/service/publisher-service";
import { cut, makePublisherKeys, startPublisher, startReceiver, tmpDir, waitFor, writePublisherConfig, type ReceiverFixture } from "./helpers";

// What the operator sees about a receiver with a wrong clock and a full disk: the hello's figures,
// the 2-second skew warning, the refused transfer and the incidents, while its site (no cut yet)
// is reported stale by the probe.

const work = tmpDir("monitoring");
let svc: PublisherService | null = null;
let rx: ReceiverFixture | null = null;
afterAll(async () => {
  await svc?.stop();
  await rx?.agent.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test("clock skew, free disk, transfer errors and the probe verdict reach the status and the incidents", async () => {
  const keys = makePublisherKeys(work);
  rx = await startReceiver(work, "lento", keys, { clockOffsetMs: 5_000, freeDiskBytes: 1000 });
  const configFile = writePublisherConfig(work, keys, [rx], { publicUrls: { lento: rx.agent.siteUrl! }, monitor: { autoSuspend: false } });
  svc = await startPublisher(configFile);
  let s = svc;
  await s.publish((await cut(work, 1)).dir);
  await waitFor("the refusal", () => s.link("lento")!.status().lastError?.code === "DISK_FULL");
  await s.stop();
  // after a restart the hello is measured against an existing cut
  svc = await startPublisher(configFile);
  s = svc;
  await waitFor("connected", () => s.link("lento")!.status().hello);
  await waitFor("probe", () => s.monitor.status("lento")!.probe);
  const st = s.status().receivers[0]!;
  expect(st.hello!.clockSkewMs).toBeGreaterThan(3_000);
  expect(st.clockSkewWarning).toBe(true);
  expect(st.hello!.freeDiskBytes).toBe(1000);
  expect(st.hello!.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
  expect(st.live).toBeNull();
  expect(st.lagCuts).toBe(1);
  expect(st.monitor!.probe).toMatchObject({ verdict: "stale", code: "NO_CUT" });
  expect(st.monitor!.failingSince).not.toBeNull();
  const kinds = s.monitor.incidents.map((i) => i.kind);
  expect(kinds).toEqual(expect.arrayContaining(["clock_skew", "disk_low", "probe_failed"]));
  expect(s.monitor.incidents.find((i) => i.kind === "clock_skew")!.message).toContain("NTP");
  await waitFor("the refusal again after the restart", () => s.link("lento")!.status().transferErrors >= 1);
  // with no credential configured the status stays readable locally, but no action is anonymous
  const base = `http://127.0.0.1:${s.adminAddress!.port}`;
  expect((await fetch(`${base}/api/status`)).status).toBe(200);
  const anon = await fetch(`${base}/api/receivers/lento/suspend`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ reason: "x" }),
  });
  expect(anon.status).toBe(403);
  expect(await anon.json()).toMatchObject({ code: "AUTH_FAILED" });
  expect(s.monitor.isSuspended("lento")).toBe(false);
  expect((await fetch(`${base}/`)).status).toBe(503); // the dashboard stays locked and says how to unlock it
});
