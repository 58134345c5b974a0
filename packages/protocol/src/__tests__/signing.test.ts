import { SIGNED_KINDS, encodeBase64, encodeSigFile, parseSigFile, signDocument, signedMessage, verifyDocument, verifyStrict } from "../index";
import { OTHER_SIGNER, SIGNER, codeOf, errorOf } from "./helpers";

const doc = Buffer.from('{"a":1}');

describe("domain-separated signing", () => {
  it("signs prepcast/v1/<kind>\\n followed by the exact bytes", () => {
    expect(signedMessage("manifest", doc).toString()).toBe('prepcast/v1/manifest\n{"a":1}');
    const sig = signDocument("manifest", doc, SIGNER.secretKey, SIGNER.keyid);
    expect(verifyStrict(signedMessage("manifest", doc), Buffer.from(sig.sig, "base64"), SIGNER.publicKey)).toBe(true);
    verifyDocument("manifest", doc, sig, SIGNER.publicKey);
  });

  it("a signature for one kind never verifies as another", () => {
    const sig = signDocument("keyset", doc, SIGNER.secretKey, SIGNER.keyid);
    for (const kind of SIGNED_KINDS.filter((k) => k !== "keyset")) {
      const e = errorOf(() => verifyDocument(kind, doc, sig, SIGNER.publicKey));
      expect(e.code).toBe("SIGNATURE_INVALID");
      expect(e.message).toContain(kind);
      expect(e.message).toContain(SIGNER.keyid);
    }
  });

  it("any change to the bytes breaks the signature (no re-serialization)", () => {
    const sig = signDocument("manifest", doc, SIGNER.secretKey, SIGNER.keyid);
    expect(codeOf(() => verifyDocument("manifest", Buffer.from('{"a": 1}'), sig, SIGNER.publicKey))).toBe("SIGNATURE_INVALID");
    expect(codeOf(() => verifyDocument("manifest", Buffer.from('{"a":2}'), sig, SIGNER.publicKey))).toBe("SIGNATURE_INVALID");
  });

  it("refuses a sig file naming another key than the one checked", () => {
    const sig = signDocument("manifest", doc, SIGNER.secretKey, SIGNER.keyid);
    expect(codeOf(() => verifyDocument("manifest", doc, sig, OTHER_SIGNER.publicKey))).toBe("SIGNATURE_INVALID");
  });

  it("refuses to sign with a keyid that is not the secret key's", () => {
    expect(codeOf(() => signDocument("manifest", doc, SIGNER.secretKey, OTHER_SIGNER.keyid))).toBe("KEY_FILE_INVALID");
  });
});

describe("sig files", () => {
  const sig = signDocument("manifest", doc, SIGNER.secretKey, SIGNER.keyid);

  it("encode canonically and parse back", () => {
    const bytes = encodeSigFile(sig);
    expect(bytes.toString()).toBe(`{"keyid":"${SIGNER.keyid}","sig":"${sig.sig}"}`);
    expect(parseSigFile(bytes, "prepcast/manifest.sig")).toEqual(sig);
  });

  it.each([
    ["whitespace", `{"keyid": "${SIGNER.keyid}","sig":"${sig.sig}"}`],
    ["a trailing newline", `{"keyid":"${SIGNER.keyid}","sig":"${sig.sig}"}\n`],
    ["an extra field", `{"extra":1,"keyid":"${SIGNER.keyid}","sig":"${sig.sig}"}`],
    ["a missing sig", `{"keyid":"${SIGNER.keyid}"}`],
    ["an upper-case keyid", `{"keyid":"${SIGNER.keyid.toUpperCase()}","sig":"${sig.sig}"}`],
    ["a 63-byte signature", `{"keyid":"${SIGNER.keyid}","sig":"${encodeBase64(Buffer.from(sig.sig, "base64").subarray(0, 63))}"}`],
    ["a 65-byte signature", `{"keyid":"${SIGNER.keyid}","sig":"${encodeBase64(Buffer.concat([Buffer.from(sig.sig, "base64"), Buffer.from([0])]))}"}`],
    ["unpadded base64", `{"keyid":"${SIGNER.keyid}","sig":"${sig.sig.replace(/=+$/, "")}"}`],
    ["base64url", `{"keyid":"${SIGNER.keyid}","sig":"${Buffer.from(sig.sig, "base64").toString("base64url")}="}`],
    ["an array", "[]"],
  ])("refuses %s with SIGNATURE_MALFORMED", (_label, text) => {
    const e = errorOf(() => parseSigFile(Buffer.from(text), "prepcast/manifest.sig"));
    expect(e.code).toBe("SIGNATURE_MALFORMED");
    expect(e.where).toBe("prepcast/manifest.sig");
  });
});
