// Fuzzing (fast-check) of what an unauthenticated peer sends to a real agent's push port (issue 12):
// PublisherAuth with arbitrary ids, keys, nonces, signatures and clocks; Error frames with
// arbitrary codes and messages; any other frame before authentication; a session that says nothing.
// (Bytes that are not a Frame at all: hostile-peers.test.ts and packages/session's frame fuzzer.)
// Real gRPC over TLS on 127.0.0.1, the real audit log. ~5 s in `npm test`, 120 s under
// PREPCAST_HARDENING=1. Invariants: every session ends; no audit record is larger than 1 KB and the
// audit log grows by at most ~1 KB per recorded failure plus one summary a minute; the incidents
// and /status.json stay small; the real publisher still delivers afterwards.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { prepcast } from "@prepcast/proto";
import { FrameReader } from "@prepcast/session";
import { siteFiles, startAgentRig, readLive, type AgentRig } from "./support/rig";

const LONG = process.env.PREPCAST_HARDENING === "1";
const TIME_MS = Number(process.env.PREPCAST_FUZZ_SECONDS ?? (LONG ? 120 : 5)) * 1000;
jest.setTimeout(TIME_MS * 3 + 60_000);

let rig: AgentRig;
beforeAll(async () => {
  rig = await startAgentRig({ site: false });
});
afterAll(async () => rig?.close());

const text = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.constantFrom("ople", "", "\n", "\u0000", "\u202e", 'ople\n{"level":50}', "<script>alert(1)</script>", "=cmd|' /C calc'!A0"),
  fc.tuple(fc.constantFrom("A", "\u00e9", "\ud83d\ude00", "\n"), fc.integer({ min: 1000, max: 300_000 })).map(([c, n]) => c.repeat(n)),
);
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.integer({ min: 1, max: 200_000 }).map((n) => new Uint8Array(n)),
);

const preAuthFrame: fc.Arbitrary<prepcast.v1.IFrame> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        publisherId: text,
        identityPublicKey: bytes,
        nonce: bytes,
        signature: bytes,
        clockUnixMs: fc.oneof(fc.constant(0), fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER)),
      })
      .map((publisherAuth) => ({ publisherAuth })),
  },
  { weight: 2, arbitrary: fc.record({ code: text, message: text, retryable: fc.boolean() }).map((error) => ({ error })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom<prepcast.v1.IFrame>(
      { ping: { unixMs: 1 } },
      { payloadEnd: {} },
      { status: {} },
      { chunk: { offset: 0, data: Buffer.alloc(1000), sha256: Buffer.alloc(32) } },
      {},
    ),
  },
);

const auditBytes = () => fs.statSync(path.join(rig.root, "audit.log")).size;

test("fuzz pre-auth push frames: nothing a peer sends before authentication reaches the audit log, the incidents or memory unbounded", async () => {
  const before = auditBytes();
  const linesBefore = rig.auditEvents().length;
  const started = Date.now();
  let sessions = 0;
  const codes = new Map<string, number>();
  await fc.assert(
    // 6 sessions at once per run (within the 16 pending connections an address may have)
    fc.asyncProperty(fc.array(fc.array(preAuthFrame, { minLength: 0, maxLength: 3 }), { minLength: 6, maxLength: 6 }), async (batch) => {
      if (Date.now() - started > TIME_MS) return;
      await Promise.all(
        batch.map(async (frames) => {
          const conn = await rig.dial();
          const reader = new FrameReader(conn);
          let end: string;
          try {
            await reader.expect("hello", 5000);
            for (const f of frames) await conn.send(f).catch(() => undefined);
            // the agent's answer, or our own close after 500 ms (a silent peer is cut at the handshake deadline anyway)
            end = await reader.next(500, "the end").then(
              (fr) => fr.body ?? "?",
              (e: { code?: string }) => e.code ?? "closed",
            );
          } catch (e) {
            end = (e as { code?: string }).code ?? "error";
          } finally {
            await conn.close().catch(() => undefined);
          }
          codes.set(end, (codes.get(end) ?? 0) + 1);
          sessions++;
        }),
      );
    }),
    { numRuns: 1_000_000, interruptAfterTimeLimit: TIME_MS, markInterruptAsFailure: false },
  );
  await new Promise((r) => setTimeout(r, 300));
  const added = rig.auditEvents().slice(linesBefore);
  for (const e of added) expect(JSON.stringify(e).length).toBeLessThan(1024);
  const recorded = added.filter((e) => e.event === "auth_failed").length;
  const minutes = Math.ceil((Date.now() - started) / 60_000) + 1;
  expect(recorded).toBeLessThanOrEqual(10 * minutes);
  const grown = auditBytes() - before;
  expect(grown).toBeLessThan(1024 * (recorded + 2 * minutes) + 1024);
  const status = JSON.stringify(rig.agent.status());
  expect(status.length).toBeLessThan(64 * 1024);
  expect(sessions).toBeGreaterThan(5);
  // the real publisher still gets through
  const s = await rig.connect();
  const res = await s.deliver(rig.ople.plan(rig.ople.cut(1, siteFiles("after-fuzz"))));
  await s.close();
  expect(res).toMatchObject({ status: "delivered" });
  expect(readLive(rig, "index.html")).toContain("after-fuzz");
  if (LONG || process.env.PREPCAST_FUZZ_SECONDS)
    process.stderr.write(
      `fuzz pre-auth: ${sessions} hostile sessions, audit.log +${grown} B (${recorded} auth_failed records), /status.json ${status.length} B, session ends: ${[...codes].map(([c, n]) => `${c}×${n}`).join(" ")}\n`,
    );
});
