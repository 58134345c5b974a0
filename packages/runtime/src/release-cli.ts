// The release commands both CLIs carry: `verify-release` (difusores and the OPLE check what they
// were handed before installing it) and, on the publisher, `release-key` (the OPLE's release
// signing key, kept offline like the root key).
import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import {
  PrepcastError,
  cliAction,
  formatBytes,
  generateKeyPair,
  readReleasePublicKey,
  releaseKeyPem,
  reportCliSuccess,
  verifyRelease,
  writePublicKeyFile,
  writeSecretKeyFile,
} from "@prepcast/protocol";

export function registerVerifyRelease(program: Command): void {
  program
    .command("verify-release")
    .description("check a PREPcast release directory: the OPLE's signature over SHA256SUMS, then every file's SHA-256; exit 0 only when all match")
    .argument("<DIR>", "directory holding SHA256SUMS, SHA256SUMS.sig and the release files")
    .requiredOption("--key <release.pub|release.pem>", "the OPLE's release public key (check its fingerprint with the OPLE)")
    .option("--all", "every file SHA256SUMS lists must be here (checking a whole release before handing it out)")
    .option("--json", "print the result as JSON")
    .action(
      cliAction((dir: string, opts: { key: string; all?: boolean; json?: boolean }) => {
        if (!fs.existsSync(opts.key)) {
          throw new PrepcastError("KEY_FILE_INVALID", `--key ${opts.key}: no such file`, {
            where: "--key",
            hint: "release.pem (or release.pub) is the OPLE's release key: get it from the OPLE with its fingerprint, then pass its path",
          });
        }
        const key = readReleasePublicKey(opts.key);
        const r = verifyRelease(dir, key, { requireAll: opts.all === true });
        reportCliSuccess(opts.json === true, { dir: path.resolve(dir), keyid: r.keyid, files: r.files, absent: r.absent, unlisted: r.unlisted }, [
          `valid release signed by ${r.keyid}`,
          ...r.files.map((f) => `  ok  ${f.name}  ${formatBytes(f.size)}  ${f.sha256.slice(0, 16)}…`),
          ...r.absent.map((n) => `  --  ${n}  (not in this directory, not checked)`),
          ...(r.unlisted.length ? [`not part of the release (not verified, do not install): ${r.unlisted.join(", ")}`] : []),
        ]);
      }),
    );
}

export function registerReleaseKey(program: Command): void {
  program
    .command("release-key")
    .description("create the OPLE's release signing key (release.key stays offline; publish release.pub/release.pem and the fingerprint)")
    .requiredOption("--dir <DIR>", "directory to write release.key, release.pub and release.pem into")
    .option("--json", "print the result as JSON")
    .action(
      cliAction((opts: { dir: string; json?: boolean }) => {
        fs.mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
        const kp = generateKeyPair();
        const keyid = writeSecretKeyFile(path.join(opts.dir, "release.key"), kp);
        writePublicKeyFile(path.join(opts.dir, "release.pub"), kp.publicKey);
        fs.writeFileSync(path.join(opts.dir, "release.pem"), releaseKeyPem(kp.publicKey), { flag: "wx", mode: 0o644 });
        reportCliSuccess(
          opts.json === true,
          { keyid, key: path.join(opts.dir, "release.key"), pub: path.join(opts.dir, "release.pub"), pem: path.join(opts.dir, "release.pem") },
          [
            `release key fingerprint (SHA-256 of the public key): ${keyid}`,
            `sign releases with: npm run release -- --key ${path.join(opts.dir, "release.key")}`,
            `publish ${path.join(opts.dir, "release.pub")} and ${path.join(opts.dir, "release.pem")} with the fingerprint above; keep release.key offline`,
          ],
        );
      }),
    );
}
