import * as zstd from "zstd-napi/binding";

// The zstd-napi binding exposes compress/decompress "using dict" with a raw-content dictionary:
// the base versions of a group's files. A dictionary that starts with zstd's dictionary magic
// would be parsed as a trained dictionary instead, so every dictionary starts with this preamble
// (both sides add it; it is never sent).
const DICT_PREAMBLE = Buffer.from("PCDZDICT", "ascii");

let cctx: zstd.CCtx | null = null;
let dctx: zstd.DCtx | null = null;

function dictionaryOf(parts: readonly Buffer[]): Buffer | null {
  if (parts.length === 0) return null;
  return Buffer.concat([DICT_PREAMBLE, ...parts]);
}

/** One zstd frame of `data`, with the concatenation of `dictParts` as raw-content dictionary. */
export function compressWithDictionary(data: Buffer, dictParts: readonly Buffer[], level: number): Buffer {
  cctx ??= new zstd.CCtx();
  const dst = Buffer.allocUnsafe(zstd.compressBound(data.length));
  const dict = dictionaryOf(dictParts);
  const n = dict ? cctx.compressUsingDict(dst, data, dict, level) : cctx.compress(dst, data, level);
  return dst.subarray(0, n);
}

/**
 * Memory one caller reuses from call to call (a receiver applying a delta: one group after
 * another, each about 1 MiB of output and 1 MiB of dictionary). Allocating both afresh for every
 * group churned the allocator at the size where glibc switches between mmap and its heap, and
 * the heap kept the pages: the receiver's resident memory stayed ~40 MB higher after a 1.2 GB cut
 * (docs/benchmarks.md). A buffer that grew past KEEP_MAX is dropped when a small one will do.
 */
export class ScratchBuffer {
  private static readonly KEEP_MAX = 8 << 20;
  private buf: Buffer | null = null;

  /** `n` bytes (uninitialized), valid until the next call. */
  take(n: number): Buffer {
    if (this.buf === null || this.buf.length < n || (this.buf.length > ScratchBuffer.KEEP_MAX && n <= ScratchBuffer.KEEP_MAX)) {
      this.buf = Buffer.allocUnsafeSlow(Math.max(n, 1 << 20));
    }
    return this.buf.subarray(0, n);
  }
}

/** Where decompressExactly may build its dictionary and output (both valid until its next call). */
export interface DecompressScratch {
  dict: ScratchBuffer;
  out: ScratchBuffer;
}

/**
 * Decompresses into a buffer of exactly `size` bytes (the manifest's): a frame that would grow
 * past it fails inside zstd, one that stops short is reported, so no stream can inflate beyond
 * what the signed manifest declares. With `scratch`, the output lives in its memory, valid until
 * the next call with the same scratch.
 */
export function decompressExactly(src: Buffer, dictParts: readonly Buffer[], size: number, scratch?: DecompressScratch): { data: Buffer; produced: number } {
  dctx ??= new zstd.DCtx();
  const dst = scratch ? scratch.out.take(size) : Buffer.allocUnsafe(size);
  const dict = scratch ? dictionaryInto(scratch.dict, dictParts) : dictionaryOf(dictParts);
  const produced = dict ? dctx.decompressUsingDict(dst, src, dict) : dctx.decompress(dst, src);
  return { data: dst, produced };
}

function dictionaryInto(scratch: ScratchBuffer, parts: readonly Buffer[]): Buffer | null {
  if (parts.length === 0) return null;
  let size = DICT_PREAMBLE.length;
  for (const p of parts) size += p.length;
  const dict = scratch.take(size);
  let at = DICT_PREAMBLE.copy(dict, 0);
  for (const p of parts) at += p.copy(dict, at);
  return dict;
}

export function compressBound(size: number): number {
  return zstd.compressBound(size);
}
