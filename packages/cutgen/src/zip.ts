// A minimal zip writer and reader: enough to publish the PREP database as the OPLEs do
// (`PREP_2024.zip`) and to read a real PREP zip back, deflate via node:zlib.
import { readFile, stat } from "node:fs/promises";
import { promisify } from "node:util";
import * as zlib from "node:zlib";
import { PrepcastError } from "@prepcast/protocol";

const deflateRaw = promisify(zlib.deflateRaw);

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
const MAX_32 = 0xffffffff;

let crcTable: Uint32Array | undefined;
function crc32Fallback(data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** CRC-32 (IEEE), as zip stores it. zlib.crc32 exists from Node 20.15; older 20.x use the table. */
export function crc32(data: Uint8Array): number {
  return typeof zlib.crc32 === "function" ? zlib.crc32(data) >>> 0 : crc32Fallback(data);
}

export interface ZipInputEntry {
  name: string;
  data: Buffer;
}

/** MS-DOS date and time fields for a wall-clock time (zip has no time zone). */
export function dosDateTime(parts: { year: number; month: number; day: number; hour: number; minute: number; second: number }): { date: number; time: number } {
  return {
    date: ((parts.year - 1980) << 9) | (parts.month << 5) | parts.day,
    time: (parts.hour << 11) | (parts.minute << 5) | Math.floor(parts.second / 2),
  };
}

export interface CompressedZipEntry {
  name: string;
  crc32: number;
  size: number;
  body: Buffer;
}

/**
 * How a zip's entries are deflated: "node", node:zlib at level 6 (Chromium's zlib: no zip-aware
 * codec can rebuild it); "libzip", stock zlib at level 9, memLevel 9 as PHP's ZipArchive (libzip)
 * writes it, the way the OPLE's 2019 zip was made (docs/benchmarks.md, "The real data's zip"),
 * through pako, the same pinned version as the delta-zip@1 codec.
 */
export type ZipDeflate = "node" | "libzip";

interface Pako {
  deflateRaw(data: Uint8Array, options: { level: number; memLevel: number; windowBits: number; strategy: number }): Uint8Array;
}

/**
 * Deflates one entry ("node": on libuv's thread pool, so the CSV of one election compresses
 * while the next one is being generated), and only the compressed bytes need to stay in memory.
 */
export async function compressZipEntry(entry: ZipInputEntry, deflate: ZipDeflate = "node"): Promise<CompressedZipEntry> {
  if (entry.data.length >= MAX_32) throw new RangeError(`zip entry ${entry.name} needs zip64, which this writer does not produce`);
  const crc = crc32(entry.data);
  let body: Buffer;
  if (deflate === "libzip") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const out = (require("pako") as Pako).deflateRaw(entry.data, { level: 9, memLevel: 9, windowBits: 15, strategy: 0 });
    body = Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  } else body = await deflateRaw(entry.data, { level: 6 });
  return { name: entry.name, crc32: crc, size: entry.data.length, body };
}

/** Lays out compressed entries as a zip file: no extra fields, UTF-8 names, no zip64. */
export function assembleZip(entries: CompressedZipEntry[], when: { date: number; time: number }): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const { body, crc32: crc } = entry;
    const name = Buffer.from(entry.name, "utf8");
    if (body.length >= MAX_32) throw new RangeError(`zip entry ${entry.name} needs zip64, which this writer does not produce`);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(20, 4); // version needed: 2.0 (deflate)
    local.writeUInt16LE(0x0800, 6); // flags: names are UTF-8
    local.writeUInt16LE(METHOD_DEFLATE, 8);
    local.writeUInt16LE(when.time, 10);
    local.writeUInt16LE(when.date, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(name.length, 26);
    const cen = Buffer.alloc(46);
    cen.writeUInt32LE(CENTRAL_HEADER, 0);
    cen.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    cen.writeUInt16LE(20, 6);
    cen.writeUInt16LE(0x0800, 8);
    cen.writeUInt16LE(METHOD_DEFLATE, 10);
    cen.writeUInt16LE(when.time, 12);
    cen.writeUInt16LE(when.date, 14);
    cen.writeUInt32LE(crc, 16);
    cen.writeUInt32LE(body.length, 20);
    cen.writeUInt32LE(entry.size, 24);
    cen.writeUInt16LE(name.length, 28);
    cen.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: regular file, rw-r--r--
    cen.writeUInt32LE(offset, 42);
    parts.push(local, name, body);
    central.push(cen, name);
    offset += local.length + name.length + body.length;
  }
  const centralBuf = Buffer.concat(central);
  if (entries.length > 0xffff || offset >= MAX_32) throw new RangeError("zip needs zip64, which this writer does not produce");
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, centralBuf, end]);
}

