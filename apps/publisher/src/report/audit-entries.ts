// How the report reads the audit log's entries: their titles and one line of Spanish per entry,
// which ones belong to a difusor and which to the night in general, and probe evidence.
import type { AuditEntry, PublisherAuditEvent } from "@prepcast/protocol";
import { formatMxSeconds } from "@prepcast/runtime";
import type { ProbeEvidence } from "./types";

export const TITLES: Partial<Record<PublisherAuditEvent, string>> = {
  connected: "Sesión establecida",
  session_failed: "Sesión fallida",
  auth_failed: "Autenticación fallida",
  offer: "Corte ofrecido",
  delivered: "Corte entregado",
  refused: "Corte rechazado por el difusor",
  transfer_failed: "Transferencia fallida",
  receipt: "Recibo firmado",
  notice_sent: "Aviso firmado entregado",
  probe_state: "Cambio en la verificación pública",
  suspended: "Suspensión",
  reinstated: "Reinstalación",
  link_restored: "Enlace público restablecido",
  push_again: "Reenvío solicitado por el operador",
  test_notice: "Aviso de prueba",
  service_started: "Servicio iniciado",
  service_stopped: "Servicio detenido",
  probe_outage: "Falla general de verificación (red del OPLE)",
  probe_outage_over: "Fin de la falla general de verificación",
  publication_ended: "Fin de la publicación",
  cut_refused: "Corte rechazado antes de firmar",
  inbox_rejected: "Entrada rechazada en la bandeja",
};

export const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
export const int = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function evidenceOf(v: unknown): ProbeEvidence | null {
  if (typeof v !== "object" || v === null) return null;
  const p = v as Record<string, unknown>;
  const served = (p.served ?? null) as Record<string, unknown> | null;
  const expected = (p.expected ?? null) as Record<string, unknown> | null;
  return {
    at: str(p.at) ?? "",
    verdict: str(p.verdict) ?? str(p.to) ?? "",
    code: str(p.code) ?? "",
    message: str(p.message) ?? "",
    url: str(p.url) ?? "",
    httpStatus: int(p.httpStatus),
    servedSequence: typeof served === "object" && served !== null ? int(served.sequence) : int(p.served),
    expectedSequence: typeof expected === "object" && expected !== null ? int(expected.sequence) : int(p.expected),
  };
}

/** A recorded time as shown everywhere in the report (UTC-6); what is not a time, as it is. */
export function at(v: unknown): string {
  const ms = typeof v === "string" ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? `${formatMxSeconds(ms)} (UTC-6)` : String(v ?? "?");
}
const NOTICE_KINDS: Record<string, string> = { suspension: "suspensión", reinstatement: "reinstalación", test: "prueba" };

/** One line of Spanish saying what the entry records. */
export function detailOf(e: AuditEntry): string {
  const d = e.data;
  switch (e.event) {
    case "connected":
      return `desde ${d.address ?? "?"} por ${d.transport ?? "?"}; corte vigente #${d.live ?? "ninguno"}; desfase de reloj ${d.clockSkewMs ?? "?"} ms; agente ${d.agentVersion ?? "?"}`;
    case "session_failed":
    case "auth_failed":
      return `${d.code ?? ""}: ${d.message ?? ""} (${d.address ?? ""})`;
    case "offer":
      return `corte #${d.sequence} (${d.encoding ?? ""}${d.base != null ? ` sobre #${d.base}` : ""}, ${d.payloadSize ?? "?"} bytes)`;
    case "delivered":
      return `corte #${d.sequence}: ${d.bytes ?? "?"} bytes en ${d.durationMs ?? "?"} ms${d.resumedFrom ? `, reanudado desde el byte ${d.resumedFrom}` : ""}`;
    case "refused":
    case "transfer_failed":
      return `corte #${d.sequence}: ${d.code ?? ""} ${d.message ?? ""}`.trim();
    case "receipt":
      return `corte #${d.sequence} ${d.state === "active" ? `publicado desde ${at(d.activatedAt)}` : `recibido ${at(d.receivedAt)}, en espera de su hora de publicación`}`;
    case "notice_sent":
      return `aviso de ${NOTICE_KINDS[String(d.kind)] ?? d.kind ?? "?"} emitido ${at(d.issuedAt)} (sha256 ${String(d.sha256 ?? "").slice(0, 16)}…)`;
    case "probe_state":
      return `${d.from ?? "inicio"} → ${d.to}: ${d.code ?? ""} ${d.message ?? ""} (sirve #${d.served ?? "?"}, se espera #${d.expected ?? "?"})`;
    case "suspended":
      return `${d.manual ? `por el operador ${d.by ?? ""}` : "por la regla de 45 minutos"}: ${d.reason ?? ""}`;
    case "reinstated":
      return `por ${d.by ?? ""}: ${d.reason ?? ""}`;
    case "link_restored":
      return "la verificación confirmó el corte vigente";
    case "push_again":
      return `por ${d.by ?? ""}`;
    case "test_notice":
      return `por ${d.by ?? ""}`;
    case "probe_outage":
      return `${d.difusores ?? "?"} difusores fallaron a la vez desde ${at(d.since)}: no se cuenta contra ellos`;
    case "publication_ended":
      return `corte final #${d.finalSequence ?? "?"}, publicación hasta ${at(d.publishUntil)}`;
    case "cut_refused":
    case "inbox_rejected":
      return `${d.code ?? ""}: ${d.message ?? ""}`;
    default:
      return JSON.stringify(d).slice(0, 300);
  }
}

export const PER_DIFUSOR = new Set<PublisherAuditEvent>([
  "connected",
  "session_failed",
  "auth_failed",
  "offer",
  "delivered",
  "refused",
  "transfer_failed",
  "receipt",
  "notice_sent",
  "probe_state",
  "suspended",
  "reinstated",
  "link_restored",
  "push_again",
  "test_notice",
]);
export const GENERAL = new Set<PublisherAuditEvent>(["probe_outage", "probe_outage_over", "publication_ended", "cut_refused", "inbox_rejected"]);
