// docs/extending.md, "A new payload encoding", run as written: an encoding the protocol does not
// define ("gzip-example@1", the `full` payload gzipped) added on both sides without touching the
// session code, over the real gRPC transport on loopback. The session layer carries any encoding
// name; the receiver lists what it can apply (Hello.accepted_encodings) and its backend applies
// it after the offer's signatures verified; the publisher offers it only to receivers that list it.
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { Readable } from "node:stream";
import { advanceTrustState, applyFullPayload, generateKeyPair, PrepcastError } from "@prepcast/protocol";
import { grpcTransport, type FrameConnection, type FrameServer } from "@prepcast/transport";
import {
  BufferPayloadSource,
  ENCODING_FULL,
  PublisherSession,
  ReceiverSession,
  transferIdFor,
  type InstallRequest,
  type InstallResult,
  type OfferPlan,
} from "../index";
import { DirBackend, TestOple, testReceiverOptions, tmpDir } from "./fixtures";

const GZIP_EXAMPLE = "gzip-example@1";

/**
 * Receiver side: apply a gzip-example@1 payload. Bounded: never more than the signed totalSize;
 * bytes after the gzip data are refused (zlib would ignore them). The same applier as the apps'
 * worked example, e2e/test/support/gzip-example.ts.
 */
async function applyGzipExample(req: InstallRequest, siteDir: string): Promise<void> {
  const m = req.verified.manifest;
  const gz = fs.readFileSync(req.payloadPath);
  let full: Buffer;
  let consumed: number;
  try {
    const out = zlib.gunzipSync(gz, { maxOutputLength: Math.max(1, m.totalSize), info: true }) as unknown as { buffer: Buffer; engine: zlib.Gunzip };
    full = out.buffer;
    consumed = out.engine.bytesWritten;
  } catch (e) {
    throw new PrepcastError("PROTOCOL_ERROR", `${GZIP_EXAMPLE} payload does not inflate within the manifest's ${m.totalSize} bytes: ${(e as Error).message}`);
  }
  if (consumed !== gz.length) throw new PrepcastError("PROTOCOL_ERROR", `${GZIP_EXAMPLE} payload has ${gz.length - consumed} bytes after its gzip data`);
  if (full.length !== m.totalSize)
    throw new PrepcastError("TRUNCATED", `${GZIP_EXAMPLE} payload inflates to ${full.length} bytes, the manifest says ${m.totalSize}`);
  // the rest is `full`: every file checked against its signed hash as it is written
  await applyFullPayload(siteDir, m, Readable.from([full]));
}

/** A backend that knows `full` and the example encoding. */
class ExampleBackend extends DirBackend {
  override async install(req: InstallRequest): Promise<InstallResult> {
    if (req.encoding !== GZIP_EXAMPLE) return super.install(req);
    const target = path.join(this.dir, String(req.verified.manifest.sequence));
    fs.mkdirSync(target, { recursive: true });
    await applyGzipExample(req, target);
    this.trust = advanceTrustState(this.trust, req.verified);
    const m = req.verified.manifest;
    this.live = { process: m.process, channel: m.channel, sequence: m.sequence, manifestSha256: req.verified.manifestSha256 };
    this.installs.push(target);
    return { state: "active", activatedAt: new Date() };
  }
}

/** Publisher side: the plan for a cut, in the example encoding when the receiver lists it. */
function planFor(ople: TestOple, cut: ReturnType<TestOple["cut"]>, accepted: string[], force?: string): OfferPlan {
  const encoding = force ?? (accepted.includes(GZIP_EXAMPLE) ? GZIP_EXAMPLE : ENCODING_FULL);
  if (encoding !== GZIP_EXAMPLE) return ople.plan(cut);
  return {
    signed: cut.signed,
    cut: cut.ref,
    encoding,
    base: null,
    transferId: transferIdFor(cut.ref, encoding, null),
    payload: new BufferPayloadSource(zlib.gzipSync(cut.payload)),
    chunkSize: 4096,
  };
}

async function rig(encodings: string[]) {
  const ople = new TestOple();
  const dir = tmpDir("extending-");
  const backend = new ExampleBackend(path.join(dir, "cuts"));
  const publisher = generateKeyPair();
  const receiver = generateKeyPair();
  const transport = grpcTransport();
  const conns: FrameConnection[] = [];
  const server: FrameServer = await transport.listen({ host: "127.0.0.1", port: 0 }, (conn) => {
    conns.push(conn);
    void new ReceiverSession(conn, testReceiverOptions({ ople, receiver, publisher, backend, partialDir: path.join(dir, "partial") }, { encodings })).run();
  });
  const open = async () => {
    const conn = await transport.connect({ host: "127.0.0.1", port: server.address.port });
    conns.push(conn);
    return PublisherSession.open(conn, { publisherId: "ople", identity: publisher, receiver: { id: "uv", publicKey: receiver.publicKey } });
  };
  const close = async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await server.close();
  };
  return { ople, backend, open, close };
}

