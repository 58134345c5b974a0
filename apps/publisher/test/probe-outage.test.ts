import * as fs from "node:fs";
import * as path from "node:path";
import type { PublisherService } from "../src/service/publisher-service";
import { auditEvents, cut, makePublisherKeys, startPublisher, tmpDir, waitFor, type ReceiverFixture } from "./helpers";
import { writePublisherConfig } from "./helpers";

// When every difusor's site is unreachable at once, the OPLE's own network is the likelier
// culprit: the 45-minute rule pauses instead of suspending everybody, and says so.

const work = tmpDir("outage");
let svc: PublisherService | null = null;
afterAll(async () => {
  await svc?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

test("all sites down at once pauses the rule; no difusor is suspended", async () => {
  const keys = makePublisherKeys(work);
  // registered difusores whose push ports and sites are all unreachable from here
  const ghosts: ReceiverFixture[] = ["a", "b", "c"].map((id) => ({
    id,
    dir: "",
    root: "",
    agent: null as never,
    identityPublicKey: Buffer.alloc(32, id.charCodeAt(0)).toString("base64"),
    tlsFingerprint: "ab".repeat(32),
    pushPort: 1,
    channels: ["produccion"],
    configFile: "",
  }));
  const configFile = writePublisherConfig(work, keys, ghosts, {
    publicUrls: { a: "http://127.0.0.1:1/", b: "http://127.0.0.1:1/b/", c: "http://127.0.0.1:1/c/" },
    monitor: { periodSeconds: 0.3 },
  });
  svc = await startPublisher(configFile);
  const s = svc;
  await s.publish((await cut(work, 1)).dir);
  await waitFor("outage incident", () => s.monitor.incidents.some((i) => i.kind === "probe_outage"));
  // well past 3 periods of 0.3 s
  await new Promise((r) => setTimeout(r, 2000));
  for (const id of ["a", "b", "c"]) {
    expect(s.monitor.status(id)!.probe?.verdict).toBe("down");
    expect(s.monitor.status(id)!.suspended).toBeNull();
  }
  expect(auditEvents(s.config.state).some((e) => e.event === "probe_outage")).toBe(true);
  expect(auditEvents(s.config.state).some((e) => e.event === "suspended")).toBe(false);
  expect(fs.existsSync(path.join(s.config.state, "audit.log"))).toBe(true);
});