/** A whole zip of the entries, in order (deflate, entries compressed concurrently). */
export async function buildZip(entries: ZipInputEntry[], when: { date: number; time: number }): Promise<Buffer> {
  return assembleZip(await Promise.all(entries.map((e) => compressZipEntry(e))), when);
}

export interface ZipEntry {
  name: string;
  /** The raw name bytes (zips from Windows tools are often CP437/Latin-1, not UTF-8). */
  rawName: Buffer;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Offset of the local header. */
  offset: number;
}

export interface ZipReadLimits {
  /** Largest zip file accepted (default 512 MiB). */
  maxZipBytes?: number;
  /** Largest uncompressed entry accepted (default 1 GiB). */
  maxEntryBytes?: number;
}

function invalid(where: string, message: string, hint = "Check that the file is a complete, unencrypted zip archive (not zip64)."): PrepcastError {
  return new PrepcastError("PACKAGE_INVALID", `${where}: ${message}`, { where, hint });
}

/**
 * An in-memory zip archive read through its central directory, with every offset and length
 * bounds-checked against the buffer before use; entries inflate lazily and are CRC-checked.
 */
export class ZipArchive {
  readonly entries: ZipEntry[];

  private constructor(
    private readonly buf: Buffer,
    private readonly where: string,
    private readonly maxEntryBytes: number,
  ) {
    this.entries = this.readCentralDirectory();
  }

  static fromBuffer(buf: Buffer, where = "zip", limits: ZipReadLimits = {}): ZipArchive {
    return new ZipArchive(buf, where, limits.maxEntryBytes ?? 1 << 30);
  }

  static async open(path: string, limits: ZipReadLimits = {}): Promise<ZipArchive> {
    const maxZip = limits.maxZipBytes ?? 512 * 1024 * 1024;
    const info = await stat(path);
    if (!info.isFile()) throw invalid(path, "not a regular file");
    if (info.size > maxZip) throw new PrepcastError("TOO_LARGE", `${path}: zip is ${info.size} bytes, more than the ${maxZip} allowed`, { where: path });
    return ZipArchive.fromBuffer(await readFile(path), path, limits);
  }

  /** The entry with this exact name (compared as UTF-8 / Latin-1 decoded text), or undefined. */
  find(name: string): ZipEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** The uncompressed bytes of an entry, verified against its size and CRC-32. */
  read(entry: ZipEntry): Buffer {
    const where = `${this.where}:${entry.name}`;
    const b = this.buf;
    if (entry.offset + 30 > b.length) throw invalid(where, "local header lies outside the file");
    if (b.readUInt32LE(entry.offset) !== LOCAL_HEADER) throw invalid(where, `no local header signature at offset ${entry.offset}`);
    const nameLen = b.readUInt16LE(entry.offset + 26);
    const extraLen = b.readUInt16LE(entry.offset + 28);
    const start = entry.offset + 30 + nameLen + extraLen;
    const end = start + entry.compressedSize;
    if (end > b.length) throw invalid(where, `compressed data (${entry.compressedSize} bytes at ${start}) runs past the end of the file`);
    const body = b.subarray(start, end);
    let data: Buffer;
    if (entry.method === METHOD_STORED) {
      data = Buffer.from(body);
    } else if (entry.method === METHOD_DEFLATE) {
      try {
        // One extra byte of room lets an entry that inflates to more than its declared size be caught.
        data = zlib.inflateRawSync(body, { maxOutputLength: entry.size + 1 });
      } catch (err) {
        throw invalid(where, `deflate stream is corrupt or larger than declared (${(err as Error).message})`);
      }
    } else {
      throw invalid(where, `compression method ${entry.method} is not supported (only stored and deflate)`);
    }
    if (data.length !== entry.size) throw invalid(where, `inflated to ${data.length} bytes, the directory says ${entry.size}`);
    const crc = crc32(data);
    if (crc !== entry.crc32) throw invalid(where, `CRC-32 ${crc.toString(16)} does not match the directory's ${entry.crc32.toString(16)}`);
    return data;
  }

