import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { PrepcastError, sitePathIn, type ManifestFile } from "@prepcast/protocol";

/**
 * A cut's files as the encoder reads them. On the publisher every prepared cut keeps its files
 * end to end in `payload.full` (manifest order), so that file plus the manifest's offsets is the
 * publisher's content-addressed object store: object SHA-256 → (cut, offset, size).
 */
export interface CutContent {
  manifestSha256: string;
  files: readonly ManifestFile[];
  /** `length` bytes of file `index` from `offset` (the whole file when omitted). */
  read(index: number, offset?: number, length?: number): Promise<Buffer>;
  /**
   * Whole files `indices`, in that order: what a group needs at once (its literals, or its
   * dictionary). Far cheaper than one `read` per file: a payload file reads runs of neighbouring
   * files in single reads, a cut directory reads small files synchronously.
   */
  readMany(indices: readonly number[]): Promise<Buffer[]>;
  /**
   * Optional: whole files `indices`, end to end, read straight into `into` from `at` (which must
   * have room for them all); returns the offset after the last. What an encoder uses to lay a
   * group's bytes or dictionary out without reading them first and copying them after.
   */
  readInto?(indices: readonly number[], into: Buffer, at: number): Promise<number>;
  close(): Promise<void>;
}

/** Files up to this size are read with synchronous calls: a thread-pool round trip costs more. */
const SYNC_READ_MAX = 256 << 10;
/** Neighbouring files closer than this are read in one call, the gap read and dropped. */
const COALESCE_GAP = 64 << 10;
/** No single coalesced read is larger than this. */
const COALESCE_MAX = 8 << 20;

function checkRange(files: readonly ManifestFile[], index: number, offset: number, length: number): ManifestFile {
  const f = files[index];
  if (!f || offset < 0 || length < 0 || offset + length > f.size) {
    throw new PrepcastError("INTERNAL", `read outside file ${index} (${f?.path ?? "?"}): ${offset}+${length}`);
  }
  return f;
}

async function readFully(handle: fsp.FileHandle, position: number, length: number, where: string, into?: Buffer): Promise<Buffer> {
  const buf = into ?? Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new PrepcastError("TRUNCATED", `${where} ended at ${position + done}, expected ${position + length}`, { where });
    done += bytesRead;
  }
  return buf;
}

/**
 * `indices` (positions in `files`, laid end to end from `offsets`) cut into runs each read in one
 * call: neighbouring files at most `maxGap` bytes apart (the gap read and dropped), in increasing
 * order, at most COALESCE_MAX bytes per run. Every index is range-checked first.
 */
function runsOf(
  files: readonly ManifestFile[],
  offsets: readonly number[],
  indices: readonly number[],
  maxGap: number,
): Array<{ from: number; to: number; start: number; end: number }> {
  const runs: Array<{ from: number; to: number; start: number; end: number }> = [];
  let i = 0;
  while (i < indices.length) {
    const startFile = checkRange(files, indices[i]!, 0, files[indices[i]!]?.size ?? 0);
    const start = offsets[indices[i]!]!;
    let end = start + startFile.size;
    let j = i + 1;
    for (; j < indices.length; j++) {
      const k = indices[j]!;
      const f = checkRange(files, k, 0, files[k]?.size ?? 0);
      const at = offsets[k]!;
      if (at < end || at - end > maxGap || at + f.size - start > COALESCE_MAX) break;
      end = at + f.size;
    }
    runs.push({ from: i, to: j, start, end });
    i = j;
  }
  return runs;
}

