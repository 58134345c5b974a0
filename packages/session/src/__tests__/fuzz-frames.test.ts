// Fuzzing (fast-check) of the message decoder and of the receiver session's handling of whatever
// frames a peer sends, before and after authentication, over the memory transport. Bounded in
// time for `npm test` (~5 s per target); PREPCAST_FUZZ_RUNS / PREPCAST_HARDENING=1 run longer.
// Invariants: decoding arbitrary bytes either yields a Frame or throws (the transport turns that
// into PROTOCOL_ERROR); a session fed arbitrary frames always ends or answers, never rejects,
// never installs anything, and leaves no partial payload beyond what it declared.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { generateKeyPair } from "@prepcast/protocol";
import { prepcast } from "@prepcast/proto";
import { memoryTransport, type FrameConnection } from "@prepcast/transport";
import { FrameReader, MAX_MANIFEST_BYTES, ReceiverSession, compressManifest, signAuth } from "../index";
import { DirBackend, TestOple, testReceiverOptions, tmpDir } from "./fixtures";

// Measured figures are printed for the long suite (PREPCAST_HARDENING=1) or on request (PREPCAST_TEST_FIGURES=1),
// not in every `npm test`.
const printFigure = (line: string): void => {
  if (process.env.PREPCAST_HARDENING || process.env.PREPCAST_TEST_FIGURES) console.log(line);
};

const LONG = process.env.PREPCAST_HARDENING === "1";
const RUNS = Number(process.env.PREPCAST_FUZZ_RUNS ?? (LONG ? 100_000_000 : 100_000));
const TIME_MS = Number(process.env.PREPCAST_FUZZ_SECONDS ?? (LONG ? 120 : 5)) * 1000;
jest.setTimeout(TIME_MS * 3 + 30_000);

const ople = new TestOple();
const valid = ople.cut(1, { "index.html": "<h1>x</h1>", "datos/a.json": '{"a":1}' });
const validFrames: prepcast.v1.IFrame[] = [
  {
    offer: {
      transferId: "ab".repeat(16),
      ...valid.signed,
      encoding: "full",
      payloadSize: valid.payload.length,
      payloadSha256: Buffer.alloc(32),
      chunkSize: 1024,
    },
  },
  { chunk: { offset: 0, data: valid.payload, sha256: Buffer.alloc(32) } },
  { payloadEnd: {} },
  { notice: { notice: Buffer.from("{}"), signature: Buffer.alloc(64) } },
  { ping: { unixMs: 1 } },
];
const validEncoded = validFrames.map((f) => Buffer.from(prepcast.v1.Frame.encode(f).finish()));

const validZstd = compressManifest(valid.signed.manifest);
const zstdLike = fc.oneof(
  fc.constant(validZstd),
  fc.constant(compressManifest(Buffer.alloc(1 << 20, 0x20))), // a small bomb: 1 MiB of spaces
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), b])), // garbage after the magic
  fc.tuple(fc.nat(), fc.nat({ max: 255 })).map(([at, v]) => {
    const m = Buffer.from(validZstd);
    m[at % m.length] = v;
    return m;
  }),
  fc.constant(Buffer.alloc(0)),
);
const bytesLike = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.constantFrom(valid.signed.keyset, valid.signed.manifest, valid.signed.manifestSig, Buffer.alloc(0)),
);
const u64 = fc.oneof(fc.nat(), fc.constantFrom(0, 1, 1023, 1024, valid.payload.length, 2 ** 32, Number.MAX_SAFE_INTEGER));
const frameArb: fc.Arbitrary<prepcast.v1.IFrame> = fc.oneof(
  fc.record({
    offer: fc.record({
      transferId: fc.oneof(fc.string({ maxLength: 70 }), fc.constant("ab".repeat(16))),
      keyset: fc.oneof(fc.constant(valid.signed.keyset), bytesLike),
      keysetSig: fc.oneof(fc.constant(valid.signed.keysetSig), bytesLike),
      manifest: fc.oneof(fc.constant(valid.signed.manifest), bytesLike),
      manifestZstd: zstdLike,
      manifestSize: fc.oneof(fc.constantFrom(0, valid.signed.manifest.length, valid.signed.manifest.length + 1, 1 << 20, MAX_MANIFEST_BYTES + 1), u64),
      manifestSig: fc.oneof(fc.constant(valid.signed.manifestSig), bytesLike),
      encoding: fc.constantFrom("full", "delta-zstd@1", "", "../x"),
      payloadSize: u64,
      payloadSha256: fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 40 })),
      chunkSize: fc.oneof(fc.nat({ max: 16 * 1024 * 1024 }), fc.constant(1024)),
    }),
  }),
  fc.record({ chunk: fc.record({ offset: u64, data: fc.uint8Array({ maxLength: 2048 }), sha256: fc.uint8Array({ maxLength: 40 }) }) }),
  fc.constant({ payloadEnd: {} }),
  fc.record({ notice: fc.record({ notice: bytesLike, signature: fc.uint8Array({ maxLength: 70 }) }) }),
  fc.record({ hello: fc.record({ receiverId: fc.string({ maxLength: 20 }), nonce: fc.uint8Array({ maxLength: 40 }) }) }),
  fc.record({
    publisherAuth: fc.record({
      publisherId: fc.constantFrom("ople", "x"),
      nonce: fc.uint8Array({ maxLength: 40 }),
      signature: fc.uint8Array({ maxLength: 70 }),
    }),
  }),
  fc.record({ receipt: fc.record({ receipt: bytesLike, signature: fc.uint8Array({ maxLength: 70 }) }) }),
  fc.record({ error: fc.record({ code: fc.constantFrom("DISK_FULL", "NOPE", ""), message: fc.string({ maxLength: 20 }) }) }),
  fc.record({ ping: fc.record({ unixMs: u64 }) }),
  fc.constant({ status: {} }),
  fc.constant({}),
);

