// Signed releases: what the OPLE hands to difusores (installable tarballs, image archives) is
// listed in SHA256SUMS (`sha256sum` format) and SHA256SUMS.sig is a detached Ed25519 signature of
// those exact bytes by the OPLE's release key, as a `release` document (`prepcast/v1/release\n` +
// the bytes). The signature is checked before SHA256SUMS is parsed; then every listed file is
// hashed. OpenSSL can check the same signature without PREPcast (docs/operations/release.md).
import { createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PUBLIC_KEY_LENGTH } from "./ed25519";
import { PrepcastError } from "../errors";
import { sha256FileHex, sha256Hex } from "../hash";
import { keyIdOf, readPublicKeyFile, type PublicKeyInfo, type SecretKeyInfo } from "./keys";
import { encodeSigFile, parseSigFile, signDocument, verifyDocument } from "./signing";

export const RELEASE_SUMS = "SHA256SUMS";
export const RELEASE_SIG = "SHA256SUMS.sig";
const MAX_SUMS_BYTES = 64 * 1024;
const MAX_SIG_BYTES = 1024;
/** A release file name: no directories, no hidden files, nothing a shell or a path could misread. */
const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$/;
const SUMS_LINE = /^([0-9a-f]{64}) [ *]([^\n]+)$/;
const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export interface ReleaseFile {
  name: string;
  sha256: string;
  size: number;
}

export interface VerifiedRelease {
  dir: string;
  keyid: string;
  files: ReleaseFile[];
  /** Files in the directory that SHA256SUMS does not list (not verified, not part of the release). */
  unlisted: string[];
  /** Files SHA256SUMS lists that are not in the directory (a difusor keeps only what it installs). */
  absent: string[];
}

function releaseError(message: string, where: string, hint: string): PrepcastError {
  return new PrepcastError("RELEASE_INVALID", message, { where, hint });
}

/** The release public key as PEM (SubjectPublicKeyInfo), for `openssl pkeyutl -verify`. */
export function releaseKeyPem(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_LENGTH) throw new PrepcastError("KEY_FILE_INVALID", `a release public key is ${PUBLIC_KEY_LENGTH} bytes`);
  const der = Buffer.concat([SPKI_ED25519_PREFIX, publicKey]);
  return createPublicKey({ key: der, format: "der", type: "spki" }).export({ format: "pem", type: "spki" }).toString();
}

/** Reads a release public key given as a PREPcast `.pub` file or as a PEM SubjectPublicKeyInfo. */
export function readReleasePublicKey(file: string): PublicKeyInfo {
  let head = "";
  try {
    const fd = fs.openSync(file, "r");
    try {
      const buf = Buffer.alloc(64);
      head = buf.subarray(0, fs.readSync(fd, buf, 0, 64, 0)).toString("latin1");
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    /* readPublicKeyFile reports a missing or unreadable file with its own hint */
  }
  if (!head.startsWith("-----BEGIN PUBLIC KEY-----")) return readPublicKeyFile(file);
  const st = fs.statSync(file);
  if (st.size > 4096) throw new PrepcastError("KEY_FILE_INVALID", `key file ${file} is ${st.size} bytes; a PEM public key is under 4096`, { where: file });
  let der: Buffer;
  try {
    const key = createPublicKey({ key: fs.readFileSync(file), format: "pem" });
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`it is a ${key.asymmetricKeyType} key, not Ed25519`);
    der = key.export({ format: "der", type: "spki" });
  } catch (e) {
    throw new PrepcastError("KEY_FILE_INVALID", `key file ${file} is not an Ed25519 PEM public key: ${(e as Error).message}`, {
      where: file,
      hint: "use the release.pub or release.pem the OPLE published with its release key fingerprint",
    });
  }
  const publicKey = new Uint8Array(der.subarray(SPKI_ED25519_PREFIX.length));
  return { publicKey, keyid: keyIdOf(publicKey) };
}

/** Writes SHA256SUMS for `names` (files in `dir`) and SHA256SUMS.sig signed by `key`. */
export function signRelease(dir: string, names: string[], key: SecretKeyInfo): VerifiedRelease {
  const files: ReleaseFile[] = [];
  for (const name of [...names].sort()) {
    if (!RELEASE_NAME.test(name) || name === RELEASE_SUMS || name === RELEASE_SIG)
      throw releaseError(`cannot release a file named ${JSON.stringify(name)}`, name, "release files are plain names: letters, digits, . _ + -");
    const file = path.join(dir, name);
    files.push({ name, sha256: hashFile(file), size: fs.statSync(file).size });
  }
  if (files.length === 0) throw releaseError(`nothing to release in ${dir}`, dir, "build the release files first");
  const sums = Buffer.from(files.map((f) => `${f.sha256}  ${f.name}\n`).join(""), "utf8");
  const sig = signDocument("release", sums, key.secretKey, key.keyid);
  fs.writeFileSync(path.join(dir, RELEASE_SUMS), sums);
  fs.writeFileSync(path.join(dir, RELEASE_SIG), Buffer.concat([encodeSigFile(sig), Buffer.from("\n")]));
  return { dir, keyid: key.keyid, files, unlisted: [], absent: [] };
}

