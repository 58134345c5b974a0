import { PrepcastError } from "@prepcast/protocol";

/**
 * A strict, bounded reader of the zip layout a PREP database zip has: local entries end to end
 * from byte 0, the central directory right after the last one, the end record right after it
 * and its comment up to the end of the file. Everything else is refused with a typed error:
 *
 *   ZIP_INVALID      truncated, a signature missing, local and central headers that disagree,
 *                    entries that overlap, an end record whose counts disagree, a declared size
 *                    deflate cannot reach (`reason` in the error's details says which)
 *   ZIP_UNSUPPORTED  zip64, encryption, data descriptors (sizes after the data), multi-disk,
 *                    methods other than stored (0) and deflate (8), gaps between entries
 *   TOO_LARGE        an entry or the whole zip declares more plain bytes than the limits allow
 *
 * Every offset and length read from the zip is checked against the buffer before use. Nothing
 * here inflates; the caller inflates each entry bounded by the size parsed here.
 */

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
export const SIG_END = 0x06054b50;
export const SIG_ZIP64_END = 0x06064b50;
export const SIG_ZIP64_LOCATOR = 0x07064b50;
export const LOCAL_HEADER = 30;
export const CENTRAL_HEADER = 46;
export const END_RECORD = 22;
export const METHOD_STORED = 0;
export const METHOD_DEFLATE = 8;
/** Deflate cannot expand data more than 1032:1 (a 258-byte match in about 2 bits); a larger declared size is a lie. */
export const DEFLATE_MAX_RATIO = 1032;

const FLAG_ENCRYPTED = 0x0001;
const FLAG_DATA_DESCRIPTOR = 0x0008;
const FLAG_STRONG_ENCRYPTION = 0x0040;
const FLAG_MASKED_HEADER = 0x2000;
const ZIP64_EXTRA = 0x0001;

export interface ZipLimits {
  /** Entries at most (a zip without zip64 holds at most 65 535). */
  maxEntries: number;
  /** Declared plain size of one entry at most. */
  maxEntryBytes: number;
  /** Declared plain sizes of all entries together at most. */
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 4096, maxEntryBytes: 256 << 20, maxTotalBytes: 1 << 30 };

export interface ZipEntry {
  /** The entry's name, as raw bytes read as latin1 (for messages only; never used as a path). */
  name: string;
  method: number;
  flags: number;
  crc32: number;
  /** Where its local header starts. */
  localOffset: number;
  /** Its (compressed) data: [dataStart, dataStart + compressedSize). */
  dataStart: number;
  compressedSize: number;
  /** Declared plain size. */
  size: number;
}

export interface ZipLayout {
  /** In file order. */
  entries: ZipEntry[];
  centralStart: number;
  endStart: number;
}

type ZipCode = "ZIP_INVALID" | "ZIP_UNSUPPORTED" | "TOO_LARGE";

const HINTS: Record<ZipCode, string> = {
  ZIP_INVALID: "the zip is damaged or forged; it travels as a plain delta, and unzip tools may misread it",
  ZIP_UNSUPPORTED: "nothing is wrong with the zip; the zip-aware codec sends it as a plain delta instead",
  TOO_LARGE: "the zip declares more data than the limits allow (a zip bomb?); it travels as a plain delta",
};

export function zipError(code: ZipCode, reason: string, message: string, where: string, offset?: number): PrepcastError {
  const details: Record<string, unknown> = { reason };
  if (offset !== undefined) details.offset = offset;
  return new PrepcastError(code, `${where}: ${message}`, { where, hint: HINTS[code], details });
}

/** Reads u16/u32 at `at`, refusing to read past the end. */
class Reader {
  constructor(
    readonly buf: Buffer,
    readonly where: string,
  ) {}
  need(at: number, length: number, what: string): void {
    if (at < 0 || length < 0 || at + length > this.buf.length)
      throw zipError("ZIP_INVALID", "truncated", `${what} at byte ${at} runs past the end of the zip (${this.buf.length} bytes)`, this.where, at);
  }
  u16(at: number): number {
    return this.buf.readUInt16LE(at);
  }
  u32(at: number): number {
    return this.buf.readUInt32LE(at);
  }
}

function findEnd(r: Reader): number {
  const { buf, where } = r;
  if (buf.length < END_RECORD) throw zipError("ZIP_INVALID", "truncated", `${buf.length} bytes is too short for a zip end record`, where, 0);
  // The end record is the last thing in the file: its comment length must reach exactly the end.
  const lowest = Math.max(0, buf.length - END_RECORD - 0xffff);
  for (let at = buf.length - END_RECORD; at >= lowest; at--) {
    if (r.u32(at) === SIG_END && at + END_RECORD + r.u16(at + 20) === buf.length) return at;
  }
  throw zipError("ZIP_INVALID", "no-end-record", "no end of central directory record ends the file", where);
}

