// A difusor's registration (`prepcast/registration@1`, docs/protocol.md §5.6): what the OPLE needs
// to add a receiver to its registry (id, organization, where to reach it, its identity key and TLS
// certificate fingerprint, the technical staff, the logo), signed by the receiver's identity key.
// The signature proves that whoever hands the file over holds the identity key it names; the OPLE
// still confirms the key id with the difusor out of band (docs/operations/onboarding.md).
//
// The file is canonical JSON: {"document": "<the registration's canonical JSON text>",
// "format": "prepcast/signed-registration@1", "signature": {"keyid", "sig"}}. The signed bytes are
// the UTF-8 of `document` exactly as it arrived: nothing is re-serialized before verifying.
import * as fs from "node:fs";
import { z } from "zod";
import { canonicalBytes, parseCanonical } from "./canonical-json";
import { PrepcastError } from "../errors";
import { readBoundedFd } from "../untrusted";
import { decodeBase64Strict, encodeBase64, inlinePublicKey, keyIdOf, type KeyId } from "./keys";
import { signDocument, verifyDocument, type SigFile } from "./signing";

export const REGISTRATION_FORMAT = "prepcast/registration@1";
export const SIGNED_REGISTRATION_FORMAT = "prepcast/signed-registration@1";
/** A registration file is read whole; larger files are refused before parsing. */
export const MAX_REGISTRATION_BYTES = 256 * 1024;
/** The logo travels inside the registration as SVG text, at most this many UTF-8 bytes. */
export const MAX_REGISTRATION_LOGO_BYTES = 100 * 1024;

const text = (max: number) => z.string().trim().min(1).max(max);
const staffMember = z.strictObject({
  name: text(200),
  role: text(200),
  phone: z.string().regex(/^\+?[0-9][0-9 ().-]{6,24}$/, "must be a telephone number (digits, spaces, + ( ) . -), e.g. +52 228 842 1700"),
  email: z
    .string()
    .max(254)
    .regex(/^[^\s@<>"]+@[^\s@<>"]+\.[A-Za-z]{2,}$/, "must be an email address, e.g. soporte@uv.mx"),
});
export type StaffMember = z.infer<typeof staffMember>;

const RegistrationSchema = z
  .strictObject({
    format: z.literal(REGISTRATION_FORMAT),
    id: z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "must be 1-64 lower-case letters, digits, '.', '_' or '-'"),
    name: text(200),
    organization: text(200),
    transport: z.enum(["grpc", "websocket"]),
    address: z.string().min(1).max(300),
    tlsFingerprint: z.string().regex(/^[0-9a-f]{64}$/, "must be the SHA-256 of the receiver's push certificate (64 lower-case hex digits)"),
    identityPublicKey: z.string().refine((s) => inlinePublicKey(s) !== undefined, "must be the base64 of a 32-byte Ed25519 public key"),
    publicUrl: z
      .string()
      .url()
      .regex(/^https?:\/\//, "must be an http(s) URL")
      .max(500),
    staff: z.array(staffMember).min(1, "name at least one person of the technical staff (the call asks for them)").max(20),
    logo: z.string().max(MAX_REGISTRATION_LOGO_BYTES).nullable(),
    signedAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, "must be ISO 8601 with an offset"),
  })
  .superRefine((r, ctx) => {
    if (r.transport === "grpc" && !/^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/]+):\d{1,5}$/.test(r.address))
      ctx.addIssue({ code: "custom", path: ["address"], message: "must be HOST:PORT of the push port for transport grpc" });
    if (r.transport === "websocket" && !/^wss:\/\/[^\s]+$/.test(r.address))
      ctx.addIssue({ code: "custom", path: ["address"], message: "must be a wss:// URL for transport websocket" });
    if (r.logo !== null && Buffer.byteLength(r.logo, "utf8") > MAX_REGISTRATION_LOGO_BYTES)
      ctx.addIssue({ code: "custom", path: ["logo"], message: `is more than ${MAX_REGISTRATION_LOGO_BYTES} bytes` });
  });
export type Registration = z.infer<typeof RegistrationSchema>;

const envelopeSchema = z.strictObject({
  format: z.literal(SIGNED_REGISTRATION_FORMAT),
  document: z.string().max(MAX_REGISTRATION_BYTES),
  signature: z.strictObject({ keyid: z.string(), sig: z.string() }),
});

function invalid(
  where: string,
  what: string,
  hint = "ask the difusor for a new file (`prep-receiver register`); do not edit it by hand: the signature covers every byte",
): PrepcastError {
  return new PrepcastError("REGISTRATION_INVALID", `${where}: ${what}`, { where, hint });
}

