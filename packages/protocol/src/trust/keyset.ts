import { z } from "zod";
import { canonicalBytes, parseCanonical } from "./canonical-json";
import { PUBLIC_KEY_LENGTH } from "./ed25519";
import { PrepcastError } from "../errors";
import { decodeBase64Strict, encodeBase64, keyIdOf, keyIdSchema, publicKeyBase64Schema, type KeyId } from "./keys";
import { checkRootExpiry, trustRootOf, verifyThreshold, type RootOfTrust } from "./root";
import { isoTimestampSchema, parseIsoWithOffset, toIsoTimestamp } from "../time";

export const KEYSET_FORMAT = "prepcast/keyset@1";

export interface KeysetKey {
  keyid: KeyId;
  /** base64 of the 32-byte Ed25519 public key */
  public: string;
  role: "signing";
}

/** The root-signed list of keys allowed to sign manifests. */
export interface Keyset {
  format: typeof KEYSET_FORMAT;
  version: number;
  createdAt: string;
  expires: string;
  keys: KeysetKey[];
}

const keysetKeySchema = z.strictObject({
  keyid: keyIdSchema,
  public: publicKeyBase64Schema,
  role: z.literal("signing"),
});

const keysetSchema = z
  .strictObject({
    format: z.literal(KEYSET_FORMAT),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    createdAt: isoTimestampSchema,
    expires: isoTimestampSchema,
    keys: z.array(keysetKeySchema).min(1, "must list at least one signing key"),
  })
  .superRefine((ks, ctx) => {
    if (Date.parse(ks.expires) <= Date.parse(ks.createdAt)) ctx.addIssue({ code: "custom", path: ["expires"], message: "must be later than createdAt" });
    ks.keys.forEach((k, i) => {
      const bytes = decodeBase64Strict(k.public, PUBLIC_KEY_LENGTH);
      if (bytes && keyIdOf(bytes) !== k.keyid)
        ctx.addIssue({ code: "custom", path: ["keys", i, "keyid"], message: "is not the SHA-256 of the key's public bytes" });
      if (i > 0 && !(ks.keys[i - 1]!.keyid < k.keyid))
        ctx.addIssue({ code: "custom", path: ["keys", i, "keyid"], message: "keys must be sorted by keyid without duplicates" });
    });
  });

function zodProblem(error: z.ZodError): { path: string; message: string } {
  const issue = error.issues[0];
  return { path: issue && issue.path.length ? issue.path.join(".") : "(top level)", message: issue?.message ?? "unexpected shape" };
}

/** Parses keyset bytes: canonical JSON (NOT_CANONICAL), then the schema. KEYSET_INVALID names the offending field. Does NOT verify the signature: use verifyKeyset. */
export function parseKeyset(bytes: Uint8Array, where = "prepcast/keyset.json"): Keyset {
  const value = parseCanonical(bytes, where);
  const parsed = keysetSchema.safeParse(value);
  if (!parsed.success) {
    const { path, message } = zodProblem(parsed.error);
    throw new PrepcastError("KEYSET_INVALID", `${where}: field ${path} ${message}`, {
      where: `${where}#${path}`,
      hint: "regenerate the keyset with the PREPcast tools",
    });
  }
  return parsed.data as Keyset;
}

export interface CreateKeysetInput {
  version: number;
  expires: Date | string;
  signingPublicKeys: Uint8Array[];
  createdAt?: Date | string;
}

/** Builds canonical keyset bytes (keys sorted by keyid, duplicates refused). Sign them with signDocument("keyset", …) and the root key. */
export function createKeyset(input: CreateKeysetInput): Buffer {
  const keys = input.signingPublicKeys.map((pk) => ({ keyid: keyIdOf(pk), public: encodeBase64(pk), role: "signing" as const }));
  keys.sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  const doc = {
    format: KEYSET_FORMAT,
    version: input.version,
    createdAt: toIsoTimestamp(input.createdAt ?? new Date(), "createdAt"),
    expires: toIsoTimestamp(input.expires, "expires"),
    keys,
  };
  const bytes = canonicalBytes(doc);
  parseKeyset(bytes, "new keyset"); // refuse to produce a document verifiers would reject
  return bytes;
}

/** Public key bytes of `keyid` in the keyset, or undefined when the keyset does not list it. */
export function keysetPublicKey(keyset: Keyset, keyid: KeyId): Uint8Array | undefined {
  const entry = keyset.keys.find((k) => k.keyid === keyid);
  return entry ? decodeBase64Strict(entry.public, PUBLIC_KEY_LENGTH) : undefined;
}

export interface VerifyKeysetOptions {
  now?: Date;
  /** The highest keyset version already accepted; a lower one is a rollback. */
  minVersion?: number;
  where?: string;
}

/**
 * The signature half of verifyKeyset: parse keyset.sig (one sig file, or `{"signatures":[…]}`),
 * require at least the threshold of distinct keys of the pinned root (a root.pub is 1 of 1) to
 * have signed the exact bytes, then parse. No expiry or version check (the key tools read an
 * expired keyset to renew it; status shows it as expired).
 */
export function verifyKeysetSignature(
  keysetBytes: Uint8Array,
  sigBytes: Uint8Array,
  root: RootOfTrust,
  options: { where?: string; sigWhere?: string; hint?: string } = {},
): Keyset {
  const where = options.where ?? "prepcast/keyset.json";
  const sigWhere = options.sigWhere ?? "prepcast/keyset.sig";
  verifyThreshold("keyset", keysetBytes, sigBytes, trustRootOf(root), { where, sigWhere, ...(options.hint !== undefined ? { hint: options.hint } : {}) });
  return parseKeyset(keysetBytes, where);
}

/**
 * Verifies a root-signed keyset. Order: parse the sig file(s), require the pinned root's
 * threshold of valid signatures over the exact bytes, and only then parse the keyset and check its
 * expiry (KEYSET_EXPIRED) and version (KEYSET_ROLLBACK).
 */
export function verifyKeyset(keysetBytes: Uint8Array, sigBytes: Uint8Array, root: RootOfTrust, options: VerifyKeysetOptions = {}): Keyset {
  const where = options.where ?? "prepcast/keyset.json";
  const keyset = verifyKeysetSignature(keysetBytes, sigBytes, root, { where });
  const now = options.now ?? new Date();
  checkRootExpiry(trustRootOf(root), now);
  const expires = parseIsoWithOffset(keyset.expires, `${where}#expires`);
  if (now.getTime() >= expires.getTime()) {
    throw new PrepcastError("KEYSET_EXPIRED", `keyset version ${keyset.version} expired at ${keyset.expires}`, {
      where: `${where}#expires`,
      hint: "the OPLE must issue a new keyset signed with the root key; check this machine's clock too",
    });
  }
  const minVersion = options.minVersion ?? 0;
  if (keyset.version < minVersion) {
    throw new PrepcastError("KEYSET_ROLLBACK", `keyset version ${keyset.version} is lower than version ${minVersion} already accepted`, {
      where: `${where}#version`,
      hint: "an older keyset may still list revoked signing keys; use a package made with the current keyset",
    });
  }
  return keyset;
}
