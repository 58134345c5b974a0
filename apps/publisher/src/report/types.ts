// The shape of the OPLE's report (`prep-publisher report`): what ople-report.ts builds from the
// audit log and the receipts, and render.ts writes as HTML, PDF and CSV.

export const OPLE_REPORT_FORMAT = "prepcast/ople-report@1";

export interface ProbeEvidence {
  at: string;
  verdict: string;
  code: string;
  message: string;
  url: string;
  httpStatus: number | null;
  servedSequence: number | null;
  expectedSequence: number | null;
}

export interface TimelineEvent {
  time: string;
  event: string;
  /** Spanish label. */
  title: string;
  detail: string;
}

export interface LiveCut {
  sequence: number;
  manifestSha256: string;
  corte: string | null;
  preparedAt: string | null;
  deliveredAt: string | null;
  receivedAt: string | null;
  activatedAt: string | null;
  /** activatedAt − preparedAt (the OPLE signed it) */
  lagMs: number | null;
  /** A valid receipt with state "active" backs activatedAt. */
  receiptValid: boolean;
}

export interface SuspensionRecord {
  at: string;
  manual: boolean;
  by: string;
  reason: string;
  failingSince: string | null;
  failedPeriods: number | null;
  periodSeconds: number | null;
  suspendAfterPeriods: number | null;
  notice: { issuedAt: string; sha256: string } | null;
  evidence: ProbeEvidence[];
  reinstatement: { at: string; by: string; reason: string; notice: { issuedAt: string; sha256: string } | null } | null;
  linkRestoredAt: string | null;
  durationMs: number | null;
}

export interface ReceiptRow {
  storedAt: string;
  sequence: number | null;
  manifestSha256: string | null;
  state: string | null;
  receivedAt: string | null;
  activatedAt: string | null;
  valid: boolean;
  problem: string | null;
}

export interface DifusorRecord {
  id: string;
  name: string;
  organization: string | null;
  publicUrl: string | null;
  transport: string | null;
  address: string | null;
  /** In the config's registry now (a difusor removed since is reported from the log alone). */
  registered: boolean;
  summary: {
    sessions: number;
    sessionFailures: number;
    delivered: number;
    refused: number;
    transferFailed: number;
    liveCuts: number;
    lastLiveSequence: number | null;
    receipts: number;
    invalidReceipts: number;
    suspensions: number;
    probeChanges: number;
    /** Time in each probe verdict within the window (from the recorded state changes). */
    probeTimeMs: Record<string, number>;
  };
  timeline: TimelineEvent[];
  liveCuts: LiveCut[];
  probes: ProbeEvidence[];
  suspensions: SuspensionRecord[];
  receipts: ReceiptRow[];
}

export interface OpleReport {
  format: typeof OPLE_REPORT_FORMAT;
  generatedAt: string;
  window: { from: string | null; to: string | null };
  publisher: { id: string; process: string; channel: string; config: string; state: string };
  auditLog: { file: string; found: boolean; verified: boolean; entries: number; problem: string | null };
  receiptsFile: string;
  service: TimelineEvent[];
  cuts: {
    time: string;
    sequence: number;
    corte: string | null;
    notBefore: string | null;
    manifestSha256: string;
    files: number | null;
    bytes: number | null;
    final: boolean;
    retraction: string | null;
  }[];
  general: TimelineEvent[];
  difusores: DifusorRecord[];
}

export interface OpleReportOptions {
  from?: string;
  to?: string;
  clock?: () => number;
}
