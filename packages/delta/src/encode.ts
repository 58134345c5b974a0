import { createHash } from "node:crypto";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PrepcastError, replaceFileDurably } from "@prepcast/protocol";
import type { CutContent } from "./content";
import {
  DEFAULT_GROUP_BYTES,
  DEFAULT_LEVEL,
  LARGE_FILE_BYTES,
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
  encodeHeader,
  writeVarint,
} from "./format";
import { DICT_PREAMBLE, Scratch, compressFrame } from "./zstd";

export interface EncodeOptions {
  /** zstd level (default 12). */
  level?: number;
  /** Literal bytes per group (default 1 MiB). */
  groupBytes?: number;
}

export interface EncodeStats {
  files: number;
  /** Files the receiver already holds (same SHA-256 in the base): no data travels. */
  unchanged: number;
  /** Changed files encoded against the base file at the same path. */
  referenced: number;
  /** Files without a usable base version (new ones, or every file of a full-zstd stream). */
  whole: number;
  groups: number;
  storedGroups: number;
  /** Bytes of the files the stream rebuilds, and the stream's own size. */
  targetBytes: number;
  size: number;
  sha256: string;
  cpuMs: number;
}

/**
 * Appends bytes to a file while hashing and counting them, through one reused 1 MiB buffer:
 * what `write` is given may be reused by the caller as soon as it returns.
 */
class StreamWriter {
  private readonly buffer = Buffer.allocUnsafe(1 << 20);
  private used = 0;
  readonly hash = createHash("sha256");
  size = 0;
  constructor(private readonly handle: fsp.FileHandle) {}
  async write(b: Buffer): Promise<void> {
    this.hash.update(b);
    this.size += b.length;
    for (let at = 0; at < b.length;) {
      const n = b.copy(this.buffer, this.used, at);
      this.used += n;
      at += n;
      if (this.used === this.buffer.length) await this.flush();
    }
  }
  async flush(): Promise<void> {
    let off = 0;
    while (off < this.used) off += (await this.handle.write(this.buffer, off, this.used - off)).bytesWritten;
    this.used = 0;
  }
}

/**
 * Files `indices` of `content` end to end (after `prefix`), in `into`'s buffer: read straight
 * there when the content can (`readInto`), else read and copied. A single file without prefix is
 * returned as read. The view is valid until `into` is reused.
 */
async function gather(content: CutContent, indices: readonly number[], prefix: Buffer | null, into: Scratch): Promise<Buffer> {
  const size = indices.reduce((s, i) => s + content.files[i]!.size, prefix?.length ?? 0);
  if (content.readInto) {
    const buf = into.get(size);
    const end = await content.readInto(indices, buf, prefix ? prefix.copy(buf, 0) : 0);
    if (end !== size) throw new PrepcastError("INTERNAL", `read ${end} bytes of a group, expected ${size}`);
    return buf.subarray(0, size);
  }
  const parts = await content.readMany(indices);
  if (prefix === null && parts.length === 1) return parts[0]!;
  const buf = into.get(size);
  let at = prefix ? prefix.copy(buf, 0) : 0;
  for (const p of parts) at += p.copy(buf, at);
  return buf.subarray(0, size);
}

interface PendingFile {
  index: number;
  op: number;
  ref: number | null;
}

/**
 * Writes the `delta-zstd@1` stream that rebuilds `target` from `base` (or, with base null, the
 * `full-zstd@1` stream that rebuilds it from nothing) to `outFile`, atomically (temp + rename).
 * Files whose SHA-256 the base holds cost a byte of opcode; changed files are compressed in groups
 * of about `groupBytes` with their base versions (same path) as the zstd dictionary; each group
 * falls back to stored bytes when compression does not pay.
 */
