import {
  ENCODING_DELTA_ZIP,
  ENCODING_DELTA_ZSTD,
  ENCODING_FULL_ZSTD,
  encodeDelta,
  encodeZipDelta,
  type CutContent,
  type EncodeOptions,
  type StreamStats,
} from "@prepcast/delta";
import { ENCODING_FULL } from "@prepcast/session";
import { PrepcastError } from "@prepcast/protocol";

/**
 * A payload encoding the publisher can offer (docs/extending.md, "A payload encoding"). The
 * receiver side registers the matching `PayloadApplier`; a receiver is offered an encoding only
 * when its Hello lists the name.
 */
export interface PayloadEncoder {
  /** `name@version`, exactly as receivers list it in `Hello.accepted_encodings`. */
  readonly encoding: string;
  /**
   * `delta`: rebuilds the cut from the cut the receiver has live (offered only when this
   * publisher still holds that cut); `whole`: needs nothing on the receiver (offered only when
   * its stream is smaller than the plain `full` payload).
   */
  readonly kind: "delta" | "whole";
  /**
   * Writes the payload stream to `outFile` (`base` is null for `whole`) and returns its size and
   * SHA-256, plus any figures worth logging. Runs once per (cut, base): every session on that
   * base reads the same file.
   */
  encode(target: CutContent, base: CutContent | null, outFile: string): Promise<StreamStats & Record<string, unknown>>;
}

/** The encodings this publisher offers by default, in order of preference: `delta-zstd@1`, then `full-zstd@1`. */
export function defaultEncoders(opts: EncodeOptions = {}): PayloadEncoder[] {
  return [
    { encoding: ENCODING_DELTA_ZSTD, kind: "delta", encode: async (t, b, out) => ({ ...(await encodeDelta(t, b, out, opts)) }) },
    { encoding: ENCODING_FULL_ZSTD, kind: "whole", encode: async (t, _b, out) => ({ ...(await encodeDelta(t, null, out, opts)) }) },
  ];
}

/**
 * `delta-zip@1` (docs/protocol.md §9.4), not offered by default: a zip of the cut that rebuilds
 * byte for byte with pinned pako travels as its entries' delta. Put it first to prefer it:
 * `[zipDeltaEncoder(), ...defaultEncoders()]`; receivers that do not list it keep delta-zstd@1.
 */
export function zipDeltaEncoder(opts: EncodeOptions = {}): PayloadEncoder {
  return { encoding: ENCODING_DELTA_ZIP, kind: "delta", encode: async (t, b, out) => ({ ...(await encodeZipDelta(t, b, out, opts)) }) };
}

const ENCODING_NAME = /^[a-z0-9][a-z0-9.-]{0,62}@[1-9][0-9]{0,5}$/;

/** Checks a list of encoders: valid `name@version`, no duplicates, never `full` (always offered last, by the planner itself). */
export function checkEncoders(encoders: readonly PayloadEncoder[]): void {
  const seen = new Set<string>();
  for (const e of encoders) {
    const hint = "an encoding is name@version (lower case, e.g. gzip-example@1), registered once; `full` is built in";
    if (e.encoding === ENCODING_FULL || !ENCODING_NAME.test(e.encoding))
      throw new PrepcastError("CONFIG_INVALID", `payload encoder "${e.encoding}" has an invalid name`, { where: "encoders", hint });
    if (seen.has(e.encoding)) throw new PrepcastError("CONFIG_INVALID", `payload encoder "${e.encoding}" is registered twice`, { where: "encoders", hint });
    if (e.kind !== "delta" && e.kind !== "whole")
      throw new PrepcastError("CONFIG_INVALID", `payload encoder "${e.encoding}" has kind "${String(e.kind)}"`, {
        where: "encoders",
        hint: 'kind is "delta" or "whole"',
      });
    seen.add(e.encoding);
  }
}
