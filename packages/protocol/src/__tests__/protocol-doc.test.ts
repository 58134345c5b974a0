import * as crypto from "node:crypto";
import * as fs from "node:fs";
import nacl from "tweetnacl";
import { PROTOCOL_DOC, RETRACTION_REASON, VECTORS_BEGIN, VECTORS_END, buildTestVectors, renderTestVectors } from "../../scripts/test-vectors";
import {
  AGENT_AUDIT_EVENTS,
  KEYSET_HISTORY_AUDIT_EVENTS,
  LOG_AUDIT_EVENTS,
  PUBLISHER_AUDIT_EVENTS,
  PUBLISHER_SERVICE_AUDIT_EVENTS,
  RECEIVER_AUDIT_EVENTS,
  STORE_AUDIT_EVENTS,
  advanceTrustState,
  canonicalize,
  createManifest,
  emptyTrustState,
  isEmbargoed,
  keyPairFromSeed,
  parseManifest,
  parseSigFile,
  readPublicKeyFile,
  sha256Hex,
  signDocument,
  encodeSigFile,
  verifySignedCut,
} from "../index";
import { codeOf, tempDir } from "./helpers";

// docs/protocol.md publishes test vectors for other implementations; this keeps them true.
const doc = fs.readFileSync(PROTOCOL_DOC, "utf8");
const section = doc.slice(doc.indexOf(VECTORS_BEGIN), doc.indexOf(VECTORS_END) + VECTORS_END.length);
const blocks = (lang: string) => [...section.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)\\n```", "g"))].map((m) => m[1]!);

describe("docs/protocol.md test vectors", () => {
  it("match what the code generates (regenerate with scripts/test-vectors.ts --write)", () => {
    expect(doc.indexOf(VECTORS_BEGIN)).toBeGreaterThan(0);
    expect(section).toBe(renderTestVectors(buildTestVectors()));
  });

  const [rootPub, keysetJson, keysetSig, manifestJson, manifestSig, malleatedSig, retractionJson, retractionSig] = blocks("json");
  const [keysetMessageHex, , manifestMessageHex] = blocks("text").map((b) => b.replace(/\n/g, ""));
  const cut = {
    keyset: Buffer.from(keysetJson!),
    keysetSig: Buffer.from(keysetSig!),
    manifest: Buffer.from(manifestJson!),
    manifestSig: Buffer.from(manifestSig!),
  };
  const v = buildTestVectors();

  it("as printed, verify with an independent Ed25519 implementation (OpenSSL via node:crypto)", () => {
    const rootPublic = Buffer.from(JSON.parse(rootPub!).public, "base64");
    const signingPublic = Buffer.from(JSON.parse(keysetJson!).keys[0].public, "base64");
    const pairs: Array<[string, string, Buffer]> = [
      [keysetMessageHex!, keysetSig!, rootPublic],
      [manifestMessageHex!, manifestSig!, signingPublic],
    ];
    for (const [messageHex, sigText, publicKey] of pairs) {
      const key = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: publicKey.toString("base64url") }, format: "jwk" });
      expect(crypto.verify(null, Buffer.from(messageHex, "hex"), key, Buffer.from(JSON.parse(sigText).sig, "base64"))).toBe(true);
      expect(JSON.parse(sigText).keyid).toBe(sha256Hex(publicKey));
    }
    expect(Buffer.from(manifestMessageHex!, "hex").equals(Buffer.concat([Buffer.from("prepcast/v1/manifest\n"), Buffer.from(manifestJson!)]))).toBe(true);
    expect(sha256Hex(manifestJson!)).toBe(v.manifestSha256);
  });

  it("as printed, are accepted by verifySignedCut with the printed root.pub, and embargoed at the stated time", () => {
    const dir = tempDir();
    try {
      fs.writeFileSync(`${dir}/root.pub`, rootPub!);
      const { publicKey } = readPublicKeyFile(`${dir}/root.pub`);
      const verified = verifySignedCut(cut, { rootPublicKey: publicKey, state: emptyTrustState(), now: new Date(v.verifyAt) });
      expect(verified.manifestSha256).toBe(v.manifestSha256);
      expect(isEmbargoed(verified.manifest, new Date(v.verifyAt))).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the printed malleated signature passes tweetnacl alone and is refused by strict verification", () => {
    const signingPublic = Buffer.from(JSON.parse(keysetJson!).keys[0].public, "base64");
    const malleated = Buffer.from(parseSigFile(Buffer.from(malleatedSig!), "doc").sig, "base64");
    expect(nacl.sign.detached.verify(Buffer.from(manifestMessageHex!, "hex"), malleated, signingPublic)).toBe(true);
    const rootPublic = Buffer.from(JSON.parse(rootPub!).public, "base64");
    expect(codeOf(() => verifySignedCut({ ...cut, manifestSig: Buffer.from(malleatedSig!) }, { rootPublicKey: rootPublic, now: new Date(v.verifyAt) }))).toBe(
      "SIGNATURE_INVALID",
    );
  });

  it("as printed, the retraction is accepted after cut 1 although its corte is earlier; without its retraction field it is CORTE_ROLLBACK", () => {
    const rootPublic = Buffer.from(JSON.parse(rootPub!).public, "base64");
    const opts = { rootPublicKey: rootPublic, now: new Date(v.verifyAt) };
    const afterCut1 = advanceTrustState(emptyTrustState(), verifySignedCut(cut, opts));
    const retraction = { ...cut, manifest: Buffer.from(retractionJson!), manifestSig: Buffer.from(retractionSig!) };
    const verified = verifySignedCut(retraction, { ...opts, state: afterCut1 });
    expect(verified.manifest.retraction).toEqual({ reason: RETRACTION_REASON });
    expect(verified.manifestSha256).toBe(v.retractionManifestSha256);
    // the same document without the field, signed with the vectors' signing key: refused
    const { retraction: _r, ...plain } = parseManifest(Buffer.from(retractionJson!));
    const bytes = Buffer.from(canonicalize(plain));
    expect(bytes.equals(createManifest(plain))).toBe(true);
    const signing = keyPairFromSeed(Buffer.from("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f", "hex"));
    const sig = encodeSigFile(signDocument("manifest", bytes, signing.secretKey, JSON.parse(retractionSig!).keyid));
    expect(() => verifySignedCut({ ...cut, manifest: bytes, manifestSig: sig }, { ...opts, state: afterCut1 })).toThrow(
      expect.objectContaining({ code: "CORTE_ROLLBACK" }),
    );
  });
});

describe("docs/protocol.md §10.1 audit events", () => {
  const events = doc.slice(doc.indexOf("### 10.1 Events"), doc.indexOf("## 11. Error codes"));
  const listed = (title: string) => {
    const at = events.indexOf(title);
    expect(at).toBeGreaterThan(0);
    const table = events.slice(at).split("\n\n")[1]!;
    return Object.fromEntries([...table.matchAll(/^\| `([^`]+)` \| (.*) \|$/gm)].map((m) => [m[1]!, m[2]!]));
  };

  it("list exactly the events of audit-events.ts, with the same descriptions", () => {
    expect(listed("Both sides (the log itself):")).toEqual(LOG_AUDIT_EVENTS);
    expect(listed("Receiver, cut store")).toEqual(STORE_AUDIT_EVENTS);
    expect(listed("Receiver agent")).toEqual(AGENT_AUDIT_EVENTS);
    expect(listed("Publisher (")).toEqual(PUBLISHER_SERVICE_AUDIT_EVENTS);
    expect(listed("Keyset history (")).toEqual(KEYSET_HISTORY_AUDIT_EVENTS);
  });

  it("every listed name is a valid event name (§10)", () => {
    for (const name of [...Object.keys(RECEIVER_AUDIT_EVENTS), ...Object.keys(PUBLISHER_AUDIT_EVENTS), ...Object.keys(KEYSET_HISTORY_AUDIT_EVENTS)])
      expect(name).toMatch(/^[a-z0-9][a-z0-9._-]{0,127}$/);
  });
});
