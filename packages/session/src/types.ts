import type { prepcast } from "@prepcast/proto";

/** A cut as both sides name it. */
export interface CutRefInfo {
  process: string;
  channel: string;
  sequence: number;
  manifestSha256: string;
}

export function toWireRef(r: CutRefInfo | null | undefined): prepcast.v1.ICutRef | null {
  if (!r) return null;
  return { process: r.process, channel: r.channel, sequence: r.sequence, manifestSha256: Buffer.from(r.manifestSha256, "hex") };
}

export function fromWireRef(r: prepcast.v1.ICutRef | null | undefined): CutRefInfo | null {
  if (!r || !r.process) return null;
  return {
    process: r.process,
    channel: r.channel ?? "",
    sequence: Number(r.sequence ?? 0),
    manifestSha256: Buffer.from(r.manifestSha256 ?? new Uint8Array()).toString("hex"),
  };
}

export function sameCut(a: CutRefInfo | null | undefined, b: CutRefInfo | null | undefined): boolean {
  return !!a && !!b && a.process === b.process && a.channel === b.channel && a.sequence === b.sequence && a.manifestSha256 === b.manifestSha256;
}

/** Payload encodings the protocol defines; delta encodings are registered by @prepcast/delta. */
export const ENCODING_FULL = "full";

export interface SessionTimeouts {
  /** Hello and auth frames. */
  handshakeMs: number;
  /** Between two frames of a transfer (chunks, end, receipt). */
  transferMs: number;
  /** Waiting for an offer on an idle session (transport keepalives keep it open). */
  idleMs: number;
}

export const DEFAULT_TIMEOUTS: SessionTimeouts = { handshakeMs: 15_000, transferMs: 60_000, idleMs: 24 * 3600_000 };
