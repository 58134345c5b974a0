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
 * One zstd frame of the concatenation of `parts`, with the concatenation of `dictParts` as
 * raw-content dictionary, through reused buffers: `parts` are laid end to end in `input`, the
 * dictionary (preamble + `dictParts`) in `dictionary`, the frame in `output`. The returned views
 * are valid until the next call with the same scratch buffers.
 */
export function compressPartsWithDictionary(
  parts: readonly Buffer[],
  dictParts: readonly Buffer[],
  level: number,
  scratch: { input: Scratch; dictionary: Scratch; output: Scratch },
): { input: Buffer; frame: Buffer } {
  cctx ??= new zstd.CCtx();
  const join = (list: readonly Buffer[], into: Scratch, prefix: Buffer | null): Buffer => {
    const size = list.reduce((s, b) => s + b.length, prefix ? prefix.length : 0);
    const buf = into.get(size);
    let at = prefix ? prefix.copy(buf, 0) : 0;
    for (const b of list) at += b.copy(buf, at);
    return buf.subarray(0, size);
  };
  const input = parts.length === 1 ? parts[0]! : join(parts, scratch.input, null);
  const dst = scratch.output.get(zstd.compressBound(input.length));
  const n =
    dictParts.length > 0 ? cctx.compressUsingDict(dst, input, join(dictParts, scratch.dictionary, DICT_PREAMBLE), level) : cctx.compress(dst, input, level);
  return { input, frame: dst.subarray(0, n) };
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
