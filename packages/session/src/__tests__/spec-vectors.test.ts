// docs/protocol.md §13.2 publishes session-level test vectors for other implementations; this
// keeps them true: the section is what spec-vectors.ts generates, and the printed bytes do what
// the spec says, checked independently where possible (node:crypto's Ed25519, a plain SHA-256
// over the printed text, the protobuf decoder, the real delta applier).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { applyDelta, cutDirContent } from "@prepcast/delta";
import { parseManifest, sha256Hex } from "@prepcast/protocol";
import { prepcast } from "@prepcast/proto";
import { verifyReceipt } from "../receipt";
import {
  CUT_FILES,
  CUT_MANIFEST_SHA256,
  CUT2_CSV,
  SESSION_VECTORS_BEGIN,
  SESSION_VECTORS_END,
  buildSessionVectors,
  renderSessionVectors,
} from "./spec-vectors";
import { tmpDir } from "./fixtures";

const DOC = path.join(__dirname, "..", "..", "..", "..", "docs", "protocol.md");
const v = buildSessionVectors();

describe("docs/protocol.md session test vectors", () => {
  it("match what the code generates (PREPCAST_WRITE_VECTORS=1 rewrites the section)", () => {
    let doc = fs.readFileSync(DOC, "utf8");
    const rendered = renderSessionVectors(v);
    const start = doc.indexOf(SESSION_VECTORS_BEGIN);
    const end = doc.indexOf(SESSION_VECTORS_END);
    expect(start).toBeGreaterThan(0);
    expect(end).toBeGreaterThan(start);
    if (process.env.PREPCAST_WRITE_VECTORS === "1") {
      doc = doc.slice(0, start) + rendered + doc.slice(end + SESSION_VECTORS_END.length);
      fs.writeFileSync(DOC, doc);
    }
    expect(doc.slice(start, doc.indexOf(SESSION_VECTORS_END) + SESSION_VECTORS_END.length)).toBe(rendered);
  });

  const ed25519 = (publicHex: string) =>
    crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicHex, "hex").toString("base64url") }, format: "jwk" });

  it("the auth transcript is canonical JSON of the documented fields, and both signatures verify under their domains (OpenSSL)", () => {
    const t = JSON.parse(v.transcript);
    expect(Object.keys(t)).toEqual([
      "format",
      "protocolVersion",
      "publisherId",
      "publisherKey",
      "publisherNonce",
      "receiverId",
      "receiverKey",
      "receiverNonce",
    ]);
    expect(t.protocolVersion).toBe(1);
    expect(Buffer.from(t.publisherKey, "base64").toString("hex")).toBe(v.publisher.publicHex);
    expect(Buffer.from(t.receiverNonce, "base64").toString("hex")).toBe(v.receiverNonceHex);
    const msg = (role: string) => Buffer.concat([Buffer.from(`prepcast/v1/auth-${role}\n`), Buffer.from(v.transcript)]);
    expect(crypto.verify(null, msg("publisher"), ed25519(v.publisher.publicHex), Buffer.from(v.publisherSigHex, "hex"))).toBe(true);
    expect(crypto.verify(null, msg("receiver"), ed25519(v.receiver.publicHex), Buffer.from(v.receiverSigHex, "hex"))).toBe(true);
    // a signature under one domain is not valid under the other
    expect(crypto.verify(null, msg("receiver"), ed25519(v.publisher.publicHex), Buffer.from(v.publisherSigHex, "hex"))).toBe(false);
  });

  it("the printed frames decode to what the text says", () => {
    const d = (hex: string) => prepcast.v1.Frame.decode(Buffer.from(hex.replace(/\s/g, ""), "hex"));
    const hello = d(v.helloHex).hello!;
    expect(hello).toMatchObject({
      protocolVersion: 1,
      receiverId: "uv-xalapa",
      freeDiskBytes: 2 ** 34,
      clockUnixMs: Date.parse("2024-06-03T02:20:00Z"),
      keysetVersion: 1,
      features: ["offer-manifest-zstd@1"],
    });
    expect(Buffer.from(hello.nonce!).toString("hex")).toBe(v.receiverNonceHex);
    const pa = d(v.publisherAuthHex).publisherAuth!;
    expect(Buffer.from(pa.signature!).toString("hex")).toBe(v.publisherSigHex);
    expect(d(v.receiverAuthHex).body).toBe("receiverAuth");
    expect(d(v.offerReplyHex).offerReply).toMatchObject({ accept: true });
    expect(Number(d(v.offerReplyHex).offerReply!.resumeOffset)).toBe(0);
    expect(Number(d(v.chunkHex).chunk!.offset)).toBe(0);
    const chunk = d(v.chunkHex).chunk!;
    expect(Buffer.from(chunk.data!).toString("hex")).toBe(v.payloadHex);
    expect(Buffer.from(chunk.sha256!).toString("hex")).toBe(sha256Hex(Buffer.from(v.payloadHex, "hex")));
    expect(d(v.payloadEndHex).body).toBe("payloadEnd");
    expect(d(v.errorHex).error).toMatchObject({ code: "AUTH_FAILED", message: "bad key" });
  });

  it("the full payload is the files in manifest order and the transfer id matches ^[0-9a-f]{16,64}$", () => {
    expect(Buffer.from(v.payloadHex, "hex").toString("utf8")).toBe(CUT_FILES.map((f) => f.content).join(""));
    expect(v.transferId).toMatch(/^[0-9a-f]{16,64}$/);
  });

  it("the receipt verifies (OpenSSL and verifyReceipt) and names the cut of §13.1", () => {
    const msg = Buffer.concat([Buffer.from("prepcast/v1/receipt\n"), Buffer.from(v.receiptJson)]);
    expect(crypto.verify(null, msg, ed25519(v.receiver.publicHex), Buffer.from(v.receiptSigHex, "hex"))).toBe(true);
    const doc = verifyReceipt(Buffer.from(v.receiptJson), Buffer.from(v.receiptSigHex, "hex"), Buffer.from(v.receiver.publicHex, "hex"), "vector");
    expect(doc.manifestSha256).toBe(CUT_MANIFEST_SHA256);
  });

  it("each audit hash is a plain SHA-256 of the printed text (prev as hex text), and lines chain", () => {
    let prev = "0".repeat(64);
    for (const a of v.audit) {
      const line = JSON.parse(a.line);
      expect(a.hashed.startsWith(`${prev}\n`)).toBe(true);
      expect(line.prev).toBe(prev);
      expect(line.hash).toBe(crypto.createHash("sha256").update(Buffer.from(a.hashed, "utf8")).digest("hex"));
      prev = line.hash;
    }
  });

  it("the printed full-zstd@1 and delta-zstd@1 streams rebuild the cuts with the real applier", async () => {
    const dir = tmpDir("spec-delta-");
    const c1Files = parseManifestFiles();
    const full = path.join(dir, "full.bin");
    fs.writeFileSync(full, Buffer.from(v.fullZstdHex.replace(/\s/g, ""), "hex"));
    const staged1 = path.join(dir, "cut1");
    expect(
      await applyDelta({
        streamPath: full,
        target: { manifestSha256: CUT_MANIFEST_SHA256, files: c1Files },
        base: null,
        findObject: () => null,
        stagingDir: staged1,
      }),
    ).toMatchObject({ files: 2, rebuilt: 2 });
    for (const f of CUT_FILES) expect(fs.readFileSync(path.join(staged1, "site", f.path), "utf8")).toBe(f.content);

    const c2 = parseManifest(Buffer.from(v.cut2Manifest));
    expect(sha256Hex(Buffer.from(v.cut2Manifest))).toBe(v.cut2ManifestSha256);
    const deltaFile = path.join(dir, "delta.bin");
    fs.writeFileSync(deltaFile, Buffer.from(v.deltaHex, "hex"));
    const staged2 = path.join(dir, "cut2");
    const held = new Map(c1Files.map((f) => [f.sha256, path.join(staged1, "site", f.path)]));
    const r = await applyDelta({
      streamPath: deltaFile,
      target: { manifestSha256: v.cut2ManifestSha256, files: c2.files },
      base: cutDirContent(CUT_MANIFEST_SHA256, c1Files, staged1),
      findObject: (sha) => held.get(sha) ?? null,
      stagingDir: staged2,
    });
    expect(r).toMatchObject({ files: 2, copied: 1, rebuilt: 1 });
    expect(fs.readFileSync(path.join(staged2, "site", "datos/presidencia.csv"), "utf8")).toBe(CUT2_CSV);
  });
});

function parseManifestFiles() {
  return CUT_FILES.map((f) => ({ path: f.path, size: Buffer.byteLength(f.content), sha256: sha256Hex(f.content) }));
}
