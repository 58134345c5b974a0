// `prep-publisher keys root-rotate`: root version V+1 with fresh root keys, signed by at least the
// threshold of version V (the officials' --root-key files) and by the new keys, and the current
// keyset re-signed by the new root's keys, so that a receiver that upgrades to V+1 from the cut's
// root document (Offer, .prep) still accepts the keyset. The previous root stays beside it as
// root.v<V>.json/.sig for the minutes.
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../durable";
import { PrepcastError } from "../errors";
import { generateKeyPair } from "./ed25519";
import { readSecretKeyFile, writePublicKeyFile, writeSecretKeyFile, type KeyId, type SecretKeyInfo } from "./keys";
import { verifyKeysetSignature } from "./keyset";
import { PUBLISHER_KEY_FILES, readKeysDirRoot } from "./publisher-keys";
import { MAX_ROOT_KEYS, createRoot, signWithKeys, trustRootOf, type TrustRoot } from "./root";
import { verifyRootUpdate } from "./root-update";

export interface RootRotateOptions {
  /** root keys of the current version (at least its threshold) */
  rootKeyFiles: string[];
  /** how many root keys the new version has */
  rootKeys: number;
  /** how many of them must sign (default: a majority) */
  threshold?: number;
  expires?: Date | string;
  now?: Date;
}

export interface RootRotateResult {
  dir: string;
  previousVersion: number;
  version: number;
  threshold: number;
  /** key ids of the new root, in the order of their files */
  rootKeyIds: KeyId[];
  rootKeyFiles: string[];
  /** the old root keys that signed the new root */
  signedByPrevious: KeyId[];
  root: string;
  rootSig: string;
}

/** The secret keys given for `root`, distinct, each one of its keys, at least its threshold of them. */
export function rootSigners(root: TrustRoot, files: string[], rootFile: string): SecretKeyInfo[] {
  const signers = new Map<KeyId, SecretKeyInfo>();
  for (const f of files) {
    const key = readSecretKeyFile(f);
    if (!root.keys.some((k) => k.keyid === key.keyid)) {
      throw new PrepcastError(
        "KEY_UNKNOWN",
        `${f} is key ${key.keyid}, which is not one of the ${root.keys.length} root keys of root version ${root.version} in ${rootFile}`,
        { where: f, hint: "bring the root keys of the current root (their fingerprints are in the minutes)" },
      );
    }
    signers.set(key.keyid, key);
  }
  if (signers.size < root.threshold) {
    throw new PrepcastError(
      "SIGNATURE_THRESHOLD",
      `root version ${root.version} needs ${root.threshold} of its ${root.keys.length} root keys to sign; ${signers.size} distinct key(s) given${signers.size ? ` (${[...signers.keys()].join(", ")})` : ""}`,
      {
        where: "--root-key",
        hint: `${root.threshold - signers.size} more official(s) must bring their root key: pass --root-key FILE once per key; the same key twice counts once`,
      },
    );
  }
  return [...signers.values()];
}

export async function rotateRoot(dir: string, opts: RootRotateOptions): Promise<RootRotateResult> {
  const found = readKeysDirRoot(dir);
  if (found === undefined)
    throw new PrepcastError("KEY_FILE_INVALID", `${dir} holds neither root.json nor root.pub`, {
      where: dir,
      hint: "point --keys at the keys directory of the ceremony",
    });
  const current = trustRootOf(found.root);
  const n = opts.rootKeys;
  if (!Number.isInteger(n) || n < 1 || n > MAX_ROOT_KEYS)
    throw new PrepcastError("CONFIG_INVALID", `--root-keys ${n} is not an integer between 1 and ${MAX_ROOT_KEYS}`, { where: "--root-keys" });
  const m = opts.threshold ?? Math.floor(n / 2) + 1;
  if (!Number.isInteger(m) || m < 1 || m > n)
    throw new PrepcastError("CONFIG_INVALID", `--threshold ${m} is not an integer between 1 and the ${n} root keys`, { where: "--threshold" });
  const previous = rootSigners(current, opts.rootKeyFiles, found.file);
  const keysetFile = path.join(dir, PUBLISHER_KEY_FILES.keyset);
  const keyset = fs.readFileSync(keysetFile);
  verifyKeysetSignature(keyset, fs.readFileSync(path.join(dir, PUBLISHER_KEY_FILES.keysetSig)), current, { where: keysetFile });

  const version = current.version + 1;
  const fresh = Array.from({ length: n }, () => generateKeyPair());
  const files = fresh.map((_, i) => path.join(dir, `root-v${version}-${i + 1}.key`));
  for (const f of files)
    if (fs.existsSync(f))
      throw new PrepcastError("KEY_FILE_INVALID", `${f} already exists; refusing to replace it`, {
        where: f,
        hint: "move it aside: it may be a root key of an interrupted rotation",
      });
  const bytes = createRoot({
    version,
    threshold: m,
    publicKeys: fresh.map((k) => k.publicKey),
    ...(opts.expires !== undefined ? { expires: opts.expires } : {}),
  });
  const newSigners = fresh.map((kp) => ({ secretKey: kp.secretKey, keyid: writeSecretKeyFile(files[fresh.indexOf(kp)]!, kp) }));
  fresh.forEach((kp, i) => writePublicKeyFile(files[i]!.replace(/\.key$/, ".pub"), kp.publicKey));
  const sig = signWithKeys("root", bytes, [...previous, ...newSigners]);
  // what every receiver will do with it, done here first with the same code
  const next = verifyRootUpdate(current, bytes, sig, {
    ...(opts.now !== undefined ? { now: opts.now } : {}),
    where: "new root.json",
    sigWhere: "new root.sig",
  })!;
  const keysetSig = signWithKeys("keyset", keyset, newSigners);
  verifyKeysetSignature(keyset, keysetSig, next, { where: "re-signed keyset" });

  const rootJson = path.join(dir, PUBLISHER_KEY_FILES.rootJson);
  const rootSig = path.join(dir, PUBLISHER_KEY_FILES.rootSig);
  if (found.file === rootJson) {
    fs.copyFileSync(rootJson, path.join(dir, `root.v${current.version}.json`));
    fs.copyFileSync(rootSig, path.join(dir, `root.v${current.version}.sig`));
  }
  // root.json and root.sig first (a reader between the writes finds a keyset that does not verify
  // against the new root and keeps what it had), then keyset.sig
  await writeFileAtomic(rootJson, bytes, 0o644);
  await writeFileAtomic(rootSig, sig, 0o644);
  await writeFileAtomic(path.join(dir, PUBLISHER_KEY_FILES.keysetSig), keysetSig, 0o644);
  return {
    dir,
    previousVersion: current.version,
    version,
    threshold: m,
    rootKeyIds: newSigners.map((k) => k.keyid),
    rootKeyFiles: files,
    signedByPrevious: previous.map((k) => k.keyid).sort(),
    root: rootJson,
    rootSig,
  };
}
