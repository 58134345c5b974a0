import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { EventLoopTurns, PrepcastError, StagingDirs, VerifiedFileWriter, sitePathIn, toPrepcastError, type ManifestFile } from "@prepcast/protocol";
import type { CutContent } from "./content";
import {
  HEADER_SIZE,
  MAX_GROUP_DICT_BYTES,
  MAX_GROUP_FILES,
  MAX_GROUP_LITERAL_BYTES,
  METHOD_STORED,
  METHOD_ZSTD,
  OP_COPY,
  OP_LITERAL,
  OP_LITERAL_REF,
  TAG_END,
  TAG_GROUP,
  decodeHeader,
  protocolError,
} from "./format";
import { compressBound, decompressExactly } from "./zstd";

/** Reads a stream file front to back, never past its end. */
class StreamReader {
  private buf = Buffer.alloc(0);
  private pos = 0;
  private fileOffset: number;
  constructor(
    private readonly handle: fsp.FileHandle,
    readonly size: number,
    readonly where: string,
    start = 0,
  ) {
    this.fileOffset = start;
  }

  get offset(): number {
    return this.fileOffset - (this.buf.length - this.pos);
  }

  get remaining(): number {
    return this.size - this.offset;
  }

  private async fill(min: number): Promise<void> {
    if (this.buf.length - this.pos >= min) return;
    if (min > this.remaining)
      throw new PrepcastError("TRUNCATED", `delta stream ends at byte ${this.size}, a record needs ${min} more bytes at ${this.offset}`, { where: this.where });
    const want = Math.min(Math.max(min, 1 << 20), this.size - this.fileOffset + (this.buf.length - this.pos));
    const next = Buffer.allocUnsafe(want);
    const have = this.buf.length - this.pos;
    this.buf.copy(next, 0, this.pos);
    let filled = have;
    while (filled < want) {
      const { bytesRead } = await this.handle.read(next, filled, want - filled, this.fileOffset);
      if (bytesRead === 0) throw new PrepcastError("TRUNCATED", `delta stream file shrank at ${this.fileOffset}`, { where: this.where });
      filled += bytesRead;
      this.fileOffset += bytesRead;
    }
    this.buf = next;
    this.pos = 0;
  }

  async bytes(n: number): Promise<Buffer> {
    await this.fill(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  async u8(): Promise<number> {
    return (await this.bytes(1))[0]!;
  }

  /** LEB128, at most 7 bytes and at most `max`. */
  async varint(max: number, what: string): Promise<number> {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = await this.u8();
      value += (b & 0x7f) * scale;
      if (value > max) throw protocolError(`${what} ${value} exceeds ${max}`, `${this.where} @${this.offset}`);
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) throw protocolError(`${what} is not minimally encoded`, `${this.where} @${this.offset}`);
        return value;
      }
      scale *= 0x80;
    }
    throw protocolError(`${what} varint is too long`, `${this.where} @${this.offset}`);
  }
}

export interface ApplyTarget {
  manifestSha256: string;
  files: readonly ManifestFile[];
}

export interface ApplyOptions {
  /** The received stream (already checked against the offer's SHA-256). */
  streamPath: string;
  /** Where the delta-zstd@1 stream starts in that file (default 0; `delta-zip@1` carries its tables before it). */
  streamOffset?: number;
  target: ApplyTarget;
  /** The base cut the stream was made against (null for full-zstd@1). */
  base: CutContent | null;
  /** Where a file with this SHA-256 is held (e.g. a retained cut), or null. */
  findObject: (sha256: string) => string | null;
  /** Files go to `<stagingDir>/site/<path>`. */
  stagingDir: string;
}

export interface ApplyResult {
  files: number;
  /** unchanged files taken from a held cut: hard-linked (after their content was verified again) or, where a link cannot be made, copied */
  copied: number;
  /** of those, how many were hard-linked */
  linked: number;
  rebuilt: number;
  bytes: number;
}

/** One read buffer for copies of unchanged files (one stream per file allocated 1 MiB each). */
let copyBuffer: Buffer | null = null;
const COPY_PIECE = 1 << 20;

/** Errors of link(2) after which the object is copied instead: another file system, no hard links there, too many links. */
const NO_LINK = new Set(["EXDEV", "EPERM", "EMLINK", "ENOTSUP", "EOPNOTSUPP", "ENOSYS"]);

