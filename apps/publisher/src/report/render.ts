// The OPLE's record of the night as files: one self-contained HTML page (every text escaped: names,
// addresses and messages come from difusores and the network), the same content as PDF (no
// browser), CSV tables (cells a spreadsheet would run as formulas defused) and the JSON model.
import * as fs from "node:fs";
import * as path from "node:path";
import { csvRows, escapeHtmlText as esc } from "@prepcast/protocol";
import { formatMx, formatMxSeconds, humanDuration, renderPdfReport, type PdfBlock } from "@prepcast/runtime";
import type { ResolvedPublisherConfig } from "../service/config";
import { buildOpleReport, type DifusorRecord, type OpleReport, type OpleReportOptions } from "./ople-report";

const when = (iso: string | null): string => (iso === null || iso === "" || !Number.isFinite(Date.parse(iso)) ? "—" : formatMxSeconds(Date.parse(iso)));
const period = (r: OpleReport): string =>
  `${r.window.from ? formatMx(Date.parse(r.window.from)) : "inicio de la bitácora"} a ${r.window.to ? formatMx(Date.parse(r.window.to)) : "fin de la bitácora"} (hora del centro de México, UTC-6)`;
const VERDICTS: Record<string, string> = {
  ok: "sirve el corte vigente",
  stale: "corte atrasado",
  notice: "muestra un aviso",
  wrong: "contenido distinto",
  down: "sin respuesta",
  "sin verificar": "sin verificar",
};
const verdictTime = (d: DifusorRecord): string =>
  Object.entries(d.summary.probeTimeMs)
    .sort((a, b) => b[1] - a[1])
    .map(([v, ms]) => `${VERDICTS[v] ?? v}: ${humanDuration(ms)}`)
    .join("; ") || "sin registros de verificación";
const suspensionState = (s: DifusorRecord["suspensions"][number]): string =>
  s.reinstatement
    ? `reinstalado ${when(s.reinstatement.at)}${s.linkRestoredAt ? `, enlace restablecido ${when(s.linkRestoredAt)}` : ", enlace pendiente de verificación"}`
    : "vigente al cierre del informe";

type Row = (string | number | null)[];
interface Table {
  headers: string[];
  rows: Row[];
}

