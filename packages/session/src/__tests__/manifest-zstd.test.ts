// The signed manifest in the Offer, zstd-compressed for receivers that advertise
// "offer-manifest-zstd@1" (docs/protocol.md, Offer), over real gRPC and WebSocket servers on
// loopback: delivery, old receivers, and every hostile form refused before signature verification.
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as zstd from "zstd-napi/binding";
import { generateKeyPair, type ErrorCode } from "@prepcast/protocol";
import { Frame, type prepcast } from "@prepcast/proto";
import { grpcTransport, websocketTransport, type FrameConnection, type FrameServer, type TransportFactory } from "@prepcast/transport";
import {
  FEATURE_OFFER_MANIFEST_ZSTD,
  MAX_MANIFEST_BYTES,
  PublisherSession,
  ReceiverSession,
  compressManifest,
  decompressManifest,
  offerManifestZstd,
  type ReceiverSessionEvent,
} from "../index";
import { DirBackend, TestOple, testReceiverOptions, tmpDir } from "./fixtures";

// Measured figures are printed for the long suite (PREPCAST_HARDENING=1) or on request (PREPCAST_TEST_FIGURES=1),
// not in every `npm test`.
const printFigure = (line: string): void => {
  if (process.env.PREPCAST_HARDENING || process.env.PREPCAST_TEST_FIGURES) console.log(line);
};

jest.setTimeout(30_000);

/** A cut shaped like veracruz's (6,800 section files): its manifest is about 0.85 MB of canonical JSON. */
function veracruzLikeFiles(sections: number, tag: string): Record<string, string> {
  const out: Record<string, string> = { "index.html": `<h1>${tag}</h1>` };
  for (const e of ["GUB", "DIP_LOC"]) {
    for (let s = 1; s <= sections; s++) out[`data/${e}/secciones/${s}.json`] = JSON.stringify({ e, s, tag });
  }
  return out;
}

interface Rig {
  ople: TestOple;
  backend: DirBackend;
  events: ReceiverSessionEvent[];
  server: FrameServer;
  /** Offers as the publisher put them on the wire (after `tamper`). */
  offers: prepcast.v1.IOffer[];
  connect(o?: { port?: number; transport?: TransportFactory; tamperOffer?: (offer: prepcast.v1.IOffer) => void }): Promise<PublisherSession>;
  close(): Promise<void>;
}

