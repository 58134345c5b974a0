import * as fs from "node:fs";
import { PublisherService } from "../src/service/publisher-service";
import { loadPublisherConfig } from "../src/service/config";
import {
  FrontProxy,
  auditEvents,
  cut,
  makePublisherKeys,
  quietLog,
  startReceiver,
  tmpDir,
  waitFor,
  writePublisherConfig,
  type ReceiverFixture,
} from "./helpers";

// The 45-minute rule and the OPLE's final cut, with periods of one second and the monitor's
// injected clock: until the signed end of publication a difusor serving the final cut is up to
// date and one whose site fails is still suspended (the site must stay online until then); after
// it, a failing site is recorded but never counted, and nobody is suspended.

const work = tmpDir("final-monitor");
let svc: PublisherService | null = null;
let rx: ReceiverFixture | null = null;
let proxy: FrontProxy | null = null;

afterAll(async () => {
  await svc?.stop();
  await rx?.agent.stop();
  await proxy?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test("the final cut is up to date until publishUntil; after it the rule suspends no one", async () => {
  const keys = makePublisherKeys(work);
  rx = await startReceiver(work, "uv", keys);
  proxy = await new FrontProxy(rx.agent.siteUrl!).start();
  const configFile = writePublisherConfig(work, keys, [rx], { publicUrls: { uv: proxy.url }, monitor: { periodSeconds: 1 } });
  const publishUntil = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  let offsetMs = 0;
  svc = await PublisherService.start({
    config: loadPublisherConfig(configFile),
    log: quietLog(),
    admin: true,
    watchInbox: false,
    monitor: true,
    now: () => Date.now() + offsetMs,
  });
  const s = svc;
  const mon = () => s.monitor.status("uv")!;
  const final = await s.publish((await cut(work, 1)).dir, { final: true, publishUntil });
  expect(final.summary.final).toEqual({ publishUntil });
  await waitFor("the final cut confirmed by the probe", () => mon().probe?.verdict === "ok" && mon().probe?.served?.sequence === 1);
  expect(mon().probe!.message).toContain(`corte final 1 (en línea hasta ${publishUntil})`);
  expect(s.status().publication).toEqual({ finalSequence: 1, publishUntil, ended: false });

  // after the end of publication: the site goes down, several periods pass, nobody is suspended
  offsetMs = 2 * 3_600_000;
  proxy.mode = "down";
  await waitFor("the probe sees the site down", () => mon().probe?.verdict === "down");
  await new Promise((r) => setTimeout(r, 3_500)); // more than 3 periods of 1 s
  expect(s.status().publication).toEqual({ finalSequence: 1, publishUntil, ended: true });
  expect(mon().suspended).toBeNull();
  expect(mon().failingSince).toBeNull();
  expect(mon().failedPeriods).toBe(0);
  expect(auditEvents(s.config.state).filter((e) => e.event === "publication_ended")).toHaveLength(1);
  expect(s.monitor.incidents.map((i) => i.kind)).toContain("publication_ended");

  // the same failing site before the end of publication is suspended as on election night
  offsetMs = 0;
  await waitFor("suspension before the end of publication", () => mon().suspended, 15_000);
  expect(mon().suspended!.manual).toBe(false);
});
