// The signing keyset's life after `init`: rotate the signing key, revoke one, renew the expiry
// (its state, expiry and `keys status`, are in keyset-status.ts). Each change is a new keyset version (N+1) signed by the root key, or
// by at least the threshold of a root set's keys, which the officials bring from cold storage
// (--root-key, once per key); nothing is written until the new keyset is built, signed and checked
// against the root that the current one answers to.
import * as fs from "node:fs";
import { writeFileAtomic } from "../durable";
import { PrepcastError } from "../errors";
import { generateKeyPair } from "./ed25519";
import { decodeBase64Strict, keyIdOf, readSecretKeyFile, writePublicKeyFile, writeSecretKeyFile, type KeyId, type SecretKeyInfo } from "./keys";
import { createKeyset, parseKeyset, verifyKeysetSignature, type Keyset, type KeysetKey } from "./keyset";
import { PUBLISHER_KEY_FILES, readKeysDirRoot } from "./publisher-keys";
import { signWithKeys, trustRootOf, type TrustRoot } from "./root";
import { parseIsoWithOffset, toIsoTimestamp } from "../time";
import { file, readKeysetFiles, signingKeyIdOf } from "./keyset-status";

export { DEFAULT_KEYSET_WARN_DAYS, keysDirStatus, keysetExpiry, type KeysDirStatus, type KeysetExpiry } from "./keyset-status";

export interface KeysetChangeOptions {
  /** the root key files (brought from cold storage): one for a root.pub, at least the threshold of a root.json's */
  rootKeyFiles?: string[];
  /** a single root key file (same as rootKeyFiles: [file]) */
  rootKeyFile?: string;
  /** the new keyset's expiry; default: the current keyset's, which must then still lie in the future */
  expires?: Date | string;
  now?: Date;
}

export interface KeysetChangeResult {
  dir: string;
  previousVersion: number;
  version: number;
  expires: string;
  keys: KeyId[];
  added: KeyId[];
  removed: KeyId[];
  /** the (first) root key that signed keyset N+1 */
  rootKeyId: KeyId;
  /** every root key that signed keyset N+1 */
  rootKeyIds: KeyId[];
  rootVersion: number;
  threshold: number;
  /** the key in signing.key after the change */
  signingKeyId: KeyId | null;
}

interface Current {
  keyset: Keyset;
  root: TrustRoot;
  /** the root secret keys given, distinct, each a key of `root` */
  signers: SecretKeyInfo[];
}

/**
 * Reads the current keyset, the directory's root (root.json, else root.pub) and the root keys
 * given, and checks that they are keys of that root, that there are at least its threshold of
 * them, and that the current keyset answers to that root (a wrong root would strand every difusor).
 */
