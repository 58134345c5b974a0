import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { canonicalize } from "./canonical-json";
import { PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH, keyPairFromSeed, pointEncodingProblem, type Ed25519KeyPair } from "./ed25519";
import { PrepcastError } from "../errors";
import { sha256Hex } from "../hash";
import { readBoundedFd } from "../untrusted";

/** Hex SHA-256 of the 32-byte public key. */
export type KeyId = string;

export const KEY_ID_PATTERN = /^[0-9a-f]{64}$/;
const MAX_KEY_FILE_BYTES = 4096;

/** Key id of a public key: lower-case hex SHA-256 of its 32 bytes. */
export function keyIdOf(publicKey: Uint8Array): KeyId {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new PrepcastError("SIGNATURE_MALFORMED", `a public key must be ${PUBLIC_KEY_LENGTH} bytes, got ${publicKey?.length ?? "none"}`);
  }
  return sha256Hex(publicKey);
}

/** Decodes standard padded base64, refusing anything Buffer.from would silently repair (whitespace, missing padding, stray characters). */
export function decodeBase64Strict(s: string, expectedLength?: number): Buffer | undefined {
  if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(s, "base64");
  if (bytes.toString("base64") !== s) return undefined;
  if (expectedLength !== undefined && bytes.length !== expectedLength) return undefined;
  return bytes;
}

/**
 * A public key written inline in a config or registry (the base64 of its 32 bytes, canonical), as opposed to a path to a `.pub` file.
 * Returns the key's bytes, or undefined when the value is not one (then callers read it as a path).
 */
export function inlinePublicKey(value: string): Buffer | undefined {
  return decodeBase64Strict(value, PUBLIC_KEY_LENGTH);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** A key id in a signed document: 64 lower-case hex digits. */
export const keyIdSchema = z.string().regex(KEY_ID_PATTERN, "must be 64 lower-case hex digits");

/** A public key in a signed document: standard base64 of 32 bytes that decode to a valid Ed25519 point. */
export const publicKeyBase64Schema = z.string().superRefine((s, ctx) => {
  const bytes = decodeBase64Strict(s, PUBLIC_KEY_LENGTH);
  if (!bytes) return void ctx.addIssue({ code: "custom", message: `must be standard base64 of ${PUBLIC_KEY_LENGTH} bytes` });
  const problem = pointEncodingProblem(bytes);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: `public key ${problem}` });
});

const publicKeyFileSchema = z.strictObject({
  type: z.literal("ed25519-public"),
  keyid: keyIdSchema,
  public: z.string(),
});

const secretKeyFileSchema = z.strictObject({
  type: z.literal("ed25519-secret"),
  keyid: keyIdSchema,
  public: z.string(),
  secret: z.string(),
});

function invalid(file: string, what: string): PrepcastError {
  return new PrepcastError("KEY_FILE_INVALID", `key file ${file}: ${what}`, {
    where: file,
    hint: "regenerate the key with `prep-publisher init`, or copy the original file again",
  });
}

function readSmallFile(file: string, fd: number): Buffer {
  return readBoundedFd(fd, MAX_KEY_FILE_BYTES, (problem, size) =>
    invalid(file, problem === "not-a-file" ? "is not a regular file" : `is ${size} bytes; a key file is under ${MAX_KEY_FILE_BYTES}`),
  );
}

function openForRead(file: string): number {
  try {
    return fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new PrepcastError("KEY_FILE_INVALID", `key file ${file} does not exist`, {
        where: file,
        hint: "check the path, or create keys with `prep-publisher init`",
        cause: e,
      });
    if (code === "ELOOP") throw invalid(file, "is a symbolic link; key files must be regular files");
    throw new PrepcastError("KEY_FILE_INVALID", `cannot open key file ${file}: ${code ?? String(e)}`, { where: file, cause: e });
  }
}

function parseJson(file: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    // The parser's message could quote the secret; say only what is wrong.
    throw invalid(file, "is not valid UTF-8 JSON");
  }
}

function describeZod(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "has an unexpected shape";
  const at = issue.path.length ? issue.path.join(".") : "(top level)";
  // Messages only: zod issues for unrecognized keys or literals never echo secret values.
  return `field ${at}: ${issue.message}`;
}

function decodePublic(file: string, b64: string, keyid: string): Buffer {
  const publicKey = decodeBase64Strict(b64, PUBLIC_KEY_LENGTH);
  if (!publicKey) throw invalid(file, `field public is not base64 of ${PUBLIC_KEY_LENGTH} bytes`);
  const problem = pointEncodingProblem(publicKey);
  if (problem !== undefined) throw invalid(file, `field public ${problem}`);
  if (keyIdOf(publicKey) !== keyid) throw invalid(file, `keyid ${keyid} is not the SHA-256 of the public key (${keyIdOf(publicKey)})`);
  return publicKey;
}

export interface PublicKeyInfo {
  publicKey: Uint8Array;
  keyid: KeyId;
}

export interface SecretKeyInfo extends PublicKeyInfo {
  secretKey: Uint8Array;
}

/** Reads a public key file; KEY_FILE_INVALID when its shape, lengths or key id are wrong. */
export function readPublicKeyFile(file: string): PublicKeyInfo {
  const fd = openForRead(file);
  let bytes: Buffer;
  try {
    bytes = readSmallFile(file, fd);
  } finally {
    fs.closeSync(fd);
  }
  const parsed = publicKeyFileSchema.safeParse(parseJson(file, bytes));
  if (!parsed.success) {
    const maybeSecret = parsed.error.issues[0]?.path[0] === "type" ? " (is this a secret key file? give the .pub file)" : "";
    throw invalid(file, describeZod(parsed.error) + maybeSecret);
  }
  return { publicKey: decodePublic(file, parsed.data.public, parsed.data.keyid), keyid: parsed.data.keyid };
}

