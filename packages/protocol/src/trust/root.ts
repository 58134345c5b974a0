// The root of trust: a set of root keys and a threshold (prepcast/root@1), TUF-style. A keyset is
// valid when at least `threshold` distinct keys of the pinned root signed it. A `root.pub` is the
// implicit root {version 1, threshold 1, keys [root.pub]}, so the single-key form keeps its exact
// bytes on the wire: a 1-signature `keyset.sig` is the plain sig file it always was.
import { z } from "zod";
import { canonicalBytes, parseCanonical } from "./canonical-json";
import { PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, verifyStrict } from "./ed25519";
import { PrepcastError } from "../errors";
import { decodeBase64Strict, encodeBase64, keyIdOf, keyIdSchema, publicKeyBase64Schema, type KeyId } from "./keys";
import { encodeSigFile, parseSigFile, signDocument, signedMessage, type SigFile, type SignedKind } from "./signing";
import { isoTimestampSchema, parseIsoWithOffset, toIsoTimestamp } from "../time";

export const ROOT_FORMAT = "prepcast/root@1";
/** Most root keys a root document may list (and most signatures a threshold sig file may hold). */
export const MAX_ROOT_KEYS = 16; // keeps a full keyset.sig (16 × ~170 bytes) under the 4096-byte limit of §7.4 and §9.3

/** The signed root document (`root.json`). */
export interface RootDocument {
  format: typeof ROOT_FORMAT;
  version: number;
  threshold: number;
  keys: Array<{ keyid: KeyId; public: string }>;
  expires?: string;
}

/** A root a verifier trusts: from a root.pub (implicit, version 1, 1 of 1) or a verified root document. */
export interface TrustRoot {
  version: number;
  threshold: number;
  /** sorted by keyid */
  keys: Array<{ keyid: KeyId; publicKey: Uint8Array }>;
  expires?: string;
  /** the signed root.json and root.sig it was read from; absent for the implicit root of a root.pub */
  signed?: { root: Buffer; rootSig: Buffer };
}

/** What verifiers pin: the 32 bytes of a root.pub (the implicit 1-of-1 root) or a root set. */
export type RootOfTrust = Uint8Array | TrustRoot;

/** The implicit root of a single root public key: version 1, threshold 1. */
export function implicitRoot(publicKey: Uint8Array): TrustRoot {
  return { version: 1, threshold: 1, keys: [{ keyid: keyIdOf(publicKey), publicKey }] };
}

export function trustRootOf(root: RootOfTrust): TrustRoot {
  return root instanceof Uint8Array ? implicitRoot(root) : root;
}

/** "root key <id>" for an implicit root, "root version N (m of n: ids)" for a root set. */
export function describeRoot(root: RootOfTrust): string {
  const r = trustRootOf(root);
  if (r.signed === undefined && r.keys.length === 1) return `root key ${r.keys[0]!.keyid}`;
  return `root version ${r.version} (${r.threshold} of ${r.keys.length}: ${r.keys.map((k) => k.keyid).join(", ")})`;
}

const rootKeySchema = z.strictObject({
  keyid: keyIdSchema,
  public: publicKeyBase64Schema,
});

const rootSchema = z
  .strictObject({
    format: z.literal(ROOT_FORMAT),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    threshold: z.number().int().min(1).max(MAX_ROOT_KEYS),
    keys: z.array(rootKeySchema).min(1, "must list at least one root key").max(MAX_ROOT_KEYS, `must list at most ${MAX_ROOT_KEYS} root keys`),
    expires: isoTimestampSchema.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.threshold > r.keys.length)
      ctx.addIssue({ code: "custom", path: ["threshold"], message: `is ${r.threshold}, more than the ${r.keys.length} root key(s) listed` });
    r.keys.forEach((k, i) => {
      const bytes = decodeBase64Strict(k.public, PUBLIC_KEY_LENGTH);
      if (bytes && keyIdOf(bytes) !== k.keyid)
        ctx.addIssue({ code: "custom", path: ["keys", i, "keyid"], message: "is not the SHA-256 of the key's public bytes" });
      if (i > 0 && !(r.keys[i - 1]!.keyid < k.keyid))
        ctx.addIssue({ code: "custom", path: ["keys", i, "keyid"], message: "keys must be sorted by keyid without duplicates" });
    });
  });

