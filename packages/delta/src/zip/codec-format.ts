import { PrepcastError, type ManifestFile } from "@prepcast/protocol";
import { protocolError, writeVarint } from "../format";
import { DEFAULT_ZIP_LIMITS, parseZip } from "./parse";
import { decodeZipRecipe, encodeZipRecipe } from "./recipe";
import { inflateBounded, rebuildZip, sha256Hex, type ZipSplit } from "./split";

/**
 * `delta-zip@1` (docs/protocol.md §9.4): a `delta-zstd@1` stream of the cut in which each zip
 * that rebuilds byte for byte is replaced by its *unpacked form*, preceded by the tables that say
 * which files were unpacked:
 *
 *   header (78 bytes)
 *     0  4  magic "PCZP"          4  1  version = 1          5  1  flags: bit 0 = has base
 *     6 32  target manifest SHA-256                         38 32  base manifest SHA-256 (zeros: none)
 *    70  4  u32be n: unpacked target files                  74  4  u32be m: unpacked base files
 *   n × 40  u32be target index (strictly increasing), u32be unpacked size, 32 bytes its SHA-256
 *   m × 40  u32be base index (strictly increasing), u32be plain size, 32 bytes its SHA-256
 *   then a delta-zstd@1 stream (§9.2), to the end of the payload, over the cuts with those
 *   files replaced: target file i by its unpacked form, base file j by its entries' plain
 *   contents concatenated in file order (the dictionary of the target zip at the same path).
 *
 * Unpacked form of a zip: varint recipe length, the zip recipe (recipe.ts), then every entry's
 * plain content in recipe order. The receiver rebuilds the zip from it with pinned pako and
 * verifies it against the signed manifest before the file counts.
 */
export const ENCODING_DELTA_ZIP = "delta-zip@1";
export const ZIP_MAGIC = Buffer.from("PCZP", "ascii");
export const ZIP_FORMAT_VERSION = 1;
export const ZIP_HEADER_SIZE = 78;
export const ZIP_TABLE_ROW = 40;
/** Files unpacked per cut, on either side, at most. */
export const MAX_UNPACKED_FILES = 4096;
/** One unpacked form (target) or plain concatenation (base) at most: the receiver holds it in memory. */
export const MAX_UNPACKED_BYTES = 64 << 20;
/** The base's plain concatenations together at most (the receiver holds them while it applies). */
export const MAX_BASE_PLAIN_BYTES = 64 << 20;

export interface UnpackedRow {
  index: number;
  size: number;
  sha256: string;
}

export interface ZipStreamHeader {
  targetSha256: string;
  baseSha256: string | null;
  target: UnpackedRow[];
  base: UnpackedRow[];
  /** Where the delta-zstd@1 stream starts. */
  streamOffset: number;
}

export function encodeZipStreamHeader(targetSha: string, baseSha: string | null, target: readonly UnpackedRow[], base: readonly UnpackedRow[]): Buffer {
  const h = Buffer.alloc(ZIP_HEADER_SIZE + ZIP_TABLE_ROW * (target.length + base.length));
  ZIP_MAGIC.copy(h, 0);
  h[4] = ZIP_FORMAT_VERSION;
  h[5] = baseSha ? 1 : 0;
  Buffer.from(targetSha, "hex").copy(h, 6);
  if (baseSha) Buffer.from(baseSha, "hex").copy(h, 38);
  h.writeUInt32BE(target.length, 70);
  h.writeUInt32BE(base.length, 74);
  let at = ZIP_HEADER_SIZE;
  for (const row of [...target, ...base]) {
    h.writeUInt32BE(row.index, at);
    h.writeUInt32BE(row.size, at + 4);
    Buffer.from(row.sha256, "hex").copy(h, at + 8);
    at += ZIP_TABLE_ROW;
  }
  return h;
}

function readRows(buf: Buffer, at: number, count: number, files: number, maxSize: number, side: string, where: string): UnpackedRow[] {
  const rows: UnpackedRow[] = [];
  let last = -1;
  for (let k = 0; k < count; k++, at += ZIP_TABLE_ROW) {
    const index = buf.readUInt32BE(at);
    const size = buf.readUInt32BE(at + 4);
    if (index <= last || index >= files) throw protocolError(`${side} unpacked file ${k} names file ${index} (after ${last}, of ${files})`, where);
    if (size > maxSize) throw protocolError(`${side} unpacked file ${index} declares ${size} bytes, more than ${maxSize}`, where);
    rows.push({ index, size, sha256: buf.subarray(at + 8, at + 40).toString("hex") });
    last = index;
  }
  return rows;
}

/**
 * Reads the header and tables from the first bytes of the stream (`head`, at least
 * ZIP_HEADER_SIZE, and the whole tables when the counts need them). Checks the manifests it
 * names and bounds every count and size before the caller allocates anything.
 */
