// The one behaviour contract every transport must pass, as a jest suite. Import it from a test:
//   import { describeTransportCompliance } from "@prepcast/transport/compliance";
// (kept out of the package index so that production code never loads jest.)
import { createHash, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { prepcast } from "@prepcast/proto";
import { PrepcastError } from "@prepcast/protocol";
import type { ConnectOptions, FrameConnection, FrameServer, ListenOptions, TransportFactory } from "./types";

export interface ComplianceFixture {
  factory: TransportFactory;
  /** Extra listen options every test starts from (e.g. tls). host/port are set by the suite. */
  listen: Partial<ListenOptions>;
  /** Extra connect options every test starts from (e.g. tls.expectedFingerprint). */
  connect: Partial<ConnectOptions>;
  cleanup(): Promise<void>;
}

const HOST = "127.0.0.1";

/** One sample of every Frame body, with non-default values in every field type. */
export function sampleFrames(): prepcast.v1.IFrame[] {
  const b = (n: number, fill: number) => Buffer.alloc(n, fill);
  const cut = { process: "VER-2024", channel: "produccion", sequence: 42, manifestSha256: b(32, 7) };
  return [
    {
      hello: {
        protocolVersion: 1,
        receiverId: "unam",
        identityPublicKey: b(32, 1),
        nonce: b(32, 2),
        live: cut,
        partial: { ...cut, sequence: 43 },
        partialOffset: 1 << 20,
        freeDiskBytes: 5e12,
        clockUnixMs: 1_732_000_000_000,
        agentVersion: "0.1.0",
        keysetVersion: 3,
        acceptedEncodings: ["full", "delta-zstd@1"],
        staged: { ...cut, sequence: 44 },
      },
    },
    { publisherAuth: { publisherId: "ople-ver", identityPublicKey: b(32, 3), nonce: b(32, 4), signature: b(64, 5), clockUnixMs: -5 } },
    { receiverAuth: { signature: b(64, 6) } },
    {
      offer: {
        transferId: "t-1",
        keyset: Buffer.from('{"k":1}'),
        keysetSig: b(64, 8),
        manifest: Buffer.from('{"m":"ñ"}'),
        manifestSig: b(64, 9),
        encoding: "full",
        base: cut,
        payloadSize: 123456789,
        payloadSha256: b(32, 10),
        chunkSize: 262144,
      },
    },
    { offerReply: { accept: true, resumeOffset: 262144, code: "ROLLBACK", message: "sequence 41 < 42" } },
    { chunk: { offset: 524288, data: randomBytes(1000), sha256: b(32, 11) } },
    { payloadEnd: {} },
    { receipt: { receipt: Buffer.from('{"sequence":42}'), signature: b(64, 12) } },
    { error: { code: "HASH_MISMATCH", message: "chunk 3", retryable: true } },
    { notice: { notice: Buffer.from('{"kind":"suspension"}'), signature: b(64, 13) } },
    { ping: { unixMs: 1 } },
    { pong: { unixMs: 2 } },
    { status: { live: cut, staged: cut, clockUnixMs: 3, freeDiskBytes: 4 } },
  ];
}

function canonical(frame: prepcast.v1.IFrame): unknown {
  return prepcast.v1.Frame.decode(prepcast.v1.Frame.encode(frame).finish());
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]);
}

async function collect(conn: FrameConnection, count = Infinity): Promise<prepcast.v1.Frame[]> {
  const out: prepcast.v1.Frame[] = [];
  if (count === 0) return out;
  for await (const f of conn.frames()) {
    out.push(f);
    if (out.length >= count) break;
  }
  return out;
}

/** Every frame until the connection ends, and the error it ended with (undefined: a clean end). */
async function collectToEnd(conn: FrameConnection): Promise<{ frames: prepcast.v1.Frame[]; ending: PrepcastError | undefined }> {
  const frames: prepcast.v1.Frame[] = [];
  try {
    for await (const f of conn.frames()) frames.push(f);
  } catch (e) {
    expect(e).toBeInstanceOf(PrepcastError);
    return { frames, ending: e as PrepcastError };
  }
  return { frames, ending: undefined };
}

async function failureOf(p: Promise<unknown>): Promise<PrepcastError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PrepcastError);
    return e as PrepcastError;
  }
  throw new Error("expected a PrepcastError, got success");
}

function chunkFrame(dataBytes: number, offset = 0): prepcast.v1.IFrame {
  const data = randomBytes(dataBytes);
  return { chunk: { offset, data, sha256: createHash("sha256").update(data).digest() } };
}

