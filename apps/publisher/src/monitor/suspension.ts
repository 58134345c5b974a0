import { PrepcastError, type AuditLog, type PublisherAuditEvent } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { MonitorMetrics } from "./metrics";
import type { NoticeSigner } from "./notice-signer";
import type { Incident } from "./incidents";
import type { MonitorLink } from "./ports";
import { suspensionEvidence } from "./rule";
import type { DifusorMonitorStatus, MonitorStateStore, Suspension } from "./state-store";

export interface SuspensionDeps {
  store: MonitorStateStore;
  signer: NoticeSigner;
  metrics: MonitorMetrics;
  audit: AuditLog<PublisherAuditEvent>;
  log: Logger;
  notices: { suspensionText: string; reinstatementText: string };
  suspendAfterPeriods: number;
  periodMs: () => number;
  link: (id: string) => MonitorLink | undefined;
  latestSequence: () => number | null;
  now: () => number;
  incident: (receiver: string | null, severity: Incident["severity"], kind: string, message: string) => void;
  changed: (id: string) => void;
}

/**
 * Suspension, reinstatement and test notices: each one signed, sent on the difusor's link, saved
 * in monitor-state.json and appended to the audit log with its evidence.
 */
export class SuspensionDesk {
  constructor(private readonly deps: SuspensionDeps) {}

  requireReceiver(id: string): DifusorMonitorStatus {
    const s = this.deps.store.get(id);
    if (!s) throw new PrepcastError("NOT_FOUND", `no difusor "${id}" in the registry`, { hint: `registered: ${this.deps.store.ids().join(", ") || "none"}` });
    return s;
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }

  /** Suspends a difusor (rule or operator): stop results, signed notice, public link disabled. */
  async suspend(id: string, opts: { reason: string; manual: boolean; by: string }): Promise<Suspension> {
    const { store } = this.deps;
    const s = this.requireReceiver(id);
    if (s.suspended)
      throw new PrepcastError("STATE_CONFLICT", `difusor "${id}" is already suspended (since ${s.suspended.at})`, { hint: "reinstate it first" });
    if (!opts.reason.trim()) throw new PrepcastError("CONFIG_INVALID", "a suspension needs a reason", { hint: '--reason "..."' });
    const link = this.deps.link(id);
    const evidence = suspensionEvidence(store.evidence(id) ?? [], s.probe);
    const suspension: Suspension = { at: this.iso(), reason: opts.reason, manual: opts.manual, by: opts.by, evidence };
    s.suspended = suspension;
    s.reinstating = null;
    s.linkEnabled = false;
    link?.setSuspended(true);
    const notice = this.deps.signer.sign(id, "suspension", this.deps.notices.suspensionText, s.lastNotice?.issuedAt ?? null);
    store.setNotice(id, notice);
    link?.setStateNotice(notice);
    store.save();
    this.deps.metrics.suspended.set({ receiver: id }, 1);
    this.deps.audit.append("suspended", {
      receiver: id,
      manual: opts.manual,
      by: opts.by,
      reason: opts.reason,
      failingSince: s.failingSince,
      failedPeriods: s.failedPeriods,
      periodSeconds: this.deps.periodMs() / 1000,
      suspendAfterPeriods: this.deps.suspendAfterPeriods,
      notice: { issuedAt: notice.issuedAt, sha256: notice.sha256 },
      evidence,
    });
    this.deps.log.warn({ receiver: id, manual: opts.manual, reason: opts.reason }, "difusor suspended");
    this.deps.incident(id, "critical", "suspended", `${opts.manual ? "suspendido por el operador" : "suspendido por la regla de 45 minutos"}: ${opts.reason}`);
    store.clearEvidence(id);
    this.deps.changed(id);
    return structuredClone(suspension);
  }

  /** Lifts a suspension: reinstatement notice, latest cut pushed; the public link returns after a good probe. */
  async reinstate(id: string, opts: { reason: string; by: string }): Promise<{ notice: { issuedAt: string; sha256: string } }> {
    const { store } = this.deps;
    const s = this.requireReceiver(id);
    if (!s.suspended) throw new PrepcastError("STATE_CONFLICT", `difusor "${id}" is not suspended`, { hint: "prep-publisher status shows who is" });
    if (!opts.reason.trim()) throw new PrepcastError("CONFIG_INVALID", "a reinstatement needs a reason (what was fixed)", { hint: '--reason "..."' });
    const link = this.deps.link(id);
    const was = s.suspended;
    const notice = this.deps.signer.sign(id, "reinstatement", this.deps.notices.reinstatementText, s.lastNotice?.issuedAt ?? null);
    s.suspended = null;
    s.reinstating = { at: this.iso(), reason: opts.reason, by: opts.by };
    s.failingSince = null;
    s.failedPeriods = 0;
    store.clearEvidence(id);
    store.setNotice(id, notice);
    // the notice goes first on the session, then the link offers the latest cut
    link?.setStateNotice(notice);
    link?.setSuspended(false);
    store.save();
    this.deps.metrics.suspended.set({ receiver: id }, 0);
    this.deps.audit.append("reinstated", {
      receiver: id,
      by: opts.by,
      reason: opts.reason,
      suspendedAt: was.at,
      suspendedReason: was.reason,
      notice: { issuedAt: notice.issuedAt, sha256: notice.sha256 },
      latest: this.deps.latestSequence(),
    });
    this.deps.log.info({ receiver: id, reason: opts.reason }, "difusor reinstated; public link returns after a good probe");
    this.deps.incident(id, "info", "reinstated", `reinstalado por ${opts.by}: ${opts.reason}; el enlace vuelve cuando la verificación confirme el corte`);
    this.deps.changed(id);
    return { notice: { issuedAt: notice.issuedAt, sha256: notice.sha256 } };
  }

  /** Sends a test notice (recorded by the agent, shown on its local status page only). */
  sendTestNotice(id: string, text: string, by: string): { issuedAt: string; sha256: string } {
    const s = this.requireReceiver(id);
    const notice = this.deps.signer.sign(id, "test", text.trim() || "Aviso de prueba del OPLE: no requiere ninguna acción.", s.lastNotice?.issuedAt ?? null);
    this.deps.link(id)?.queueNotice(notice);
    this.deps.audit.append("test_notice", { receiver: id, by, issuedAt: notice.issuedAt, sha256: notice.sha256 });
    this.deps.incident(id, "info", "test_notice", `aviso de prueba enviado por ${by}`);
    this.deps.changed(id);
    return { issuedAt: notice.issuedAt, sha256: notice.sha256 };
  }
}
