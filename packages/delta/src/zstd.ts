import * as zstd from "zstd-napi/binding";

// The zstd-napi binding exposes compress/decompress "using dict" with a raw-content dictionary:
// the base versions of a group's files. A dictionary that starts with zstd's dictionary magic
// would be parsed as a trained dictionary instead, so every dictionary starts with this preamble
// (both sides add it; it is never sent).
export const DICT_PREAMBLE = Buffer.from("PCDZDICT", "ascii");

let cctx: zstd.CCtx | null = null;
let dctx: zstd.DCtx | null = null;

function dictionaryOf(parts: readonly Buffer[]): Buffer | null {
  if (parts.length === 0) return null;
  return Buffer.concat([DICT_PREAMBLE, ...parts]);
}

/**
 * A growable buffer kept between calls: what an encoder reuses for each group's literal bytes,
 * dictionary and compressed output instead of allocating (and leaving to the garbage collector)
 * a few MiB per group, ~100 groups per national delta.
 */
export class Scratch {
  private buf = Buffer.allocUnsafe(0);
  /** A buffer of at least `size` bytes (its contents are not kept when it grows). */
  get(size: number): Buffer {
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(Math.max(size, Math.min(this.buf.length * 2, size + (16 << 20))));
    return this.buf;
  }
}

/**
 * One zstd frame of `input`, with `dictionary` (the preamble, then the base versions of the
 * group's files) as raw-content dictionary, written into `output`'s buffer: the returned view is
 * valid until the next use of `output`.
 */
export function compressFrame(input: Buffer, dictionary: Buffer | null, level: number, output: Scratch): Buffer {
  cctx ??= new zstd.CCtx();
  const dst = output.get(zstd.compressBound(input.length));
  const n = dictionary ? cctx.compressUsingDict(dst, input, dictionary, level) : cctx.compress(dst, input, level);
  return dst.subarray(0, n);
}

/**
 * Decompresses into a buffer of exactly `size` bytes (the manifest's): a frame that would grow
 * past it fails inside zstd, one that stops short is reported, so no stream can inflate beyond
 * what the signed manifest declares.
 */
export function decompressExactly(src: Buffer, dictParts: readonly Buffer[], size: number): { data: Buffer; produced: number } {
  dctx ??= new zstd.DCtx();
  const dst = Buffer.allocUnsafe(size);
  const dict = dictionaryOf(dictParts);
  const produced = dict ? dctx.decompressUsingDict(dst, src, dict) : dctx.decompress(dst, src);
  return { data: dst, produced };
}

export function compressBound(size: number): number {
  return zstd.compressBound(size);
}
