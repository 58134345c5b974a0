import { z } from "zod";
import { canonicalBytes, parseCanonical } from "./canonical-json";
import { SIGNATURE_LENGTH, malleateSignature, signDetached, verifyStrict } from "./ed25519";
import { PrepcastError } from "../errors";
import { KEY_ID_PATTERN, decodeBase64Strict, encodeBase64, keyIdOf, keyIdSchema, type KeyId } from "./keys";

/** What a signature is about. The kind is part of the signed message, so a signature made for one kind never verifies as another. */
export type SignedKind =
  "keyset" | "manifest" | "receipt" | "notice" | "auth-publisher" | "auth-receiver" | "release" | "registration" | "notification" | "root";

export const SIGNED_KINDS: readonly SignedKind[] = [
  "keyset",
  "manifest",
  "receipt",
  "notice",
  "auth-publisher",
  "auth-receiver",
  "release",
  "registration",
  "notification",
  "root",
];

/** Contents of a `.sig` file: `{"keyid":"<hex>","sig":"<base64 of 64 bytes>"}`. */
export interface SigFile {
  keyid: KeyId;
  sig: string;
}

/** The bytes actually signed: UTF-8 `prepcast/v1/<kind>\n` followed by the document's exact bytes. */
export function signedMessage(kind: SignedKind, bytes: Uint8Array): Buffer {
  if (!SIGNED_KINDS.includes(kind)) throw new PrepcastError("INTERNAL", `unknown signed kind ${JSON.stringify(kind)}`);
  return Buffer.concat([Buffer.from(`prepcast/v1/${kind}\n`, "utf8"), bytes]);
}

/** Signs `bytes` as a document of `kind`. */
export function signDocument(kind: SignedKind, bytes: Uint8Array, secretKey: Uint8Array, keyid: KeyId): SigFile {
  if (!KEY_ID_PATTERN.test(keyid)) throw new PrepcastError("KEY_FILE_INVALID", `key id ${JSON.stringify(keyid)} is not 64 lower-case hex digits`);
  if (keyIdOf(secretKey.subarray(32, 64)) !== keyid)
    throw new PrepcastError("KEY_FILE_INVALID", `key id ${keyid} does not belong to the secret key used to sign`, {
      hint: "load the key pair with readSecretKeyFile and pass its keyid",
    });
  return { keyid, sig: encodeBase64(signDetached(signedMessage(kind, bytes), secretKey)) };
}

/** Canonical bytes of a sig file, as stored in `.sig` files and sent on the wire. */
export function encodeSigFile(sig: SigFile): Buffer {
  return canonicalBytes({ keyid: sig.keyid, sig: sig.sig });
}

const sigFileSchema = z.strictObject({
  keyid: keyIdSchema,
  sig: z.string(),
});

function malformed(where: string, what: string): PrepcastError {
  return new PrepcastError("SIGNATURE_MALFORMED", `${where}: ${what}`, {
    where,
    hint: "the signature file is damaged or was not made by PREPcast; obtain the package again from the OPLE",
  });
}

/** Parses a `.sig` file strictly: canonical JSON, exactly the keys keyid and sig, sig = base64 of 64 bytes. */
export function parseSigFile(bytes: Uint8Array, where: string): SigFile {
  let value: unknown;
  try {
    value = parseCanonical(bytes, where);
  } catch (e) {
    throw malformed(where, (e as Error).message.replace(`${where}: `, ""));
  }
  const parsed = sigFileSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(where, `field ${issue?.path.join(".") || "(top level)"}: ${issue?.message ?? "unexpected shape"}`);
  }
  if (!decodeBase64Strict(parsed.data.sig, SIGNATURE_LENGTH)) throw malformed(where, `field sig is not standard base64 of exactly ${SIGNATURE_LENGTH} bytes`);
  return { keyid: parsed.data.keyid, sig: parsed.data.sig };
}

/** Verifies `sigFile` over the exact `bytes` as a `kind` document with strict Ed25519; throws SIGNATURE_INVALID otherwise. */
export function verifyDocument(kind: SignedKind, bytes: Uint8Array, sigFile: SigFile, publicKey: Uint8Array, where?: string): void {
  const at = where ?? kind;
  const expected = keyIdOf(publicKey);
  if (sigFile.keyid !== expected) {
    throw new PrepcastError("SIGNATURE_INVALID", `${kind} signature names key ${sigFile.keyid}, but is being checked against key ${expected}`, {
      where: at,
      hint: "the document was signed by another key than the one trusted for it",
    });
  }
  const signature = decodeBase64Strict(sigFile.sig, SIGNATURE_LENGTH);
  if (!signature || !verifyStrict(signedMessage(kind, bytes), signature, publicKey)) {
    throw new PrepcastError("SIGNATURE_INVALID", `${kind} signature by key ${sigFile.keyid} does not verify over the ${kind} bytes`, {
      where: at,
      hint: `the ${kind} or its signature was altered after signing (or the signature is malleated); do not use it and obtain the package again from the OPLE`,
    });
  }
}

/** A `.sig` file whose signature is replaced by its malleated twin (S + L, `malleateSignature`): for tests and hostile fixtures. */
export function malleateSigFile(sigFile: Uint8Array, where = "signature"): Buffer {
  const parsed = parseSigFile(sigFile, where);
  return encodeSigFile({ keyid: parsed.keyid, sig: encodeBase64(malleateSignature(Buffer.from(parsed.sig, "base64"))) });
}
