import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { RELEASE_SIG, RELEASE_SUMS, keyIdOf, readReleasePublicKey, releaseKeyPem, signRelease, verifyRelease, writePublicKeyFile } from "../index";
import { OTHER_SIGNER, SIGNER, errorOf, tempDir as makeTempDir } from "./helpers";

const made: string[] = [];
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const d = makeTempDir(prefix);
  made.push(d);
  return d;
}

const signer = { ...SIGNER, keyid: keyIdOf(SIGNER.publicKey) };
const other = { ...OTHER_SIGNER, keyid: keyIdOf(OTHER_SIGNER.publicKey) };

function release(): string {
  const dir = tempDir("prepcast-release-");
  fs.writeFileSync(path.join(dir, "prepcast-receiver-1.0.0.tgz"), "receiver tarball");
  fs.writeFileSync(path.join(dir, "prepcast-publisher-1.0.0.tgz"), "publisher tarball");
  signRelease(dir, ["prepcast-receiver-1.0.0.tgz", "prepcast-publisher-1.0.0.tgz"], signer);
  return dir;
}

describe("signed releases (SHA256SUMS + SHA256SUMS.sig)", () => {
  it("writes sha256sum-compatible sums, sorted, and verifies them with the release key", () => {
    const dir = release();
    const sums = fs.readFileSync(path.join(dir, RELEASE_SUMS), "utf8");
    expect(sums).toMatch(/^[0-9a-f]{64} {2}prepcast-publisher-1\.0\.0\.tgz\n[0-9a-f]{64} {2}prepcast-receiver-1\.0\.0\.tgz\n$/);
    const check = spawnSync("sha256sum", ["-c", RELEASE_SUMS], { cwd: dir, encoding: "utf8" });
    expect(check.status).toBe(0);
    const r = verifyRelease(dir, signer);
    expect(r.files.map((f) => f.name)).toEqual(["prepcast-publisher-1.0.0.tgz", "prepcast-receiver-1.0.0.tgz"]);
    expect(r.unlisted).toEqual([]);
  });

  it("refuses another key, an edited SHA256SUMS and a swapped file, each with its code", () => {
    const dir = release();
    expect(errorOf(() => verifyRelease(dir, other))).toMatchObject({ code: "SIGNATURE_INVALID", where: path.join(dir, RELEASE_SIG) });
    fs.appendFileSync(path.join(dir, "prepcast-receiver-1.0.0.tgz"), "!");
    expect(errorOf(() => verifyRelease(dir, signer))).toMatchObject({ code: "HASH_MISMATCH", where: path.join(dir, "prepcast-receiver-1.0.0.tgz") });
    const sums = fs.readFileSync(path.join(dir, RELEASE_SUMS), "utf8");
    fs.writeFileSync(
      path.join(dir, RELEASE_SUMS),
      sums.replace(/^[0-9a-f]/, (c) => (c === "0" ? "1" : "0")),
    );
    expect(errorOf(() => verifyRelease(dir, signer)).code).toBe("SIGNATURE_INVALID");
  });

  it("names a missing file, a missing signature, and lists files the release does not cover", () => {
    const dir = release();
    fs.writeFileSync(path.join(dir, "notes.txt"), "not released");
    expect(verifyRelease(dir, signer).unlisted).toEqual(["notes.txt"]);
    fs.rmSync(path.join(dir, "prepcast-publisher-1.0.0.tgz"));
    // a difusor keeps only the receiver's files: the rest is reported absent, not an error...
    expect(verifyRelease(dir, signer)).toMatchObject({ files: [{ name: "prepcast-receiver-1.0.0.tgz" }], absent: ["prepcast-publisher-1.0.0.tgz"] });
    // ...unless the whole release is required (the OPLE checking it before handing it out)
    expect(errorOf(() => verifyRelease(dir, signer, { requireAll: true }))).toMatchObject({
      code: "RELEASE_INVALID",
      message: expect.stringContaining("prepcast-publisher-1.0.0.tgz is listed"),
    });
    fs.rmSync(path.join(dir, "prepcast-receiver-1.0.0.tgz"));
    expect(errorOf(() => verifyRelease(dir, signer))).toMatchObject({ code: "RELEASE_INVALID", message: expect.stringContaining("none of the files") });
    fs.rmSync(path.join(dir, RELEASE_SIG));
    expect(errorOf(() => verifyRelease(dir, signer))).toMatchObject({ code: "RELEASE_INVALID", where: path.join(dir, RELEASE_SIG) });
  });

  it("refuses names that could escape the directory, before and after signing", () => {
    const dir = tempDir("prepcast-release-");
    expect(errorOf(() => signRelease(dir, ["../x"], signer)).code).toBe("RELEASE_INVALID");
    fs.writeFileSync(path.join(dir, "a"), "a");
    signRelease(dir, ["a"], signer);
    // a validly signed SHA256SUMS naming a path outside is still refused
    const bad = Buffer.from(`${"0".repeat(64)}  ../../etc/passwd\n`);
    fs.writeFileSync(path.join(dir, RELEASE_SUMS), bad);
    const { signDocument, encodeSigFile } = jest.requireActual("../index");
    fs.writeFileSync(path.join(dir, RELEASE_SIG), encodeSigFile(signDocument("release", bad, signer.secretKey, signer.keyid)));
    expect(errorOf(() => verifyRelease(dir, signer))).toMatchObject({ code: "RELEASE_INVALID", message: expect.stringContaining("line 1") });
  });

  it("reads the release key as a .pub file or as PEM, and OpenSSL verifies the same signature", () => {
    const dir = release();
    const keys = tempDir("prepcast-release-key-");
    writePublicKeyFile(path.join(keys, "release.pub"), signer.publicKey);
    fs.writeFileSync(path.join(keys, "release.pem"), releaseKeyPem(signer.publicKey));
    expect(readReleasePublicKey(path.join(keys, "release.pub")).keyid).toBe(signer.keyid);
    expect(readReleasePublicKey(path.join(keys, "release.pem")).keyid).toBe(signer.keyid);
    if (spawnSync("openssl", ["version"]).status !== 0) return console.warn("openssl not installed: the OpenSSL check of the release signature was skipped");
    // the commands docs/operations/release.md gives difusores who have no PREPcast yet
    const script = [
      "set -e",
      `sed -n 's/.*"sig":"\\([^"]*\\)".*/\\1/p' ${RELEASE_SIG} | base64 -d > sig.bin`,
      `printf 'prepcast/v1/release\\n' | cat - ${RELEASE_SUMS} > signed.bin`,
      `openssl pkeyutl -verify -pubin -inkey ${path.join(keys, "release.pem")} -rawin -in signed.bin -sigfile sig.bin`,
    ].join("\n");
    const ok = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    expect(ok.stdout + ok.stderr).toContain("Signature Verified Successfully");
    fs.appendFileSync(path.join(dir, RELEASE_SUMS), " ");
    const bad = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" });
    expect(bad.status).not.toBe(0);
  });
});
