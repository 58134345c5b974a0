// Reading the root a verifier pins from disk: a `root.pub` (the implicit 1-of-1 root) or a
// `root.json` with its `root.sig` next to it (a root set, self-signed by its threshold). One reader
// for the receiver's config, every `--trust` flag and the publisher's keys directory.
import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError } from "../errors";
import { readBoundedFd } from "../untrusted";
import { readTrustedRootKey } from "./keys";
import { ROOT_FORMAT, verifySelfSignedRoot, type RootOfTrust } from "./root";

const MAX_ROOT_FILE_BYTES = 64 * 1024;

/** The root.sig that goes with a root.json: same directory, `.json` replaced by `.sig` (or `.sig` appended). */
export function rootSigPathFor(rootJson: string): string {
  return rootJson.endsWith(".json") ? `${rootJson.slice(0, -".json".length)}.sig` : `${rootJson}.sig`;
}

function readBounded(file: string, flag: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new PrepcastError(
      "KEY_FILE_INVALID",
      `${flag} ${file}: ${missing ? "no such file" : `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`}`,
      {
        where: flag,
        cause: e,
        hint: "root.pub (one root key), or root.json with root.sig beside it (a root set), is the OPLE's root: get it from the OPLE (and check its fingerprints with them by a second channel), then pass its path",
      },
    );
  }
  try {
    return readBoundedFd(
      fd,
      MAX_ROOT_FILE_BYTES,
      (problem, size) =>
        new PrepcastError(
          "KEY_FILE_INVALID",
          `${flag} ${file}: ${problem === "not-a-file" ? "is not a regular file" : `is ${size} bytes; a root file is under ${MAX_ROOT_FILE_BYTES}`}`,
          { where: flag },
        ),
    );
  } finally {
    fs.closeSync(fd);
  }
}

/** True when the bytes look like a root document (its format field), whatever else is wrong with them. */
function looksLikeRootDocument(bytes: Buffer): boolean {
  try {
    const v = JSON.parse(bytes.toString("utf8")) as unknown;
    return v !== null && typeof v === "object" && (v as { format?: unknown }).format === ROOT_FORMAT;
  } catch {
    return false;
  }
}

/**
 * The root named by `--trust FILE` or `trust.rootPublicKey`: a root.pub (returned as its 32 bytes,
 * the implicit 1-of-1 root, exactly as before root sets existed) or a root.json whose root.sig
 * carries the signatures of its own threshold.
 */
export function readTrustedRoot(file: string, flag = "--trust"): RootOfTrust {
  const bytes = readBounded(file, flag);
  if (!looksLikeRootDocument(bytes)) return readTrustedRootKey(file, flag).publicKey;
  const sigFile = rootSigPathFor(file);
  if (!fs.existsSync(sigFile)) {
    throw new PrepcastError("KEY_FILE_INVALID", `${flag} ${file}: a root.json needs its signatures in ${sigFile}, which does not exist`, {
      where: flag,
      hint: `copy ${path.basename(sigFile)} that the OPLE handed out together with ${path.basename(file)} into ${path.dirname(sigFile)}`,
    });
  }
  return verifySelfSignedRoot(bytes, readBounded(sigFile, flag), file, sigFile);
}