function loadCurrent(dir: string, opts: KeysetChangeOptions): Current {
  const files = [...(opts.rootKeyFiles ?? []), ...(opts.rootKeyFile !== undefined ? [opts.rootKeyFile] : [])];
  if (files.length === 0)
    throw new PrepcastError("CONFIG_INVALID", "no root key given", {
      where: "--root-key",
      hint: "pass --root-key FILE once per root key holder present (root.key, or root-N.key of a root set)",
    });
  const { bytes, sig } = readKeysetFiles(dir);
  const keys = files.map((f) => ({ file: f, key: readSecretKeyFile(f) }));
  const found = readKeysDirRoot(dir);
  if (found === undefined && keys.length > 1) {
    throw new PrepcastError(
      "KEY_FILE_INVALID",
      `${dir} holds neither root.json nor root.pub, and ${keys.length} root keys were given: the root they belong to is unknown`,
      { where: dir, hint: "copy root.json and root.sig from the ceremony into the keys directory (they are public)" },
    );
  }
  const root = found !== undefined ? trustRootOf(found.root) : trustRootOf(keys[0]!.key.publicKey);
  const rootFile = found?.file ?? keys[0]!.file;
  const signers = new Map<KeyId, SecretKeyInfo>();
  for (const { file: f, key } of keys) {
    if (!root.keys.some((k) => k.keyid === key.keyid)) {
      throw new PrepcastError(
        "KEY_UNKNOWN",
        root.keys.length === 1 && found?.file.endsWith(".pub")
          ? `${f} is root key ${key.keyid}, but ${rootFile} (the key the difusores pinned) is ${root.keys[0]!.keyid}`
          : `${f} is key ${key.keyid}, which is not one of the ${root.keys.length} root keys of root version ${root.version} in ${rootFile}`,
        {
          where: f,
          hint: "bring the root key(s) of this process's ceremony (their fingerprints are in the minutes); a keyset signed by other keys is refused by every difusor",
        },
      );
    }
    signers.set(key.keyid, key);
  }
  if (signers.size < root.threshold) {
    throw new PrepcastError(
      "SIGNATURE_THRESHOLD",
      `root version ${root.version} needs ${root.threshold} of its ${root.keys.length} root keys to sign; ${signers.size} distinct key(s) given (${[...signers.keys()].join(", ")})`,
      {
        where: "--root-key",
        hint: `${root.threshold - signers.size} more official(s) must bring their root-N.key: pass --root-key FILE once per key; the same key twice counts once`,
      },
    );
  }
  verifyKeysetSignature(bytes, sig, root, {
    where: file(dir, PUBLISHER_KEY_FILES.keyset),
    sigWhere: file(dir, PUBLISHER_KEY_FILES.keysetSig),
    hint: `the current keyset does not answer to the root in ${rootFile}: bring the root keys of this process's ceremony (their fingerprints are in the minutes), or point --keys at this process's keys directory`,
  });
  return { keyset: parseKeyset(bytes, file(dir, PUBLISHER_KEY_FILES.keyset)), root, signers: [...signers.values()] };
}

function newExpiry(current: Keyset, opts: KeysetChangeOptions, now: Date): string {
  const expires = opts.expires !== undefined ? toIsoTimestamp(opts.expires, "--expires") : current.expires;
  if (parseIsoWithOffset(expires, "--expires").getTime() <= now.getTime()) {
    throw new PrepcastError(
      "CONFIG_INVALID",
      opts.expires !== undefined
        ? `--expires ${expires} is not in the future`
        : `the current keyset version ${current.version} expired at ${current.expires}; the new one needs a new expiry`,
      {
        where: "--expires",
        hint: "pass --expires with a date after the end of the publication window plus a margin, e.g. --expires 2024-06-30T23:59:00-06:00",
      },
    );
  }
  return expires;
}

/** Signs keyset N+1 with `publicKeys` (in memory; nothing written). */
function signNext(current: Current, publicKeys: Uint8Array[], expires: string, now: Date): { bytes: Buffer; sig: Buffer; keyset: Keyset } {
  const bytes = createKeyset({ version: current.keyset.version + 1, expires, signingPublicKeys: publicKeys, createdAt: now });
  const sig = signWithKeys("keyset", bytes, current.signers);
  // the document every receiver will check, checked here first with the same code
  const keyset = verifyKeysetSignature(bytes, sig, current.root, { where: "new keyset" });
  return { bytes, sig, keyset };
}

async function writeKeyset(dir: string, next: { bytes: Buffer; sig: Buffer }): Promise<void> {
  // keyset.json, then keyset.sig: a service reading between the two finds a signature that does
  // not verify and keeps the keyset it had (docs/operations/keys.md)
  await writeFileAtomic(file(dir, PUBLISHER_KEY_FILES.keyset), next.bytes, 0o644);
  await writeFileAtomic(file(dir, PUBLISHER_KEY_FILES.keysetSig), next.sig, 0o644);
}

function publicKeysOf(keys: readonly KeysetKey[]): Uint8Array[] {
  return keys.map((k) => decodeBase64Strict(k.public, 32)!);
}