export function decodeZipStreamHeader(
  head: Buffer,
  target: { manifestSha256: string; files: readonly ManifestFile[] },
  base: { manifestSha256: string; files: readonly ManifestFile[] } | null,
  where: string,
): ZipStreamHeader {
  if (head.length < ZIP_HEADER_SIZE)
    throw new PrepcastError("TRUNCATED", `${where}: ${head.length} bytes, shorter than the ${ZIP_HEADER_SIZE}-byte header`, { where });
  if (!head.subarray(0, 4).equals(ZIP_MAGIC)) throw protocolError("not a delta-zip@1 stream (bad magic)", where);
  if (head[4] !== ZIP_FORMAT_VERSION) throw protocolError(`delta-zip version ${head[4]} is not supported (expected ${ZIP_FORMAT_VERSION})`, where);
  const flags = head[5]!;
  if (flags & ~1) throw protocolError(`unknown delta-zip header flags ${flags}`, where);
  const targetSha256 = head.subarray(6, 38).toString("hex");
  const baseBytes = head.subarray(38, 70);
  const baseSha256 = flags & 1 ? baseBytes.toString("hex") : null;
  if (!(flags & 1) && baseBytes.some((b) => b !== 0)) throw protocolError("delta-zip header names a base but its flag says none", where);
  if (targetSha256 !== target.manifestSha256) throw protocolError(`delta-zip stream is for manifest ${targetSha256.slice(0, 12)}, not the offered one`, where);
  if (baseSha256 !== (base ? base.manifestSha256 : null))
    throw protocolError(`delta-zip stream is against base ${baseSha256?.slice(0, 12) ?? "none"}, not this one`, where);
  const n = head.readUInt32BE(70);
  const m = head.readUInt32BE(74);
  if (n > Math.min(MAX_UNPACKED_FILES, target.files.length) || m > Math.min(MAX_UNPACKED_FILES, base ? base.files.length : 0))
    throw protocolError(`delta-zip stream unpacks ${n} target and ${m} base files, beyond the limits`, where);
  const streamOffset = ZIP_HEADER_SIZE + ZIP_TABLE_ROW * (n + m);
  if (head.length < streamOffset)
    throw new PrepcastError("TRUNCATED", `${where}: the delta-zip tables end at ${streamOffset}, the stream at ${head.length}`, { where });
  const targetRows = readRows(head, ZIP_HEADER_SIZE, n, target.files.length, MAX_UNPACKED_BYTES, "target", where);
  const baseRows = readRows(head, ZIP_HEADER_SIZE + ZIP_TABLE_ROW * n, m, base ? base.files.length : 0, MAX_UNPACKED_BYTES, "base", where);
  if (baseRows.reduce((s, r) => s + r.size, 0) > MAX_BASE_PLAIN_BYTES)
    throw protocolError(`delta-zip base plain contents exceed ${MAX_BASE_PLAIN_BYTES} bytes`, where);
  return { targetSha256, baseSha256, target: targetRows, base: baseRows, streamOffset };
}

/** A zip's unpacked form: varint recipe length, recipe, plain contents. */
export function unpackedForm(split: ZipSplit): Buffer {
  const recipe = encodeZipRecipe(split.recipe);
  const head: number[] = [];
  writeVarint(head, recipe.length);
  return Buffer.concat([Buffer.from(head), recipe, ...split.plains]);
}

/** Rebuilds the zip `file` (signed) from its unpacked form; HASH_MISMATCH / SIZE_MISMATCH / PROTOCOL_ERROR when it does not give the signed bytes. */
export function zipFromUnpacked(unpacked: Buffer, file: ManifestFile, where: string): Buffer {
  let length = 0;
  let scale = 1;
  let at = 0;
  for (; ; at++) {
    if (at >= unpacked.length || at >= 7) throw protocolError("unpacked zip: bad recipe length", where);
    const b = unpacked[at]!;
    length += (b & 0x7f) * scale;
    scale *= 0x80;
    if ((b & 0x80) === 0) {
      if (at > 0 && b === 0) throw protocolError("unpacked zip: recipe length is not minimally encoded", where);
      break;
    }
  }
  at++;
  if (length > unpacked.length - at) throw protocolError(`unpacked zip: recipe of ${length} bytes in ${unpacked.length - at}`, where);
  const recipe = decodeZipRecipe(unpacked.subarray(at, at + length), file.size, unpacked.length, where);
  let from = at + length;
  const plains = recipe.entries.map((e) => {
    const p = unpacked.subarray(from, from + e.size);
    from += e.size;
    return p;
  });
  if (from !== unpacked.length) throw protocolError(`unpacked zip: ${unpacked.length} bytes, its recipe accounts for ${from}`, where);
  return rebuildZip(recipe, plains, file, where);
}

/** A zip's entries' plain contents, concatenated in file order: what the next cut's same zip is encoded against. Null when it does not unpack. */
export function zipPlains(zip: Buffer, maxBytes: number, where: string): Buffer | null {
  try {
    const layout = parseZip(zip, where, { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: maxBytes, maxTotalBytes: maxBytes });
    return Buffer.concat(
      layout.entries.map((e) =>
        e.method === 0
          ? zip.subarray(e.dataStart, e.dataStart + e.size)
          : inflateBounded(zip.subarray(e.dataStart, e.dataStart + e.compressedSize), e.size, e.name, where),
      ),
    );
  } catch (e) {
    if (e instanceof PrepcastError) return null;
    throw e;
  }
}

export { sha256Hex };