async function rig(make: () => TransportFactory, receiver: { features?: string[] } = {}, ople = new TestOple()): Promise<Rig> {
  const transport = make();
  const dir = tmpDir("mzstd-");
  const backend = new DirBackend(path.join(dir, "cuts"));
  const events: ReceiverSessionEvent[] = [];
  const publisherIdentity = generateKeyPair();
  const receiverIdentity = generateKeyPair();
  const conns: FrameConnection[] = [];
  const offers: prepcast.v1.IOffer[] = [];
  const server = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
    conns.push(conn);
    void new ReceiverSession(
      conn,
      testReceiverOptions(
        { ople, receiver: receiverIdentity, publisher: publisherIdentity, backend, partialDir: path.join(dir, "partial") },
        {
          ...(receiver.features ? { features: receiver.features } : {}),
          onEvent: (e) => events.push(e),
          timeouts: { handshakeMs: 15_000, transferMs: 15_000 },
        },
      ),
    ).run();
  });
  return {
    ople,
    backend,
    events,
    server,
    offers,
    async connect(o = {}) {
      const raw = await (o.transport ?? transport).connect({ host: "127.0.0.1", port: o.port ?? server.address.port });
      conns.push(raw);
      const conn: FrameConnection = Object.assign(Object.create(raw) as FrameConnection, {
        send: (f: prepcast.v1.IFrame) => {
          if (f.offer) {
            f.offer = { ...f.offer };
            o.tamperOffer?.(f.offer);
            offers.push(f.offer);
          }
          return raw.send(f);
        },
        frames: () => raw.frames(),
        close: (reason?: { code: string; message: string }) => raw.close(reason),
      });
      return PublisherSession.open(conn, {
        publisherId: "ople",
        identity: publisherIdentity,
        receiver: { id: "uv", publicKey: receiverIdentity.publicKey },
        timeouts: { handshakeMs: 15_000, transferMs: 15_000 },
      });
    },
    async close() {
      await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP relay on loopback that counts the bytes each way (what the session costs on the wire). */
async function countingRelay(targetPort: number): Promise<{ port: number; bytes: () => number; close: () => Promise<void> }> {
  let total = 0;
  const sockets = new Set<net.Socket>();
  // The client is held until the upstream connection is up, then both are piped.
  const relay = net.createServer({ pauseOnConnect: true, noDelay: true }, (client) => {
    const upstream = net.connect({ port: targetPort, host: "127.0.0.1", noDelay: true }, () => {
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("data", (d: Buffer) => (total += d.length));
      s.on("error", () => undefined);
      s.on("close", () => (client.destroy(), upstream.destroy()));
    }
  });
  await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
  return {
    port: (relay.address() as net.AddressInfo).port,
    bytes: () => total,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => relay.close(() => r()));
    },
  };
}

/** One zstd frame without the content size in its header: only decompression can tell its length. */
function frameWithoutContentSize(data: Buffer): Buffer {
  const cctx = new zstd.CCtx();
  cctx.setParameter(zstd.CParameter.contentSizeFlag, 0);
  cctx.setParameter(zstd.CParameter.compressionLevel, 1);
  const dst = Buffer.alloc(zstd.compressBound(data.length));
  return Buffer.from(dst.subarray(0, cctx.compress2(dst, data)));
}

const TRANSPORTS: Array<[string, () => TransportFactory]> = [
  ["grpc", () => grpcTransport()],
  ["websocket", () => websocketTransport()],
];

describe.each(TRANSPORTS)("manifest in the offer over %s", (_name, make) => {
  // 800 files (a veracruz-scale cut is measured below, without installing its 6,800 files here:
  // the test backend writes them on the event loop for seconds).
  test("the manifest travels compressed, is decompressed to the exact signed bytes, verified and installed", async () => {
    const r = await rig(make);
    try {
      const s = await r.connect();
      expect(s.hello.features).toContain(FEATURE_OFFER_MANIFEST_ZSTD);
      const cut = r.ople.cut(1, veracruzLikeFiles(400, "c1"));
      expect(cut.signed.manifest.length).toBeGreaterThan(90_000);
      const res = await s.deliver(r.ople.plan(cut, 64 * 1024));
      expect(res).toMatchObject({ status: "delivered", receipt: { sequence: 1, manifestSha256: cut.ref.manifestSha256 } });
      const offer = r.offers[0]!;
      expect(offer.manifest ?? new Uint8Array()).toHaveLength(0);
      expect(offer.manifestSize).toBe(cut.signed.manifest.length);
      expect(offer.manifestZstd!.length).toBeLessThan(cut.signed.manifest.length * 0.4);
      expect(r.events).toContainEqual(expect.objectContaining({ type: "installed", sequence: 1, manifestSha256: cut.ref.manifestSha256 }));
      expect(fs.readFileSync(path.join(r.backend.installs[0]!, "site", "data/GUB/secciones/17.json"), "utf8")).toBe(
        JSON.stringify({ e: "GUB", s: 17, tag: "c1" }),
      );
    } finally {
      await r.close();
    }
  });

  test("a receiver that does not advertise the feature (an older agent) gets the exact plain manifest and installs", async () => {
    const r = await rig(make, { features: [] });
    try {
      const s = await r.connect();
      expect(s.hello.features).toEqual([]);
      const cut = r.ople.cut(1, veracruzLikeFiles(20, "old"));
      expect(await s.deliver(r.ople.plan(cut))).toMatchObject({ status: "delivered" });
      const offer = r.offers[0]!;
      expect(Buffer.from(offer.manifest!).equals(cut.signed.manifest)).toBe(true);
      expect(offer.manifestZstd).toBeUndefined();
      expect(offer.manifestSize).toBeUndefined();
    } finally {
      await r.close();
    }
  });
});

/** What the hostile-case session does to each offer it sends (set per case). */
let currentTamper: (o: prepcast.v1.IOffer) => void = () => undefined;

describe("hostile compressed manifests are refused before signature verification (websocket on loopback)", () => {
  let r: Rig;
  let cut: ReturnType<TestOple["cut"]>;
  let session: PublisherSession;
  beforeAll(async () => {
    r = await rig(() => websocketTransport());
    cut = r.ople.cut(1, veracruzLikeFiles(30, "h"));
  });
  afterAll(() => r.close());

  const size = () => cut.signed.manifest.length;
  const cases: Array<[string, ErrorCode, (o: prepcast.v1.IOffer) => void]> = [
    ["manifest_size over the manifest limit", "TOO_LARGE", (o) => (o.manifestSize = MAX_MANIFEST_BYTES + 1)],
    ["manifest_size of 2^40 (nothing is allocated for it)", "TOO_LARGE", (o) => (o.manifestSize = 2 ** 40)],
    ["a frame whose header declares more bytes than manifest_size", "TOO_LARGE", (o) => (o.manifestSize = size() - 1)],
    ["a frame whose header declares fewer bytes than manifest_size", "TRUNCATED", (o) => (o.manifestSize = size() + 1)],
    [
      "a frame without a content size that decompresses to more than manifest_size",
      "TOO_LARGE",
      (o) => ((o.manifestZstd = frameWithoutContentSize(cut.signed.manifest)), (o.manifestSize = size() - 1)),
    ],
    [
      "a frame without a content size that decompresses to fewer than manifest_size",
      "TRUNCATED",
      (o) => ((o.manifestZstd = frameWithoutContentSize(cut.signed.manifest)), (o.manifestSize = size() + 100)),
    ],
    [
      "garbage after the zstd magic number",
      "PROTOCOL_ERROR",
      (o) => (o.manifestZstd = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(200, 0x5a)])),
    ],
    ["bytes that are not zstd at all (the plain manifest in the zstd field)", "PROTOCOL_ERROR", (o) => (o.manifestZstd = cut.signed.manifest)],
    [
      "two frames (the second would add bytes the size check did not see)",
      "PROTOCOL_ERROR",
      (o) => (o.manifestZstd = Buffer.concat([compressManifest(cut.signed.manifest), compressManifest(Buffer.from("{}"))])),
    ],
    ["manifest_zstd without manifest_size", "PROTOCOL_ERROR", (o) => delete o.manifestSize],
    ["both manifest and manifest_zstd", "PROTOCOL_ERROR", (o) => (o.manifest = cut.signed.manifest)],
    ["neither manifest nor manifest_zstd", "PROTOCOL_ERROR", (o) => (delete o.manifestZstd, delete o.manifestSize)],
    ["manifest_size beside a plain manifest", "PROTOCOL_ERROR", (o) => (delete o.manifestZstd, (o.manifest = cut.signed.manifest))],
    [
      "decompressed bytes that are not the signed ones (same size)",
      "SIGNATURE_INVALID",
      (o) => {
        const forged = Buffer.from(cut.signed.manifest);
        forged[forged.indexOf("data/GUB")] = "D".charCodeAt(0);
        o.manifestZstd = compressManifest(forged);
      },
    ],
  ];

  test.each(cases)("%s: refused with %s, nothing transferred", async (_what, code, tamper) => {
    session ??= await r.connect({ tamperOffer: (o) => currentTamper(o) });
    currentTamper = tamper;
    const before = r.events.length;
    const res = await session.deliver(r.ople.plan(cut));
    expect(res).toMatchObject({ status: "refused", code });
    if (code !== "SIGNATURE_INVALID") expect((res as { message: string }).message).toMatch(/^offer "[0-9a-f]+"/);
    const seen = r.events.slice(before);
    expect(seen).toEqual([expect.objectContaining({ type: "refused", code })]);
    expect(r.backend.installs).toEqual([]);
  });

  test("the untampered offer on the same session is accepted (the cases above fail for their own reason)", async () => {
    currentTamper = () => undefined;
    expect(await session.deliver(r.ople.plan(cut))).toMatchObject({ status: "delivered" });
  });
});

