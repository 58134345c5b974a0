import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PublisherService } from "../src/service/publisher-service";
import { REPO, makePublisherKeys, startPublisher, startReceiver, tmpDir, waitFor, writePublisherConfig, type ReceiverFixture } from "./helpers";

// The difusor's preflight reaches the OPLE: the real `prep-receiver doctor` CLI keeps its summary
// in the state directory, the agent sends it in the session hello, and the publisher shows it in
// its status and records an incident for the requirements not met.

const RECEIVER_BIN = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const work = tmpDir("doctor-hello");
let svc: PublisherService | null = null;
let rx: ReceiverFixture | null = null;
afterAll(async () => {
  await svc?.stop();
  await rx?.agent.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

function doctor(config: string): Promise<{ status: number | null; json: { checks: Array<{ id: string; status: string }>; summaryFile: string | null } }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RECEIVER_BIN, "doctor", "--config", config, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (status) => resolve({ status, json: JSON.parse(out) as never }));
  });
}

test("the last full doctor run travels in the hello and shows in the publisher's status and incidents", async () => {
  const keys = makePublisherKeys(work);
  rx = await startReceiver(work, "uv", keys);
  // a key readable by others: a requirement that fails on any machine
  const key = path.join(rx.dir, "identity.key");
  fs.chmodSync(key, 0o644);
  const d = await doctor(rx.configFile);
  fs.chmodSync(key, 0o600);
  expect(d.status).toBe(1);
  expect(d.json.summaryFile).toBe(path.join(rx.root, "doctor.json"));
  const failed = d.json.checks.filter((c) => c.status === "fail").map((c) => c.id);
  expect(failed).toContain("keys");

  svc = await startPublisher(writePublisherConfig(work, keys, [rx]), { monitor: false });
  const s = svc;
  const hello = await waitFor("the hello", () => s.link("uv")!.status().hello);
  expect(hello.doctor).toMatchObject({ failed: failed.length, failedChecks: failed });
  expect(hello.doctor!.passed + hello.doctor!.warnings + hello.doctor!.failed + hello.doctor!.skipped).toBe(d.json.checks.length);
  expect(s.status().receivers[0]!.hello!.doctor!.failedChecks).toContain("keys");
  const incident = s.monitor.incidents.find((i) => i.kind === "preflight_failed");
  expect(incident).toMatchObject({ receiver: "uv", severity: "warning" });
  expect(incident!.message).toContain("keys");
});