function result(dir: string, current: Current, next: Keyset, signingKeyId: KeyId | null): KeysetChangeResult {
  const before = new Set(current.keyset.keys.map((k) => k.keyid));
  const after = new Set(next.keys.map((k) => k.keyid));
  return {
    dir,
    previousVersion: current.keyset.version,
    version: next.version,
    expires: next.expires,
    keys: next.keys.map((k) => k.keyid),
    added: [...after].filter((k) => !before.has(k)),
    removed: [...before].filter((k) => !after.has(k)),
    rootKeyId: current.signers[0]!.keyid,
    rootKeyIds: current.signers.map((k) => k.keyid).sort(),
    rootVersion: current.root.version,
    threshold: current.root.threshold,
    signingKeyId,
  };
}

/**
 * `keys rotate`: a new signing key (signing.key 0600 and signing.pub, replacing the directory's
 * previous ones) and keyset N+1 listing it, plus the keys of keyset N unless `dropOld`.
 */
export async function rotateSigningKey(dir: string, opts: KeysetChangeOptions & { dropOld?: boolean }): Promise<KeysetChangeResult> {
  const now = opts.now ?? new Date();
  const current = loadCurrent(dir, opts);
  const expires = newExpiry(current.keyset, opts, now);
  const signing = generateKeyPair();
  const keys = opts.dropOld === true ? [signing.publicKey] : [...publicKeysOf(current.keyset.keys), signing.publicKey];
  const next = signNext(current, keys, expires, now);
  const keyFile = file(dir, PUBLISHER_KEY_FILES.signingKey);
  // the new secret gets the owner of the one it replaces (root rotating in the service's directory)
  const previous = fs.statSync(keyFile, { throwIfNoEntry: false });
  writeSecretKeyFile(keyFile, signing, { overwrite: true });
  if (previous && process.getuid?.() === 0) fs.chownSync(keyFile, previous.uid, previous.gid);
  writePublicKeyFile(file(dir, PUBLISHER_KEY_FILES.signingPub), signing.publicKey, { overwrite: true });
  await writeKeyset(dir, next);
  return result(dir, current, next.keyset, keyIdOf(signing.publicKey));
}

/** Resolves KEYID (the full 64 hex digits, or a unique prefix of at least 8) against the keyset. */
function resolveKeyId(keyset: Keyset, keyid: string): KeyId {
  const wanted = keyid.trim().toLowerCase();
  if (!/^[0-9a-f]{8,64}$/.test(wanted)) {
    throw new PrepcastError("CONFIG_INVALID", `${JSON.stringify(keyid)} is not a key id (64 hex digits, or a unique prefix of at least 8)`, {
      where: "KEYID",
      hint: "copy the key id from `prep-publisher keys status --keys DIR`",
    });
  }
  const matches = keyset.keys.filter((k) => k.keyid.startsWith(wanted));
  if (matches.length === 0) {
    throw new PrepcastError(
      "NOT_FOUND",
      `keyset version ${keyset.version} does not list signing key ${wanted}; it lists ${keyset.keys.map((k) => k.keyid).join(", ")}`,
      {
        where: "KEYID",
        hint: "a key that is not listed is already refused by every receiver that has this keyset; check the id with `prep-publisher keys status --keys DIR`",
      },
    );
  }
  if (matches.length > 1)
    throw new PrepcastError("CONFIG_INVALID", `key id prefix ${wanted} matches ${matches.length} keys of keyset version ${keyset.version}`, {
      where: "KEYID",
      hint: "give more digits, or the full key id",
    });
  return matches[0]!.keyid;
}

