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
  close(): Promise<void>;
}

function checkRange(files: readonly ManifestFile[], index: number, offset: number, length: number): ManifestFile {
  const f = files[index];
  if (!f || offset < 0 || length < 0 || offset + length > f.size) {
    throw new PrepcastError("INTERNAL", `read outside file ${index} (${f?.path ?? "?"}): ${offset}+${length}`);
  }
  return f;
}

async function readFully(handle: fsp.FileHandle, position: number, length: number, where: string): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) throw new PrepcastError("TRUNCATED", `${where} ended at ${position + done}, expected ${position + length}`, { where });
    done += bytesRead;
  }
  return buf;
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
    close: () => handle.close(),
  };
}

/** A cut laid out as `<cutDir>/site/<path>` (a receiver's committed cut, an extracted package). */
export function cutDirContent(manifestSha256: string, files: readonly ManifestFile[], cutDir: string): CutContent {
  return {
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
        if (size !== file.size) throw new PrepcastError("STATE_INVALID", `${where} holds ${size} bytes, its manifest ${file.size}`, { where, hint: "a committed cut was altered on disk" });
        return await readFully(h, offset, len, where);
      } finally {
        await h.close();
      }
    },
    close: async () => undefined,
  };
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
