import { createHash } from "node:crypto";

/** SHA-256 of bytes or of a string's UTF-8 encoding. */
export function sha256(data: Uint8Array | string): Buffer {
  return createHash("sha256").update(data).digest();
}

/** Lower-case hex SHA-256, the form used in manifests, key ids and the audit log. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}