/** Parses root document bytes: canonical JSON, then the schema (ROOT_INVALID naming the field). Does not verify signatures. */
export function parseRoot(bytes: Uint8Array, where = "root.json"): RootDocument {
  const parsed = rootSchema.safeParse(parseCanonical(bytes, where));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length ? issue.path.join(".") : "(top level)";
    throw new PrepcastError("ROOT_INVALID", `${where}: field ${at} ${issue?.message ?? "unexpected shape"}`, {
      where: `${where}#${at}`,
      hint: "regenerate the root document with the PREPcast tools (prep-publisher init --root-keys, keys root-rotate)",
    });
  }
  return parsed.data as RootDocument;
}

export interface CreateRootInput {
  version: number;
  threshold: number;
  publicKeys: Uint8Array[];
  expires?: Date | string;
}

/** Canonical root document bytes (keys sorted by keyid; duplicates and impossible thresholds refused). */
export function createRoot(input: CreateRootInput): Buffer {
  const keys = input.publicKeys.map((pk) => ({ keyid: keyIdOf(pk), public: encodeBase64(pk) }));
  keys.sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  const doc = {
    format: ROOT_FORMAT,
    version: input.version,
    threshold: input.threshold,
    keys,
    ...(input.expires !== undefined ? { expires: toIsoTimestamp(input.expires, "expires") } : {}),
  };
  const bytes = canonicalBytes(doc);
  parseRoot(bytes, "new root");
  return bytes;
}

function rootFromDocument(doc: RootDocument, signed?: { root: Buffer; rootSig: Buffer }): TrustRoot {
  return {
    version: doc.version,
    threshold: doc.threshold,
    keys: doc.keys.map((k) => ({ keyid: k.keyid, publicKey: decodeBase64Strict(k.public, PUBLIC_KEY_LENGTH)! })),
    ...(doc.expires !== undefined ? { expires: doc.expires } : {}),
    ...(signed !== undefined ? { signed } : {}),
  };
}

// ---- threshold signature files ----

const signaturesSchema = z.strictObject({
  signatures: z.array(z.unknown()).min(1, "must hold at least one signature").max(MAX_ROOT_KEYS, `must hold at most ${MAX_ROOT_KEYS} signatures`),
});

/**
 * Parses a signature file that is either one sig file `{"keyid","sig"}` or, for a threshold,
 * `{"signatures":[sig file, ...]}` (canonical JSON; entries as strict as a single sig file).
 */
export function parseSignatures(bytes: Uint8Array, where: string): SigFile[] {
  let value: unknown;
  try {
    value = parseCanonical(bytes, where);
  } catch {
    return [parseSigFile(bytes, where)]; // the single-file parser names the problem the same way it always did
  }
  if (value === null || typeof value !== "object" || !("signatures" in value)) return [parseSigFile(bytes, where)];
  const parsed = signaturesSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PrepcastError("SIGNATURE_MALFORMED", `${where}: field ${issue?.path.join(".") || "(top level)"}: ${issue?.message ?? "unexpected shape"}`, {
      where,
      hint: "the signature file is damaged or was not made by PREPcast; obtain it again from the OPLE",
    });
  }
  return parsed.data.signatures.map((entry, i) => parseSigFile(canonicalBytes(entry), `${where}#signatures.${i}`));
}

/** Canonical bytes of signatures: a single sig file for one (the form a 1-of-1 root always used), else `{"signatures":[…]}` sorted by keyid. */
export function encodeSignatures(sigs: SigFile[]): Buffer {
  if (sigs.length === 0) throw new PrepcastError("INTERNAL", "no signatures to encode");
  if (sigs.length === 1) return encodeSigFile(sigs[0]!);
  const sorted = [...sigs].sort((a, b) => (a.keyid < b.keyid ? -1 : a.keyid > b.keyid ? 1 : 0));
  return canonicalBytes({ signatures: sorted.map((s) => ({ keyid: s.keyid, sig: s.sig })) });
}

/** Signs `bytes` as `kind` with every given key; the encoded signature file. */
export function signWithKeys(kind: SignedKind, bytes: Uint8Array, keys: ReadonlyArray<{ secretKey: Uint8Array; keyid: KeyId }>): Buffer {
  return encodeSignatures(keys.map((k) => signDocument(kind, bytes, k.secretKey, k.keyid)));
}

export interface ThresholdOptions {
  where: string;
  sigWhere: string;
  /** what is being checked against the root, for messages: "the pinned root", "root version 2" */
  rootLabel?: string;
  hint?: string;
}

/**
 * Checks that at least `root.threshold` DISTINCT keys of `root` signed `bytes` as `kind` (strict
 * Ed25519). Signatures by keys the root does not list are ignored, never counted; two signatures
 * by one key count once. Returns the key ids whose signatures verified. Errors, when short:
 * SIGNATURE_INVALID if a root key's signature failed to verify (the document or a signature was
 * altered), KEY_UNKNOWN if no root key signed at all, else SIGNATURE_THRESHOLD.
 */
