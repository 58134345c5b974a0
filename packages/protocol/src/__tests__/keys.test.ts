import * as fs from "node:fs";
import * as path from "node:path";
import {
  encodeBase64,
  generateKeyPair,
  inlinePublicKey,
  keyIdOf,
  readPublicKeyFile,
  readSecretKeyFile,
  sha256Hex,
  writePublicKeyFile,
  writeSecretKeyFile,
} from "../index";
import { SIGNER, codeOf, errorOf, seededKey, tempDir } from "./helpers";

describe("key files", () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("keyIdOf is the hex SHA-256 of the 32 public key bytes", () => {
    expect(keyIdOf(SIGNER.publicKey)).toBe(sha256Hex(SIGNER.publicKey));
    expect(codeOf(() => keyIdOf(new Uint8Array(31)))).toBe("SIGNATURE_MALFORMED");
  });

  it("writes a 0600 secret key file and reads it back", () => {
    const file = path.join(dir, "signing.key");
    const kp = generateKeyPair();
    const keyid = writeSecretKeyFile(file, kp);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    expect(json).toEqual({ type: "ed25519-secret", keyid, public: encodeBase64(kp.publicKey), secret: encodeBase64(kp.secretKey) });
    const back = readSecretKeyFile(file);
    expect(back.keyid).toBe(keyIdOf(kp.publicKey));
    expect(Buffer.from(back.secretKey).equals(Buffer.from(kp.secretKey))).toBe(true);
    expect(Buffer.from(back.publicKey).equals(Buffer.from(kp.publicKey))).toBe(true);
  });

  it("writes 0600 regardless of the umask", () => {
    const old = process.umask(0);
    try {
      writeSecretKeyFile(path.join(dir, "a.key"), SIGNER);
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(path.join(dir, "a.key")).mode & 0o777).toBe(0o600);
  });

  it("refuses to overwrite an existing key unless asked", () => {
    const file = path.join(dir, "root.key");
    writeSecretKeyFile(file, SIGNER);
    const before = fs.readFileSync(file);
    expect(codeOf(() => writeSecretKeyFile(file, seededKey(9)))).toBe("KEY_FILE_INVALID");
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    writeSecretKeyFile(file, seededKey(9), { overwrite: true });
    expect(readSecretKeyFile(file).keyid).toBe(seededKey(9).keyid);
    expect(fs.readdirSync(dir)).toEqual(["root.key"]); // no temp files left behind
  });

  it.each([0o644, 0o640, 0o604, 0o660, 0o606])("refuses a secret key file with mode %o (KEY_FILE_PERMISSIONS) and suggests chmod 600", (mode) => {
    const file = path.join(dir, "signing.key");
    writeSecretKeyFile(file, SIGNER);
    fs.chmodSync(file, mode);
    const e = errorOf(() => readSecretKeyFile(file));
    expect(e.code).toBe("KEY_FILE_PERMISSIONS");
    expect(e.hint).toBe(`run: chmod 600 ${file}`);
    expect(e.where).toBe(file);
  });

  it("reads public key files and refuses a secret key file given as public", () => {
    const pub = path.join(dir, "root.pub");
    writePublicKeyFile(pub, SIGNER.publicKey);
    expect(readPublicKeyFile(pub).keyid).toBe(SIGNER.keyid);
    expect(fs.statSync(pub).mode & 0o777).toBe(0o644);
    const sec = path.join(dir, "root.key");
    writeSecretKeyFile(sec, SIGNER);
    expect(errorOf(() => readPublicKeyFile(sec)).message).toMatch(/secret key file/);
  });

  const secretText = encodeBase64(SIGNER.secretKey);
  const good = { type: "ed25519-secret", keyid: SIGNER.keyid, public: encodeBase64(SIGNER.publicKey), secret: secretText };
  it.each([
    ["not JSON", `{"type":"ed25519-secret","secret":"${secretText}"`],
    ["an extra field", JSON.stringify({ ...good, note: "x" })],
    ["a wrong type", JSON.stringify({ ...good, type: "rsa" })],
    ["a short secret", JSON.stringify({ ...good, secret: encodeBase64(SIGNER.secretKey.subarray(0, 63)) })],
    ["a keyid of another key", JSON.stringify({ ...good, keyid: seededKey(7).keyid })],
    ["a public key that is not the secret's", JSON.stringify({ ...good, public: encodeBase64(seededKey(7).publicKey), keyid: seededKey(7).keyid })],
    ["base64 with whitespace", JSON.stringify({ ...good, secret: secretText.slice(0, 10) + " " + secretText.slice(10) })],
    [
      "a small-order public key",
      JSON.stringify({
        ...good,
        public: encodeBase64(Uint8Array.from([1, ...new Uint8Array(31)])),
        keyid: keyIdOf(Uint8Array.from([1, ...new Uint8Array(31)])),
      }),
    ],
  ])("refuses a secret key file with %s and never echoes the secret", (_label, text) => {
    const file = path.join(dir, "bad.key");
    fs.writeFileSync(file, text, { mode: 0o600 });
    const e = errorOf(() => readSecretKeyFile(file));
    expect(e.code).toBe("KEY_FILE_INVALID");
    expect(e.where).toBe(file);
    const shown = JSON.stringify({ m: e.message, h: e.hint });
    expect(shown).not.toContain(secretText.slice(0, 16));
    expect(shown).not.toContain(secretText.slice(10, 26));
  });

  it("refuses a missing file, a directory and a symbolic link", () => {
    expect(errorOf(() => readSecretKeyFile(path.join(dir, "nope.key"))).message).toMatch(/does not exist/);
    fs.mkdirSync(path.join(dir, "d.key"), { mode: 0o700 });
    expect(codeOf(() => readSecretKeyFile(path.join(dir, "d.key")))).toBe("KEY_FILE_INVALID");
    writeSecretKeyFile(path.join(dir, "real.key"), SIGNER);
    fs.symlinkSync(path.join(dir, "real.key"), path.join(dir, "link.key"));
    expect(errorOf(() => readSecretKeyFile(path.join(dir, "link.key"))).message).toMatch(/symbolic link/);
  });
});

describe("inlinePublicKey (a key written in a config instead of a .pub path)", () => {
  it("takes the canonical base64 of 32 bytes", () => {
    const { publicKey } = generateKeyPair();
    expect(Buffer.compare(inlinePublicKey(encodeBase64(publicKey))!, Buffer.from(publicKey))).toBe(0);
  });

  it.each([
    ["a path", "keys/receiver.pub"],
    ["31 bytes", Buffer.alloc(31, 7).toString("base64")],
    ["33 bytes", Buffer.alloc(33, 7).toString("base64")],
    ["non-canonical trailing bits", Buffer.alloc(32, 7).toString("base64").replace(/c=$/, "d=")],
    ["no padding", Buffer.alloc(32, 7).toString("base64").replace(/=$/, "")],
    ["surrounding whitespace", ` ${Buffer.alloc(32, 7).toString("base64")}`],
  ])("reads %s as not an inline key", (_what, value) => {
    expect(inlinePublicKey(value)).toBeUndefined();
  });
});