function readBounded(file: string, max: number, what: string, hint: string): Buffer {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT")
      throw releaseError(`${file} does not exist: a release directory holds ${RELEASE_SUMS} and ${RELEASE_SIG} beside its files`, file, hint);
    throw releaseError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, file, hint);
  }
  if (!st.isFile()) throw releaseError(`${file} is not a regular file`, file, hint);
  if (st.size > max) throw releaseError(`${file} is ${st.size} bytes; ${what} is at most ${max}`, file, hint);
  return fs.readFileSync(file);
}

function hashFile(file: string): string {
  if (!fs.lstatSync(file).isFile()) throw releaseError(`${file} is not a regular file`, file, "release files are regular files, not links or directories");
  return sha256FileHex(file);
}

/**
 * Verifies a release directory against the OPLE's release key: the signature over SHA256SUMS
 * first (nothing is parsed before it verifies), then the SHA-256 of every listed file present.
 * A listed file that is absent is reported (`absent`), or refused with `requireAll` (the OPLE
 * checking a whole release before handing it out); a directory with none of them is refused.
 */
export function verifyRelease(dir: string, key: PublicKeyInfo, options: { requireAll?: boolean } = {}): VerifiedRelease {
  const fetchAgain = "obtain the release again from the OPLE; do not install it";
  const sums = readBounded(path.join(dir, RELEASE_SUMS), MAX_SUMS_BYTES, "a release's SHA256SUMS", fetchAgain);
  const sigBytes = readBounded(path.join(dir, RELEASE_SIG), MAX_SIG_BYTES, "a signature file", fetchAgain);
  const sigWhere = path.join(dir, RELEASE_SIG);
  const sig = parseSigFile(sigBytes[sigBytes.length - 1] === 0x0a ? sigBytes.subarray(0, -1) : sigBytes, sigWhere);
  try {
    verifyDocument("release", sums, sig, key.publicKey, sigWhere);
  } catch (e) {
    const err = e as PrepcastError;
    throw new PrepcastError(err.code, `${RELEASE_SUMS} is not signed by the release key ${key.keyid}: ${err.message}`, {
      where: sigWhere,
      hint: `check that you hold the OPLE's release key (its fingerprint is ${sha256Hex(key.publicKey).slice(0, 16)}…); otherwise ${fetchAgain}`,
      cause: e,
    });
  }
  const text = sums.toString("utf8");
  if (!text.endsWith("\n")) throw releaseError(`${RELEASE_SUMS} does not end with a newline`, path.join(dir, RELEASE_SUMS), fetchAgain);
  const files: ReleaseFile[] = [];
  const absent: string[] = [];
  const seen = new Set<string>();
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, i) => {
      const where = `${path.join(dir, RELEASE_SUMS)}:${i + 1}`;
      const m = SUMS_LINE.exec(line);
      if (!m || !RELEASE_NAME.test(m[2]!) || m[2] === RELEASE_SUMS || m[2] === RELEASE_SIG)
        throw releaseError(`line ${i + 1} of ${RELEASE_SUMS} is not "<sha256>  <file name>"`, where, fetchAgain);
      if (seen.has(m[2]!)) throw releaseError(`${RELEASE_SUMS} lists ${m[2]} twice`, where, fetchAgain);
      seen.add(m[2]!);
      const file = path.join(dir, m[2]!);
      if (!fs.existsSync(file)) {
        if (options.requireAll)
          throw releaseError(`${m[2]} is listed in ${RELEASE_SUMS} but missing from ${dir}`, file, "copy every file of the release into one directory");
        absent.push(m[2]!);
        return;
      }
      const actual = hashFile(file);
      if (actual !== m[1])
        throw new PrepcastError("HASH_MISMATCH", `${m[2]} has SHA-256 ${actual}, the signed ${RELEASE_SUMS} says ${m[1]}`, { where: file, hint: fetchAgain });
      files.push({ name: m[2]!, sha256: actual, size: fs.statSync(file).size });
    });
  if (files.length === 0)
    throw releaseError(`none of the files ${RELEASE_SUMS} lists is in ${dir}`, dir, "copy the release files you were given next to SHA256SUMS");
  const unlisted = fs
    .readdirSync(dir)
    .filter((n) => !seen.has(n) && n !== RELEASE_SUMS && n !== RELEASE_SIG)
    .sort();
  return { dir, keyid: key.keyid, files, unlisted, absent };
}