export async function encodeDelta(target: CutContent, base: CutContent | null, outFile: string, opts: EncodeOptions = {}): Promise<EncodeStats> {
  const started = process.cpuUsage();
  const level = opts.level ?? DEFAULT_LEVEL;
  const groupBytes = Math.max(1, opts.groupBytes ?? DEFAULT_GROUP_BYTES);
  const baseBySha = new Map<string, number>();
  const baseByPath = new Map<string, number>();
  if (base) {
    base.files.forEach((f, i) => {
      if (!baseBySha.has(f.sha256)) baseBySha.set(f.sha256, i);
      baseByPath.set(f.path, i);
    });
  }
  const stats: EncodeStats = {
    files: target.files.length,
    unchanged: 0,
    referenced: 0,
    whole: 0,
    groups: 0,
    storedGroups: 0,
    targetBytes: 0,
    size: 0,
    sha256: "",
    cpuMs: 0,
  };
  // each group's literal bytes, dictionary and frame go through these, reused from group to group
  const scratch = { input: new Scratch(), dictionary: new Scratch(), output: new Scratch() };
  await fsp.mkdir(path.dirname(outFile), { recursive: true });
  // the stream is written to a temp file, fsynced and renamed over outFile (replaceFileDurably)
  await replaceFileDurably(outFile, 0o640, async (handle) => {
    try {
      const out = new StreamWriter(handle);
      await out.write(encodeHeader(target.manifestSha256, base ? base.manifestSha256 : null, target.files.length, base ? base.files.length : 0));
      let group: PendingFile[] = [];
      let literalBytes = 0;
      let dictBytes = 0;
      let first = 0;

      const flush = async (): Promise<void> => {
        if (group.length === 0) return;
        const head: number[] = [TAG_GROUP];
        writeVarint(head, first);
        writeVarint(head, group.length);
        for (const g of group) writeVarint(head, g.op === OP_LITERAL_REF ? OP_LITERAL_REF + g.ref! : g.op);
        const literals = group.filter((g) => g.op !== OP_COPY);
        const literalSize = literals.reduce((s, g) => s + target.files[g.index]!.size, 0);
        const streamed = literals.length === 1 && literalSize > MAX_GROUP_LITERAL_BYTES;
        let method = METHOD_STORED;
        let body: Buffer | null = null;
        if (literalSize > 0 && !streamed) {
          const refs = literals.filter((g) => g.ref !== null).map((g) => g.ref!);
          const input = await gather(
            target,
            literals.map((g) => g.index),
            null,
            scratch.input,
          );
          const dictionary = base && refs.length > 0 ? await gather(base, refs, DICT_PREAMBLE, scratch.dictionary) : null;
          const frame = compressFrame(input, dictionary, level, scratch.output);
          if (frame.length < input.length) {
            method = METHOD_ZSTD;
            body = frame;
          } else {
            body = input;
          }
        }
        head.push(method);
        const bodySize = streamed ? literalSize : (body?.length ?? 0);
        writeVarint(head, bodySize);
        await out.write(Buffer.from(head));
        if (streamed) {
          // One file too large for a group: stored, copied through in 4 MiB pieces.
          const g = literals[0]!;
          for (let off = 0; off < literalSize; off += 4 << 20) await out.write(await target.read(g.index, off, Math.min(4 << 20, literalSize - off)));
        } else if (body !== null) {
          await out.write(body);
        }
        stats.groups++;
        if (method === METHOD_STORED && literalSize > 0) stats.storedGroups++;
        first += group.length;
        group = [];
        literalBytes = 0;
        dictBytes = 0;
      };

      for (let i = 0; i < target.files.length; i++) {
        const f = target.files[i]!;
        stats.targetBytes += f.size;
        if (baseBySha.has(f.sha256)) {
          stats.unchanged++;
          group.push({ index: i, op: OP_COPY, ref: null });
          if (group.length >= MAX_GROUP_FILES) await flush();
          continue;
        }
        const r = baseByPath.get(f.path);
        const refSize = r === undefined ? 0 : base!.files[r]!.size;
        const useRef = r !== undefined && refSize > 0 && f.size <= MAX_GROUP_LITERAL_BYTES && refSize <= Math.min(LARGE_FILE_BYTES * 2, MAX_GROUP_DICT_BYTES);
        if (useRef) stats.referenced++;
        else stats.whole++;
        const large = f.size > LARGE_FILE_BYTES;
        if (large || literalBytes + f.size > MAX_GROUP_LITERAL_BYTES || dictBytes + (useRef ? refSize : 0) > MAX_GROUP_DICT_BYTES) await flush();
        group.push({ index: i, op: useRef ? OP_LITERAL_REF : OP_LITERAL, ref: useRef ? r! : null });
        literalBytes += f.size;
        if (useRef) dictBytes += refSize;
        if (large || literalBytes >= groupBytes || group.length >= MAX_GROUP_FILES) await flush();
      }
      await flush();
      await out.write(Buffer.from([TAG_END]));
      await out.flush();
      await handle.sync(); // here, so that a failed sync is reported as before (INTERNAL)
      stats.size = out.size;
      stats.sha256 = out.hash.digest("hex");
    } catch (e) {
      throw e instanceof PrepcastError ? e : new PrepcastError("INTERNAL", `encoding the delta failed: ${(e as Error).message}`, { cause: e });
    }
  });
  const cpu = process.cpuUsage(started);
  stats.cpuMs = Math.round((cpu.user + cpu.system) / 1000);
  return stats;
}
