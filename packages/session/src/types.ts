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

/** Hello.doctor: the receiver's last full `prep-receiver doctor` run, as the publisher shows it. */
export interface DoctorSummaryInfo {
  checkedAt: string;
  passed: number;
  warnings: number;
  failed: number;
  skipped: number;
  /** ids of the checks that failed / warned */
  failedChecks: string[];
  warningChecks: string[];
}

const CHECK_ID = /^[a-z][a-z0-9-]{0,31}$/;

export function toWireDoctor(d: DoctorSummaryInfo | null | undefined): prepcast.v1.IDoctorSummary | null {
  if (!d) return null;
  return {
    checkedUnixMs: Date.parse(d.checkedAt),
    passed: d.passed,
    warnings: d.warnings,
    failed: d.failed,
    skipped: d.skipped,
    failedChecks: d.failedChecks.slice(0, 32),
    warningChecks: d.warningChecks.slice(0, 32),
  };
}

/** The peer's summary, bounded: counts clamped, at most 32 ids each, and only ids shaped like a check's (nothing else reaches logs or pages). */
export function fromWireDoctor(d: prepcast.v1.IDoctorSummary | null | undefined): DoctorSummaryInfo | null {
  if (!d) return null;
  const t = Number(d.checkedUnixMs ?? 0);
  const count = (v: number | null | undefined) => Math.min(1000, Math.max(0, Number(v ?? 0)));
  const ids = (v: string[] | null | undefined) => (v ?? []).slice(0, 32).filter((x) => typeof x === "string" && CHECK_ID.test(x));
  return {
    checkedAt: Number.isFinite(t) && t > 0 && t < 8.64e15 ? new Date(t).toISOString() : new Date(0).toISOString(),
    passed: count(d.passed),
    warnings: count(d.warnings),
    failed: count(d.failed),
    skipped: count(d.skipped),
    failedChecks: ids(d.failedChecks),
    warningChecks: ids(d.warningChecks),
  };
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