function summaryTable(r: OpleReport): Table {
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

const liveCutsTable = (d: DifusorRecord): Table => ({
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
const probesTable = (d: DifusorRecord): Table => ({
  headers: ["Hora", "Resultado", "Código", "Sirve", "Se espera", "Detalle"],
  rows: d.probes.map((p) => [when(p.at), VERDICTS[p.verdict] ?? p.verdict, p.code, p.servedSequence, p.expectedSequence, p.message]),
});
const evidenceTable = (s: DifusorRecord["suspensions"][number]): Table => ({
  headers: ["Verificación", "Resultado", "Código", "HTTP", "Sirve", "Se espera", "URL", "Detalle"],
  rows: s.evidence.map((p) => [when(p.at), VERDICTS[p.verdict] ?? p.verdict, p.code, p.httpStatus, p.servedSequence, p.expectedSequence, p.url, p.message]),
});
const receiptsTable = (d: DifusorRecord): Table => ({
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
const timelineTable = (d: DifusorRecord): Table => ({
  headers: ["Hora", "Evento", "Detalle"],
  rows: d.timeline.map((e) => [when(e.time), e.title, e.detail]),
});

function htmlTable(t: Table, empty: string): string {
  if (t.rows.length === 0) return `<p class="meta">${esc(empty)}</p>`;
  return `<table><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c === null ? "—" : c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
}

function suspensionLines(s: DifusorRecord["suspensions"][number]): string[] {
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

export function renderOpleHtml(r: OpleReport): string {
  const audit = r.auditLog.verified
    ? `<p class="ok">Bitácora <code>${esc(r.auditLog.file)}</code>: ${r.auditLog.entries} registros, cadena de hashes verificada.</p>`
    : `<p class="warn"><strong>Atención:</strong> ${esc(r.auditLog.problem ?? "la bitácora no se pudo verificar")}. Los datos se leyeron sin garantía de integridad.</p>`;
  const difusores = r.difusores
    .map((d, i) => {
      const head = `<h2 id="d-${esc(d.id)}">${i + 3}. ${esc(d.name)} <small>(${esc(d.id)})</small></h2>
<p class="meta">${[
        d.organization,
        d.publicUrl,
        d.transport && d.address ? `${d.transport} ${d.address}` : null,
        d.registered ? null : "ya no está en el registro",
      ]
        .filter(Boolean)
        .map((x) => esc(x))
        .join(" · ")}</p>
<p>Verificación pública en el periodo: ${esc(verdictTime(d))}.</p>`;
      const suspensions = d.suspensions.length
        ? d.suspensions
            .map(
              (s) =>
                `<div class="susp">${suspensionLines(s)
                  .map((l) => `<p>${esc(l)}</p>`)
                  .join("")}<h4>Evidencia</h4>${htmlTable(evidenceTable(s), "sin verificaciones fallidas registradas como evidencia")}</div>`,
            )
            .join("")
        : `<p class="meta">Sin suspensiones en el periodo.</p>`;
      return `${head}
<h3>Cortes publicados (según sus recibos firmados)</h3>${htmlTable(liveCutsTable(d), "ningún recibo de publicación en el periodo")}
<h3>Suspensiones y reinstalaciones</h3>${suspensions}
<h3>Verificaciones públicas (cambios de estado)</h3>${htmlTable(probesTable(d), "sin cambios de estado registrados en el periodo")}
<h3>Recibos</h3>${htmlTable(receiptsTable(d), "sin recibos en el periodo")}
<h3>Cronología de la conexión</h3>${htmlTable(timelineTable(d), "sin eventos en el periodo")}`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Registro de la jornada: difusores del PREP</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:70rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #1d3557;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.8rem;margin:.5rem 0}td,th{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#eef2f6}
.warn{background:#fde2e2;padding:.5rem;border-left:4px solid #c0392b}.ok{color:#2a6f3a}.meta{color:#555}.susp{border-left:4px solid #c0392b;padding-left:.6rem;margin:.6rem 0}
@page{size:A4;margin:14mm}@media print{body{max-width:none;padding:0;font-size:9.5pt}h2{break-after:avoid}tr{break-inside:avoid}}
</style></head><body>
<h1>Registro de la jornada: difusores del PREP</h1>
<p class="meta">${esc(r.publisher.id)} · ${esc(r.publisher.process)}/${esc(r.publisher.channel)} · Periodo: ${esc(period(r))} · Generado: ${esc(when(r.generatedAt))}</p>
${audit}
<p class="meta">Recibos: <code>${esc(r.receiptsFile)}</code> (cada firma verificada de nuevo con la llave registrada del difusor).</p>
<h2>1. Resumen por difusor</h2>
${htmlTable(summaryTable(r), "no hay difusores registrados")}
<h2>2. Servicio y cortes</h2>
<h3>Servicio del OPLE</h3>${htmlTable({ headers: ["Hora", "Evento"], rows: r.service.map((e) => [when(e.time), e.title]) }, "sin inicios ni paradas en el periodo")}
<h3>Cortes firmados</h3>${htmlTable({ headers: ["Firmado", "Corte", "Hora del corte", "Publicar desde", "Archivos", "Bytes", "Final", "Manifiesto (sha256)"], rows: r.cuts.map((c) => [when(c.time), c.sequence, when(c.corte), when(c.notBefore), c.files, c.bytes, c.final ? "sí" : c.retraction ? `corrección: ${c.retraction}` : "", `${c.manifestSha256.slice(0, 16)}…`]) }, "ningún corte firmado en el periodo")}
<h3>Eventos generales</h3>${htmlTable({ headers: ["Hora", "Evento", "Detalle"], rows: r.general.map((e) => [when(e.time), e.title, e.detail]) }, "sin eventos generales en el periodo")}
${difusores}
</body></html>
`;
}

export function renderOplePdf(r: OpleReport, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const table = (t: Table, empty: string, widths?: number[]): PdfBlock =>
    t.rows.length
      ? { kind: "table", columns: t.headers.map((h, i) => ({ header: h, ...(widths?.[i] ? { width: widths[i] } : {}) })), rows: t.rows }
      : { kind: "paragraph", tone: "muted", text: empty };
  const b: PdfBlock[] = [];
  b.push({ kind: "heading", text: "1. Resumen por difusor" });
  // the summary narrowed to what fits A4 (every column is in difusores.csv)
  b.push(
    table(
      {
        headers: ["Difusor", "Sesiones", "Entregas", "Rechazos", "Publicados", "Recibos (inválidos)", "Suspen-siones", "Verificación pública"],
        rows: r.difusores.map((d) => [
          `${d.name} (${d.id})`,
          d.summary.sessions,
          d.summary.delivered,
          d.summary.refused + d.summary.transferFailed,
          d.summary.liveCuts,
          `${d.summary.receipts} (${d.summary.invalidReceipts})`,
          d.summary.suspensions,
          verdictTime(d),
        ]),
      },
      "no hay difusores registrados",
      [2, 0.9, 0.9, 0.9, 1, 1, 0.9, 2.4],
    ),
  );
  b.push({ kind: "heading", text: "2. Servicio y cortes" });
  b.push({ kind: "heading", text: "Servicio del OPLE", level: 2 });
  b.push(table({ headers: ["Hora", "Evento"], rows: r.service.map((e) => [when(e.time), e.title]) }, "sin inicios ni paradas en el periodo"));
  b.push({ kind: "heading", text: "Cortes firmados", level: 2 });
  b.push(
    table(
      {
        headers: ["Firmado", "Corte", "Hora del corte", "Publicar desde", "Archivos", "Final", "Manifiesto"],
        rows: r.cuts.map((c) => [
          when(c.time),
          c.sequence,
          when(c.corte),
          when(c.notBefore),
          c.files,
          c.final ? "sí" : c.retraction ? "corrección" : "",
          `${c.manifestSha256.slice(0, 16)}…`,
        ]),
      },
      "ningún corte firmado en el periodo",
    ),
  );
  b.push({ kind: "heading", text: "Eventos generales", level: 2 });
  b.push(
    table(
      { headers: ["Hora", "Evento", "Detalle"], rows: r.general.map((e) => [when(e.time), e.title, e.detail]) },
      "sin eventos generales en el periodo",
      [1, 1.2, 3],
    ),
  );
  r.difusores.forEach((d, i) => {
    b.push({ kind: "pageBreak" });
    b.push({ kind: "heading", text: `${i + 3}. ${d.name} (${d.id})` });
    const meta = [
      d.organization,
      d.publicUrl,
      d.transport && d.address ? `${d.transport} ${d.address}` : null,
      d.registered ? null : "ya no está en el registro",
    ]
      .filter(Boolean)
      .join(" · ");
    if (meta) b.push({ kind: "paragraph", tone: "muted", text: meta });
    b.push({ kind: "paragraph", text: `Verificación pública en el periodo: ${verdictTime(d)}.` });
    b.push({ kind: "heading", text: "Cortes publicados (según sus recibos firmados)", level: 2 });
    b.push(table(liveCutsTable(d), "ningún recibo de publicación en el periodo"));
    b.push({ kind: "heading", text: "Suspensiones y reinstalaciones", level: 2 });
    if (d.suspensions.length === 0) b.push({ kind: "paragraph", tone: "muted", text: "Sin suspensiones en el periodo." });
    for (const s of d.suspensions) {
      suspensionLines(s).forEach((l, j) => b.push({ kind: "paragraph", ...(j === 0 ? { tone: "warn" as const } : {}), text: l }));
      b.push({ kind: "paragraph", text: "Evidencia:" });
      b.push(table(evidenceTable(s), "sin verificaciones fallidas registradas como evidencia", [1, 0.9, 0.9, 0.5, 0.5, 0.6, 1.6, 2]));
    }
    b.push({ kind: "heading", text: "Verificaciones públicas (cambios de estado)", level: 2 });
    b.push(table(probesTable(d), "sin cambios de estado registrados en el periodo", [1, 1, 1, 0.5, 0.6, 2.4]));
    b.push({ kind: "heading", text: "Recibos", level: 2 });
    b.push(table(receiptsTable(d), "sin recibos en el periodo", [1, 0.5, 0.7, 1, 1, 0.9, 1.2]));
    b.push({ kind: "heading", text: "Cronología de la conexión", level: 2 });
    b.push(table(timelineTable(d), "sin eventos en el periodo", [1, 1.2, 3.2]));
  });
  return renderPdfReport({
    title: "Registro de la jornada: difusores del PREP",
    subtitle: [`${r.publisher.id} · ${r.publisher.process}/${r.publisher.channel}`, period(r)],
    cover: [
      ["Generado", `${when(r.generatedAt)} (UTC-6)`],
      [
        "Bitácora",
        r.auditLog.verified ? `${r.auditLog.file}: ${r.auditLog.entries} registros, cadena verificada` : `NO verificada: ${r.auditLog.problem ?? ""}`,
      ],
      ["Recibos", `${r.receiptsFile} (firmas verificadas de nuevo)`],
      ["Difusores", r.difusores.map((d) => `${d.name} (${d.id})`).join("; ") || "ninguno"],
      ["Suspensiones", String(r.difusores.reduce((a, d) => a + d.suspensions.length, 0))],
    ],
    blocks: b,
    footer: `Registro de la jornada · ${r.publisher.id}`,
    author: r.publisher.id,
    createdAt: new Date(Date.parse(r.generatedAt)),
    ...(opts.compress === false ? { compress: false } : {}),
  });
}

export interface OpleReportFiles {
  html: string;
  pdf: string;
  json: string;
  csv: string[];
  report: OpleReport;
}

/** Builds the report and writes informe.html, informe.pdf, informe.json and the CSV tables into `out`. */
export async function writeOpleReport(
  config: ResolvedPublisherConfig,
  opts: OpleReportOptions & { out: string; pdfCompress?: boolean },
): Promise<OpleReportFiles> {
  const r = buildOpleReport(config, opts);
  fs.mkdirSync(opts.out, { recursive: true });
  const file = (name: string): string => path.join(opts.out, name);
  fs.writeFileSync(file("informe.html"), renderOpleHtml(r));
  fs.writeFileSync(file("informe.json"), `${JSON.stringify(r, null, 2)}\n`);
  fs.writeFileSync(file("informe.pdf"), await renderOplePdf(r, { compress: opts.pdfCompress !== false }));
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
  const csv = tables.map(([name, rows]) => {
    fs.writeFileSync(file(name), csvRows(rows));
    return file(name);
  });
  return { html: file("informe.html"), pdf: file("informe.pdf"), json: file("informe.json"), csv, report: r };
}
