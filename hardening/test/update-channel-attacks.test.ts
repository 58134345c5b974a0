// The TUF attack list, played against a real receiver agent through the real push channel (gRPC
// over TLS with a pinned certificate, mutual Ed25519 authentication). Each test is one attack;
// each asserts the typed refusal AND that the live cut, the state and the audit log are intact.
// Attacks already covered at the protocol level are referenced in docs/security.md, not repeated.
import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair, malleateSigFile, verifyAuditLog } from "@prepcast/protocol";
import { BufferPayloadSource } from "@prepcast/session";
import { receiverTrust } from "@prepcast/testkit";
import { Ople, readLive, siteFiles, startAgentRig, tmpDir, waitFor, wellKnown, type AgentRig, type TestCut } from "./support/rig";

jest.setTimeout(60_000);

/** Flips S to S + L: the same signature in a second encoding that plain Ed25519 would accept. */
const malleate = (sigFile: Buffer): Buffer => malleateSigFile(sigFile, "manifest.sig");

describe("update-channel attacks through the push channel", () => {
  let rig: AgentRig;
  let cut1: TestCut;

  beforeAll(async () => {
    rig = await startAgentRig();
    cut1 = rig.ople.cut(1, siteFiles("corte-1"));
    const s = await rig.connect();
    expect(await s.deliver(rig.ople.plan(cut1))).toMatchObject({ status: "delivered", receipt: { sequence: 1, state: "active" } });
    await s.close();
  });
  afterAll(async () => rig?.close());

  /** Offers `plan` on a fresh session and checks that nothing changed on the receiver. */
  async function expectRefusedAndLiveIntact(cut: TestCut, code: string, payload?: Buffer): Promise<void> {
    await rig.settled(); // the previous install's retention runs after its receipt
    const before = { target: rig.liveTarget(), index: readLive(rig, "index.html"), state: fs.readFileSync(path.join(rig.root, "state.json"), "utf8") };
    const s = await rig.connect();
    const res = await s.deliver(rig.ople.plan(cut, payload));
    await s.close();
    expect(res).toMatchObject({ code });
    expect(rig.liveTarget()).toBe(before.target);
    expect(readLive(rig, "index.html")).toBe(before.index);
    expect(fs.readFileSync(path.join(rig.root, "state.json"), "utf8")).toBe(before.state);
    expect(fs.readdirSync(path.join(rig.root, "staging"))).toEqual([]);
    expect(verifyAuditLog(path.join(rig.root, "audit.log")).ok).toBe(true);
    const last = rig
      .auditEvents()
      .filter((e) => e.event === "refused" || e.event === "transfer_failed")
      .at(-1);
    expect(last?.data.code).toBe(code);
  }

  test("arbitrary package: manifest with a bad signature (edited after signing) is SIGNATURE_INVALID", async () => {
    const c = rig.ople.cut(2, siteFiles("evil"));
    const forged = { ...c, signed: { ...c.signed, manifest: Buffer.from(c.signed.manifest.toString().replace('"sequence":2', '"sequence":3')) } };
    await expectRefusedAndLiveIntact(forged, "SIGNATURE_INVALID");
  });

  test("arbitrary package: keyset signed by another root is KEY_UNKNOWN", async () => {
    const rogue = new Ople();
    rogue.signing = rig.ople.signing;
    await expectRefusedAndLiveIntact(rogue.cut(2, siteFiles("evil")), "KEY_UNKNOWN");
  });

  test("arbitrary package: manifest signed by an unknown key is KEY_UNKNOWN", async () => {
    await expectRefusedAndLiveIntact(rig.ople.cut(2, siteFiles("evil"), { signWith: generateKeyPair() }), "KEY_UNKNOWN");
  });

  test("arbitrary package: malleable signature (S + L) is SIGNATURE_INVALID", async () => {
    const c = rig.ople.cut(2, siteFiles("mall"));
    const m = { ...c, signed: { ...c.signed, manifestSig: malleate(c.signed.manifestSig) } };
    await expectRefusedAndLiveIntact(m, "SIGNATURE_INVALID");
  });

  test("rollback: an older sequence is ROLLBACK", async () => {
    const c2 = rig.ople.cut(2, siteFiles("corte-2"));
    const s = await rig.connect();
    expect(await s.deliver(rig.ople.plan(c2))).toMatchObject({ status: "delivered" });
    await s.close();
    await expectRefusedAndLiveIntact(rig.ople.cut(1, siteFiles("old")), "ROLLBACK");
    await expectRefusedAndLiveIntact(cut1, "ROLLBACK"); // the genuine old cut, byte for byte
  });

  test("replay: the live sequence with other content is REPLAY", async () => {
    await expectRefusedAndLiveIntact(rig.ople.cut(2, siteFiles("other-2")), "REPLAY");
  });

  test("mix-and-match: payload of cut A offered with the manifest of cut B is HASH_MISMATCH, nothing live", async () => {
    const a = rig.ople.cut(3, siteFiles("aaaaaaa"));
    const b = rig.ople.cut(3, siteFiles("bbbbbbb"));
    expect(a.payload.length).toBe(b.payload.length); // same sizes: only content hashes can tell
    await expectRefusedAndLiveIntact(b, "HASH_MISMATCH", a.payload);
    // different sizes are caught at the offer, before a byte is sent
    const small = rig.ople.cut(3, siteFiles("ccccccc", 2));
    await expectRefusedAndLiveIntact(b, "TOO_LARGE", Buffer.concat([small.payload, Buffer.alloc(10)]));
    expect(readLive(rig, "index.html")).toContain("corte-2");
  });

  test("endless data: a payload larger than the manifest is refused at the offer (TOO_LARGE)", async () => {
    const c = rig.ople.cut(3, siteFiles("endless"));
    await expectRefusedAndLiveIntact(c, "TOO_LARGE", Buffer.concat([c.payload, Buffer.alloc(64 * 1024, 0x41)]));
  });

  test("endless data: chunks beyond the declared size are cut off at the declared size (TOO_LARGE)", async () => {
    const c = rig.ople.cut(3, siteFiles("endless-2"));
    const { conn, reader } = await rig.connectRaw();
    const plan = rig.ople.plan(c);
    await conn.send({
      offer: { transferId: plan.transferId, ...c.signed, encoding: "full", payloadSize: c.payload.length, payloadSha256: plan.payload.sha256, chunkSize: 1024 },
    });
    const reply = await reader.expect("offerReply", 5000);
    expect(reply.accept).toBe(true);
    const { createHash } = await import("node:crypto");
    // the honest chunks, then one more that runs past the declared end
    const stream = Buffer.concat([c.payload, Buffer.alloc(4096, 0x42)]);
    let err: unknown;
    try {
      for (let off = 0; off < stream.length; off += 1024) {
        const data = stream.subarray(off, off + 1024);
        await conn.send({ chunk: { offset: off, data, sha256: createHash("sha256").update(data).digest() } });
      }
      await reader.next(5000, "error");
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "TOO_LARGE" });
    await conn.close();
    await waitFor("transfer_failed in the audit", () =>
      rig.auditEvents().some((e) => e.event === "transfer_failed" && e.data.sequence === 3 && e.data.code === "TOO_LARGE"),
    );
    const failed = rig
      .auditEvents()
      .filter((e) => e.event === "transfer_failed" && e.data.sequence === 3)
      .at(-1)!;
    // never more than the declared size was kept
    expect(failed.data.offset).toBeLessThanOrEqual(c.payload.length);
    const partial = path.join(rig.root, "partial", "payload.bin");
    if (fs.existsSync(partial)) expect(fs.statSync(partial).size).toBeLessThanOrEqual(c.payload.length);
    expect(readLive(rig, "index.html")).toContain("corte-2");
  });

  test("key compromise: a signing key revoked by a newer keyset is refused from then on", async () => {
    const compromised = rig.ople.signing;
    const fresh = generateKeyPair();
    const v2 = rig.ople.signKeyset(2, [fresh]);
    // the OPLE publishes cut 3 under keyset 2, which no longer lists the compromised key
    const c3 = rig.ople.cut(3, siteFiles("corte-3"), { keyset: v2, signWith: fresh });
    const s = await rig.connect();
    expect(await s.deliver(rig.ople.plan(c3))).toMatchObject({ status: "delivered" });
    await s.close();
    expect(receiverTrust({ id: "rig", stateDir: rig.root }).keysetVersion).toBe(2);
    // the attacker, holding the old key: with the old keyset that listed it → KEYSET_ROLLBACK
    await expectRefusedAndLiveIntact(
      rig.ople.cut(4, siteFiles("stolen"), { keyset: rig.ople.signKeyset(1, [compromised]), signWith: compromised }),
      "KEYSET_ROLLBACK",
    );
    // with the current keyset → the key is not listed
    await expectRefusedAndLiveIntact(rig.ople.cut(4, siteFiles("stolen"), { keyset: v2, signWith: compromised }), "KEY_UNKNOWN");
    rig.ople.signing = fresh;
  });

  test("fast-forward recovery: after a compromised key pushed a huge sequence, the OPLE revokes it and skips ahead; no reset to a lower sequence exists", async () => {
    const attacker = generateKeyPair();
    const v3 = rig.ople.signKeyset(3, [rig.ople.signing, attacker]);
    // a key the root once listed (compromised) signs sequence 1 000 000: it installs (that is the compromise)
    const ff = rig.ople.cut(1_000_000, siteFiles("ff-attack"), { keyset: v3, signWith: attacker });
    let s = await rig.connect();
    expect(await s.deliver(rig.ople.plan(ff))).toMatchObject({ status: "delivered" });
    await s.close();
    // a root-approved "reset" (new keyset, legitimate key) to a lower sequence is still ROLLBACK:
    const v4 = rig.ople.signKeyset(4, [rig.ople.signing]);
    await expectRefusedAndLiveIntact(rig.ople.cut(4, siteFiles("reset"), { keyset: v4 }), "ROLLBACK");
    // the recovery procedure: keyset 4 drops the attacker's key, the next cut skips past the attacker's sequence
    const next = rig.ople.cut(1_000_001, siteFiles("recovered"), { keyset: v4 });
    s = await rig.connect();
    expect(await s.deliver(rig.ople.plan(next))).toMatchObject({ status: "delivered", receipt: { sequence: 1_000_001 } });
    await s.close();
    expect(readLive(rig, "index.html")).toContain("recovered");
    // and the attacker's key is dead from then on
    await expectRefusedAndLiveIntact(rig.ople.cut(1_000_002, siteFiles("ff-again"), { keyset: v3, signWith: attacker }), "KEYSET_ROLLBACK");
    await expectRefusedAndLiveIntact(rig.ople.cut(1_000_002, siteFiles("ff-again"), { keyset: v4, signWith: attacker }), "KEY_UNKNOWN");
  });
});