const site = (tag: string): Record<string, string> => {
  const out: Record<string, string> = { "index.html": `<h1>${tag}</h1>` };
  for (let i = 0; i < 40; i++)
    out[`distritos/d${i}.json`] = JSON.stringify({ distrito: i, tag, votos: Array.from({ length: 50 }, (_, k) => (k * 7 + i) % 97) });
  return out;
};

describe("docs/extending.md: a new payload encoding, end to end over gRPC", () => {
  test("a receiver listing gzip-example@1 gets it, rebuilds the exact tree, and signs the receipt", async () => {
    const r = await rig([ENCODING_FULL, GZIP_EXAMPLE]);
    try {
      const s = await r.open();
      expect(s.hello.acceptedEncodings).toEqual([ENCODING_FULL, GZIP_EXAMPLE]);
      const cut = r.ople.cut(1, site("c1"));
      const plan = planFor(r.ople, cut, s.hello.acceptedEncodings);
      expect(plan.encoding).toBe(GZIP_EXAMPLE);
      const res = await s.deliver(plan);
      expect(res).toMatchObject({ status: "delivered", receipt: { sequence: 1, manifestSha256: cut.ref.manifestSha256 } });
      if (res.status === "delivered") expect(res.bytesSent).toBeLessThan(cut.payload.length / 2); // it did travel compressed
      expect(fs.readFileSync(path.join(r.backend.installs[0]!, "site", "distritos/d7.json"), "utf8")).toBe(site("c1")["distritos/d7.json"]);
      await s.close();
    } finally {
      await r.close();
    }
  });

  test("a receiver that does not list it refuses the offer (PROTOCOL_ERROR) and still takes `full`", async () => {
    const r = await rig([ENCODING_FULL]);
    try {
      const s = await r.open();
      const cut = r.ople.cut(1, site("c1"));
      expect(planFor(r.ople, cut, s.hello.acceptedEncodings).encoding).toBe(ENCODING_FULL);
      await expect(s.deliver(planFor(r.ople, cut, s.hello.acceptedEncodings, GZIP_EXAMPLE))).resolves.toMatchObject({
        status: "refused",
        code: "PROTOCOL_ERROR",
      });
      await expect(s.deliver(planFor(r.ople, cut, s.hello.acceptedEncodings))).resolves.toMatchObject({ status: "delivered" });
      await s.close();
    } finally {
      await r.close();
    }
  });

  test("zero bytes appended after the gzip data are refused at install (zlib alone skips them); nothing goes live", async () => {
    const r = await rig([ENCODING_FULL, GZIP_EXAMPLE]);
    try {
      const s = await r.open();
      const cut = r.ople.cut(1, site("c1"));
      const padded = Buffer.concat([zlib.gzipSync(cut.payload), Buffer.alloc(31)]); // zero padding: the one tail zlib skips silently;
      const plan: OfferPlan = { ...planFor(r.ople, cut, s.hello.acceptedEncodings), payload: new BufferPayloadSource(padded), transferId: "0123456789abcdee" };
      const res = await s.deliver(plan);
      expect(res).toMatchObject({ status: "failed", code: "PROTOCOL_ERROR", message: expect.stringMatching(/31 bytes after its gzip data/) });
      expect(r.backend.live).toBeNull();
      await s.close();
    } finally {
      await r.close();
    }
  });

  test("a payload that inflates past the signed size is refused at install; nothing goes live", async () => {
    const r = await rig([ENCODING_FULL, GZIP_EXAMPLE]);
    try {
      const s = await r.open();
      const cut = r.ople.cut(1, site("c1"));
      const bomb = zlib.gzipSync(Buffer.alloc(cut.payload.length * 50, 0x20));
      const plan: OfferPlan = { ...planFor(r.ople, cut, s.hello.acceptedEncodings), payload: new BufferPayloadSource(bomb), transferId: "0123456789abcdef" };
      const res = await s.deliver(plan);
      expect(res).toMatchObject({ status: "failed", code: "PROTOCOL_ERROR" });
      expect(r.backend.live).toBeNull();
      await s.close();
    } finally {
      await r.close();
    }
  });
});