export function describeTransportCompliance(name: string, makeFixture: () => Promise<ComplianceFixture>): void {
  describe(`transport compliance: ${name}`, () => {
    let fx: ComplianceFixture;
    const servers: FrameServer[] = [];
    const connections: FrameConnection[] = [];

    beforeAll(async () => {
      fx = await makeFixture();
    });
    afterAll(async () => {
      await Promise.all(connections.map((c) => c.close().catch(() => undefined)));
      await Promise.all(servers.map((s) => s.close()));
      await fx.cleanup();
    });

    async function listen(extra: Partial<ListenOptions> = {}, onConnection?: (c: FrameConnection) => void) {
      const accepted: FrameConnection[] = [];
      const waiters: ((c: FrameConnection) => void)[] = [];
      const server = await fx.factory.listen({ ...fx.listen, ...extra, host: HOST, port: 0 } as ListenOptions, (c) => {
        connections.push(c);
        onConnection?.(c);
        const w = waiters.shift();
        if (w) w(c);
        else accepted.push(c);
      });
      servers.push(server);
      const next = () =>
        within(
          accepted.length > 0 ? Promise.resolve(accepted.shift()!) : new Promise<FrameConnection>((r) => waiters.push(r)),
          5000,
          "the server side of a connection",
        );
      return { server, next };
    }

    async function connect(server: FrameServer, extra: Partial<ConnectOptions> = {}) {
      const c = await fx.factory.connect({ ...fx.connect, ...extra, host: HOST, port: server.address.port } as ConnectOptions);
      connections.push(c);
      return c;
    }

    async function pair(listenExtra: Partial<ListenOptions> = {}, connectExtra: Partial<ConnectOptions> = {}) {
      const { server, next } = await listen(listenExtra);
      const client = await connect(server, connectExtra);
      const serverSide = await next();
      return { server, client, serverSide };
    }

    it("carries every Frame body type in both directions, field for field", async () => {
      const { client, serverSide } = await pair();
      expect(client.transport).toBe(fx.factory.kind);
      expect(serverSide.remoteAddress).toBe("127.0.0.1");
      expect(client.remoteAddress).toBe("127.0.0.1");
      const samples = sampleFrames();
      const atServer = collect(serverSide, samples.length);
      const atClient = collect(client, samples.length);
      for (const f of samples) await client.send(f);
      for (const f of samples) await serverSide.send(f);
      const [got1, got2] = await within(Promise.all([atServer, atClient]), 10_000, "the sample frames");
      expect(got1.map(canonical)).toEqual(samples.map(canonical));
      expect(got2.map(canonical)).toEqual(samples.map(canonical));
      expect(got1.map((f) => f.body)).toEqual([
        "hello",
        "publisherAuth",
        "receiverAuth",
        "offer",
        "offerReply",
        "chunk",
        "payloadEnd",
        "receipt",
        "error",
        "notice",
        "ping",
        "pong",
        "status",
      ]);
    });

    it("keeps the order of 10 000 frames each way at once", async () => {
      const { client, serverSide } = await pair();
      const n = 10_000;
      const pump = async (c: FrameConnection) => {
        for (let i = 0; i < n; i++) await c.send({ ping: { unixMs: i } });
      };
      const check = async (c: FrameConnection) => {
        const got = await collect(c, n);
        return got.every((f, i) => Number(f.ping?.unixMs) === i) && got.length === n;
      };
      const results = await within(Promise.all([check(serverSide), check(client), pump(client), pump(serverSide)]), 50_000, "10 000 frames each way");
      expect(results.slice(0, 2)).toEqual([true, true]);
    });

    it("passes frames just under the limit and refuses larger ones with MESSAGE_TOO_LARGE on the receiving side", async () => {
      const limit = 1024 * 1024;
      const { client, serverSide } = await pair({ maxFrameBytes: limit }, { maxFrameBytes: 4 * limit });
      const near = chunkFrame(limit - 128);
      expect(prepcast.v1.Frame.encode(near).finish().length).toBeLessThanOrEqual(limit);
      const reader = serverSide.frames()[Symbol.asyncIterator]();
      await client.send(near);
      const first = await within(reader.next(), 10_000, "the near-limit frame");
      expect(Buffer.from(first.value!.chunk!.data!).equals(Buffer.from(near.chunk!.data!))).toBe(true);

      await client.send(chunkFrame(limit + 1024)).catch(() => undefined);
      const refused = await failureOf(within(reader.next(), 10_000, "the refusal"));
      expect(refused.code).toBe("MESSAGE_TOO_LARGE");
      expect(refused.message).toMatch(/limit of 1048576 bytes/);
      await within(serverSide.closed, 5000, "server side closed");
      // The sender learns it too: its stream fails and it closes.
      const senderSide = await failureOf(within(collect(client), 10_000, "the sender's failure"));
      if (process.env.PREPCAST_TRANSPORT_DEBUG) console.log(`${name}: sender saw ${senderSide.code}: ${senderSide.message}`);
      expect(["MESSAGE_TOO_LARGE", "UNAVAILABLE"]).toContain(senderSide.code);
      await within(client.closed, 5000, "client closed");
      await expect(client.send({ ping: {} })).rejects.toBeInstanceOf(PrepcastError);
    });

    it("refuses to send a frame over its own limit without closing", async () => {
      const { client, serverSide } = await pair({}, { maxFrameBytes: 4096 });
      const e = await failureOf(client.send(chunkFrame(5000)));
      expect(e.code).toBe("MESSAGE_TOO_LARGE");
      await client.send({ ping: { unixMs: 9 } });
      const [f] = await within(collect(serverSide, 1), 5000, "a frame after the refusal");
      expect(Number(f!.ping!.unixMs)).toBe(9);
    });

    it("applies backpressure: send waits while the peer does not read, memory stays bounded, then resumes", async () => {
      const { client, serverSide } = await pair({ idleTimeoutMs: 0 }, { idleTimeoutMs: 0 });
      const frameBytes = 256 * 1024;
      const frame = chunkFrame(frameBytes);
      let accepted = 0;
      const pending: Promise<void>[] = [];
      const heapBefore = process.memoryUsage().rss;
      const settlesWithin = (p: Promise<void>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
      // Send until one send stays pending for 1.5 s: the peer's buffers are full (a slow but
      // moving send on a loaded machine settles within that time and the loop goes on).
      for (;;) {
        const p = client.send(frame);
        pending.push(p);
        if (!(await settlesWithin(p, 300)) && !(await settlesWithin(p, 1200))) break;
        accepted++;
        if (accepted * frameBytes > 256 * 1024 * 1024) break;
      }
      const acceptedBytes = accepted * frameBytes;
      if (process.env.PREPCAST_TRANSPORT_DEBUG) console.log(`${name}: ${acceptedBytes} bytes accepted before send waited`);
      expect(acceptedBytes).toBeLessThan(96 * 1024 * 1024);
      expect(process.memoryUsage().rss - heapBefore).toBeLessThan(256 * 1024 * 1024);
      // Still pending after a while longer: nobody reads.
      expect(await settlesWithin(pending[pending.length - 1]!, 300)).toBe(false);
      // The reader starts: every pending send resolves and every frame arrives in order.
      const total = pending.length;
      const got = collect(serverSide, total);
      await within(Promise.all(pending), 20_000, "pending sends after the reader started");
      const frames = await within(got, 20_000, "every frame");
      expect(frames.length).toBe(total);
      expect(frames.every((f) => f.chunk!.data!.length === frameBytes)).toBe(true);
    });

    it("propagates close with a reason from the client and a clean close from the server", async () => {
      const a = await pair();
      await a.client.send({ ping: { unixMs: 1 } });
      const atServer = collectToEnd(a.serverSide);
      await within(a.client.close({ code: "REPLAY", message: "sequence 42 was already installed with other content" }), 5000, "client close");
      const { frames: got, ending } = await within(atServer, 5000, "server frames to end");
      expect(got.map((f) => f.body)).toEqual(["ping", "error"]);
      // A gRPC client has no status to send: it half-closes; the others end with the code.
      if (fx.factory.kind === "grpc") expect(ending).toBeUndefined();
      else expect(ending?.message).toMatch(/REPLAY/);
      expect(got[1]!.error).toMatchObject({ code: "REPLAY", message: "sequence 42 was already installed with other content" });
      await within(a.serverSide.closed, 5000, "server side closed");
      await expect(a.client.send({ ping: {} })).rejects.toMatchObject({ code: "UNAVAILABLE" });

      const b = await pair();
      const atClient = collect(b.client);
      await b.serverSide.send({ pong: { unixMs: 2 } });
      await within(b.serverSide.close(), 5000, "server close");
      const got2 = await within(atClient, 5000, "client frames to end");
      expect(got2.map((f) => f.body)).toEqual(["pong"]);
      await within(b.client.closed, 5000, "client closed");
    });

    it("a server closing with a reason sends exactly one Error frame, then ends with the code", async () => {
      const a = await pair();
      const atClient = collectToEnd(a.client);
      await a.serverSide.send({ pong: { unixMs: 3 } });
      await within(a.serverSide.close({ code: "AUTH_FAILED", message: 'publisher "x" is not the pinned publisher' }), 5000, "server close");
      const { frames, ending } = await within(atClient, 5000, "client frames to end");
      expect(frames.map((f) => f.body)).toEqual(["pong", "error"]);
      expect(frames[1]!.error).toMatchObject({ code: "AUTH_FAILED", retryable: false });
      expect(ending?.code).toBe("AUTH_FAILED");
      await within(a.client.closed, 5000, "client closed");
    });

    it("drops addresses outside the allowlist before any protocol work and reports them", async () => {
      const rejected: { address: string; reason: string }[] = [];
      let accepted = 0;
      const { server } = await listen({ allowlist: ["10.0.0.0/8", "fd00::/8"], onRejected: (info) => rejected.push(info) }, () => accepted++);
      const e = await failureOf(fx.factory.connect({ ...fx.connect, host: HOST, port: server.address.port, connectTimeoutMs: 3000 } as ConnectOptions));
      expect(["UNAVAILABLE", "PEER_NOT_ALLOWED"]).toContain(e.code);
      expect(rejected.length).toBeGreaterThanOrEqual(1);
      expect(rejected[0]).toMatchObject({ address: "127.0.0.1" });
      expect(rejected[0]!.reason).toMatch(/allowlist/);
      expect(accepted).toBe(0);

      const allowed = await pair({ allowlist: ["127.0.0.0/8"] });
      await allowed.client.send({ ping: { unixMs: 5 } });
      const [f] = await within(collect(allowed.serverSide, 1), 5000, "a frame from an allowed address");
      expect(Number(f!.ping!.unixMs)).toBe(5);
    });

    it("rejects a receiver whose TLS certificate does not match the pin, naming both fingerprints", async () => {
      if (!fx.connect.tls) throw new Error("fixture must use TLS");
      let accepted = 0;
      const { server } = await listen({}, () => accepted++);
      const wrong = "ab".repeat(32);
      const e = await failureOf(
        fx.factory.connect({ ...fx.connect, tls: { expectedFingerprint: wrong }, host: HOST, port: server.address.port } as ConnectOptions),
      );
      expect(e.code).toBe("AUTH_FAILED");
      expect(e.message).toContain(wrong);
      expect(e.message).toContain(fx.connect.tls.expectedFingerprint);
      expect(accepted).toBe(0);
      const ok = await connect(server);
      expect(ok.peerCertificateFingerprint).toBe(fx.connect.tls.expectedFingerprint);
    });

    it("times out a stalled peer", async () => {
      const { client, serverSide } = await pair({ idleTimeoutMs: 300 }, { idleTimeoutMs: 0 });
      const started = Date.now();
      const e = await failureOf(within(collect(serverSide), 5000, "the idle timeout"));
      expect(e.code).toBe("TIMEOUT");
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await within(client.closed, 5000, "the stalled client to be closed");
    });

    it("closing the server ends its open sessions and frees the port", async () => {
      const { server, next } = await listen();
      const client = await connect(server);
      const serverSide = await next();
      const atClient = collect(client).then(
        () => "ended",
        (e: PrepcastError) => e.code,
      );
      await within(server.close(), 5000, "server close");
      expect(["ended", "UNAVAILABLE"]).toContain(await within(atClient, 5000, "the client to notice"));
      await within(Promise.all([client.closed, serverSide.closed]), 5000, "both sides closed");
      const e = await failureOf(fx.factory.connect({ ...fx.connect, host: HOST, port: server.address.port, connectTimeoutMs: 3000 } as ConnectOptions));
      expect(e.code).toBe("UNAVAILABLE");
      expect(e.message).toContain(String(server.address.port));
    });

    it("serves 50 concurrent connections on one server", async () => {
      const { server, next } = await listen();
      const clients = await Promise.all(Array.from({ length: 50 }, () => connect(server)));
      const serverSides = await Promise.all(clients.map(() => next()));
      // Each server side echoes what it receives until the client closes.
      const echoes = serverSides.map(async (s) => {
        for await (const f of s.frames()) await s.send(f);
      });
      const results = await within(
        Promise.all(
          clients.map(async (c, i) => {
            const got = collect(c, 20);
            for (let k = 0; k < 20; k++) await c.send({ ping: { unixMs: i * 1000 + k } });
            const frames = await got;
            await c.close();
            return frames.every((f, k) => Number(f.ping!.unixMs) === i * 1000 + k);
          }),
        ),
        20_000,
        "50 echo sessions",
      );
      expect(results.every(Boolean)).toBe(true);
      await within(Promise.all(echoes), 5000, "server sides to end");
    });
  });
}
