import type { KeysetExpiry } from "@prepcast/protocol";
import type { DifusorMonitorStatus } from "../monitor/monitor";
import type { LinkStatus, ReceiverLink } from "./receiver-link";
import type { DifusorMonitor } from "../monitor/monitor";
import type { ResolvedPublisherConfig } from "./config";
import type { CutRepository, PreparedCut } from "./cut-repository";

/** What `/api/status` and `prep-publisher status` report (PublisherService.status()). */
export interface StatusReport {
  publisher: string;
  process: string;
  channel: string;
  latest: {
    sequence: number;
    corte: string;
    manifestSha256: string;
    preparedAt: string;
    files: number;
    bytes: number;
    final: boolean;
    publishUntil: string | null;
  } | null;
  /** the final cut and the end of publication, once the OPLE has published its final cut */
  publication: { finalSequence: number | null; publishUntil: string | null; ended: boolean };
  /** the keyset the next cut is signed with, its expiry and warning, and a keys directory that failed to reload */
  keyset: KeysetExpiry & {
    keys: string[];
    signingKeyId: string;
    /** the root it is signed under: version and threshold of the root set (root.json), or root.pub (version 1, threshold 1, keyIds null) */
    root: { version: number; threshold: number; keyIds: string[] | null };
    reloadProblem: { code: string; message: string; at: string } | null;
  };
  receivers: Array<
    LinkStatus & {
      lagCuts: number | null;
      lagMinutes: number | null;
      clockSkewWarning: boolean;
      monitor: DifusorMonitorStatus | null;
      keysetVersion: number | null;
    }
  >;
}

/** What PublisherService.status() reads its report from. */
export interface StatusSources {
  config: ResolvedPublisherConfig;
  repo: CutRepository;
  monitor: DifusorMonitor;
  links: Iterable<ReceiverLink>;
  keyset(): StatusReport["keyset"];
  /** the keyset version a cut carries (cached by the service) */
  keysetVersionOf(cut: PreparedCut): number;
}

/** The status report: the latest cut, the publication, the keyset and, per receiver, its lag and monitor state. */
export function statusReport(src: StatusSources): StatusReport {
  const latest = src.repo.latest();
  const periodMs = src.config.updatePeriodMinutes * 60_000;
  return {
    publisher: src.config.id,
    process: src.config.process,
    channel: src.config.channel,
    latest: latest
      ? {
          sequence: latest.ref.sequence,
          corte: latest.summary.corte,
          manifestSha256: latest.ref.manifestSha256,
          preparedAt: latest.preparedAt,
          files: latest.summary.fileCount,
          bytes: latest.summary.totalSize,
          final: latest.summary.final !== undefined,
          publishUntil: latest.summary.final?.publishUntil ?? null,
        }
      : null,
    publication: src.monitor.publication(),
    keyset: src.keyset(),
    receivers: [...src.links].map((l) => {
      const monitor = src.monitor.status(l.entry.id);
      const clockSkewWarning = !!l.status().hello && Math.abs(l.status().hello!.clockSkewMs) > 2000;
      const s = l.status();
      const lagCuts = latest ? latest.ref.sequence - (s.live?.sequence ?? 0) : null;
      const liveCut = s.live ? src.repo.get(s.live.sequence) : undefined;
      const lagMinutes =
        latest && lagCuts
          ? Math.round(
              (Date.parse(latest.preparedAt) - (liveCut ? Date.parse(liveCut.preparedAt) : Date.parse(latest.preparedAt) - lagCuts * periodMs)) / 60_000,
            )
          : latest
            ? 0
            : null;
      // the highest keyset the receiver has accepted: what it said in its hello, or the one its live cut carries
      const keysetVersion = Math.max(s.hello?.keysetVersion ?? 0, liveCut ? src.keysetVersionOf(liveCut) : 0) || null;
      return { ...s, lagCuts, lagMinutes, clockSkewWarning, monitor, keysetVersion };
    }),
  };
}
