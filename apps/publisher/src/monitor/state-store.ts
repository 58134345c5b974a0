import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError, writeFileAtomic } from "@prepcast/protocol";
import type { NoticeKind } from "@prepcast/session";
import type { Logger } from "@prepcast/runtime";
import type { ProbeResult } from "./probe";
import type { SignedNotice } from "./notice-signer";

export interface Suspension {
  at: string;
  reason: string;
  manual: boolean;
  by: string;
  /** Probe results that justified it (first and last failures of the streak). */
  evidence: ProbeResult[];
}

/** Everything the operator sees about one difusor's public side. */
export interface DifusorMonitorStatus {
  publicUrl: string | null;
  probe: ProbeResult | null;
  /** Time the current run of failed probes began (null while the site serves the latest cut). */
  failingSince: string | null;
  /** Failed update periods so far in the current run (the rule suspends at suspendAfterPeriods). */
  failedPeriods: number;
  suspended: Suspension | null;
  /** Reinstated by the operator; the public list link waits for a successful probe. */
  reinstating: { at: string; reason: string; by: string } | null;
  /** Whether the public list of difusores links to this site. */
  linkEnabled: boolean;
  lastNotice: { kind: NoticeKind; issuedAt: string; sha256: string } | null;
}

interface PersistedReceiver {
  suspended: Suspension | null;
  reinstating: DifusorMonitorStatus["reinstating"];
  linkEnabled: boolean;
  /** The suspension/reinstatement notice in force, exact signed bytes (base64). */
  notice: { kind: NoticeKind; issuedAt: string; sha256: string; notice: string; signature: string } | null;
}

interface PersistedState {
  format: "prepcast/monitor-state@1";
  receivers: Record<string, PersistedReceiver>;
}

/**
 * The monitor's state per difusor: what the operator sees (DifusorMonitorStatus), the notice in
 * force, and the evidence of the current failing run. Suspensions, reinstatements and notices
 * survive restarts in STATE/monitor-state.json (format prepcast/monitor-state@1); probe results
 * and runs do not (they start again after a restart).
 */
export class MonitorStateStore {
  private readonly state = new Map<string, DifusorMonitorStatus>();
  private readonly notices = new Map<string, SignedNotice>();
  private readonly streaks = new Map<string, ProbeResult[]>();
  private readonly file: string;
  private persisting: Promise<void> = Promise.resolve();

  /** Loads STATE/monitor-state.json; a damaged file refuses to start (STATE_INVALID). */
  constructor(
    stateDir: string,
    entries: ReadonlyArray<{ id: string; publicUrl?: string | undefined }>,
    private readonly log: Logger,
  ) {
    this.file = path.join(stateDir, "monitor-state.json");
    const persisted = this.load();
    for (const entry of entries) {
      const p = persisted.receivers[entry.id];
      this.state.set(entry.id, {
        publicUrl: entry.publicUrl ?? null,
        probe: null,
        failingSince: null,
        failedPeriods: 0,
        suspended: p?.suspended ?? null,
        reinstating: p?.reinstating ?? null,
        linkEnabled: p?.linkEnabled ?? true,
        lastNotice: p?.notice ? { kind: p.notice.kind, issuedAt: p.notice.issuedAt, sha256: p.notice.sha256 } : null,
      });
      if (p?.notice) {
        this.notices.set(entry.id, {
          kind: p.notice.kind,
          issuedAt: p.notice.issuedAt,
          sha256: p.notice.sha256,
          notice: Buffer.from(p.notice.notice, "base64"),
          signature: Buffer.from(p.notice.signature, "base64"),
        });
      }
    }
  }

  /** The live (mutable) status of one difusor. */
  get(id: string): DifusorMonitorStatus | undefined {
    return this.state.get(id);
  }

  ids(): string[] {
    return [...this.state.keys()];
  }

  entries(): IterableIterator<[string, DifusorMonitorStatus]> {
    return this.state.entries();
  }

  values(): IterableIterator<DifusorMonitorStatus> {
    return this.state.values();
  }

  notice(id: string): SignedNotice | undefined {
    return this.notices.get(id);
  }

  /** Makes `n` the notice in force for `id` (saved at the next save()). */
  setNotice(id: string, n: SignedNotice): void {
    this.notices.set(id, n);
    this.state.get(id)!.lastNotice = { kind: n.kind, issuedAt: n.issuedAt, sha256: n.sha256 };
  }

  /** The failed probes of the current run (evidence for a suspension). */
  evidence(id: string): ProbeResult[] | undefined {
    return this.streaks.get(id);
  }

  setEvidence(id: string, streak: ProbeResult[]): void {
    this.streaks.set(id, streak);
  }

  clearEvidence(id?: string): void {
    if (id === undefined) this.streaks.clear();
    else this.streaks.delete(id);
  }

  private load(): PersistedState {
    try {
      const v = JSON.parse(fs.readFileSync(this.file, "utf8")) as PersistedState;
      if (v.format === "prepcast/monitor-state@1" && v.receivers && typeof v.receivers === "object") return v;
      throw new Error("unknown format");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { format: "prepcast/monitor-state@1", receivers: {} };
      // a damaged state file must not silently reinstate anyone: refuse to start
      throw new PrepcastError("STATE_INVALID", `${this.file} cannot be read: ${(e as Error).message}`, {
        where: this.file,
        hint: "restore it from backup; the audit log records every suspension and reinstatement",
      });
    }
  }

  /** Writes the persisted part; writes are chained, so a later state never lands before an earlier one. */
  save(): void {
    const out: PersistedState = { format: "prepcast/monitor-state@1", receivers: {} };
    for (const [id, s] of this.state) {
      const n = this.notices.get(id);
      out.receivers[id] = {
        suspended: s.suspended,
        reinstating: s.reinstating,
        linkEnabled: s.linkEnabled,
        notice: n
          ? {
              kind: n.kind,
              issuedAt: n.issuedAt,
              sha256: n.sha256,
              notice: n.notice.toString("base64"),
              signature: Buffer.from(n.signature).toString("base64"),
            }
          : null,
      };
    }
    const data = JSON.stringify(out, null, 2) + "\n";
    this.persisting = this.persisting
      .then(() => writeFileAtomic(this.file, data, 0o640))
      .catch((e) => this.log.error({ err: (e as Error).message }, "monitor state not saved"));
  }

  /** Resolves when every state change so far is on disk. */
  flushed(): Promise<void> {
    return this.persisting;
  }
}
