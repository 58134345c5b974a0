// A difusor's signed registration (docs/protocol.md §5.6): what the OPLE imports instead of
// hand-copied keys and fingerprints. Self-signed by the identity key it names.
import nacl from "tweetnacl";
import { canonicalBytes, decodeBase64Strict, encodeBase64, malleateSignature, signRegistration, verifyRegistration, MAX_REGISTRATION_BYTES } from "../index";
import { seededKey } from "./helpers";

const ID = seededKey(7);
const OTHER = seededKey(8);
const fields = {
  id: "uv-xalapa",
  name: "Universidad Veracruzana (Xalapa)",
  organization: "Universidad Veracruzana",
  transport: "grpc" as const,
  address: "203.0.113.10:8730",
  tlsFingerprint: "5f".repeat(32),
  identityPublicKey: encodeBase64(ID.publicKey),
  publicUrl: "https://prep.uv.mx/",
  staff: [{ name: "Ana Pérez", role: "Responsable técnica", phone: "+52 228 842 1700", email: "ana.perez@uv.mx" }],
  logo: '<svg xmlns="http://www.w3.org/2000/svg"/>',
  signedAt: "2024-03-01T10:00:00-06:00",
};
const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "ACCEPTED";
};
const envelope = (b: Buffer) => JSON.parse(b.toString("utf8")) as { document: string; format: string; signature: { keyid: string; sig: string } };

describe("signed registration", () => {
  it("round-trips: what register signs, receivers add reads, with the signer's key id", () => {
    const file = signRegistration(fields, ID.secretKey);
    const v = verifyRegistration(file, "registration.json");
    expect(v.keyid).toBe(ID.keyid);
    expect(v.registration).toEqual({ ...fields, format: "prepcast/registration@1" });
    // canonical JSON with exactly three keys; the signed bytes are the document string's
    expect(Object.keys(envelope(file))).toEqual(["document", "format", "signature"]);
    expect(canonicalBytes(envelope(file)).equals(file)).toBe(true);
    const sig = decodeBase64Strict(envelope(file).signature.sig, 64)!;
    expect(
      nacl.sign.detached.verify(Buffer.concat([Buffer.from("prepcast/v1/registration\n"), Buffer.from(envelope(file).document, "utf8")]), sig, ID.publicKey),
    ).toBe(true);
  });

  it("refuses to sign with an identity key other than the one it names, or with a field wrong", () => {
    expect(codeOf(() => signRegistration(fields, OTHER.secretKey))).toBe("REGISTRATION_INVALID");
    expect(codeOf(() => signRegistration({ ...fields, staff: [] }, ID.secretKey))).toBe("REGISTRATION_INVALID");
    expect(codeOf(() => signRegistration({ ...fields, staff: [{ ...fields.staff[0]!, email: "ana" }] }, ID.secretKey))).toBe("REGISTRATION_INVALID");
    expect(codeOf(() => signRegistration({ ...fields, transport: "websocket" }, ID.secretKey))).toBe("REGISTRATION_INVALID"); // address not wss://
  });

  it("an edited document, a signature by another key, a malleated signature: SIGNATURE_INVALID", () => {
    const file = signRegistration(fields, ID.secretKey);
    const e = envelope(file);
    const edited = canonicalBytes({ ...e, document: e.document.replace("203.0.113.10", "198.51.100.66") });
    expect(codeOf(() => verifyRegistration(edited, "r.json"))).toBe("SIGNATURE_INVALID");
    // the attacker re-signs with its own key but keeps the difusor's identityPublicKey: the key id names the wrong key
    const bySomeoneElse = signRegistration({ ...fields, identityPublicKey: encodeBase64(OTHER.publicKey) }, OTHER.secretKey);
    const swapped = canonicalBytes({ ...e, signature: envelope(bySomeoneElse).signature });
    expect(codeOf(() => verifyRegistration(swapped, "r.json"))).toBe("SIGNATURE_INVALID");
    const malleated = canonicalBytes({
      ...e,
      signature: { keyid: e.signature.keyid, sig: encodeBase64(malleateSignature(decodeBase64Strict(e.signature.sig, 64)!)) },
    });
    expect(codeOf(() => verifyRegistration(malleated, "r.json"))).toBe("SIGNATURE_INVALID");
  });

  it("a file signed by the key it names but with a field wrong is still refused, naming the field", () => {
    // a hand-made document that the signer would not have produced: signed correctly, invalid content
    const doc = canonicalBytes({ ...fields, format: "prepcast/registration@1", tlsFingerprint: "not-hex" });
    const sig = nacl.sign.detached(Buffer.concat([Buffer.from("prepcast/v1/registration\n"), doc]), ID.secretKey);
    const file = canonicalBytes({
      document: doc.toString("utf8"),
      format: "prepcast/signed-registration@1",
      signature: { keyid: ID.keyid, sig: encodeBase64(sig) },
    });
    let message = "";
    try {
      verifyRegistration(file, "r.json");
    } catch (e) {
      message = (e as Error).message;
      expect((e as { code: string }).code).toBe("REGISTRATION_INVALID");
    }
    expect(message).toContain("tlsFingerprint");
  });

  it("not a registration at all, not canonical, too large: REGISTRATION_INVALID before any signature work", () => {
    expect(codeOf(() => verifyRegistration(Buffer.from("id: uv\n"), "r.yaml"))).toBe("REGISTRATION_INVALID");
    const file = signRegistration(fields, ID.secretKey);
    expect(codeOf(() => verifyRegistration(Buffer.from(JSON.stringify(envelope(file), null, 2)), "r.json"))).toBe("REGISTRATION_INVALID");
    expect(codeOf(() => verifyRegistration(Buffer.alloc(MAX_REGISTRATION_BYTES + 1, 0x20), "r.json"))).toBe("REGISTRATION_INVALID");
    expect(codeOf(() => verifyRegistration(canonicalBytes({ ...envelope(file), extra: 1 }), "r.json"))).toBe("REGISTRATION_INVALID");
  });
});
