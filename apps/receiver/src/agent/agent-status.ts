// The agent's status (status.json and the status page on the admin listener): the live and staged
// cuts, staleness by this machine's clock, clock skew, the last transfer and the incidents.
import type { CutStore } from "@prepcast/protocol";
import type { ResolvedReceiverConfig } from "./config";
import type { NginxKeeper } from "./nginx";
import type { NoticeStatus } from "./notices";

export interface Incident {
  at: string;
  kind: string;
  code?: string;
  message: string;
}

export interface LastTransfer {
  at: string;
  sequence: number;
  bytes: number;
  durationMs: number;
}

/** What the status is made of: the agent's config, store and counters as they are now. */
export interface AgentStatusInput {
  config: ResolvedReceiverConfig;
  /** the agent's version (AGENT_VERSION) */
  version: string;
  store: CutStore;
  clock: (() => Date) | undefined;
  /** publisher clock minus ours, as measured at the last authentication */
  skewMs: number;
  lastTransfer: LastTransfer | null;
  connectedPublishers: number;
  incidents: Incident[];
  peerIncidents: Incident[];
  siteUrl: string | null;
  notice: NoticeStatus | null;
  nginx: NginxKeeper | null;
}

export function agentStatus(i: AgentStatusInput): Record<string, unknown> {
  const live = i.store.live();
  const pending = i.store.pending();
  const periodMs = i.config.updatePeriodMinutes * 60_000;
  // Staleness is judged by the receiver's own clock: a publisher (or a replay of its messages)
  // with a clock behind ours must not make a frozen cut look fresh. Embargo uses decisionClock.
  const now = (i.clock ? i.clock() : new Date()).getTime();
  const corteAge = live ? now - Date.parse(live.manifest.corte) : null;
  return {
    receiver: i.config.id,
    version: i.version,
    process: i.config.trust.process,
    channels: i.config.trust.channels,
    live: live
      ? {
          sequence: live.record.sequence,
          corte: live.manifest.corte,
          channel: live.manifest.channel,
          manifestSha256: live.record.manifestSha256,
          files: live.record.files,
          bytes: live.record.totalSize,
          committedAt: live.record.committedAt,
          final: live.manifest.final !== undefined,
          ...(live.manifest.final ? { publishUntil: live.manifest.final.publishUntil } : {}),
        }
      : null,
    staged: pending ? { sequence: pending.sequence, corte: pending.corte, notBefore: pending.notBefore } : null,
    // the OPLE's final cut is never stale: no newer one will come (it stays up until publishUntil)
    stale: corteAge !== null && live?.manifest.final === undefined && corteAge > i.config.stalePeriods * periodMs,
    final: live?.manifest.final
      ? {
          sequence: live.record.sequence,
          publishUntil: live.manifest.final.publishUntil,
          publicationEnded: now > Date.parse(live.manifest.final.publishUntil),
        }
      : null,
    clockSkewMs: -i.skewMs,
    lastTransfer: i.lastTransfer,
    connectedPublishers: i.connectedPublishers,
    incidents: i.incidents.slice(-50),
    peerIncidents: i.peerIncidents.slice(-20),
    site: i.siteUrl,
    notice: i.notice,
    ...(i.nginx ? { nginx: i.nginx.last } : {}),
  };
}