describe("freeze attack", () => {
  test("freeze: a silent publisher or one serving an old cut makes the receiver report stale after 2 periods, the last good cut stays online", async () => {
    let now = Date.now();
    const clock = () => new Date(now);
    const rig = await startAgentRig({ clock, updatePeriodMinutes: 15, stalePeriods: 2 });
    try {
      const c = rig.ople.cut(1, siteFiles("last-good"), { corte: new Date(now) });
      const s = await rig.connect();
      expect(await s.deliver(rig.ople.plan(c))).toMatchObject({ status: "delivered" });
      expect(rig.agent.status().stale).toBe(false);
      expect((await wellKnown(rig)).stale).toBe(false);
      // 29 minutes of silence: one period and a bit, not yet stale
      now += 29 * 60_000;
      expect(rig.agent.status().stale).toBe(false);
      expect((await wellKnown(rig)).stale).toBe(false);
      // past two periods: stale, on the agent's status and on the public site
      now += 2 * 60_000;
      expect(rig.agent.status().stale).toBe(true);
      const wk = await wellKnown(rig);
      expect(wk).toMatchObject({ stale: true, sequence: 1 });
      // a publisher replaying the old cut does not make it fresh again
      await s.close();
      const s2 = await rig.connect();
      expect(await s2.deliver(rig.ople.plan(c))).toMatchObject({ status: "delivered" });
      await s2.close();
      expect(rig.agent.status().stale).toBe(true);
      // and the last good cut is still served
      const res = await fetch(`${rig.agent.siteUrl}/index.html`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("last-good");
    } finally {
      await rig.close();
    }
  });
});

describe("slow retrieval", () => {
  test("slow retrieval: a peer that connects, reads the hello and stalls is timed out at the handshake", async () => {
    const rig = await startAgentRig({ site: false });
    try {
      const conn = await rig.dial();
      const t0 = Date.now();
      const it = conn.frames()[Symbol.asyncIterator]();
      const first = await it.next();
      expect(first.value?.body).toBe("hello");
      // say nothing: the receiver must give up on its own
      let last: any;
      let ended = false;
      try {
        for (;;) {
          const n = await it.next();
          if (n.done) break;
          last = n.value;
        }
      } catch {
        /* closed with an error: also ends it */
      }
      ended = true;
      const took = Date.now() - t0;
      expect(ended).toBe(true);
      expect(took).toBeGreaterThanOrEqual(14_000);
      expect(took).toBeLessThan(25_000);
      if (last) expect(last.body === "error" ? last.error.code : "TIMEOUT").toBe("TIMEOUT");
      await waitFor("auth_failed TIMEOUT in the audit", () => rig.auditEvents().some((e) => e.event === "auth_failed" && e.data.code === "TIMEOUT"));
    } finally {
      await rig.close();
    }
  });

  test("slow retrieval: a publisher that trickles a payload and stalls mid-transfer is timed out; the verified prefix is kept for resume", async () => {
    // the agent's transfer timeout is 60 s; the session is driven with a short one to keep the test bounded
    const { memoryTransport } = await import("@prepcast/transport");
    const { ReceiverSession, PublisherSession } = await import("@prepcast/session");
    const { advanceTrustState, applyFullPayload, emptyTrustState } = await import("@prepcast/protocol");
    const ople = new Ople();
    const dir = tmpDir("trickle");
    const transport = memoryTransport();
    const receiverIdentity = generateKeyPair();
    let trust = emptyTrustState();
    const events: Array<{ type: string; code?: string; offset?: number }> = [];
    const server = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
      void new ReceiverSession(conn, {
        receiverId: "uv",
        identity: receiverIdentity,
        publisher: { id: "ople", publicKey: ople.identity.publicKey },
        rootPublicKey: ople.root.publicKey,
        accept: { process: "VER-2024", channels: ["produccion"] },
        backend: {
          snapshot: () => ({ live: null, staged: null, trust }),
          freeDiskBytes: async () => 1 << 30,
          install: async (req) => {
            await applyFullPayload(path.join(dir, "out"), req.verified.manifest, fs.createReadStream(req.payloadPath));
            trust = advanceTrustState(trust, req.verified);
            return { state: "active", activatedAt: new Date() };
          },
        },
        partialDir: path.join(dir, "partial"),
        agentVersion: "test",
        timeouts: { handshakeMs: 1000, transferMs: 1500 },
        onEvent: (e) => events.push(e as never),
      }).run();
    });
    try {
      const c = ople.cut(1, siteFiles("trickle", 20));
      // a slow payload source: the first 4 chunks flow, then it stalls far longer than the timeout
      let reads = 0;
      const src = new BufferPayloadSource(c.payload);
      const slow = {
        size: src.size,
        sha256: src.sha256,
        read: async (o: number, n: number) => (++reads > 4 ? new Promise<Buffer>((r) => setTimeout(() => r(src.read(o, n) as never), 4000)) : src.read(o, n)),
      };
      const conn = await transport.connect({ host: "127.0.0.1", port: server.address.port });
      const s = await PublisherSession.open(conn, {
        publisherId: "ople",
        identity: ople.identity,
        receiver: { id: "uv", publicKey: receiverIdentity.publicKey },
        timeouts: { handshakeMs: 1000, transferMs: 8000 },
      });
      const res = await s.deliver({ ...ople.plan(c), payload: slow as never });
      expect(res.status).toBe("failed");
      const failed = events.find((e) => e.type === "transfer_failed");
      expect(failed).toMatchObject({ code: "TIMEOUT", offset: 4096 });
      // the next session resumes from the verified prefix rather than restarting
      const conn2 = await transport.connect({ host: "127.0.0.1", port: server.address.port });
      const s2 = await PublisherSession.open(conn2, {
        publisherId: "ople",
        identity: ople.identity,
        receiver: { id: "uv", publicKey: receiverIdentity.publicKey },
      });
      const again = await s2.deliver(ople.plan(c));
      expect(again).toMatchObject({ status: "delivered", resumedFrom: 4096 });
      await s2.close();
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
