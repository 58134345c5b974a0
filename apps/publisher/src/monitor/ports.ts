import type { NoticeDoc } from "@prepcast/session";
import type { ProbeExpectation, ProbeOptions, ProbeResult } from "./probe";
import type { SignedNotice } from "./notice-signer";

/**
 * What the monitor needs from the rest of the publisher, and nothing more. The service
 * (service/publisher-service.ts) composes the monitor from its config, cut repository and links;
 * the monitor never imports the service.
 */

/** The configuration the monitor reads (a ResolvedPublisherConfig satisfies it). */
export interface MonitorConfig {
  id: string;
  process: string;
  channel: NoticeDoc["channel"];
  /** STATE directory: monitor-state.json and audit.log live there. */
  state: string;
  updatePeriodMinutes: number;
  suspendAfterPeriods: number;
  monitor: {
    enabled: boolean;
    probeIntervalSeconds: number;
    probeTimeoutSeconds: number;
    periodSeconds?: number | undefined;
    autoSuspend: boolean;
    maxProbeFileBytes: number;
  };
  notices: { suspensionText: string; reinstatementText: string };
  receiverEntries: ReadonlyArray<{ id: string; publicUrl?: string | undefined }>;
}

/** A signed cut as the monitor sees it (a PreparedCut satisfies it). */
export interface MonitorCut {
  ref: { process: string; channel: string; sequence: number; manifestSha256: string };
  summary: { notBefore: string; corte: string; final?: { publishUntil: string } | undefined };
  readonly manifest: { files: ProbeExpectation["files"] };
}

/** The signed cuts, oldest first (a CutRepository satisfies it). */
export interface CutSource {
  list(): readonly MonitorCut[];
  latest(): { ref: { sequence: number } } | null;
}

/** One difusor's link as the monitor drives it (a ReceiverLink satisfies it). */
export interface MonitorLink {
  setSuspended(suspended: boolean): void;
  setStateNotice(notice: SignedNotice | null): void;
  queueNotice(notice: SignedNotice): void;
  status(): { state: string; live: { sequence: number } | null };
}

export type ProbeFn = (publicUrl: string, expected: ProbeExpectation | null, opts: ProbeOptions) => Promise<ProbeResult>;