function checkFlagsAndMethod(r: Reader, flags: number, method: number, name: string, at: number): void {
  const what = `entry "${name}" (header at byte ${at})`;
  if (flags & (FLAG_ENCRYPTED | FLAG_STRONG_ENCRYPTION | FLAG_MASKED_HEADER))
    throw zipError("ZIP_UNSUPPORTED", "encrypted", `${what} is encrypted`, r.where, at);
  if (flags & FLAG_DATA_DESCRIPTOR)
    throw zipError("ZIP_UNSUPPORTED", "data-descriptor", `${what} puts its sizes in a data descriptor after the data`, r.where, at);
  if (method !== METHOD_STORED && method !== METHOD_DEFLATE)
    throw zipError("ZIP_UNSUPPORTED", "method", `${what} uses compression method ${method} (only 0 stored and 8 deflate)`, r.where, at);
}

function checkNoZip64Extra(r: Reader, at: number, length: number, name: string): void {
  let p = at;
  const end = at + length;
  while (p + 4 <= end) {
    const id = r.u16(p);
    const size = r.u16(p + 2);
    if (id === ZIP64_EXTRA) throw zipError("ZIP_UNSUPPORTED", "zip64", `entry "${name}" carries a zip64 extra field`, r.where, p);
    p += 4 + size;
  }
}

/** Parses the layout of `buf` (a whole zip file). `where` names it in errors. */
export function parseZip(buf: Buffer, where: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): ZipLayout {
  const r = new Reader(buf, where);
  const endStart = findEnd(r);
  if (endStart >= 20 && r.u32(endStart - 20) === SIG_ZIP64_LOCATOR)
    throw zipError("ZIP_UNSUPPORTED", "zip64", "the zip has a zip64 end record locator", where, endStart - 20);
  const disk = r.u16(endStart + 4);
  const cdDisk = r.u16(endStart + 6);
  const onDisk = r.u16(endStart + 8);
  const count = r.u16(endStart + 10);
  const centralSize = r.u32(endStart + 12);
  const centralStart = r.u32(endStart + 16);
  if (count === 0xffff || centralSize === 0xffffffff || centralStart === 0xffffffff)
    throw zipError("ZIP_UNSUPPORTED", "zip64", "the end record defers to a zip64 record", where, endStart);
  if (disk !== 0 || cdDisk !== 0 || onDisk !== count) throw zipError("ZIP_UNSUPPORTED", "multi-disk", "the zip spans several disks", where, endStart);
  if (count > limits.maxEntries)
    throw zipError("TOO_LARGE", "entries", `the zip declares ${count} entries, more than the limit of ${limits.maxEntries}`, where, endStart);
  if (centralStart + centralSize !== endStart)
    throw zipError(
      "ZIP_INVALID",
      "central-directory",
      `the central directory (${centralSize} bytes at ${centralStart}) does not end where the end record starts (${endStart})`,
      where,
      endStart,
    );

  const entries: ZipEntry[] = [];
  let total = 0;
  let p = centralStart;
  for (let i = 0; i < count; i++) {
    r.need(p, CENTRAL_HEADER, `central header ${i}`);
    if (r.u32(p) !== SIG_CENTRAL || p + CENTRAL_HEADER > endStart)
      throw zipError("ZIP_INVALID", "central-directory", `central header ${i} at byte ${p} has no central header signature`, where, p);
    const flags = r.u16(p + 8);
    const method = r.u16(p + 10);
    const crc32 = r.u32(p + 16);
    const compressedSize = r.u32(p + 20);
    const size = r.u32(p + 24);
    const nameLength = r.u16(p + 28);
    const extraLength = r.u16(p + 30);
    const commentLength = r.u16(p + 32);
    const diskStart = r.u16(p + 34);
    const localOffset = r.u32(p + 42);
    const next = p + CENTRAL_HEADER + nameLength + extraLength + commentLength;
    if (next > endStart) throw zipError("ZIP_INVALID", "truncated", `central header ${i} at byte ${p} runs into the end record`, where, p);
    const nameBytes = buf.subarray(p + CENTRAL_HEADER, p + CENTRAL_HEADER + nameLength);
    const name = nameBytes.toString("latin1");
    if (compressedSize === 0xffffffff || size === 0xffffffff || localOffset === 0xffffffff || diskStart === 0xffff)
      throw zipError("ZIP_UNSUPPORTED", "zip64", `entry "${name}" defers its sizes or offset to zip64`, where, p);
    checkNoZip64Extra(r, p + CENTRAL_HEADER + nameLength, extraLength, name);
    checkFlagsAndMethod(r, flags, method, name, p);
    if (method === METHOD_STORED && compressedSize !== size)
      throw zipError("ZIP_INVALID", "stored-size", `stored entry "${name}" declares ${compressedSize} stored and ${size} plain bytes`, where, p);
    if (size > limits.maxEntryBytes)
      throw zipError("TOO_LARGE", "entry-size", `entry "${name}" declares ${size} plain bytes, more than the limit of ${limits.maxEntryBytes}`, where, p);
    if (method === METHOD_DEFLATE && (size > compressedSize * DEFLATE_MAX_RATIO || (size > 0 && compressedSize < 2)))
      throw zipError(
        "ZIP_INVALID",
        "lying-size",
        `entry "${name}" declares ${size} plain bytes from ${compressedSize} deflated bytes: deflate cannot do that`,
        where,
        p,
      );
    total += size;
    if (total > limits.maxTotalBytes)
      throw zipError("TOO_LARGE", "total-size", `the zip's entries declare more than ${limits.maxTotalBytes} plain bytes together`, where, p);
    entries.push({ name, method, flags, crc32, localOffset, dataStart: -1, compressedSize, size });
    readLocal(r, entries[i]!, nameBytes, p, r.u16(p + 6), r.u16(p + 12), r.u16(p + 14), centralStart);
    p = next;
  }
  if (p !== endStart) throw zipError("ZIP_INVALID", "central-directory", `${endStart - p} bytes after the last central header`, where, p);

  // Local entries end to end from byte 0 up to the central directory, in some order: no gap, no overlap.
  const ordered = [...entries].sort((a, b) => a.localOffset - b.localOffset);
  let at = 0;
  for (const e of ordered) {
    if (e.localOffset < at)
      throw zipError("ZIP_INVALID", "overlap", `entry "${e.name}" at byte ${e.localOffset} overlaps the entry before it`, where, e.localOffset);
    if (e.localOffset > at) throw zipError("ZIP_UNSUPPORTED", "gap", `${e.localOffset - at} bytes at ${at} belong to no entry (before "${e.name}")`, where, at);
    at = e.dataStart + e.compressedSize;
  }
  if (at !== centralStart)
    throw zipError(
      at > centralStart ? "ZIP_INVALID" : "ZIP_UNSUPPORTED",
      at > centralStart ? "overlap" : "gap",
      `the last entry's data ends at ${at}, the central directory starts at ${centralStart}`,
      where,
      Math.min(at, centralStart),
    );
  return { entries: ordered, centralStart, endStart };
}

