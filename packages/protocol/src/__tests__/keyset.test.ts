import { createKeyset, encodeSigFile, keysetPublicKey, parseKeyset, signDocument, verifyKeyset } from "../index";
import { NOW, OTHER_SIGNER, ROOT, SIGNER, codeOf, errorOf, seededKey, signedKeyset } from "./helpers";

describe("keyset", () => {
  it("is canonical, sorted by keyid, and lists role signing", () => {
    const bytes = createKeyset({
      version: 3,
      expires: "2025-01-01T00:00:00Z",
      createdAt: "2024-01-01T00:00:00Z",
      signingPublicKeys: [SIGNER.publicKey, OTHER_SIGNER.publicKey],
    });
    const ks = parseKeyset(bytes);
    expect(ks.format).toBe("prepcast/keyset@1");
    expect(ks.version).toBe(3);
    expect(ks.keys.map((k) => k.keyid)).toEqual([SIGNER.keyid, OTHER_SIGNER.keyid].sort());
    expect(ks.keys.every((k) => k.role === "signing")).toBe(true);
    expect(Buffer.from(keysetPublicKey(ks, SIGNER.keyid)!).equals(Buffer.from(SIGNER.publicKey))).toBe(true);
    expect(keysetPublicKey(ks, ROOT.keyid)).toBeUndefined();
  });

  it("refuses duplicate keys, an empty key list and version 0", () => {
    expect(codeOf(() => createKeyset({ version: 1, expires: "2025-01-01T00:00:00Z", signingPublicKeys: [SIGNER.publicKey, SIGNER.publicKey] }))).toBe(
      "KEYSET_INVALID",
    );
    expect(codeOf(() => createKeyset({ version: 1, expires: "2025-01-01T00:00:00Z", signingPublicKeys: [] }))).toBe("KEYSET_INVALID");
    expect(codeOf(() => createKeyset({ version: 0, expires: "2025-01-01T00:00:00Z", signingPublicKeys: [SIGNER.publicKey] }))).toBe("KEYSET_INVALID");
  });

  it("names the offending field", () => {
    const good = JSON.parse(
      createKeyset({ version: 1, expires: "2025-01-01T00:00:00Z", createdAt: "2024-01-01T00:00:00Z", signingPublicKeys: [SIGNER.publicKey] }).toString(),
    );
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, version: -1 }, /field version/],
      [{ ...good, expires: "2025-01-01T00:00:00" }, /field expires timestamp/],
      [{ ...good, keys: [{ ...good.keys[0], role: "root" }] }, /field keys\.0\.role/],
      [{ ...good, keys: [{ ...good.keys[0], keyid: OTHER_SIGNER.keyid }] }, /field keys\.0\.keyid is not the SHA-256/],
      [{ ...good, format: "prepcast/keyset@2" }, /field format/],
      [{ ...good, extra: true }, /Unrecognized key/],
      [{ ...good, expires: "2023-01-01T00:00:00Z" }, /must be later than createdAt/],
    ];
    for (const [doc, message] of cases) {
      const keys = Object.keys(doc).sort();
      const text = JSON.stringify(Object.fromEntries(keys.map((k) => [k, doc[k]])), (_k, v) =>
        v && typeof v === "object" && !Array.isArray(v)
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, v[k]]),
            )
          : v,
      );
      const e = errorOf(() => parseKeyset(Buffer.from(text)));
      expect(e.code).toBe("KEYSET_INVALID");
      expect(e.message).toMatch(message);
    }
  });

  describe("verifyKeyset", () => {
    const { keyset, keysetSig } = signedKeyset(5, [SIGNER]);

    it("accepts a keyset signed by the pinned root", () => {
      expect(verifyKeyset(keyset, keysetSig, ROOT.publicKey, { now: NOW, minVersion: 5 }).version).toBe(5);
    });

    it("refuses a keyset signed by another key than the pinned root (KEY_UNKNOWN)", () => {
      const { keyset: k2, keysetSig: s2 } = signedKeyset(5, [SIGNER], "2025-01-01T00:00:00Z", OTHER_SIGNER);
      expect(codeOf(() => verifyKeyset(k2, s2, ROOT.publicKey, { now: NOW }))).toBe("KEY_UNKNOWN");
    });

    it("refuses a sig naming the root but made by another key", () => {
      const forged = encodeSigFile({ keyid: ROOT.keyid, sig: signDocument("keyset", keyset, SIGNER.secretKey, SIGNER.keyid).sig });
      expect(codeOf(() => verifyKeyset(keyset, forged, ROOT.publicKey, { now: NOW }))).toBe("SIGNATURE_INVALID");
    });

    it("verifies the signature before parsing: garbage with a bad signature is SIGNATURE_INVALID, not a parse error", () => {
      expect(codeOf(() => verifyKeyset(Buffer.from("not json at all"), keysetSig, ROOT.publicKey, { now: NOW }))).toBe("SIGNATURE_INVALID");
      const tampered = Buffer.from(keyset.toString().replace('"version":5', '"version":9'));
      expect(codeOf(() => verifyKeyset(tampered, keysetSig, ROOT.publicKey, { now: NOW }))).toBe("SIGNATURE_INVALID");
    });

    it("refuses an expired keyset (KEYSET_EXPIRED)", () => {
      expect(codeOf(() => verifyKeyset(keyset, keysetSig, ROOT.publicKey, { now: new Date("2025-01-01T00:00:00Z") }))).toBe("KEYSET_EXPIRED");
      expect(verifyKeyset(keyset, keysetSig, ROOT.publicKey, { now: new Date("2024-12-31T23:59:59Z") }).version).toBe(5);
    });

    it("refuses a version below one already accepted (KEYSET_ROLLBACK)", () => {
      const e = errorOf(() => verifyKeyset(keyset, keysetSig, ROOT.publicKey, { now: NOW, minVersion: 6 }));
      expect(e.code).toBe("KEYSET_ROLLBACK");
      expect(e.message).toMatch(/version 5 is lower than version 6/);
    });

    it("a root-signed non-canonical keyset is still refused (NOT_CANONICAL)", () => {
      const loose = Buffer.from(keyset.toString().replace(",", ", "));
      const sig = encodeSigFile(signDocument("keyset", loose, ROOT.secretKey, ROOT.keyid));
      expect(codeOf(() => verifyKeyset(loose, sig, ROOT.publicKey, { now: NOW }))).toBe("NOT_CANONICAL");
    });

    it("refuses a malformed sig file before anything else", () => {
      expect(codeOf(() => verifyKeyset(keyset, Buffer.from("{}"), ROOT.publicKey, { now: NOW }))).toBe("SIGNATURE_MALFORMED");
    });

    it("a keyset from another root with the same signers is refused", () => {
      const otherRoot = seededKey(42);
      const { keyset: k, keysetSig: s } = signedKeyset(5, [SIGNER], "2025-01-01T00:00:00Z", otherRoot);
      expect(codeOf(() => verifyKeyset(k, s, ROOT.publicKey, { now: NOW }))).toBe("KEY_UNKNOWN");
    });
  });
});
