// The signed manifest, zstd-compressed: in the Offer for receivers that advertise
// "offer-manifest-zstd@1" (packages/session), and as prepcast/manifest.json.zst in an offline
// delta package (prepcast/delta-package@2, packages/delta). Decompression is the only work done on
// these bytes before the signature is checked, so it is bounded: the declared size is checked
// against the manifest limit before anything is allocated, the output buffer has exactly that
// size, and only one dictionary-less zstd frame is accepted. The result must then be verified
// against manifest.sig, as the uncompressed manifest is, before it is parsed.
import * as zstd from "zstd-napi/binding";
import { PrepcastError, type ErrorCode } from "../errors";
import { MANIFEST_ENTRY, SIGNED_ENTRIES } from "./format";

/** Largest manifest accepted, compressed or not: the same limit as in a `.prep` package. */
export const MAX_MANIFEST_BYTES: number = SIGNED_ENTRIES.find((e) => e.name === MANIFEST_ENTRY)!.maxSize;

/**
 * zstd level for the manifest, by measurement (docs/benchmarks.md, "Manifest on the wire"): a
 * manifest is mostly SHA-256 hex, and level 1 compresses it as well as levels 3 to 15 (29 % of
 * its size) in 2 ms for veracruz and 37 ms for the national cut; 17 to 19 save 3 % more for 100
 * to 500 times the CPU (19 s for the national manifest, on the publisher's event loop).
 */
export const MANIFEST_ZSTD_LEVEL = 1;

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

let cctx: zstd.CCtx | null = null;
let dctx: zstd.DCtx | null = null;

/** One dictionary-less zstd frame of `manifest` (with its content size in the header). */
export function compressManifest(manifest: Uint8Array, level = MANIFEST_ZSTD_LEVEL): Buffer {
  cctx ??= new zstd.CCtx();
  const dst = Buffer.allocUnsafe(zstd.compressBound(manifest.length));
  const n = cctx.compress(dst, manifest, level);
  return Buffer.from(dst.subarray(0, n));
}

/** How the caller names things in errors: the Offer's fields, or a package entry. */
export interface ManifestZstdNames {
  /** where the error happened (an offer, a package entry) */
  where: string;
  /** the compressed bytes, e.g. "manifest_zstd" or "prepcast/manifest.json.zst" */
  frame: string;
  /** the declared size, e.g. "manifest_size" or "its frame header's content size" */
  size: string;
  /** the code for a malformed frame: PROTOCOL_ERROR on the wire, PACKAGE_INVALID in a file */
  invalid: Extract<ErrorCode, "PROTOCOL_ERROR" | "PACKAGE_INVALID">;
  /** what the sender must do, for the hint */
  hint: string;
}

/**
 * The content size a zstd frame's header declares, or null when the header has none. Reads only
 * the frame header; refuses (names.invalid) anything that does not start with a zstd frame header.
 */
export function manifestFrameContentSize(frame: Uint8Array, names: ManifestZstdNames): number | null {
  const src = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (src.length < ZSTD_MAGIC.length || !src.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) {
    throw new PrepcastError(names.invalid, `${names.where}: ${names.frame} is not a zstd frame (bad magic number)`, { where: names.where, hint: names.hint });
  }
  try {
    return zstd.getFrameContentSize(src);
  } catch (e) {
    throw new PrepcastError(names.invalid, `${names.where}: ${names.frame} is not a valid zstd frame (${(e as Error).message})`, {
      where: names.where,
      hint: names.hint,
    });
  }
}

/**
 * Decompresses a compressed manifest into exactly `declaredSize` bytes, refusing (before
 * allocating anything) a size over MAX_MANIFEST_BYTES, and any input that is not exactly one
 * dictionary-less zstd frame producing exactly that many bytes.
 */
export function decompressManifestFrame(frame: Uint8Array, declaredSize: number, names: ManifestZstdNames): Buffer {
  const { where, hint } = names;
  if (!Number.isSafeInteger(declaredSize) || declaredSize <= 0) {
    throw new PrepcastError(names.invalid, `${where}: ${names.frame} without a ${names.size} (got ${declaredSize})`, { where, hint });
  }
  if (declaredSize > MAX_MANIFEST_BYTES) {
    throw new PrepcastError("TOO_LARGE", `${where}: ${names.size} ${declaredSize} exceeds the ${MAX_MANIFEST_BYTES}-byte manifest limit`, {
      where,
      hint: "split the process or raise the limit on both sides",
    });
  }
  const src = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (src.length < ZSTD_MAGIC.length || !src.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) {
    throw new PrepcastError(names.invalid, `${where}: ${names.frame} is not a zstd frame (bad magic number)`, { where, hint });
  }
  let frameSize: number;
  let contentSize: number | null;
  let dictId: number;
  try {
    frameSize = zstd.findFrameCompressedSize(src);
    contentSize = zstd.getFrameContentSize(src);
    dictId = zstd.getDictIDFromFrame(src);
  } catch (e) {
    throw new PrepcastError(names.invalid, `${where}: ${names.frame} is not a valid zstd frame (${(e as Error).message})`, { where, hint });
  }
  if (frameSize !== src.length) {
    throw new PrepcastError(
      names.invalid,
      `${where}: ${names.frame} holds ${src.length - frameSize} bytes after its first zstd frame; exactly one frame is allowed`,
      { where, hint },
    );
  }
  if (dictId !== 0) {
    throw new PrepcastError(names.invalid, `${where}: ${names.frame} needs zstd dictionary ${dictId}; the manifest is compressed without one`, { where, hint });
  }
  if (contentSize !== null) sizeCheck(contentSize, declaredSize, names, "its frame header says");
  dctx ??= new zstd.DCtx();
  const dst = Buffer.allocUnsafe(declaredSize);
  let produced: number;
  try {
    produced = dctx.decompress(dst, src);
  } catch (e) {
    const message = (e as Error).message;
    if (/too small/i.test(message)) {
      throw new PrepcastError("TOO_LARGE", `${where}: ${names.frame} decompresses to more than the declared ${names.size} ${declaredSize}`, { where, hint });
    }
    throw new PrepcastError(names.invalid, `${where}: ${names.frame} does not decompress (${message})`, { where, hint });
  }
  sizeCheck(produced, declaredSize, names, "it decompresses to");
  return dst;
}

function sizeCheck(actual: number, declaredSize: number, names: ManifestZstdNames, what: string): void {
  if (actual === declaredSize) return;
  const { where } = names;
  const hint = "the publisher must declare the exact size of manifest.json";
  if (actual > declaredSize)
    throw new PrepcastError("TOO_LARGE", `${where}: ${names.frame} ${what} ${actual} bytes, more than the declared ${names.size} ${declaredSize}`, {
      where,
      hint,
    });
  throw new PrepcastError("TRUNCATED", `${where}: ${names.frame} ${what} ${actual} bytes, fewer than the declared ${names.size} ${declaredSize}`, {
    where,
    hint,
  });
}