describe("fuzzing the frame decoder and the receiver session", () => {
  test("fuzz frame decoder: Frame.decode of arbitrary and mutated frames returns a Frame or throws an Error, never anything else", () => {
    let n = 0;
    let decoded = 0;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 512 }),
          fc.tuple(fc.constantFrom(...validEncoded), fc.nat(), fc.nat({ max: 255 }), fc.nat({ max: 64 })).map(([b, at, v, cut]) => {
            const m = Buffer.from(b);
            if (m.length) m[at % m.length] = v;
            return m.subarray(0, Math.max(0, m.length - cut));
          }),
        ),
        (bytes) => {
          n++;
          let frame: prepcast.v1.Frame | null = null;
          try {
            frame = prepcast.v1.Frame.decode(bytes);
          } catch (e) {
            if (!(e instanceof Error)) throw new Error(`decode threw a non-Error: ${String(e)}`);
            return;
          }
          decoded++;
          // whatever decodes re-encodes without throwing (the session may log or echo fields)
          prepcast.v1.Frame.encode(frame).finish();
        },
      ),
      { numRuns: RUNS, interruptAfterTimeLimit: TIME_MS, markInterruptAsFailure: false },
    );
    printFigure(`fuzz frame decoder: ${n} inputs, ${decoded} decoded`);
    expect(n).toBeGreaterThan(1000);
  });

  test("fuzz receiver session: arbitrary frames before and after authentication never crash it, never install, always end or answer", async () => {
    const dir = tmpDir("fuzz-session-");
    const transport = memoryTransport();
    const backend = new DirBackend(path.join(dir, "cuts"));
    const publisher = generateKeyPair();
    const receiver = generateKeyPair();
    const partialDir = path.join(dir, "partial");
    const runs: Array<Promise<void>> = [];
    const server = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
      runs.push(
        new ReceiverSession(
          conn,
          testReceiverOptions(
            { ople, receiver, publisher, backend, partialDir },
            {
              agentVersion: "fuzz",
              // a generous handshake (a loaded machine must not fail the setup), short waits after it
              timeouts: { handshakeMs: 5000, transferMs: 200, idleMs: 200 },
            },
          ),
        ).run(),
      );
    });
    let sessions = 0;
    const endings = new Map<string, number>();
    try {
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(frameArb, { minLength: 1, maxLength: 6 }), async (authenticate, frames) => {
          sessions++;
          const conn: FrameConnection = await transport.connect({ host: "127.0.0.1", port: server.address.port });
          const reader = new FrameReader(conn);
          const hello = await reader.expect("hello", 5000);
          if (authenticate) {
            const nonce = Buffer.alloc(32, 1);
            const params = {
              publisherId: "ople",
              publisherKey: publisher.publicKey,
              publisherNonce: nonce,
              receiverId: "uv",
              receiverKey: receiver.publicKey,
              receiverNonce: hello.nonce!,
            };
            await conn.send({
              publisherAuth: { publisherId: "ople", identityPublicKey: publisher.publicKey, nonce, signature: signAuth("publisher", params, publisher) },
            });
            await reader.expect("receiverAuth", 5000);
          }
          for (const f of frames) await conn.send(f).catch(() => undefined);
          let ending = "open";
          try {
            for (;;) {
              const f = await reader.next(400, "anything");
              if (f.body === "offerReply" && f.offerReply?.accept === false) ending = `refused:${f.offerReply.code}`;
            }
          } catch (e) {
            ending = (e as { code?: string }).code ?? "non-typed";
          }
          await conn.close().catch(() => undefined);
          endings.set(ending, (endings.get(ending) ?? 0) + 1);
          if (ending === "non-typed") throw new Error("session ended with an untyped error");
          // the session process is still healthy: every run() settled without rejecting
          await Promise.all(runs.splice(0));
          expect(backend.installs).toEqual([]);
          // a partial payload never exceeds what an offer declared (here: at most the valid cut)
          const partial = path.join(partialDir, "payload.bin");
          if (fs.existsSync(partial)) expect(fs.statSync(partial).size).toBeLessThanOrEqual(valid.payload.length);
        }),
        { numRuns: RUNS, interruptAfterTimeLimit: TIME_MS, markInterruptAsFailure: false },
      );
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    printFigure(`fuzz receiver session: ${sessions} sessions, endings ${JSON.stringify(Object.fromEntries(endings))}`);
    expect(sessions).toBeGreaterThan(5);
  });
});
