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