/** A cut whose files lie end to end in one file (the publisher's `payload.full`). */
export async function payloadFileContent(manifestSha256: string, files: readonly ManifestFile[], payloadFile: string): Promise<CutContent> {
  const handle = await fsp.open(payloadFile, "r");
  const offsets = new Array<number>(files.length);
  let at = 0;
  for (let i = 0; i < files.length; i++) {
    offsets[i] = at;
    at += files[i]!.size;
  }
  const { size } = await handle.stat();
  if (size !== at) {
    await handle.close();
    throw new PrepcastError("STATE_INVALID", `${payloadFile} holds ${size} bytes, its manifest ${at}`, { where: payloadFile });
  }
  return {
    manifestSha256,
    files,
    read: (index, offset = 0, length) => {
      const f = files[index];
      const len = length ?? (f ? f.size - offset : 0);
      checkRange(files, index, offset, len);
      return readFully(handle, offsets[index]! + offset, len, payloadFile);
    },
    readMany: async (indices) => {
      const out = new Array<Buffer>(indices.length);
      for (const run of runsOf(files, offsets, indices, COALESCE_GAP)) {
        const span = await readFully(handle, run.start, run.end - run.start, payloadFile);
        for (let k = run.from; k < run.to; k++) {
          const at = offsets[indices[k]!]! - run.start;
          out[k] = span.subarray(at, at + files[indices[k]!]!.size);
        }
      }
      return out;
    },
    readInto: async (indices, into, at) => {
      // no gap allowed: the files' bytes must land end to end
      for (const run of runsOf(files, offsets, indices, 0)) {
        const length = run.end - run.start;
        if (at + length > into.length) throw new PrepcastError("INTERNAL", `readInto: ${length} bytes do not fit at ${at} of ${into.length}`);
        await readFully(handle, run.start, length, payloadFile, into.subarray(at, at + length));
        at += length;
      }
      return at;
    },
    close: () => handle.close(),
  };
}

/** A cut laid out as `<cutDir>/site/<path>` (a receiver's committed cut, an extracted package). */
export function cutDirContent(manifestSha256: string, files: readonly ManifestFile[], cutDir: string): CutContent {
  const content: CutContent = {
    manifestSha256,
    files,
    read: async (index, offset = 0, length) => {
      const f = files[index];
      const len = length ?? (f ? f.size - offset : 0);
      const file = checkRange(files, index, offset, len);
      const where = sitePathIn(cutDir, file.path);
      const h = await fsp.open(where, "r");
      try {
        const { size } = await h.stat();
        if (size !== file.size)
          throw new PrepcastError("STATE_INVALID", `${where} holds ${size} bytes, its manifest ${file.size}`, {
            where,
            hint: "a committed cut was altered on disk",
          });
        return await readFully(h, offset, len, where);
      } finally {
        await h.close();
      }
    },
    readMany: async (indices) => {
      const out = new Array<Buffer>(indices.length);
      const large: number[] = [];
      for (let i = 0; i < indices.length; i++) {
        const file = checkRange(files, indices[i]!, 0, files[indices[i]!]?.size ?? 0);
        if (file.size > SYNC_READ_MAX) {
          large.push(i);
          continue;
        }
        const where = sitePathIn(cutDir, file.path);
        let fd: number;
        try {
          fd = fs.openSync(where, "r");
        } catch (e) {
          throw new PrepcastError("STATE_INVALID", `${where} cannot be read: ${(e as Error).message}`, {
            where,
            cause: e,
            hint: "a committed cut was altered on disk",
          });
        }
        try {
          const { size } = fs.fstatSync(fd);
          if (size !== file.size)
            throw new PrepcastError("STATE_INVALID", `${where} holds ${size} bytes, its manifest ${file.size}`, {
              where,
              hint: "a committed cut was altered on disk",
            });
          const buf = Buffer.allocUnsafe(file.size);
          let done = 0;
          while (done < file.size) {
            const n = fs.readSync(fd, buf, done, file.size - done, done);
            if (n === 0) throw new PrepcastError("TRUNCATED", `${where} ended at ${done}, expected ${file.size}`, { where });
            done += n;
          }
          out[i] = buf;
        } finally {
          fs.closeSync(fd);
        }
      }
      const bigOnes = await mapLimit(large, READ_CONCURRENCY, (i) => content.read(indices[i]!));
      large.forEach((i, k) => (out[i] = bigOnes[k]!));
      return out;
    },
    close: async () => undefined,
  };
  return content;
}

/** `fn` over `items` with at most `limit` calls in flight, results in order (bounded open files). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Files read at once when a group gathers its members or its dictionary. */
export const READ_CONCURRENCY = 16;
