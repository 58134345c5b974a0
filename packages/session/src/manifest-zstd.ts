// The signed manifest travels zstd-compressed in the Offer to receivers that advertise
// "offer-manifest-zstd@1" (docs/protocol.md, Offer). Decompression is the only work done on the
// offer's bytes before the signature is checked, so it is bounded: the declared size is checked
// against the manifest limit before anything is allocated, the output buffer has exactly that
// size, and only one dictionary-less zstd frame is accepted.
import * as zstd from "zstd-napi/binding";
import { MANIFEST_ENTRY, PrepcastError, SIGNED_ENTRIES } from "@prepcast/protocol";

/** Hello.features token: the receiver accepts Offer.manifest_zstd + manifest_size. */
export const FEATURE_OFFER_MANIFEST_ZSTD = "offer-manifest-zstd@1";

/** Every protocol feature this version implements (what a ReceiverSession advertises by default). */
export const SUPPORTED_FEATURES: readonly string[] = [FEATURE_OFFER_MANIFEST_ZSTD];

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
// Keyed by the signed manifest's Buffer: every session offering the same prepared cut passes the
// same Buffer, so the manifest is compressed once per cut whatever the number of receivers.
const perManifest = new WeakMap<Uint8Array, Buffer>();

/** One dictionary-less zstd frame of `manifest` (with its content size in the header). */
export function compressManifest(manifest: Uint8Array, level = MANIFEST_ZSTD_LEVEL): Buffer {
  cctx ??= new zstd.CCtx();
  const dst = Buffer.allocUnsafe(zstd.compressBound(manifest.length));
  const n = cctx.compress(dst, manifest, level);
  return Buffer.from(dst.subarray(0, n));
}

/** compressManifest at the default level, computed once per manifest Buffer and shared. */
export function offerManifestZstd(manifest: Uint8Array): Buffer {
  let z = perManifest.get(manifest);
  if (!z) perManifest.set(manifest, (z = compressManifest(manifest)));
  return z;
}

/**
 * Decompresses an Offer's manifest_zstd into exactly `declaredSize` bytes, refusing (before
 * allocating anything) a size over MAX_MANIFEST_BYTES, and any input that is not exactly one
 * dictionary-less zstd frame producing exactly that many bytes. `where` names the offer.
 */
export function decompressManifest(frame: Uint8Array, declaredSize: number, where: string): Buffer {
  const hint = "the publisher must send one zstd frame of the exact manifest.json bytes with their size (docs/protocol.md, Offer)";
  if (!Number.isSafeInteger(declaredSize) || declaredSize <= 0) {
    throw new PrepcastError("PROTOCOL_ERROR", `${where}: manifest_zstd without a manifest_size (got ${declaredSize})`, { where, hint });
  }
  if (declaredSize > MAX_MANIFEST_BYTES) {
    throw new PrepcastError("TOO_LARGE", `${where}: manifest_size ${declaredSize} exceeds the ${MAX_MANIFEST_BYTES}-byte manifest limit`, { where, hint: "split the process or raise the limit on both sides" });
  }
  const src = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (src.length < ZSTD_MAGIC.length || !src.subarray(0, ZSTD_MAGIC.length).equals(ZSTD_MAGIC)) {
    throw new PrepcastError("PROTOCOL_ERROR", `${where}: manifest_zstd is not a zstd frame (bad magic number)`, { where, hint });
  }
  let frameSize: number;
  let contentSize: number | null;
  let dictId: number;
  try {
    frameSize = zstd.findFrameCompressedSize(src);
    contentSize = zstd.getFrameContentSize(src);
    dictId = zstd.getDictIDFromFrame(src);
  } catch (e) {
    throw new PrepcastError("PROTOCOL_ERROR", `${where}: manifest_zstd is not a valid zstd frame (${(e as Error).message})`, { where, hint });
  }
  if (frameSize !== src.length) {
    throw new PrepcastError("PROTOCOL_ERROR", `${where}: manifest_zstd holds ${src.length - frameSize} bytes after its first zstd frame; exactly one frame is allowed`, { where, hint });
  }
  if (dictId !== 0) {
    throw new PrepcastError("PROTOCOL_ERROR", `${where}: manifest_zstd needs zstd dictionary ${dictId}; the manifest is compressed without one`, { where, hint });
  }
  if (contentSize !== null) sizeCheck(contentSize, declaredSize, where, "its frame header says");
  dctx ??= new zstd.DCtx();
  const dst = Buffer.allocUnsafe(declaredSize);
  let produced: number;
  try {
    produced = dctx.decompress(dst, src);
  } catch (e) {
    const message = (e as Error).message;
    if (/too small/i.test(message)) {
      throw new PrepcastError("TOO_LARGE", `${where}: manifest_zstd decompresses to more than the declared manifest_size ${declaredSize}`, { where, hint });
    }
    throw new PrepcastError("PROTOCOL_ERROR", `${where}: manifest_zstd does not decompress (${message})`, { where, hint });
  }
  sizeCheck(produced, declaredSize, where, "it decompresses to");
  return dst;
}

function sizeCheck(actual: number, declaredSize: number, where: string, what: string): void {
  if (actual === declaredSize) return;
  const hint = "the publisher must declare the exact size of manifest.json";
  if (actual > declaredSize) throw new PrepcastError("TOO_LARGE", `${where}: manifest_zstd ${what} ${actual} bytes, more than the declared manifest_size ${declaredSize}`, { where, hint });
  throw new PrepcastError("TRUNCATED", `${where}: manifest_zstd ${what} ${actual} bytes, fewer than the declared manifest_size ${declaredSize}`, { where, hint });
}
