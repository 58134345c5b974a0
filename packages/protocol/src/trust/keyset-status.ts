// What a keys directory's keyset is now: its expiry as seen at a date (with the warning shown when
// it is near), and `keys status`. The changes (rotate, revoke, renew) are in keyset-lifecycle.ts.
import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError } from "../errors";
import { readPublicKeyFile, readSecretKeyFile, type KeyId } from "./keys";
import { parseKeyset, type Keyset } from "./keyset";
import { PUBLISHER_KEY_FILES, readKeysDirRoot } from "./publisher-keys";
import { parseSignatures, trustRootOf, verifyThreshold, type TrustRoot } from "./root";
import { parseIsoWithOffset } from "../time";

/** Warn this many days before the keyset expires (publisher status, dashboard, receiver status and doctor). */
export const DEFAULT_KEYSET_WARN_DAYS = 14;
const DAY_MS = 86_400_000;

export interface KeysetExpiry {
  version: number;
  expires: string;
  /** whole days left (negative once expired) */
  daysLeft: number;
  expired: boolean;
  /** not expired, but expires within warnDays */
  expiringSoon: boolean;
  warnDays: number;
  /** the warning to show, or null */
  warning: string | null;
}

/** The expiry of a keyset as seen at `now`, with the warning shown when it is closer than warnDays. */
export function keysetExpiry(keyset: Pick<Keyset, "version" | "expires">, now: Date = new Date(), warnDays: number = DEFAULT_KEYSET_WARN_DAYS): KeysetExpiry {
  const left = parseIsoWithOffset(keyset.expires, "keyset expires").getTime() - now.getTime();
  const expired = left <= 0;
  const expiringSoon = !expired && left < warnDays * DAY_MS;
  const daysLeft = Math.floor(left / DAY_MS);
  const warning = expired
    ? `keyset version ${keyset.version} EXPIRED at ${keyset.expires}: receivers refuse every cut signed with it (KEYSET_EXPIRED); the OPLE must renew it with the root key (prep-publisher keys renew)`
    : expiringSoon
      ? `keyset version ${keyset.version} expires in ${daysLeft} day(s), at ${keyset.expires}: renew it with the root key before then (prep-publisher keys renew)`
      : null;
  return { version: keyset.version, expires: keyset.expires, daysLeft, expired, expiringSoon, warnDays, warning };
}

export interface KeysDirStatus extends KeysetExpiry {
  dir: string;
  createdAt: string;
  keys: Array<{ keyid: KeyId; inUse: boolean }>;
  /** the key in signing.key (or signing.pub), or null when the directory holds neither */
  signingKeyId: KeyId | null;
  /** the (first) key that signed keyset.sig */
  rootKeyId: KeyId;
  /** every key that signed keyset.sig (verified ones when `verified`) */
  signedBy: KeyId[];
  /** the root in the directory (root.json, or root.pub as the implicit 1-of-1 root), or null */
  root: { file: string; version: number; threshold: number; keys: KeyId[] } | null;
  /** true when root.json or root.pub is in the directory and the keyset's signatures met its threshold */
  verified: boolean;
}

export function file(dir: string, name: string): string {
  return path.join(dir, name);
}

export function readKeysetFiles(dir: string): { bytes: Buffer; sig: Buffer } {
  const read = (name: string) => {
    try {
      return fs.readFileSync(file(dir, name));
    } catch (e) {
      throw new PrepcastError("KEY_FILE_INVALID", `cannot read ${file(dir, name)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        where: file(dir, name),
        hint: "point --keys at the keys directory `prep-publisher init` created (it holds keyset.json and keyset.sig)",
        cause: e,
      });
    }
  };
  return { bytes: read(PUBLISHER_KEY_FILES.keyset), sig: read(PUBLISHER_KEY_FILES.keysetSig) };
}

/** The key id of the directory's signing key (from signing.key, else signing.pub), never its secret. */
export function signingKeyIdOf(dir: string): KeyId | null {
  if (fs.existsSync(file(dir, PUBLISHER_KEY_FILES.signingKey))) return readSecretKeyFile(file(dir, PUBLISHER_KEY_FILES.signingKey)).keyid;
  if (fs.existsSync(file(dir, PUBLISHER_KEY_FILES.signingPub))) return readPublicKeyFile(file(dir, PUBLISHER_KEY_FILES.signingPub)).keyid;
  return null;
}

/** `keys status`: version, keys, expiry and days left of a keys directory's keyset (verified against root.pub when it is there). */
export function keysDirStatus(dir: string, options: { now?: Date; warnDays?: number } = {}): KeysDirStatus {
  const { bytes, sig } = readKeysetFiles(dir);
  const where = file(dir, PUBLISHER_KEY_FILES.keyset);
  const sigWhere = file(dir, PUBLISHER_KEY_FILES.keysetSig);
  const found = readKeysDirRoot(dir);
  let keyset: Keyset;
  let signedBy: KeyId[];
  let root: TrustRoot | null = null;
  if (found !== undefined) {
    root = trustRootOf(found.root);
    signedBy = verifyThreshold("keyset", bytes, sig, root, {
      where,
      sigWhere,
      rootLabel: `the root in ${found.file}`,
      hint: `${found.file} is not the root that signed this keyset: check both came from the same ceremony`,
    });
    keyset = parseKeyset(bytes, where);
  } else {
    keyset = parseKeyset(bytes, where);
    signedBy = [...new Set(parseSignatures(sig, sigWhere).map((s) => s.keyid))];
  }
  const signingKeyId = signingKeyIdOf(dir);
  return {
    dir,
    createdAt: keyset.createdAt,
    keys: keyset.keys.map((k) => ({ keyid: k.keyid, inUse: k.keyid === signingKeyId })),
    signingKeyId,
    rootKeyId: signedBy[0]!,
    signedBy,
    root: found && root ? { file: found.file, version: root.version, threshold: root.threshold, keys: root.keys.map((k) => k.keyid) } : null,
    verified: root !== null,
    ...keysetExpiry(keyset, options.now ?? new Date(), options.warnDays ?? DEFAULT_KEYSET_WARN_DAYS),
  };
}