/** `keys revoke`: keyset N+1 without KEYID. Refuses the last key, and the key this directory's signing.key holds (use rotate --drop-old). */
export async function revokeSigningKey(dir: string, keyid: string, opts: KeysetChangeOptions): Promise<KeysetChangeResult> {
  const now = opts.now ?? new Date();
  const current = loadCurrent(dir, opts);
  const revoked = resolveKeyId(current.keyset, keyid);
  const remaining = current.keyset.keys.filter((k) => k.keyid !== revoked);
  if (remaining.length === 0) {
    throw new PrepcastError(
      "STATE_CONFLICT",
      `signing key ${revoked} is the only key of keyset version ${current.keyset.version}; a keyset without keys cannot sign anything`,
      {
        where: "KEYID",
        hint: "to replace it, run `prep-publisher keys rotate --drop-old`: a new key and keyset N+1 without this one",
      },
    );
  }
  const signingKeyId = signingKeyIdOf(dir);
  if (signingKeyId === revoked) {
    throw new PrepcastError(
      "STATE_CONFLICT",
      `signing key ${revoked} is the key in ${file(dir, PUBLISHER_KEY_FILES.signingKey)}: after revoking it the publisher could not sign`,
      {
        where: "KEYID",
        hint: "run `prep-publisher keys rotate --drop-old` instead: a new signing key and keyset N+1 without this one",
      },
    );
  }
  const expires = newExpiry(current.keyset, opts, now);
  const next = signNext(current, publicKeysOf(remaining), expires, now);
  await writeKeyset(dir, next);
  return result(dir, current, next.keyset, signingKeyId);
}

/**
 * `keys revoke --old`: keyset N+1 listing only the key in this directory's signing.key, which
 * completes a rotation (the keys kept for the overlap are revoked) without copying key ids by hand.
 */
export async function revokeOldSigningKeys(dir: string, opts: KeysetChangeOptions): Promise<KeysetChangeResult> {
  const now = opts.now ?? new Date();
  const current = loadCurrent(dir, opts);
  const signingKeyId = signingKeyIdOf(dir);
  const keep = current.keyset.keys.find((k) => k.keyid === signingKeyId);
  if (signingKeyId === null || !keep) {
    throw new PrepcastError(
      "STATE_CONFLICT",
      signingKeyId === null
        ? `${dir} holds no signing.key or signing.pub: the key to keep is unknown`
        : `the key in ${file(dir, PUBLISHER_KEY_FILES.signingKey)} (${signingKeyId}) is not listed by keyset version ${current.keyset.version}`,
      {
        where: "--old",
        hint: "name the key to revoke (prep-publisher keys revoke KEYID), or run --old in the directory where `keys rotate` wrote the new signing key",
      },
    );
  }
  if (current.keyset.keys.length === 1) {
    throw new PrepcastError(
      "STATE_CONFLICT",
      `keyset version ${current.keyset.version} lists only the current signing key ${signingKeyId}: nothing to revoke`,
      { where: "--old", hint: "to replace the current key, run `prep-publisher keys rotate --drop-old`" },
    );
  }
  const expires = newExpiry(current.keyset, opts, now);
  const next = signNext(current, publicKeysOf([keep]), expires, now);
  await writeKeyset(dir, next);
  return result(dir, current, next.keyset, signingKeyId);
}

/** `keys renew`: keyset N+1 with the same keys and a later expiry (also renews an expired keyset). */
export async function renewKeyset(dir: string, opts: KeysetChangeOptions & { expires: Date | string }): Promise<KeysetChangeResult> {
  const now = opts.now ?? new Date();
  const current = loadCurrent(dir, opts);
  const expires = newExpiry(current.keyset, opts, now);
  if (parseIsoWithOffset(expires, "--expires").getTime() <= parseIsoWithOffset(current.keyset.expires, "keyset expires").getTime()) {
    throw new PrepcastError("CONFIG_INVALID", `--expires ${expires} is not later than the current expiry ${current.keyset.expires}`, {
      where: "--expires",
      hint: "renewing extends the expiry: give a later date",
    });
  }
  const next = signNext(current, publicKeysOf(current.keyset.keys), expires, now);
  await writeKeyset(dir, next);
  return result(dir, current, next.keyset, signingKeyIdOf(dir));
}
