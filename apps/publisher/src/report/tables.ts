// What the HTML page and the PDF both show: times in Mexico's central time, verdicts in Spanish, and
// the tables of the report (headers and rows), each rendered by html.ts and pdf.ts.
import { formatMx, formatMxSeconds, humanDuration } from "@prepcast/runtime";
import type { DifusorRecord, OpleReport } from "./ople-report";

export const when = (iso: string | null): string => (iso === null || iso === "" || !Number.isFinite(Date.parse(iso)) ? "—" : formatMxSeconds(Date.parse(iso)));
export const period = (r: OpleReport): string =>
  `${r.window.from ? formatMx(Date.parse(r.window.from)) : "inicio de la bitácora"} a ${r.window.to ? formatMx(Date.parse(r.window.to)) : "fin de la bitácora"} (hora del centro de México, UTC-6)`;
export const VERDICTS: Record<string, string> = {
  ok: "sirve el corte vigente",
  stale: "corte atrasado",
  notice: "muestra un aviso",
  wrong: "contenido distinto",
  down: "sin respuesta",
  "sin verificar": "sin verificar",
};
export const verdictTime = (d: DifusorRecord): string =>
  Object.entries(d.summary.probeTimeMs)
    .sort((a, b) => b[1] - a[1])
    .map(([v, ms]) => `${VERDICTS[v] ?? v}: ${humanDuration(ms)}`)
    .join("; ") || "sin registros de verificación";
export const suspensionState = (s: DifusorRecord["suspensions"][number]): string =>
  s.reinstatement
    ? `reinstalado ${when(s.reinstatement.at)}${s.linkRestoredAt ? `, enlace restablecido ${when(s.linkRestoredAt)}` : ", enlace pendiente de verificación"}`
    : "vigente al cierre del informe";

export type Row = (string | number | null)[];
export interface Table {
  headers: string[];
  rows: Row[];
}

export function summaryTable(r: OpleReport): Table {
  return {
    headers: [
      "Difusor",
      "Nombre",
      "Sesiones",
      "Fallas de sesión",
      "Entregas",
      "Rechazos",
      "Cortes publicados (recibo)",
      "Último corte",
      "Recibos",
      "Recibos inválidos",
      "Suspensiones",
      "Verificación pública",
    ],
    rows: r.difusores.map((d) => [
      d.id,
      d.name,
      d.summary.sessions,
      d.summary.sessionFailures,
      d.summary.delivered,
      d.summary.refused + d.summary.transferFailed,
      d.summary.liveCuts,
      d.summary.lastLiveSequence,
      d.summary.receipts,
      d.summary.invalidReceipts,
      d.summary.suspensions,
      verdictTime(d),
    ]),
  };
}

export const liveCutsTable = (d: DifusorRecord): Table => ({
  headers: ["Corte", "Hora del corte", "Firmado por el OPLE", "Entregado", "Recibido", "Publicado", "Demora desde la firma"],
  rows: d.liveCuts.map((c) => [
    c.sequence,
    c.corte ? formatMx(Date.parse(c.corte)) : "—",
    when(c.preparedAt),
    when(c.deliveredAt),
    when(c.receivedAt),
    when(c.activatedAt),
    c.lagMs === null ? "—" : humanDuration(Math.max(0, c.lagMs)),
  ]),
});
export const probesTable = (d: DifusorRecord): Table => ({
  headers: ["Hora", "Resultado", "Código", "Sirve", "Se espera", "Detalle"],
  rows: d.probes.map((p) => [when(p.at), VERDICTS[p.verdict] ?? p.verdict, p.code, p.servedSequence, p.expectedSequence, p.message]),
});
export const evidenceTable = (s: DifusorRecord["suspensions"][number]): Table => ({
  headers: ["Verificación", "Resultado", "Código", "HTTP", "Sirve", "Se espera", "URL", "Detalle"],
  rows: s.evidence.map((p) => [when(p.at), VERDICTS[p.verdict] ?? p.verdict, p.code, p.httpStatus, p.servedSequence, p.expectedSequence, p.url, p.message]),
});
export const receiptsTable = (d: DifusorRecord): Table => ({
  headers: ["Guardado", "Corte", "Estado", "Recibido", "Publicado", "Firma", "Manifiesto (sha256)"],
  rows: d.receipts.map((x) => [
    when(x.storedAt),
    x.sequence,
    x.state === "active" ? "publicado" : x.state === "staged" ? "en espera" : "—",
    when(x.receivedAt),
    when(x.activatedAt),
    x.valid ? "válida" : `INVÁLIDA: ${x.problem ?? ""}`,
    x.manifestSha256 ? `${x.manifestSha256.slice(0, 16)}…` : "—",
  ]),
});
export const timelineTable = (d: DifusorRecord): Table => ({
  headers: ["Hora", "Evento", "Detalle"],
  rows: d.timeline.map((e) => [when(e.time), e.title, e.detail]),
});

export function suspensionLines(s: DifusorRecord["suspensions"][number]): string[] {
  return [
    `Suspendido ${when(s.at)} ${s.manual ? `por el operador ${s.by}` : "por la regla de 45 minutos"}: ${s.reason}`,
    s.failingSince
      ? `Fallando desde ${when(s.failingSince)}; periodos fallidos: ${s.failedPeriods ?? "?"} de ${s.suspendAfterPeriods ?? "?"} (periodo de ${s.periodSeconds ?? "?"} s)`
      : "Sin racha de fallas registrada (suspensión por decisión del operador)",
    s.notice ? `Aviso de suspensión firmado ${when(s.notice.issuedAt)}, sha256 ${s.notice.sha256}` : "Sin aviso registrado",
    s.reinstatement
      ? `Reinstalado ${when(s.reinstatement.at)} por ${s.reinstatement.by}: ${s.reinstatement.reason}${s.reinstatement.notice ? `; aviso de reinstalación sha256 ${s.reinstatement.notice.sha256}` : ""}`
      : "Sin reinstalación en el periodo",
    `Estado: ${suspensionState(s)}${s.durationMs !== null ? `; duración ${humanDuration(s.durationMs)}` : ""}`,
  ];
}
