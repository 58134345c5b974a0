import { PrepcastError } from "@prepcast/protocol";

/**
 * `delta-zstd@1` and `full-zstd@1`: one binary stream per (target cut, base cut), records in
 * target-manifest order so a receiver can rebuild file by file while it reads.
 *
 *   header   "PCDZ" u8 version=1 u8 flags(bit0: has base)
 *            32 bytes target manifest SHA-256, 32 bytes base manifest SHA-256 (zeros: no base)
 *            u32be target file count, u32be base file count
 *   group*   u8 'G', varint first (must be the next uncovered target index), varint count,
 *            count × varint op  (0 = COPY: an object the receiver holds with the manifest's SHA-256,
 *                                1 = LITERAL, 2 + i = LITERAL whose dictionary part is base file i),
 *            u8 method (0 stored, 1 zstd), varint encoded length, encoded bytes
 *   end      u8 'E'
 *
 * A group's LITERAL files are concatenated in order; with method zstd that concatenation is one
 * zstd frame compressed with the concatenation of the referenced base files as a raw-content
 * dictionary (so a changed JSON costs only its differences, and small files share one frame).
 * Nothing in the stream is trusted: sizes come from the signed manifests, every index and length
 * is bounded before use, decompression writes into a buffer of exactly the manifest's size, and
 * every rebuilt file must hash to the manifest's SHA-256.
 */
export const ENCODING_DELTA_ZSTD = "delta-zstd@1";
export const ENCODING_FULL_ZSTD = "full-zstd@1";

export const MAGIC = Buffer.from("PCDZ", "ascii");
export const FORMAT_VERSION = 1;
export const HEADER_SIZE = 4 + 1 + 1 + 32 + 32 + 4 + 4;
export const TAG_GROUP = 0x47;
export const TAG_END = 0x45;
export const OP_COPY = 0;
export const OP_LITERAL = 1;
export const OP_LITERAL_REF = 2;
export const METHOD_STORED = 0;
export const METHOD_ZSTD = 1;

/** Literal bytes the encoder aims to put in one group: measured best ratio/speed (docs/benchmarks.md). */
export const DEFAULT_GROUP_BYTES = 1 << 20;
/** zstd level: level 12 on 1 MiB groups measured smallest per CPU second on veracruz cuts. */
export const DEFAULT_LEVEL = 12;
/** Upper bounds a receiver enforces on one zstd group (its memory use); larger files go stored. */
export const MAX_GROUP_LITERAL_BYTES = 64 << 20;
export const MAX_GROUP_DICT_BYTES = 64 << 20;
export const MAX_GROUP_FILES = 1 << 16;
/** A file above this travels alone; above MAX_GROUP_LITERAL_BYTES it travels stored (streamed). */
export const LARGE_FILE_BYTES = 16 << 20;

export function protocolError(message: string, where: string): PrepcastError {
  return new PrepcastError("PROTOCOL_ERROR", message, { where, hint: "the delta stream is damaged or forged; the publisher falls back to the full payload" });
}

export function writeVarint(out: number[], value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new PrepcastError("INTERNAL", `varint out of range: ${value}`);
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

export function encodeHeader(targetSha: string, baseSha: string | null, targetCount: number, baseCount: number): Buffer {
  const h = Buffer.alloc(HEADER_SIZE);
  MAGIC.copy(h, 0);
  h[4] = FORMAT_VERSION;
  h[5] = baseSha ? 1 : 0;
  Buffer.from(targetSha, "hex").copy(h, 6);
  if (baseSha) Buffer.from(baseSha, "hex").copy(h, 38);
  h.writeUInt32BE(targetCount, 70);
  h.writeUInt32BE(baseCount, 74);
  return h;
}

export interface DeltaHeader {
  targetSha256: string;
  baseSha256: string | null;
  targetCount: number;
  baseCount: number;
}

export function decodeHeader(h: Buffer, where: string): DeltaHeader {
  if (h.length !== HEADER_SIZE || !h.subarray(0, 4).equals(MAGIC)) throw protocolError("not a PREPcast delta stream (bad magic)", where);
  if (h[4] !== FORMAT_VERSION) throw protocolError(`delta format version ${h[4]} is not supported (expected ${FORMAT_VERSION})`, where);
  const flags = h[5]!;
  if (flags & ~1) throw protocolError(`unknown delta header flags ${flags}`, where);
  const base = h.subarray(38, 70);
  if (!(flags & 1) && base.some((b) => b !== 0)) throw protocolError("delta header names a base but its flag says none", where);
  return {
    targetSha256: h.subarray(6, 38).toString("hex"),
    baseSha256: flags & 1 ? base.toString("hex") : null,
    targetCount: h.readUInt32BE(70),
    baseCount: h.readUInt32BE(74),
  };
}
