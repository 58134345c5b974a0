// Which audit entries become notices to people (the difusor's technical staff and the OPLE's
// operators), once per episode: a difusor whose site keeps failing the probe is announced once,
// then once when it recovers; pushes count as failing after `pushFailures` failures in a row.
// Pure: audit entries in, notifications out, no I/O and no timers (tested on its own).
import type { AuditEntry } from "@prepcast/protocol";

export const NOTIFICATION_EVENTS = ["suspended", "reinstated", "site_failing", "site_recovered", "push_failing", "push_recovered", "test"] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export interface Notification {
  event: NotificationEvent;
  /** the difusor it is about (null: the OPLE's own, e.g. a test) */
  receiver: string | null;
  /** the audit entry that caused it (seq and hash: the evidence) */
  cause: { seq: number; hash: string; event: string } | null;
  /** what happened, in Spanish, for people */
  summary: string;
  detail: Record<string, unknown>;
}

const SUMMARY: Record<NotificationEvent, (r: string | null, d: Record<string, unknown>) => string> = {
  suspended: (r, d) =>
    `El difusor ${r} fue suspendido${d.manual ? " por el operador" : " por la regla de 45 minutos"}: ${String(d.reason ?? "")}. Su sitio muestra el aviso del OPLE y su enlace quedó deshabilitado en la lista de difusores.`,
  reinstated: (r, d) =>
    `El difusor ${r} fue reinstalado por ${String(d.by ?? "el OPLE")}: ${String(d.reason ?? "")}. El enlace vuelve cuando la verificación confirme el corte.`,
  site_failing: (r, d) =>
    `El sitio público del difusor ${r} no pasa la verificación del OPLE (${String(d.code ?? d.verdict)}): ${String(d.message ?? "")}. Tres periodos de 15 minutos seguidos con falla suspenden al difusor.`,
  site_recovered: (r) => `El sitio público del difusor ${r} vuelve a pasar la verificación del OPLE.`,
  push_failing: (r, d) =>
    `El OPLE no logra entregar el corte ${String(d.sequence ?? "")} al agente del difusor ${r} (${String(d.failures)} intentos seguidos, último: ${String(d.code)}: ${String(d.message ?? "")}).`,
  push_recovered: (r, d) => `El agente del difusor ${r} vuelve a recibir cortes (corte ${String(d.sequence ?? "")} entregado).`,
  test: () => "Prueba de notificaciones del PREP: si recibe este mensaje, el canal funciona.",
};

export function notification(event: NotificationEvent, receiver: string | null, detail: Record<string, unknown>, cause: AuditEntry | null): Notification {
  return { event, receiver, cause: cause ? { seq: cause.seq, hash: cause.hash, event: cause.event } : null, summary: SUMMARY[event](receiver, detail), detail };
}

export class NotificationRules {
  private readonly siteFailing = new Set<string>();
  private readonly pushFailures = new Map<string, number>();
  private readonly pushFailing = new Set<string>();

  constructor(private readonly opts: { pushFailures: number }) {}

  /** The notifications one audit entry causes (usually none). */
  feed(e: AuditEntry): Notification[] {
    const d = e.data as Record<string, unknown>;
    const r = typeof d.receiver === "string" ? d.receiver : null;
    if (r === null) return [];
    switch (e.event) {
      case "suspended":
        return [
          notification("suspended", r, { manual: d.manual, by: d.by, reason: d.reason, failingSince: d.failingSince, failedPeriods: d.failedPeriods }, e),
        ];
      case "reinstated":
        return [notification("reinstated", r, { by: d.by, reason: d.reason }, e)];
      case "probe_state": {
        if (d.to === "ok") {
          if (!this.siteFailing.delete(r)) return [];
          return [notification("site_recovered", r, { url: d.url }, e)];
        }
        if (this.siteFailing.has(r)) return [];
        this.siteFailing.add(r);
        return [notification("site_failing", r, { verdict: d.to, code: d.code, message: d.message, url: d.url, served: d.served, expected: d.expected }, e)];
      }
      case "transfer_failed": {
        const n = (this.pushFailures.get(r) ?? 0) + 1;
        this.pushFailures.set(r, n);
        if (n < this.opts.pushFailures || this.pushFailing.has(r)) return [];
        this.pushFailing.add(r);
        return [notification("push_failing", r, { failures: n, sequence: d.sequence, code: d.code, message: d.message }, e)];
      }
      case "delivered": {
        this.pushFailures.delete(r);
        if (!this.pushFailing.delete(r)) return [];
        return [notification("push_recovered", r, { sequence: d.sequence }, e)];
      }
      default:
        return [];
    }
  }
}