export function verifyThreshold(kind: SignedKind, bytes: Uint8Array, sigBytes: Uint8Array, root: TrustRoot, opts: ThresholdOptions): KeyId[] {
  const sigs = parseSignatures(sigBytes, opts.sigWhere);
  const message = signedMessage(kind, bytes);
  const valid = new Set<KeyId>();
  const invalid = new Set<KeyId>();
  const unknown = new Set<KeyId>();
  for (const s of sigs) {
    const key = root.keys.find((k) => k.keyid === s.keyid);
    if (!key) {
      unknown.add(s.keyid);
      continue;
    }
    if (valid.has(s.keyid)) continue;
    const signature = decodeBase64Strict(s.sig, SIGNATURE_LENGTH);
    if (signature && verifyStrict(message, signature, key.publicKey)) {
      valid.add(s.keyid);
      invalid.delete(s.keyid);
    } else invalid.add(s.keyid);
  }
  if (valid.size >= root.threshold) return [...valid].sort();
  const label = opts.rootLabel ?? "the pinned root";
  const single = root.threshold === 1 && root.keys.length === 1 && root.signed === undefined;
  const details = {
    threshold: root.threshold,
    rootKeys: root.keys.length,
    valid: [...valid].sort(),
    invalid: [...invalid].sort(),
    unknown: [...unknown].sort(),
  };
  if (invalid.size > 0) {
    const ids = [...invalid].join(", ");
    throw new PrepcastError(
      "SIGNATURE_INVALID",
      single
        ? `${kind} signature by key ${ids} does not verify over the ${kind} bytes`
        : `${kind} signature(s) by root key(s) ${ids} do not verify over the ${kind} bytes (${valid.size} valid of the ${root.threshold} needed)`,
      {
        where: opts.where,
        hint: `the ${kind} or its signature was altered after signing (or the signature is malleated); do not use it and obtain it again from the OPLE`,
        details,
      },
    );
  }
  if (valid.size === 0) {
    const rootIds = root.keys.map((k) => k.keyid).join(", ");
    throw new PrepcastError(
      "KEY_UNKNOWN",
      single
        ? `the ${kind} is signed by key ${[...unknown].join(", ")}, not by the pinned root key ${rootIds}`
        : `the ${kind} is signed by key(s) ${[...unknown].join(", ")}, none of them a key of ${label} (${rootIds})`,
      {
        where: opts.sigWhere,
        hint: opts.hint ?? "check that --trust names the OPLE's root (root.pub or root.json; compare its fingerprints with the ones the OPLE published)",
        details,
      },
    );
  }
  throw new PrepcastError(
    "SIGNATURE_THRESHOLD",
    `the ${kind} has ${valid.size} valid signature(s) by distinct keys of ${label}, ${root.threshold} needed (threshold ${root.threshold} of ${root.keys.length}); signed by ${[...valid].join(", ")}${unknown.size > 0 ? `; ignored, not root keys: ${[...unknown].join(", ")}` : ""}`,
    {
      where: opts.sigWhere,
      hint: `${root.threshold} of the ${root.keys.length} root key holders must each sign (prep-publisher keys … --root-key FILE, once per key); ask the OPLE for a ${kind} with enough signatures`,
      details,
    },
  );
}

/** Refuses a root whose optional expiry is past (ROOT_EXPIRED). */
export function checkRootExpiry(root: TrustRoot, now: Date, where = "root.json"): void {
  if (root.expires === undefined) return;
  if (now.getTime() >= parseIsoWithOffset(root.expires, `${where}#expires`).getTime()) {
    throw new PrepcastError("ROOT_EXPIRED", `root version ${root.version} expired at ${root.expires}`, {
      where: `${where}#expires`,
      hint: "the OPLE must sign a new root version with the threshold of root keys (prep-publisher keys root-rotate); check this machine's clock too",
    });
  }
}

/** A root document that its own threshold signed (how a difusor first pins a root.json). */
export function verifySelfSignedRoot(rootBytes: Buffer, rootSig: Buffer, where = "root.json", sigWhere = "root.sig"): TrustRoot {
  const doc = parseRoot(rootBytes, where);
  const root = rootFromDocument(doc, { root: rootBytes, rootSig });
  verifyThreshold("root", rootBytes, rootSig, root, { where, sigWhere, rootLabel: `root version ${doc.version} itself` });
  return root;
}