function problems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join(".") : "(top level)"}: ${i.message}`).join("; ");
}

/** Validates the fields, stamps the format and time, and signs the canonical document with the receiver's identity key. */
export function signRegistration(fields: Omit<Registration, "format" | "signedAt"> & { signedAt?: string }, secretKey: Uint8Array): Buffer {
  const doc = { ...fields, format: REGISTRATION_FORMAT, signedAt: fields.signedAt ?? new Date().toISOString() };
  const parsed = RegistrationSchema.safeParse(doc);
  if (!parsed.success)
    throw new PrepcastError("REGISTRATION_INVALID", `the registration is not valid: ${problems(parsed.error)}`, {
      hint: "fix the option named in the message",
    });
  const publicKey = secretKey.subarray(32, 64);
  if (encodeBase64(publicKey) !== parsed.data.identityPublicKey)
    throw new PrepcastError("REGISTRATION_INVALID", "identityPublicKey is not the public key of the identity key signing the registration", {
      where: "identityPublicKey",
    });
  const document = canonicalBytes(parsed.data);
  const signature: SigFile = signDocument("registration", document, secretKey, keyIdOf(publicKey));
  return canonicalBytes({ format: SIGNED_REGISTRATION_FORMAT, document: document.toString("utf8"), signature });
}

export interface VerifiedRegistration {
  registration: Registration;
  /** Key id of the identity key that signed it (= of identityPublicKey). */
  keyid: KeyId;
}

/**
 * Reads an untrusted registration file: a regular file of at most MAX_REGISTRATION_BYTES, refused
 * (REGISTRATION_INVALID, with `hint` for the size) before anything is read. A file that cannot be
 * opened throws the file system's error, for the caller to word.
 */
export function readRegistrationFile(file: string, hint: string): Buffer {
  const fd = fs.openSync(file, "r");
  try {
    return readBoundedFd(fd, MAX_REGISTRATION_BYTES, (problem, size) =>
      problem === "not-a-file"
        ? new PrepcastError("REGISTRATION_INVALID", `${file} is not a regular file`, { where: file })
        : new PrepcastError("REGISTRATION_INVALID", `${file} is ${size} bytes, more than the ${MAX_REGISTRATION_BYTES} a registration may have`, {
            where: file,
            hint,
          }),
    );
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads an untrusted signed registration: size first, then the envelope (canonical JSON, exactly
 * three keys), then the signature over the document's exact bytes with the identity key the
 * document names (strict Ed25519), and only then the document's fields.
 */
export function verifyRegistration(bytes: Uint8Array, where: string): VerifiedRegistration {
  if (bytes.length > MAX_REGISTRATION_BYTES) throw invalid(where, `is ${bytes.length} bytes, more than the ${MAX_REGISTRATION_BYTES} a registration may have`);
  let value: unknown;
  try {
    value = parseCanonical(bytes, where);
  } catch (e) {
    throw invalid(where, `is not a signed registration (canonical JSON): ${(e as Error).message.replace(`${where}: `, "")}`);
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw invalid(where, `is not a signed registration (${SIGNED_REGISTRATION_FORMAT}): ${problems(envelope.error)}`);
  const documentBytes = Buffer.from(envelope.data.document, "utf8");
  // The document names the key that signed it (the registration is self-signed: it proves
  // possession), so it is parsed as JSON (bounded by the size check) to find that one field; its
  // other fields are looked at only after the signature verified.
  let doc: unknown;
  try {
    doc = parseCanonical(documentBytes, `${where}: document`);
  } catch (e) {
    throw invalid(where, `its document is not canonical JSON: ${(e as Error).message}`);
  }
  const named = typeof doc === "object" && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>).identityPublicKey : undefined;
  const publicKey = typeof named === "string" ? decodeBase64Strict(named, 32) : undefined;
  if (!publicKey) throw invalid(where, "names no identityPublicKey (base64 of 32 bytes) to check its signature with");
  try {
    verifyDocument("registration", documentBytes, envelope.data.signature as SigFile, publicKey, `${where}: signature`);
  } catch (e) {
    const err = e as PrepcastError;
    throw new PrepcastError(err.code, `${where}: ${err.message}`, {
      where: `${where}: signature`,
      hint: "the file was altered after the difusor signed it, or signed by another key: do not add it; ask the difusor for a new one (`prep-receiver register`)",
    });
  }
  const parsed = RegistrationSchema.safeParse(doc);
  if (!parsed.success) throw invalid(where, `its document is not a valid ${REGISTRATION_FORMAT}: ${problems(parsed.error)}`);
  return { registration: parsed.data, keyid: keyIdOf(publicKey) };
}