  private readCentralDirectory(): ZipEntry[] {
    const b = this.buf;
    const where = this.where;
    if (b.length < 22) throw invalid(where, `only ${b.length} bytes, too short for a zip`);
    // The end record sits in the last 22 + 65535 (maximum comment) bytes.
    let eocd = -1;
    for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 0xffff); i--) {
      if (b.readUInt32LE(i) === END_OF_CENTRAL && i + 22 + b.readUInt16LE(i + 20) === b.length) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw invalid(where, "no end-of-central-directory record");
    const count = b.readUInt16LE(eocd + 10);
    const cdSize = b.readUInt32LE(eocd + 12);
    const cdOffset = b.readUInt32LE(eocd + 16);
    if (b.readUInt16LE(eocd + 4) !== 0 || b.readUInt16LE(eocd + 6) !== 0 || b.readUInt16LE(eocd + 8) !== count)
      throw invalid(where, "multi-disk archives are not supported");
    if (cdOffset === MAX_32 || cdSize === MAX_32 || count === 0xffff) throw invalid(where, "zip64 archives are not supported");
    if (cdOffset + cdSize > eocd) throw invalid(where, `central directory (${cdSize} bytes at ${cdOffset}) overlaps the end record or the end of the file`);
    const entries: ZipEntry[] = [];
    let p = cdOffset;
    const cdEnd = cdOffset + cdSize;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdEnd) throw invalid(where, `central directory entry ${i} is truncated`);
      if (b.readUInt32LE(p) !== CENTRAL_HEADER) throw invalid(where, `central directory entry ${i} has a bad signature`);
      const flags = b.readUInt16LE(p + 8);
      const method = b.readUInt16LE(p + 10);
      const crc = b.readUInt32LE(p + 16);
      const compressedSize = b.readUInt32LE(p + 20);
      const size = b.readUInt32LE(p + 24);
      const nameLen = b.readUInt16LE(p + 28);
      const extraLen = b.readUInt16LE(p + 30);
      const commentLen = b.readUInt16LE(p + 32);
      const offset = b.readUInt32LE(p + 42);
      const next = p + 46 + nameLen + extraLen + commentLen;
      if (next > cdEnd) throw invalid(where, `central directory entry ${i} runs past the directory`);
      const rawName = Buffer.from(b.subarray(p + 46, p + 46 + nameLen));
      const name = rawName.toString(flags & 0x0800 ? "utf8" : "latin1");
      const entryWhere = `${where}:${name}`;
      if (flags & 0x0001) throw invalid(entryWhere, "entry is encrypted");
      if (compressedSize === MAX_32 || size === MAX_32 || offset === MAX_32) throw invalid(entryWhere, "zip64 entries are not supported");
      if (size > this.maxEntryBytes)
        throw new PrepcastError("TOO_LARGE", `${entryWhere}: entry inflates to ${size} bytes, more than the ${this.maxEntryBytes} allowed`, {
          where: entryWhere,
        });
      if (offset >= cdOffset) throw invalid(entryWhere, `local header offset ${offset} is not before the central directory`);
      entries.push({ name, rawName, method, crc32: crc, compressedSize, size, offset });
      p = next;
    }
    return entries;
  }
}