/**
 * The OPLE's root public key as a difusor (or anyone checking a site) names it with a flag such as
 * `--trust`: the same checks as readPublicKeyFile, but the error names the flag and says where
 * the file comes from (the OPLE), not how the OPLE makes it.
 */
export function readTrustedRootKey(file: string, flag = "--trust"): PublicKeyInfo {
  try {
    return readPublicKeyFile(file);
  } catch (e) {
    if (!(e instanceof PrepcastError) || e.code !== "KEY_FILE_INVALID") throw e;
    const missing = !fs.existsSync(file);
    throw new PrepcastError("KEY_FILE_INVALID", `${flag} ${file}: ${missing ? "no such file" : e.message}`, {
      where: flag,
      cause: e,
      hint: missing
        ? "root.pub is the OPLE's root public key: get it from the OPLE (and check its fingerprint with them by a second channel), then pass its path"
        : "give the root.pub file the OPLE handed out (a .pub file, not a secret key); if in doubt, ask the OPLE for it again",
    });
  }
}

/**
 * Reads a secret key file. Refuses (KEY_FILE_PERMISSIONS) a file that group or others can read
 * or write: a leaked signing key lets anyone publish results in the OPLE's name.
 */
export function readSecretKeyFile(file: string): SecretKeyInfo {
  const fd = openForRead(file);
  let bytes: Buffer;
  try {
    const st = fs.fstatSync(fd);
    if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
      throw new PrepcastError(
        "KEY_FILE_PERMISSIONS",
        `secret key file ${file} has mode ${(st.mode & 0o777).toString(8).padStart(3, "0")}; group and others must have no access`,
        {
          where: file,
          hint: `run: chmod 600 ${file}`,
        },
      );
    }
    bytes = readSmallFile(file, fd);
  } finally {
    fs.closeSync(fd);
  }
  const parsed = secretKeyFileSchema.safeParse(parseJson(file, bytes));
  if (!parsed.success) throw invalid(file, describeZod(parsed.error));
  const publicKey = decodePublic(file, parsed.data.public, parsed.data.keyid);
  const secretKey = decodeBase64Strict(parsed.data.secret, SECRET_KEY_LENGTH);
  if (!secretKey) throw invalid(file, `field secret is not base64 of ${SECRET_KEY_LENGTH} bytes`);
  const derived = keyPairFromSeed(secretKey.subarray(0, 32));
  if (!Buffer.from(derived.publicKey).equals(publicKey) || !secretKey.subarray(32).equals(publicKey)) {
    throw invalid(file, "field secret does not belong to field public");
  }
  return { publicKey, secretKey, keyid: parsed.data.keyid };
}

function writeFileDurably(file: string, content: string, mode: number, overwrite: boolean): void {
  // Write a sibling temp file and rename, so an interrupted write never leaves half a key behind
  // and an existing key is only replaced when the caller asked for it.
  if (!overwrite && fs.existsSync(file)) {
    throw new PrepcastError("KEY_FILE_INVALID", `refusing to overwrite existing key file ${file}`, {
      where: file,
      hint: "move the existing key aside first, or pass overwrite explicitly",
    });
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fd = fs.openSync(tmp, "wx", mode);
  try {
    fs.fchmodSync(fd, mode); // the umask must not widen or narrow the mode
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  try {
    if (overwrite) fs.renameSync(tmp, file);
    else {
      // link() fails if the target appeared meanwhile: exclusive creation without a race.
      fs.linkSync(tmp, file);
      fs.unlinkSync(tmp);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    if ((e as NodeJS.ErrnoException).code === "EEXIST") {
      throw new PrepcastError("KEY_FILE_INVALID", `refusing to overwrite existing key file ${file}`, {
        where: file,
        hint: "move the existing key aside first, or pass overwrite explicitly",
      });
    }
    throw e;
  }
}

export interface WriteKeyOptions {
  overwrite?: boolean;
}

/** Writes a secret key file with mode 0600; refuses an existing file unless `overwrite`. */
export function writeSecretKeyFile(file: string, kp: Ed25519KeyPair, options: WriteKeyOptions = {}): KeyId {
  if (kp.secretKey.length !== SECRET_KEY_LENGTH || kp.publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new PrepcastError("KEY_FILE_INVALID", "key pair has wrong lengths (want 32-byte public, 64-byte secret)");
  }
  const keyid = keyIdOf(kp.publicKey);
  const doc = { type: "ed25519-secret", keyid, public: encodeBase64(kp.publicKey), secret: encodeBase64(kp.secretKey) };
  writeFileDurably(file, canonicalize(doc) + "\n", 0o600, options.overwrite === true);
  return keyid;
}

/** Writes a public key file (mode 0644); refuses an existing file unless `overwrite`. */
export function writePublicKeyFile(file: string, publicKey: Uint8Array, options: WriteKeyOptions = {}): KeyId {
  const keyid = keyIdOf(publicKey);
  const doc = { type: "ed25519-public", keyid, public: encodeBase64(publicKey) };
  writeFileDurably(file, canonicalize(doc) + "\n", 0o644, options.overwrite === true);
  return keyid;
}