/** Checks entry `e`'s local header against its central header and sets its data range. */
function readLocal(r: Reader, e: ZipEntry, nameBytes: Buffer, central: number, versionNeeded: number, time: number, date: number, limit: number): void {
  const at = e.localOffset;
  const what = `entry "${e.name}"`;
  if (at + LOCAL_HEADER > limit)
    throw zipError("ZIP_INVALID", "truncated", `${what}'s local header at byte ${at} runs into the central directory`, r.where, at);
  r.need(at, LOCAL_HEADER, `${what}'s local header`);
  if (r.u32(at) !== SIG_LOCAL) throw zipError("ZIP_INVALID", "local-header", `${what}: no local header signature at byte ${at}`, r.where, at);
  const nameLength = r.u16(at + 26);
  const extraLength = r.u16(at + 28);
  const mismatch = (field: string) =>
    zipError("ZIP_INVALID", "header-mismatch", `${what}: its local header (byte ${at}) and central header (byte ${central}) disagree on ${field}`, r.where, at);
  if (r.u16(at + 4) !== versionNeeded) throw mismatch("the version needed");
  if (r.u16(at + 6) !== e.flags) throw mismatch("the flags");
  if (r.u16(at + 8) !== e.method) throw mismatch("the method");
  if (r.u16(at + 10) !== time || r.u16(at + 12) !== date) throw mismatch("the time");
  if (r.u32(at + 14) !== e.crc32) throw mismatch("the CRC-32");
  if (r.u32(at + 18) !== e.compressedSize || r.u32(at + 22) !== e.size) throw mismatch("the sizes");
  if (nameLength !== nameBytes.length || !r.buf.subarray(at + LOCAL_HEADER, at + LOCAL_HEADER + nameLength).equals(nameBytes)) throw mismatch("the name");
  e.dataStart = at + LOCAL_HEADER + nameLength + extraLength;
  if (e.dataStart + e.compressedSize > limit)
    throw zipError("ZIP_INVALID", "truncated", `${what}'s data (${e.compressedSize} bytes at ${e.dataStart}) runs into the central directory`, r.where, at);
  checkNoZip64Extra(r, at + LOCAL_HEADER + nameLength, extraLength, e.name);
}
