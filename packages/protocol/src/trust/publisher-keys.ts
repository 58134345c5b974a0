import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair } from "./ed25519";
import { PrepcastError } from "../errors";
import { readPublicKeyFile, readSecretKeyFile, writePublicKeyFile, writeSecretKeyFile, type SecretKeyInfo } from "./keys";
import { createKeyset, parseKeyset, verifyKeyset } from "./keyset";
import { MAX_ROOT_KEYS, createRoot, signWithKeys, type RootOfTrust } from "./root";
import { readTrustedRoot } from "./root-files";

// The publisher's keys directory. root.key belongs offline: `pack` needs only signing.key and the
// root-signed keyset.json/keyset.sig, so an operator can move root.key to cold storage after init.
export const PUBLISHER_KEY_FILES = {
  rootKey: "root.key",
  rootPub: "root.pub",
  signingKey: "signing.key",
  signingPub: "signing.pub",
  keyset: "keyset.json",
  keysetSig: "keyset.sig",
  rootJson: "root.json",
  rootSig: "root.sig",
} as const;

/** The file of root key `i` (1-based) of a root set: each official takes one away after init. */
export function rootKeyFileName(i: number): string {
  return `root-${i}.key`;
}

/** The public half of root key `i`. */
export function rootPubFileName(i: number): string {
  return `root-${i}.pub`;
}

/**
 * The root a keys directory's keyset answers to: root.json (+ root.sig, self-signed by its
 * threshold) when present, else root.pub; undefined when the directory holds neither.
 */
export function readKeysDirRoot(dir: string): { root: RootOfTrust; file: string } | undefined {
  const json = path.join(dir, PUBLISHER_KEY_FILES.rootJson);
  if (fs.existsSync(json)) return { root: readTrustedRoot(json, "root.json of the keys directory"), file: json };
  const pub = path.join(dir, PUBLISHER_KEY_FILES.rootPub);
  if (fs.existsSync(pub)) return { root: readPublicKeyFile(pub).publicKey, file: pub };
  return undefined;
}

/** readKeysDirRoot, refusing a directory that holds neither root.json nor root.pub. */
export function requireKeysDirRoot(dir: string): RootOfTrust {
  const found = readKeysDirRoot(dir);
  if (found !== undefined) return found.root;
  throw new PrepcastError("KEY_FILE_INVALID", `${dir} holds neither root.json nor root.pub: the root the keyset answers to is unknown`, {
    where: path.join(dir, PUBLISHER_KEY_FILES.rootPub),
    hint: "copy root.pub (or root.json and root.sig) from the key ceremony into the keys directory; they are public",
  });
}

export interface InitPublisherKeysOptions {
  /** Days until the keyset expires (default 365). */
  keysetExpiresDays?: number;
  /** n root keys (root-1.key … root-n.key and a signed root.json) instead of one root.key */
  rootKeys?: number;
  /** with rootKeys: how many of them must sign a keyset (default: a majority) */
  threshold?: number;
  now?: Date;
}

export interface InitPublisherKeysResult {
  dir: string;
  /** the single root key (root.key); with rootKeys, the key ids are in rootKeyIds */
  rootKeyId: string | null;
  /** every root key id, in the order of their files (root-1.key …) */
  rootKeyIds: string[];
  /** how many root keys must sign (1 for a single root.key) */
  threshold: number;
  rootVersion: number;
  /** root.pub, or root.json for a root set: what every difusor pins */
  rootPubPath: string;
  /** root.sig for a root set, else null */
  rootSigPath: string | null;
  /** the root key files written (root.key, or root-1.key … root-n.key) */
  rootKeyFiles: string[];
  signingKeyId: string;
  keysetVersion: number;
  keysetExpires: string;
}

/**
 * Creates the root (root.key + root.pub; or, with rootKeys, root-1.key … root-n.key and root.json +
 * root.sig signed by all of them), one signing key and the keyset (version 1) signed by every
 * root key; refuses an existing key directory.
 */
