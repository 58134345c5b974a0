// docs/extending.md, "A payload encoding": the toy encoding `gzip-example@1` (the `full` payload,
// §9.1, gzipped) as a third party would write it, outside both apps: a PayloadEncoder for the
// publisher, a PayloadApplier for the receiver. extending-apps.test.ts registers the pair on both
// apps; extending-encoding.test.ts runs the payload encoding compliance suite on it.
import * as fs from "node:fs";
import * as zlib from "node:zlib";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { applyFullPayload, PrepcastError } from "@prepcast/protocol";
import type { PayloadEncoder } from "@prepcast/publisher";
import type { PayloadApplier } from "@prepcast/receiver";

export const GZIP_EXAMPLE = "gzip-example@1";

/** Publisher side: the cut's files end to end (the `full` layout, §9.1), gzipped. */
export const gzipExample: PayloadEncoder = {
  encoding: GZIP_EXAMPLE,
  kind: "whole",
  async encode(target, _base, outFile) {
    const hash = createHash("sha256");
    let size = 0;
    async function* files() {
      for (let i = 0; i < target.files.length; i++) yield await target.read(i);
    }
    const gzip = zlib.createGzip({ level: 9 });
    gzip.on("data", (b: Buffer) => {
      hash.update(b);
      size += b.length;
    });
    await pipeline(Readable.from(files()), gzip, fs.createWriteStream(outFile));
    return { size, sha256: hash.digest("hex"), files: target.files.length };
  },
};

/**
 * Receiver side: inflate within the signed size (never more is allocated), refuse bytes after the
 * gzip data (zlib would ignore them), then the `full` applier checks every file against its
 * signed hash.
 */
export const applyGzipExample: PayloadApplier = async (req, stagingDir) => {
  const m = req.verified.manifest;
  const gz = fs.readFileSync(req.payloadPath);
  let full: Buffer;
  let consumed: number;
  try {
    const out = zlib.gunzipSync(gz, { maxOutputLength: Math.max(1, m.totalSize), info: true }) as unknown as { buffer: Buffer; engine: zlib.Gunzip };
    full = out.buffer;
    consumed = out.engine.bytesWritten;
  } catch (e) {
    throw new PrepcastError("PROTOCOL_ERROR", `${GZIP_EXAMPLE} payload does not inflate within the manifest's ${m.totalSize} bytes: ${(e as Error).message}`);
  }
  if (consumed !== gz.length) throw new PrepcastError("PROTOCOL_ERROR", `${GZIP_EXAMPLE} payload has ${gz.length - consumed} bytes after its gzip data`);
  if (full.length !== m.totalSize)
    throw new PrepcastError("TRUNCATED", `${GZIP_EXAMPLE} payload inflates to ${full.length} bytes, the manifest says ${m.totalSize}`);
  await applyFullPayload(stagingDir, m, Readable.from([full]));
};