test("a publisher that sends manifest_zstd to a receiver that did not advertise it is refused (PROTOCOL_ERROR)", async () => {
  const r = await rig(() => websocketTransport(), { features: [] });
  try {
    const s = await r.connect({
      tamperOffer: (o) => {
        o.manifestZstd = offerManifestZstd(o.manifest!);
        o.manifestSize = o.manifest!.length;
        delete o.manifest;
      },
    });
    const res = await s.deliver(r.ople.plan(r.ople.cut(1, veracruzLikeFiles(5, "x"))));
    expect(res).toMatchObject({ status: "refused", code: "PROTOCOL_ERROR", message: expect.stringContaining("did not advertise offer-manifest-zstd@1") });
  } finally {
    await r.close();
  }
});

describe("manifest compression", () => {
  test("is computed once per manifest buffer and shared by every session", () => {
    const m = Buffer.from(JSON.stringify({ files: Array.from({ length: 200 }, (_, i) => ({ path: `p/${i}`, sha256: "ab".repeat(32) })) }));
    const a = offerManifestZstd(m);
    expect(offerManifestZstd(m)).toBe(a);
    expect(offerManifestZstd(Buffer.from(m))).not.toBe(a);
    expect(decompressManifest(a, m.length, "test").equals(m)).toBe(true);
  });

  test("the size is checked before any allocation: a 1 TiB claim fails fast with TOO_LARGE", () => {
    expect(() => decompressManifest(compressManifest(Buffer.from("{}")), 2 ** 40, "offer x")).toThrow(expect.objectContaining({ code: "TOO_LARGE" }));
  });

  test("a highly compressible 32 MiB + 1 manifest (zip bomb) is refused by its declared size; 32 MiB exactly is decompressed", () => {
    const bomb = compressManifest(Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20));
    expect(bomb.length).toBeLessThan(4096);
    expect(() => decompressManifest(bomb, MAX_MANIFEST_BYTES + 1, "offer x")).toThrow(expect.objectContaining({ code: "TOO_LARGE" }));
    expect(() => decompressManifest(bomb, MAX_MANIFEST_BYTES, "offer x")).toThrow(expect.objectContaining({ code: "TOO_LARGE" }));
    expect(decompressManifest(compressManifest(Buffer.alloc(MAX_MANIFEST_BYTES, 0x20)), MAX_MANIFEST_BYTES, "offer x")).toHaveLength(MAX_MANIFEST_BYTES);
  });
});

