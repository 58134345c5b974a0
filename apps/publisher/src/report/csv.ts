// The report's CSV tables (written by csvRows, which defuses cells a spreadsheet would run as formulas).
import type { DifusorRecord, OpleReport } from "./ople-report";
import type { Row } from "./tables";

/** Each CSV file of the report: its name and its rows, headers first. */
export function csvTables(r: OpleReport): [string, Row[]][] {
  const each = <T>(pick: (d: DifusorRecord) => T[], row: (d: DifusorRecord, x: T) => Row): Row[] => r.difusores.flatMap((d) => pick(d).map((x) => row(d, x)));
  const tables: [string, Row[]][] = [
    [
      "difusores.csv",
      [
        [
          "difusor",
          "nombre",
          "organizacion",
          "sitio",
          "sesiones",
          "fallas_sesion",
          "entregas",
          "rechazos",
          "fallas_transferencia",
          "cortes_publicados",
          "ultimo_corte",
          "recibos",
          "recibos_invalidos",
          "suspensiones",
          "cambios_verificacion",
          ...["ok", "stale", "notice", "wrong", "down", "sin verificar"].map((v) => `segundos_${v.replace(" ", "_")}`),
        ],
        ...r.difusores.map((d) => [
          d.id,
          d.name,
          d.organization,
          d.publicUrl,
          d.summary.sessions,
          d.summary.sessionFailures,
          d.summary.delivered,
          d.summary.refused,
          d.summary.transferFailed,
          d.summary.liveCuts,
          d.summary.lastLiveSequence,
          d.summary.receipts,
          d.summary.invalidReceipts,
          d.summary.suspensions,
          d.summary.probeChanges,
          ...["ok", "stale", "notice", "wrong", "down", "sin verificar"].map((v) => Math.round((d.summary.probeTimeMs[v] ?? 0) / 1000)),
        ]),
      ],
    ],
    [
      "eventos.csv",
      [
        ["difusor", "hora", "evento", "titulo", "detalle"],
        ...each(
          (d) => d.timeline,
          (d, e) => [d.id, e.time, e.event, e.title, e.detail],
        ),
        ...r.general.map((e) => ["", e.time, e.event, e.title, e.detail]),
        ...r.service.map((e) => ["", e.time, e.event, e.title, e.detail]),
      ],
    ],
    [
      "cortes_publicados.csv",
      [
        ["difusor", "corte", "manifest_sha256", "hora_corte", "firmado", "entregado", "recibido", "publicado", "demora_s"],
        ...each(
          (d) => d.liveCuts,
          (d, c) => [
            d.id,
            c.sequence,
            c.manifestSha256,
            c.corte,
            c.preparedAt,
            c.deliveredAt,
            c.receivedAt,
            c.activatedAt,
            c.lagMs === null ? null : Math.round(c.lagMs / 1000),
          ],
        ),
      ],
    ],
    [
      "verificaciones.csv",
      [
        ["difusor", "hora", "resultado", "codigo", "sirve", "se_espera", "url", "detalle"],
        ...each(
          (d) => d.probes,
          (d, p) => [d.id, p.at, p.verdict, p.code, p.servedSequence, p.expectedSequence, p.url, p.message],
        ),
      ],
    ],
    [
      "suspensiones.csv",
      [
        [
          "difusor",
          "suspendido",
          "manual",
          "por",
          "motivo",
          "fallando_desde",
          "periodos_fallidos",
          "aviso_sha256",
          "reinstalado",
          "reinstalado_por",
          "motivo_reinstalacion",
          "aviso_reinstalacion_sha256",
          "enlace_restablecido",
          "duracion_s",
          "evidencias",
        ],
        ...each(
          (d) => d.suspensions,
          (d, s) => [
            d.id,
            s.at,
            s.manual ? "si" : "no",
            s.by,
            s.reason,
            s.failingSince,
            s.failedPeriods,
            s.notice?.sha256 ?? null,
            s.reinstatement?.at ?? null,
            s.reinstatement?.by ?? null,
            s.reinstatement?.reason ?? null,
            s.reinstatement?.notice?.sha256 ?? null,
            s.linkRestoredAt,
            s.durationMs === null ? null : Math.round(s.durationMs / 1000),
            s.evidence.length,
          ],
        ),
      ],
    ],
    [
      "evidencia.csv",
      [
        ["difusor", "suspendido", "hora", "resultado", "codigo", "http", "sirve", "se_espera", "url", "detalle"],
        ...each(
          (d) => d.suspensions.flatMap((s) => s.evidence.map((p) => ({ s, p }))),
          (d, { s, p }) => [d.id, s.at, p.at, p.verdict, p.code, p.httpStatus, p.servedSequence, p.expectedSequence, p.url, p.message],
        ),
      ],
    ],
    [
      "recibos.csv",
      [
        ["difusor", "guardado", "corte", "manifest_sha256", "estado", "recibido", "publicado", "firma_valida", "problema"],
        ...each(
          (d) => d.receipts,
          (d, x) => [d.id, x.storedAt, x.sequence, x.manifestSha256, x.state, x.receivedAt, x.activatedAt, x.valid ? "si" : "no", x.problem],
        ),
      ],
    ],
    [
      "cortes.csv",
      [
        ["firmado", "corte", "hora_corte", "publicar_desde", "manifest_sha256", "archivos", "bytes", "final", "correccion"],
        ...r.cuts.map((c) => [c.time, c.sequence, c.corte, c.notBefore, c.manifestSha256, c.files, c.bytes, c.final ? "si" : "no", c.retraction]),
      ],
    ],
  ];
  return tables;
}
