import type { KeysetExpiry } from "@prepcast/protocol";
import type { DifusorMonitorStatus } from "../monitor/monitor";
import type { LinkStatus } from "./receiver-link";

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
