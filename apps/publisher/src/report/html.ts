// The report as one self-contained HTML page: every text escaped (names, addresses and messages come
// from difusores and the network).
import { escapeHtmlText as esc } from "@prepcast/protocol";
import type { OpleReport } from "./ople-report";
import {
  evidenceTable,
  liveCutsTable,
  period,
  probesTable,
  receiptsTable,
  summaryTable,
  suspensionLines,
  timelineTable,
  verdictTime,
  when,
  type Table,
} from "./tables";

function htmlTable(t: Table, empty: string): string {
  if (t.rows.length === 0) return `<p class="meta">${esc(empty)}</p>`;
  return `<table><thead><tr>${t.headers.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c === null ? "—" : c)}</td>`).join("")}</tr>`).join("")}</tbody></table>`;
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