/**
 * An unchanged file, taken from a held (retained, immutable) cut: its content is verified again
 * against the signed manifest (size and SHA-256, from the page cache), then the staging path is a
 * hard link to it, so its bytes are neither written nor made durable a second time. False when a
 * link cannot be made there (the caller copies).
 */
async function linkVerified(source: string, target: string, f: ManifestFile, where: string, dirs: StagingDirs): Promise<boolean> {
  const check = await VerifiedFileWriter.open(f, null, where);
  await copyVerified(source, check);
  await dirs.ensureParent(target, where);
  try {
    fs.linkSync(source, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (code === "EEXIST") throw new PrepcastError("DUPLICATE_ENTRY", `${where} was already written`, { where, cause: e });
    if (NO_LINK.has(code)) return false;
    throw toPrepcastError(e, where);
  }
}

/** Copies a held object into the writer, which verifies size and SHA-256 against the manifest. */
async function copyVerified(source: string, writer: VerifiedFileWriter): Promise<void> {
  const fd = fs.openSync(source, "r");
  try {
    const buf = (copyBuffer ??= Buffer.allocUnsafe(COPY_PIECE));
    // never more than the manifest's size plus one byte: an object that grew is refused without reading it all
    for (let n; (n = fs.readSync(fd, buf, 0, Math.min(COPY_PIECE, writer.remaining + 1), null)) > 0;) {
      writer.writeNow(buf.subarray(0, n)); // hashed and written at once: the buffer is reused
    }
  } finally {
    fs.closeSync(fd);
  }
  await writer.finish();
}

/**
 * Rebuilds every target file into the staging directory from a `delta-zstd@1` / `full-zstd@1`
 * stream. Untrusted work: the header must name exactly the target (and base) manifests, every
 * group must start where the previous ended, every length is bounded by the signed manifests
 * before anything is allocated, and each file is verified (size and SHA-256) as it is written.
 * Throws PROTOCOL_ERROR / TRUNCATED for a malformed stream, HASH_MISMATCH / SIZE_MISMATCH for a
 * file that rebuilds wrong; the caller aborts the staging directory.
 */
export async function applyDelta(opts: ApplyOptions): Promise<ApplyResult> {
  const where = "delta stream";
  const { target, base } = opts;
  const handle = await fsp.open(opts.streamPath, "r");
  const dirs = new StagingDirs();
  const turns = new EventLoopTurns();
  const result: ApplyResult = { files: 0, copied: 0, linked: 0, rebuilt: 0, bytes: 0 };
  let linkAllowed = true;
  try {
    const { size } = await handle.stat();
    const start = opts.streamOffset ?? 0;
    if (!Number.isSafeInteger(start) || start < 0 || start > size)
      throw new PrepcastError("INTERNAL", `delta stream offset ${start} outside the ${size}-byte file`, { where });
    const r = new StreamReader(handle, size, where, start);
    const header = decodeHeader(await r.bytes(HEADER_SIZE), where);
    if (header.targetSha256 !== target.manifestSha256 || header.targetCount !== target.files.length) {
      throw protocolError(
        `delta stream is for manifest ${header.targetSha256.slice(0, 12)} with ${header.targetCount} files, not the offered ${target.manifestSha256.slice(0, 12)} (${target.files.length} files)`,
        where,
      );
    }
    if ((header.baseSha256 ?? null) !== (base ? base.manifestSha256 : null) || header.baseCount !== (base ? base.files.length : 0)) {
      throw protocolError(
        `delta stream is against base ${header.baseSha256?.slice(0, 12) ?? "none"}, not ${base ? base.manifestSha256.slice(0, 12) : "none"}`,
        where,
      );
    }
    const files = target.files;
    let next = 0;
    for (;;) {
      const tag = await r.u8();
      if (tag === TAG_END) break;
      if (tag !== TAG_GROUP) throw protocolError(`unknown record tag 0x${tag.toString(16)} at byte ${r.offset - 1}`, where);
      const first = await r.varint(files.length, "group start");
      if (first !== next) throw protocolError(`group starts at file ${first}, expected ${next}`, where);
      const count = await r.varint(Math.min(MAX_GROUP_FILES, files.length - first), "group file count");
      if (count === 0) throw protocolError("empty group", where);
      const ops: Array<{ index: number; op: number; ref: number | null }> = [];
      let literalSize = 0;
      let dictSize = 0;
      const maxOp = OP_LITERAL_REF + (base ? base.files.length - 1 : -1);
      for (let k = 0; k < count; k++) {
        const raw = await r.varint(Math.max(OP_LITERAL, maxOp), "file operation");
        const index = first + k;
        if (raw === OP_COPY) {
          if (!base) throw protocolError(`file ${index} is "unchanged" in a stream without base`, where);
          ops.push({ index, op: OP_COPY, ref: null });
          continue;
        }
        const ref = raw >= OP_LITERAL_REF ? raw - OP_LITERAL_REF : null;
        literalSize += files[index]!.size;
        if (ref !== null) dictSize += base!.files[ref]!.size;
        ops.push({ index, op: ref === null ? OP_LITERAL : OP_LITERAL_REF, ref });
      }
      const method = await r.u8();
      const literals = ops.filter((o) => o.op !== OP_COPY);
      const single = literals.length === 1 ? literals[0]! : null;
      if (method === METHOD_STORED) {
        const len = await r.varint(literalSize, "stored group length");
        if (len !== literalSize) throw protocolError(`stored group of ${len} bytes; its files declare ${literalSize}`, where);
      } else if (method === METHOD_ZSTD) {
        if (literalSize === 0 || literalSize > MAX_GROUP_LITERAL_BYTES || dictSize > MAX_GROUP_DICT_BYTES) {
          throw protocolError(`compressed group of ${literalSize} bytes with a ${dictSize}-byte dictionary is outside the limits`, where);
        }
      } else {
        throw protocolError(`unknown group method ${method}`, where);
      }
      // Files in manifest order: copies straight from the held object, literals from the group.
      let literalData: Buffer | null = null;
      if (method === METHOD_ZSTD) {
        const len = await r.varint(compressBound(literalSize), "compressed group length");
        const src = await r.bytes(len);
        const dict = base ? await base.readMany(literals.filter((o) => o.ref !== null).map((o) => o.ref!)) : [];
        let out;
        try {
          out = decompressExactly(src, dict, literalSize);
        } catch (e) {
          throw protocolError(`group at file ${first} does not decompress: ${(e as Error).message}`, where);
        }
        if (out.produced !== literalSize)
          throw protocolError(`group at file ${first} decompresses to ${out.produced} bytes, its files declare ${literalSize}`, where);
        literalData = out.data;
      }
      let at = 0;
      for (const o of ops) {
        await turns.maybeYield();
        const f = files[o.index]!;
        const targetPath = sitePathIn(opts.stagingDir, f.path);
        let source: string | null = null;
        if (o.op === OP_COPY) {
          source = opts.findObject(f.sha256);
          if (!source) throw protocolError(`${f.path} is marked unchanged but no held cut has an object ${f.sha256.slice(0, 12)}`, where);
          if (linkAllowed && (await linkVerified(source, targetPath, f, f.path, dirs))) {
            result.copied++;
            result.linked++;
            result.files++;
            result.bytes += f.size;
            continue;
          }
          linkAllowed = false; // this file system does not link: copy the rest without trying again
        }
        const w = await VerifiedFileWriter.open(f, targetPath, f.path, dirs);
        try {
          if (source !== null) {
            await copyVerified(source, w);
            result.copied++;
          } else {
            if (literalData) {
              await w.write(literalData.subarray(at, at + f.size));
            } else if (single === o && f.size > 1 << 20) {
              // written at once: no pending piece keeps the reader's 1 MiB window alive
              for (let off = 0; off < f.size; off += 1 << 20) w.writeNow(await r.bytes(Math.min(1 << 20, f.size - off)));
            } else {
              w.writeNow(await r.bytes(f.size));
            }
            at += f.size;
            await w.finish();
            result.rebuilt++;
          }
        } finally {
          await w.close().catch(() => undefined);
        }
        result.files++;
        result.bytes += f.size;
      }
      next = first + count;
    }
    if (next !== files.length) throw protocolError(`delta stream ended after ${next} of ${files.length} files`, where);
    if (r.remaining !== 0) throw protocolError(`${r.remaining} bytes after the end record`, where);
    return result;
  } catch (e) {
    throw toPrepcastError(e, where);
  } finally {
    await handle.close();
  }
}
