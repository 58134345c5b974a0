import { createHash } from "node:crypto";
import * as fs from "node:fs";

/** SHA-256 of bytes or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): Buffer {
  return createHash("sha256").update(data).digest();
}

/** Lower-case hex SHA-256, the form used in manifests, key ids and the audit log. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Lower-case hex SHA-256 of a file's bytes, read synchronously through one 1 MiB buffer. */
export function sha256FileHex(file: string): string {
  const hash = createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}