export function initPublisherKeys(dir: string, options: InitPublisherKeysOptions = {}): InitPublisherKeysResult {
  const days = options.keysetExpiresDays ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) {
    throw new PrepcastError("CONFIG_INVALID", `keyset lifetime ${days} days is not an integer between 1 and 3650`, { where: "--keyset-expires-days" });
  }
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const f of Object.values(PUBLISHER_KEY_FILES)) {
    if (fs.existsSync(path.join(dir, f))) {
      throw new PrepcastError("KEY_FILE_INVALID", `${path.join(dir, f)} already exists; refusing to replace keys`, {
        where: path.join(dir, f),
        hint: "use a new, empty directory; replacing the root key would orphan every difusor that pinned it",
      });
    }
  }
  const now = options.now ?? new Date();
  const file = (name: string) => path.join(dir, name);
  const set = rootSetShape(options);
  const signing = generateKeyPair();
  const expires = new Date(now.getTime() + days * 86_400_000);
  const keyset = createKeyset({ version: 1, expires, signingPublicKeys: [signing.publicKey], createdAt: now });
  const roots = Array.from({ length: set?.n ?? 1 }, () => generateKeyPair());
  const rootKeyFiles = set === undefined ? [file(PUBLISHER_KEY_FILES.rootKey)] : roots.map((_, i) => file(rootKeyFileName(i + 1)));
  for (const f of rootKeyFiles) {
    if (fs.existsSync(f))
      throw new PrepcastError("KEY_FILE_INVALID", `${f} already exists; refusing to replace keys`, { where: f, hint: "use a new, empty directory" });
  }
  const rootKeyIds = roots.map((kp, i) => writeSecretKeyFile(rootKeyFiles[i]!, kp));
  const signers = roots.map((kp, i) => ({ secretKey: kp.secretKey, keyid: rootKeyIds[i]! }));
  let rootPubPath = file(PUBLISHER_KEY_FILES.rootPub);
  let rootSigPath: string | null = null;
  if (set === undefined) writePublicKeyFile(rootPubPath, roots[0]!.publicKey);
  else {
    roots.forEach((kp, i) => writePublicKeyFile(file(rootPubFileName(i + 1)), kp.publicKey));
    const rootDoc = createRoot({ version: 1, threshold: set.m, publicKeys: roots.map((kp) => kp.publicKey) });
    rootPubPath = file(PUBLISHER_KEY_FILES.rootJson);
    rootSigPath = file(PUBLISHER_KEY_FILES.rootSig);
    fs.writeFileSync(rootPubPath, rootDoc, { flag: "wx", mode: 0o644 });
    fs.writeFileSync(rootSigPath, signWithKeys("root", rootDoc, signers), { flag: "wx", mode: 0o644 });
  }
  const signingKeyId = writeSecretKeyFile(file(PUBLISHER_KEY_FILES.signingKey), signing);
  writePublicKeyFile(file(PUBLISHER_KEY_FILES.signingPub), signing.publicKey);
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.keyset), keyset, { flag: "wx", mode: 0o644 });
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.keysetSig), signWithKeys("keyset", keyset, signers), { flag: "wx", mode: 0o644 });
  return {
    dir,
    rootKeyId: set === undefined ? rootKeyIds[0]! : null,
    rootKeyIds,
    threshold: set?.m ?? 1,
    rootVersion: 1,
    rootPubPath,
    rootSigPath,
    rootKeyFiles,
    signingKeyId,
    keysetVersion: 1,
    keysetExpires: parseKeyset(keyset).expires,
  };
}

/** n and m of `init --root-keys n --threshold m`, or undefined for the single root.key. */
function rootSetShape(options: InitPublisherKeysOptions): { n: number; m: number } | undefined {
  if (options.rootKeys === undefined) {
    if (options.threshold !== undefined)
      throw new PrepcastError("CONFIG_INVALID", "--threshold needs --root-keys", {
        where: "--threshold",
        hint: "e.g. --root-keys 3 --threshold 2: three root keys, any two of which sign",
      });
    return undefined;
  }
  const n = options.rootKeys;
  if (!Number.isInteger(n) || n < 1 || n > MAX_ROOT_KEYS)
    throw new PrepcastError("CONFIG_INVALID", `--root-keys ${n} is not an integer between 1 and ${MAX_ROOT_KEYS}`, { where: "--root-keys" });
  const m = options.threshold ?? Math.floor(n / 2) + 1;
  if (!Number.isInteger(m) || m < 1 || m > n) {
    throw new PrepcastError("CONFIG_INVALID", `--threshold ${m} is not an integer between 1 and the ${n} root keys`, {
      where: "--threshold",
      hint: "the threshold is how many of the root key holders must sign; it cannot exceed --root-keys",
    });
  }
  return { n, m };
}

/** What `pack` signs with: the online signing key and the root-signed keyset that lists it. */
export interface PublisherSigningMaterial {
  signingKey: SecretKeyInfo;
  keyset: Buffer;
  keysetSig: Buffer;
  /** root.json and root.sig of a root set (sent with every cut so receivers follow root rotations) */
  root?: Buffer;
  rootSig?: Buffer;
}

/**
 * Loads signing.key + keyset.json/.sig from a keys directory and checks they fit together: the
 * keyset verifies against root.pub (when present), has not expired, and lists the signing key.
 */
export function loadPublisherSigningMaterial(dir: string, now: Date = new Date()): PublisherSigningMaterial {
  const file = (name: string) => path.join(dir, name);
  const readDoc = (name: string) => {
    try {
      return fs.readFileSync(file(name));
    } catch (e) {
      throw new PrepcastError("KEY_FILE_INVALID", `cannot read ${file(name)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
        where: file(name),
        hint: "run `prep-publisher init --dir KEYS` first, or point --keys at the directory it created",
        cause: e,
      });
    }
  };
  const signingKey = readSecretKeyFile(file(PUBLISHER_KEY_FILES.signingKey));
  const keyset = readDoc(PUBLISHER_KEY_FILES.keyset);
  const keysetSig = readDoc(PUBLISHER_KEY_FILES.keysetSig);
  const root = readKeysDirRoot(dir);
  const parsed =
    root !== undefined
      ? verifyKeyset(keyset, keysetSig, root.root, { now, where: file(PUBLISHER_KEY_FILES.keyset) })
      : parseKeyset(keyset, file(PUBLISHER_KEY_FILES.keyset));
  if (!parsed.keys.some((k) => k.keyid === signingKey.keyid)) {
    throw new PrepcastError("KEY_UNKNOWN", `signing key ${signingKey.keyid} is not listed in ${file(PUBLISHER_KEY_FILES.keyset)}`, {
      where: file(PUBLISHER_KEY_FILES.signingKey),
      hint: "sign a new keyset that lists this signing key with the root key",
    });
  }
  const rootDocs = root?.file.endsWith(".json") ? { root: readDoc(PUBLISHER_KEY_FILES.rootJson), rootSig: readDoc(PUBLISHER_KEY_FILES.rootSig) } : {};
  return { signingKey, keyset, keysetSig, ...rootDocs };
}
