import * as fs from "node:fs";
import * as path from "node:path";
import { generateKeyPair } from "./ed25519";
import { PrepcastError } from "../errors";
import { readPublicKeyFile, readSecretKeyFile, writePublicKeyFile, writeSecretKeyFile, type SecretKeyInfo } from "./keys";
import { createKeyset, parseKeyset, verifyKeyset } from "./keyset";
import { encodeSigFile, signDocument } from "./signing";

// The publisher's keys directory. root.key belongs offline: `pack` needs only signing.key and the
// root-signed keyset.json/keyset.sig, so an operator can move root.key to cold storage after init.
export const PUBLISHER_KEY_FILES = {
  rootKey: "root.key",
  rootPub: "root.pub",
  signingKey: "signing.key",
  signingPub: "signing.pub",
  keyset: "keyset.json",
  keysetSig: "keyset.sig",
} as const;

export interface InitPublisherKeysOptions {
  /** Days until the keyset expires (default 365). */
  keysetExpiresDays?: number;
  now?: Date;
}

export interface InitPublisherKeysResult {
  dir: string;
  rootKeyId: string;
  signingKeyId: string;
  rootPubPath: string;
  keysetVersion: number;
  keysetExpires: string;
}

/** Creates root key, one signing key and the root-signed keyset (version 1); refuses an existing key directory. */
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
  const root = generateKeyPair();
  const signing = generateKeyPair();
  const file = (name: string) => path.join(dir, name);
  const rootKeyId = writeSecretKeyFile(file(PUBLISHER_KEY_FILES.rootKey), root);
  writePublicKeyFile(file(PUBLISHER_KEY_FILES.rootPub), root.publicKey);
  const signingKeyId = writeSecretKeyFile(file(PUBLISHER_KEY_FILES.signingKey), signing);
  writePublicKeyFile(file(PUBLISHER_KEY_FILES.signingPub), signing.publicKey);
  const expires = new Date(now.getTime() + days * 86_400_000);
  const keyset = createKeyset({ version: 1, expires, signingPublicKeys: [signing.publicKey], createdAt: now });
  const sig = encodeSigFile(signDocument("keyset", keyset, root.secretKey, rootKeyId));
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.keyset), keyset, { flag: "wx", mode: 0o644 });
  fs.writeFileSync(file(PUBLISHER_KEY_FILES.keysetSig), sig, { flag: "wx", mode: 0o644 });
  return { dir, rootKeyId, signingKeyId, rootPubPath: file(PUBLISHER_KEY_FILES.rootPub), keysetVersion: 1, keysetExpires: parseKeyset(keyset).expires };
}

/** What `pack` signs with: the online signing key and the root-signed keyset that lists it. */
export interface PublisherSigningMaterial {
  signingKey: SecretKeyInfo;
  keyset: Buffer;
  keysetSig: Buffer;
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
  const parsed = fs.existsSync(file(PUBLISHER_KEY_FILES.rootPub))
    ? verifyKeyset(keyset, keysetSig, readPublicKeyFile(file(PUBLISHER_KEY_FILES.rootPub)).publicKey, { now, where: file(PUBLISHER_KEY_FILES.keyset) })
    : parseKeyset(keyset, file(PUBLISHER_KEY_FILES.keyset));
  if (!parsed.keys.some((k) => k.keyid === signingKey.keyid)) {
    throw new PrepcastError("KEY_UNKNOWN", `signing key ${signingKey.keyid} is not listed in ${file(PUBLISHER_KEY_FILES.keyset)}`, {
      where: file(PUBLISHER_KEY_FILES.signingKey),
      hint: "sign a new keyset that lists this signing key with the root key",
    });
  }
  return { signingKey, keyset, keysetSig };
}
