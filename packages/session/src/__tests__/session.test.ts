import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair } from "@prepcast/protocol";
import { Frame, type prepcast } from "@prepcast/proto";
import { memoryTransport, type FrameConnection, type TransportFactory } from "@prepcast/transport";
import { PublisherSession, ReceiverSession, type ReceiverSessionEvent, BufferPayloadSource } from "../index";
import { DirBackend, TestOple, testReceiverOptions, tmpDir } from "./fixtures";

interface Rig {
  ople: TestOple;
  backend: DirBackend;
  events: ReceiverSessionEvent[];
  publisherIdentity: ReturnType<typeof generateKeyPair>;
  receiverIdentity: ReturnType<typeof generateKeyPair>;
  partialDir: string;
  connect(opts?: {
    publisherIdentity?: ReturnType<typeof generateKeyPair>;
    receiverKey?: Uint8Array;
    tamper?: (f: prepcast.v1.IFrame) => void;
    injectBeforeFirst?: { body: string; frame: prepcast.v1.IFrame };
  }): Promise<PublisherSession>;
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const transport: TransportFactory = memoryTransport();
  const ople = new TestOple();
  const dir = tmpDir();
  const backend = new DirBackend(path.join(dir, "cuts"));
  const events: ReceiverSessionEvent[] = [];
  const publisherIdentity = generateKeyPair();
  const receiverIdentity = generateKeyPair();
  const partialDir = path.join(dir, "partial");
  const conns: FrameConnection[] = [];
  const server = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
    conns.push(conn);
    void new ReceiverSession(
      conn,
      testReceiverOptions(
        { ople, receiver: receiverIdentity, publisher: publisherIdentity, backend, partialDir },
        {
          onEvent: (e) => events.push(e),
          timeouts: { handshakeMs: 2000, transferMs: 2000 },
        },
      ),
    ).run();
  });
  return {
    ople,
    backend,
    events,
    publisherIdentity,
    receiverIdentity,
    partialDir,
    async connect(o = {}) {
      const raw = await transport.connect({ host: "127.0.0.1", port: server.address.port });
      conns.push(raw);
      // A man in the middle: alters frames after the sender computed their hashes.
      const inject = o.injectBeforeFirst;
      async function* framesWithInjection(): AsyncIterable<prepcast.v1.Frame> {
        let injected = false;
        for await (const f of raw.frames()) {
          if (inject && !injected && f.body === inject.body) {
            injected = true;
            yield Frame.decode(Frame.encode(inject.frame).finish());
          }
          yield f;
        }
      }
      const conn: FrameConnection =
        o.tamper || inject
          ? Object.assign(Object.create(raw) as FrameConnection, {
              send: (f: prepcast.v1.IFrame) => (o.tamper?.(f), raw.send(f)),
              frames: () => framesWithInjection(),
              close: (reason?: { code: string; message: string }) => raw.close(reason),
            })
          : raw;
      return PublisherSession.open(conn, {
        publisherId: "ople",
        identity: o.publisherIdentity ?? publisherIdentity,
        receiver: { id: "uv", publicKey: o.receiverKey ?? receiverIdentity.publicKey },
        timeouts: { handshakeMs: 2000, transferMs: 2000 },
      });
    },
    async close() {
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
      await server.close();
    },
  };
}

const files = (n: number, tag: string): Record<string, string> => {
  const out: Record<string, string> = { "index.html": `<h1>${tag}</h1>` };
  for (let i = 0; i < n; i++) out[`data/s${i}.json`] = JSON.stringify({ i, tag, pad: "x".repeat(700 + i) });
  return out;
};

