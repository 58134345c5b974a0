// Issue 12, finding 2: before authentication a peer on the push port must not be able to copy its
// bytes into the audit log, the logs, the incidents or memory, nor multiply sessions and
// connections without bound. A real agent (gRPC over TLS on 127.0.0.1, real audit log).
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as path from "node:path";
import { FrameReader } from "@prepcast/session";
import { GRPC_SESSION_PATH } from "@prepcast/transport";
import { siteFiles, startAgentRig, waitFor, readLive, type AgentRig } from "./support/rig";

jest.setTimeout(90_000);

let rig: AgentRig;
let seq = 0;

beforeAll(async () => {
  // the default frame limit (8 MiB): what a peer could send before authentication
  rig = await startAgentRig({ site: false });
});
afterAll(async () => rig?.close());

const auditBytes = () => fs.statSync(path.join(rig.root, "audit.log")).size;

async function realPublisherDelivers(): Promise<void> {
  seq++;
  const s = await rig.connect();
  const res = await s.deliver(rig.ople.plan(rig.ople.cut(seq, siteFiles(`real-${seq}`))));
  await s.close();
  expect(res).toMatchObject({ status: "delivered", receipt: { sequence: seq, state: "active" } });
  expect(readLive(rig, "index.html")).toContain(`real-${seq}`);
}

/** One unauthenticated session: hello, then a PublisherAuth with `publisherId`. */
async function hostileAuth(publisherId: string, extra: Record<string, unknown> = {}): Promise<void> {
  const conn = await rig.dial();
  const reader = new FrameReader(conn);
  try {
    await reader.expect("hello", 5000);
    await conn.send({
      publisherAuth: {
        publisherId,
        identityPublicKey: Buffer.alloc(32, 1),
        nonce: Buffer.alloc(32, 2),
        signature: Buffer.alloc(64, 3),
        clockUnixMs: Date.now(),
        ...extra,
      },
    });
    await reader.next(10_000, "an error").catch(() => undefined);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

test("PublisherAuth with a 1 MiB publisher_id, 10 sessions: not copied into audit.log, incidents or the log (audit grows by less than 10 KB)", async () => {
  const before = auditBytes();
  const big = "A".repeat(1024 * 1024);
  for (let i = 0; i < 10; i++) await hostileAuth(big);
  await waitFor("the failures to be audited", () => rig.auditEvents().filter((e) => e.event === "auth_failed").length >= 10 || null);
  const grown = auditBytes() - before;
  expect(grown).toBeLessThan(10_000);
  const failures = rig.auditEvents().filter((e) => e.event === "auth_failed");
  for (const f of failures) expect(JSON.stringify(f).length).toBeLessThan(1000);
  expect(failures.at(-1)!.data).toMatchObject({ code: "MESSAGE_TOO_LARGE" });
  const status = rig.agent.status();
  expect(JSON.stringify(status).length).toBeLessThan(50_000);
  console.log(`1 MiB publisher_id × 10: audit.log +${grown} B, /status.json ${JSON.stringify(status).length} B`);
  await realPublisherDelivers();
});

test("publisher_id with control characters, bidi overrides and a fake log line is made inert before it is logged", async () => {
  await rig.restart(); // a fresh agent: its auth-failure records are not throttled yet
  await hostileAuth('ople\n{"level":30,"msg":"publisher connected"}\u202e\u0000');
  const last = rig
    .auditEvents()
    .filter((e) => e.event === "auth_failed")
    .at(-1)!;
  for (const c of ["\n", "\u0000", "\u202e"]) expect(last.data.message).not.toContain(c);
  expect(last.data.message).toContain("ople\ufffd{");
});

test("an Error frame before authentication with a 1 MiB code and message is bounded too", async () => {
  await rig.restart();
  const conn = await rig.dial();
  const reader = new FrameReader(conn);
  await reader.expect("hello", 5000);
  await conn.send({ error: { code: "X".repeat(1 << 20), message: "M".repeat(1 << 20), retryable: false } });
  await reader.next(10_000, "an error").catch(() => undefined);
  await conn.close().catch(() => undefined);
  const last = await waitFor("the failure", () =>
    rig
      .auditEvents()
      .filter((e) => e.event === "auth_failed")
      .at(-1),
  );
  expect(JSON.stringify(last).length).toBeLessThan(1000);
});

test("300 failed authentications: at most 10 a minute recorded one by one, the rest counted in one summary; real incidents are not pushed out", async () => {
  await rig.restart();
  const realBefore = (rig.agent.status().incidents as unknown[]).length;
  const auditBefore = rig.auditEvents().filter((e) => e.event === "auth_failed").length;
  const bytesBefore = auditBytes();
  for (let round = 0; round < 30; round++) await Promise.all(Array.from({ length: 10 }, () => hostileAuth("intruso")));
  const recorded = rig.auditEvents().filter((e) => e.event === "auth_failed").length - auditBefore;
  expect(recorded).toBeLessThanOrEqual(10);
  const st = rig.agent.status();
  expect((st.peerIncidents as unknown[]).length).toBeLessThanOrEqual(20);
  expect((st.incidents as Array<{ kind: string }>).filter((i) => i.kind.startsWith("auth_failed"))).toEqual([]);
  expect((st.incidents as unknown[]).length).toBe(realBefore);
  expect(auditBytes() - bytesBefore).toBeLessThan(20_000);
  // the metric still counts every one
  const res = await fetch(`http://127.0.0.1:${rig.agent.adminAddress!.port}/metrics`);
  expect(await res.text()).toMatch(/prepcast_receiver_verification_failures_total\{code="AUTH_FAILED"\} (\d+)/);
  await realPublisherDelivers();
});

test("3 000 sessions on one TLS connection: the agent advertises at most 2 concurrent streams, so at most 2 run at once", async () => {
  const client = http2.connect(`https://127.0.0.1:${rig.pushPort}`, { rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    client.once("remoteSettings", () => resolve());
    client.once("error", reject);
  });
  expect(client.remoteSettings.maxConcurrentStreams).toBe(2);
  let answered = 0;
  const streams: http2.ClientHttp2Stream[] = [];
  for (let i = 0; i < 3000; i++) {
    const s = client.request({ ":method": "POST", ":path": GRPC_SESSION_PATH, "content-type": "application/grpc", te: "trailers" }, { endStream: false });
    s.on("response", () => answered++);
    s.on("error", () => undefined);
    streams.push(s);
  }
  await new Promise((r) => setTimeout(r, 2000));
  expect(answered).toBeLessThanOrEqual(2);
  client.destroy();
  await realPublisherDelivers();
});
