import type { prepcast } from "@prepcast/proto";
import { PrepcastError } from "@prepcast/protocol";
import { FEATURE_OFFER_MANIFEST_ZSTD, SUPPORTED_FEATURES, decompressManifest } from "./manifest-zstd";

/**
 * The exact manifest bytes the offer carries: `manifest` as sent, or `manifest_zstd` decompressed
 * into exactly `manifest_size` bytes (never more than the manifest limit). Exactly one of the two
 * must be set, and the compressed form only if this receiver advertised it (`features`, as in its hello).
 */
export function offeredManifest(offer: prepcast.v1.IOffer, features: readonly string[] | undefined): Buffer {
  const where = `offer ${JSON.stringify((offer.transferId ?? "").slice(0, 64))}`;
  const plain = offer.manifest ?? new Uint8Array();
  const packed = offer.manifestZstd ?? new Uint8Array();
  const declared = Number(offer.manifestSize ?? 0);
  const hint = "exactly one of Offer.manifest and Offer.manifest_zstd is set (docs/protocol.md, Offer)";
  if (plain.length > 0 && packed.length > 0) throw new PrepcastError("PROTOCOL_ERROR", `${where} carries both manifest and manifest_zstd`, { where, hint });
  if (plain.length === 0 && packed.length === 0)
    throw new PrepcastError("PROTOCOL_ERROR", `${where} carries no manifest (neither manifest nor manifest_zstd)`, { where, hint });
  if (plain.length > 0) {
    if (declared !== 0)
      throw new PrepcastError("PROTOCOL_ERROR", `${where} sets manifest_size ${declared} beside a plain manifest`, {
        where,
        hint: "manifest_size only goes with manifest_zstd",
      });
    return Buffer.from(plain);
  }
  if (!(features ?? SUPPORTED_FEATURES).includes(FEATURE_OFFER_MANIFEST_ZSTD)) {
    throw new PrepcastError("PROTOCOL_ERROR", `${where} carries manifest_zstd, but this receiver did not advertise ${FEATURE_OFFER_MANIFEST_ZSTD}`, {
      where,
      hint,
    });
  }
  return decompressManifest(packed, declared, where);
}
