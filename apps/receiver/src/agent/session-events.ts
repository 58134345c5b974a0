import { peerText, type AuditLog, type ReceiverAuditEvent } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { ReceiverSessionEvent } from "@prepcast/session";
import type { ReceiverMetrics } from "./metrics";

/** What recording one session's events touches in the agent. */
export interface SessionEventSink {
  audit: AuditLog<ReceiverAuditEvent>;
  log: Logger;
  metrics: ReceiverMetrics;
  incident(kind: string, message: string, code?: string): void;
  /** An authentication failure: false when the throttle holds this one back (counted, not recorded). */
  recordAuthFailure(): boolean;
  /** The authenticated publisher's clock offset (null when unknown). */
  publisherClock(offsetMs: number | null): void;
  transferred(t: { at: string; sequence: number; bytes: number; durationMs: number }): void;
}

/**
 * One publisher session's events as the difusor's records: audit log entries (names are part of
 * the audit format), metrics, incidents for the status page, and log lines.
 */
export class SessionEventRecorder {
  /** Whether the publisher authenticated (the connected-peers gauge counts it until the session ends). */
  authenticated = false;
  private transferStarted = 0;

  constructor(
    private readonly sink: SessionEventSink,
    private readonly where: () => { address: string; transport: string },
  ) {}

  record(e: ReceiverSessionEvent): void {
    const { audit, log, metrics } = this.sink;
    const where = this.where();
    switch (e.type) {
      case "authenticated":
        this.authenticated = true;
        this.sink.publisherClock(e.publisherClockOffsetMs);
        metrics.connected.inc();
        audit.append("publisher_connected", { publisher: e.publisherId, ...where });
        break;
      case "auth_failed": {
        metrics.failures.inc({ code: e.code });
        if (!this.sink.recordAuthFailure()) break;
        const message = peerText(e.message, 300);
        this.sink.incident("auth_failed", message, e.code);
        audit.append("auth_failed", { code: e.code, message, ...where });
        log.warn({ ...where, code: e.code, err: message }, "publisher authentication failed");
        break;
      }
      case "offer":
        audit.append("offer", { sequence: e.sequence, manifestSha256: e.manifestSha256, encoding: e.encoding, payloadSize: e.payloadSize });
        break;
      case "refused":
        metrics.failures.inc({ code: e.code });
        if (e.code !== "ALREADY_INSTALLED") this.sink.incident("refused", e.message, e.code);
        audit.append("refused", { code: e.code, message: e.message, sequence: e.sequence ?? null });
        log.warn({ code: e.code, err: e.message, sequence: e.sequence }, "offer refused");
        break;
      case "transfer_started":
        this.transferStarted = Date.now();
        audit.append("transfer_started", { sequence: e.sequence, resumeOffset: e.resumeOffset, payloadSize: e.payloadSize });
        break;
      case "transfer_failed":
        metrics.failures.inc({ code: e.code });
        this.sink.incident("transfer_failed", e.message, e.code);
        audit.append("transfer_failed", { code: e.code, message: e.message, sequence: e.sequence, offset: e.offset });
        log.error({ code: e.code, err: e.message, sequence: e.sequence }, "transfer failed");
        break;
      case "received":
        metrics.bytes.inc(e.bytes);
        metrics.duration.observe((Date.now() - this.transferStarted) / 1000);
        this.sink.transferred({ at: new Date().toISOString(), sequence: e.sequence, bytes: e.bytes, durationMs: e.durationMs });
        audit.append("received", { sequence: e.sequence, bytes: e.bytes, durationMs: e.durationMs });
        break;
      case "installed":
        audit.append(e.state === "active" ? "installed" : "staged", {
          sequence: e.sequence,
          manifestSha256: e.manifestSha256,
          corte: e.corte,
          receivedAt: e.receivedAt.toISOString(),
          activatedAt: e.activatedAt?.toISOString() ?? null,
        });
        break;
      case "receipt_sent":
        audit.append("receipt_sent", { sequence: e.sequence, state: e.state });
        break;
      case "notice":
        if (e.kind !== "reinstatement")
          this.sink.incident(
            e.kind === "suspension" ? "suspended" : "test_notice",
            e.kind === "suspension" ? `suspendido por el OPLE (aviso del ${e.issuedAt})` : `aviso de prueba del ${e.issuedAt}`,
          );
        break;
      case "notice_rejected":
        this.sink.incident("notice_rejected", e.message, e.code);
        audit.append("notice_rejected", { code: e.code, message: e.message, ...where });
        log.error({ code: e.code, err: e.message }, "notice rejected");
        break;
    }
  }
}