describe("bytes on the wire for one veracruz-scale offer (session: handshake, offer of a live cut, receipt)", () => {
  test("the zstd manifest costs under 40 % of the plain one on both transports, and less than gRPC gzip of the plain one", async () => {
    const rows: Record<string, number> = {};
    const gzip = () => grpcTransport({ channelOptions: { "grpc.default_compression_algorithm": 2 } });
    const configs: Array<[string, () => TransportFactory, string[] | undefined, (() => TransportFactory) | undefined]> = [
      ["grpc plain manifest", () => grpcTransport(), [], undefined],
      ["grpc plain manifest + gRPC gzip (before)", () => grpcTransport(), [], gzip],
      ["grpc zstd manifest (after)", () => grpcTransport(), undefined, undefined],
      ["grpc zstd manifest + gRPC gzip", () => grpcTransport(), undefined, gzip],
    ];
    // WebSocket is not relayed: its client attaches the message listener a tick after "open", so
    // a Hello arriving in the same read as the 101 response is lost, which a relay under load
    // provokes (reported to the transport's owner). One WebSocket message = one encoded Frame,
    // so its Offer frames are measured exactly by their encoding (plus a 10-byte header at most).
    const wsOffers: Record<string, number> = {};
    const ople = new TestOple();
    const files = veracruzLikeFiles(3400, "wire");
    const cut = ople.cut(1, files);
    for (const [name, make, features, publisherTransport] of configs) {
      const r = await rig(make, features ? { features } : {}, ople);
      const relay = await countingRelay(r.server.address.port);
      try {
        // The receiver already has the cut live: the session is the handshake, the offer and a receipt.
        r.backend.live = cut.ref;
        const s = await r.connect({ port: relay.port, ...(publisherTransport ? { transport: publisherTransport() } : {}) }).catch((e: Error) => {
          throw new Error(`${name}: ${e.message}`);
        });
        const res = await s.deliver(r.ople.plan(cut, 256 * 1024));
        expect(res).toMatchObject({ status: "delivered", bytesSent: 0 });
        expect(r.events).toContainEqual(expect.objectContaining({ type: "offer", manifestSha256: cut.ref.manifestSha256 })); // decompressed and verified
        rows[name] = relay.bytes();
      } finally {
        await relay.close();
        await r.close();
      }
    }
    for (const [name, features] of [
      ["websocket plain manifest (before)", []],
      ["websocket zstd manifest (after)", undefined],
    ] as const) {
      const r = await rig(() => websocketTransport(), features ? { features: [...features] } : {}, ople);
      try {
        r.backend.live = cut.ref;
        expect(await (await r.connect()).deliver(r.ople.plan(cut, 256 * 1024))).toMatchObject({ status: "delivered", bytesSent: 0 });
        wsOffers[name] = Frame.encode({ offer: r.offers[0]! }).finish().length;
      } finally {
        await r.close();
      }
    }
    const table = [
      ...Object.entries(rows).map(([k, v]) => `  ${k.padEnd(42)} ${v} (whole session, TCP)`),
      ...Object.entries(wsOffers).map(([k, v]) => `  ${k.padEnd(42)} ${v} (Offer frame)`),
    ];
    printFigure(`bytes on the wire, one session re-offering a live cut (manifest of ${Object.keys(files).length} files):\n${table.join("\n")}`);
    expect(rows["grpc zstd manifest (after)"]!).toBeLessThan(rows["grpc plain manifest"]! * 0.4);
    expect(wsOffers["websocket zstd manifest (after)"]!).toBeLessThan(wsOffers["websocket plain manifest (before)"]! * 0.4);
    expect(rows["grpc zstd manifest (after)"]!).toBeLessThan(rows["grpc plain manifest + gRPC gzip (before)"]!);
  });
});
