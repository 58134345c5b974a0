// The signed manifest travels zstd-compressed in the Offer to receivers that advertise
// "offer-manifest-zstd@1" (docs/protocol.md, Offer). Decompression is the only work done on the
// offer's bytes before the signature is checked, so it is bounded: the declared size is checked
// against the manifest limit before anything is allocated, the output buffer has exactly that
// size, and only one dictionary-less zstd frame is accepted.
import { MAX_MANIFEST_BYTES, MANIFEST_ZSTD_LEVEL, compressManifest, decompressManifestFrame } from "@prepcast/protocol";

// The bounded codec itself lives in @prepcast/protocol (archive/manifest-zstd.ts): the offline
// delta package carries the manifest compressed the same way.
export { MAX_MANIFEST_BYTES, MANIFEST_ZSTD_LEVEL, compressManifest };

/** Hello.features token: the receiver accepts Offer.manifest_zstd + manifest_size. */
export const FEATURE_OFFER_MANIFEST_ZSTD = "offer-manifest-zstd@1";

/** Every protocol feature this version implements (what a ReceiverSession advertises by default). */
export const SUPPORTED_FEATURES: readonly string[] = [FEATURE_OFFER_MANIFEST_ZSTD];

// Keyed by the signed manifest's Buffer: every session offering the same prepared cut passes the
// same Buffer, so the manifest is compressed once per cut whatever the number of receivers.
const perManifest = new WeakMap<Uint8Array, Buffer>();

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
  return decompressManifestFrame(frame, declaredSize, {
    where,
    frame: "manifest_zstd",
    size: "manifest_size",
    invalid: "PROTOCOL_ERROR",
    hint: "the publisher must send one zstd frame of the exact manifest.json bytes with their size (docs/protocol.md, Offer)",
  });
}