describe("push session over the memory transport", () => {
  test("authenticates both ways, delivers a cut, returns a verified receipt; the rebuilt tree is exact", async () => {
    const r = await rig();
    try {
      const s = await r.connect();
      expect(s.hello.receiverId).toBe("uv");
      expect(s.hello.live).toBeNull();
      const cut = r.ople.cut(1, files(20, "c1"));
      const res = await s.deliver(r.ople.plan(cut));
      expect(res.status).toBe("delivered");
      if (res.status !== "delivered") return;
      expect(res.receipt.sequence).toBe(1);
      expect(res.receipt.manifestSha256).toBe(cut.ref.manifestSha256);
      expect(res.receipt.state).toBe("active");
      expect(res.bytesSent).toBe(cut.payload.length);
      const target = r.backend.installs[0]!;
      expect(fs.readFileSync(path.join(target, "site", "data/s3.json"), "utf8")).toContain('"tag":"c1"');
      expect(fs.existsSync(r.partialDir)).toBe(false);
      // the same cut again: no bytes, a receipt
      const again = await s.deliver(r.ople.plan(cut));
      expect(again.status).toBe("delivered");
      if (again.status === "delivered") expect(again.bytesSent).toBe(0);
    } finally {
      await r.close();
    }
  });

  test("rollback: an older sequence is refused with ROLLBACK and the live cut stays", async () => {
    const r = await rig();
    try {
      const s = await r.connect();
      expect((await s.deliver(r.ople.plan(r.ople.cut(5, files(3, "c5"))))).status).toBe("delivered");
      const res = await s.deliver(r.ople.plan(r.ople.cut(4, files(3, "c4"))));
      expect(res).toMatchObject({ status: "refused", code: "ROLLBACK" });
      expect(r.backend.live?.sequence).toBe(5);
      expect(r.events.some((e) => e.type === "refused" && e.code === "ROLLBACK")).toBe(true);
    } finally {
      await r.close();
    }
  });

  test("cut order: a newer cut with an earlier corte is refused with CORTE_ROLLBACK before any content; a signed retraction is delivered", async () => {
    const r = await rig();
    try {
      const s = await r.connect();
      expect((await s.deliver(r.ople.plan(r.ople.cut(5, files(3, "c5"), { corte: "2024-06-02T21:00:00-06:00" })))).status).toBe("delivered");
      const back = await s.deliver(r.ople.plan(r.ople.cut(6, files(3, "c6"), { corte: "2024-06-02T20:45:00-06:00" })));
      expect(back).toMatchObject({ status: "refused", code: "CORTE_ROLLBACK" });
      expect(r.backend.live?.sequence).toBe(5);
      expect(r.backend.installs).toHaveLength(1);
      const retraction = await s.deliver(
        r.ople.plan(r.ople.cut(6, files(3, "c6"), { corte: "2024-06-02T20:45:00-06:00", retraction: { reason: "el corte 5 tenía un error" } })),
      );
      expect(retraction.status).toBe("delivered");
      expect(r.backend.live?.sequence).toBe(6);
    } finally {
      await r.close();
    }
  });

  test("arbitrary package: a manifest signed by an unknown key is refused before any content", async () => {
    const r = await rig();
    try {
      const s = await r.connect();
      const rogue = new TestOple(); // another root and signing key
      const cut = rogue.cut(1, files(2, "rogue"));
      const res = await s.deliver(r.ople.plan(cut));
      expect(res.status).toBe("refused");
      if (res.status === "refused") expect(["SIGNATURE_INVALID", "KEY_UNKNOWN"]).toContain(res.code);
      expect(r.backend.installs).toHaveLength(0);
      expect(r.events.some((e) => e.type === "transfer_started")).toBe(false);
    } finally {
      await r.close();
    }
  });

  test("a publisher with the wrong identity key is refused (AUTH_FAILED)", async () => {
    const r = await rig();
    try {
      await expect(r.connect({ publisherIdentity: generateKeyPair() })).rejects.toMatchObject({ code: expect.stringMatching(/AUTH_FAILED|UNAVAILABLE/) });
      expect(r.events.some((e) => e.type === "auth_failed")).toBe(true);
    } finally {
      await r.close();
    }
  });

  test("a receiver whose key is not the registered one is refused by the publisher", async () => {
    const r = await rig();
    try {
      await expect(r.connect({ receiverKey: generateKeyPair().publicKey })).rejects.toMatchObject({ code: "AUTH_FAILED" });
    } finally {
      await r.close();
    }
  });

  test("a chunk with a wrong hash fails the transfer; the next session resumes from the last verified chunk", async () => {
    const r = await rig();
    try {
      const cut = r.ople.cut(1, files(40, "big"));
      let corrupted = false;
      const s1 = await r.connect({
        tamper: (f) => {
          if (!corrupted && f.chunk && Number(f.chunk.offset) === 10 * 1024) {
            corrupted = true;
            const d = Buffer.from(f.chunk.data!);
            d[0] = d[0]! ^ 0xff;
            f.chunk = { ...f.chunk, data: d };
          }
        },
      });
      const res1 = await s1.deliver(r.ople.plan(cut));
      expect(res1).toMatchObject({ status: "failed" });
      expect(r.events).toContainEqual(expect.objectContaining({ type: "transfer_failed", code: "HASH_MISMATCH", offset: 10 * 1024 }));
      const s2 = await r.connect();
      expect(s2.hello.partial?.sequence).toBe(1);
      expect(s2.hello.partialOffset).toBe(10 * 1024);
      const res2 = await s2.deliver(r.ople.plan(cut));
      expect(res2.status).toBe("delivered");
      if (res2.status === "delivered") {
        expect(res2.resumedFrom).toBe(10 * 1024);
        expect(res2.bytesSent).toBe(cut.payload.length - 10 * 1024);
      }
      expect(fs.readFileSync(path.join(r.backend.installs[0]!, "site", "index.html"), "utf8")).toBe("<h1>big</h1>");
    } finally {
      await r.close();
    }
  });

  test("a payload whose bytes do not match the manifest is rejected at install; nothing goes live", async () => {
    const r = await rig();
    try {
      const cut = r.ople.cut(1, files(3, "x"));
      const forged = Buffer.from(cut.payload);
      forged[5] = forged[5]! ^ 1; // consistent chunk and payload hashes, wrong file content
      const s = await r.connect();
      const res = await s.deliver({ ...r.ople.plan(cut), payload: new BufferPayloadSource(forged) });
      expect(res).toMatchObject({ status: "failed", code: "HASH_MISMATCH" });
      expect(r.backend.live).toBeNull();
    } finally {
      await r.close();
    }
  });
});

describe("receipts the receiver volunteers", () => {
  test("a receipt arriving where the offer reply is expected is kept, not a failure", async () => {
    const r = await rig();
    try {
      const first = r.ople.cut(1, files(2, "one"));
      const s1 = await r.connect();
      const d1 = await s1.deliver(r.ople.plan(first));
      expect(d1.status).toBe("delivered");
      if (d1.status !== "delivered") return;
      // A second session whose incoming stream carries that receipt again just before the reply
      // to the next offer (as when an embargoed cut goes live while an offer is in flight).
      const s2 = await r.connect({
        injectBeforeFirst: { body: "offerReply", frame: { receipt: { receipt: d1.receiptBytes, signature: d1.receiptSignature } } },
      });
      const d2 = await s2.deliver(r.ople.plan(r.ople.cut(2, files(2, "two"))));
      expect(d2.status).toBe("delivered");
      const volunteered = s2.takeVolunteeredReceipts();
      expect(volunteered.map((v) => v.doc.sequence)).toEqual([1]);
      expect(s2.takeVolunteeredReceipts()).toEqual([]);
    } finally {
      await r.close();
    }
  });
});
