// The memoria as one self-contained HTML file (inline CSS and SVG, prints to PDF).
import { escapeHtml } from "../server/pages";
import { renderStatsSections } from "./stats-page";
import { formatMx, formatMxSeconds, humanDuration } from "../time";
import { diagramLayout, diagramSvg, type ServiceDeployment } from "./deployment";
import type { Memoria } from "./report";

/** Minimal Markdown: headings, "- " lists, paragraphs; everything escaped, HTML comments dropped. */
function markdownToHtml(md: string): string {
  const out: string[] = [];
  let list = false;
  for (const raw of md.replace(/<!--[\s\S]*?-->/g, "").split("\n")) {
    const line = raw.trimEnd();
    const h = /^(#{1,4})\s+(.*)$/.exec(line);
    const li = /^\s*[-*](?:\s+(.*))?$/.exec(line);
    if (!li && list) {
      out.push("</ul>");
      list = false;
    }
    if (h) out.push(`<h${Math.min(6, h[1]!.length + 2)}>${escapeHtml(h[2]!)}</h${Math.min(6, h[1]!.length + 2)}>`);
    else if (li) {
      if (!list) out.push("<ul>");
      list = true;
      out.push(`<li>${escapeHtml(li[1] ?? "")}</li>`);
    } else if (line.trim() !== "") out.push(`<p>${escapeHtml(line)}</p>`);
  }
  if (list) out.push("</ul>");
  return out.join("\n");
}

/** The service diagram: drawn from the deployment when known, else the generic one. */
export function serviceDiagramSvg(deployment: ServiceDeployment | null = null): string {
  return diagramSvg(diagramLayout(deployment));
}

function identityHtml(m: Memoria): string {
  const id = m.identity;
  if (id === null)
    return `<p class="warn">Sin datos del registro: ejecute <code>prep-receiver report --config receiver.yaml</code> para incluir el registro firmado y el personal técnico.</p>`;
  const rows: [string, string][] = [
    ["Identificador", id.id],
    ["Nombre", id.name],
  ];
  if (id.organization) rows.push(["Organización", id.organization]);
  if (id.publicUrl) rows.push(["Sitio público", id.publicUrl]);
  if (id.registration)
    rows.push(["Registro firmado", `${id.registration.file} (llave de identidad ${id.registration.keyid}, firmado ${id.registration.signedAt})`]);
  const table = `<table>${rows.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`;
  const problem = id.problem ? `<p class="warn">${escapeHtml(id.problem)}</p>` : "";
  const staff = id.staff.length
    ? `<table><thead><tr><th>Nombre</th><th>Cargo</th><th>Teléfono</th><th>Correo</th></tr></thead><tbody>${id.staff.map((p) => `<tr><td>${escapeHtml(p.name)}</td><td>${escapeHtml(p.role)}</td><td>${escapeHtml(p.phone)}</td><td>${escapeHtml(p.email)}</td></tr>`).join("")}</tbody></table>`
    : `<p class="warn">No hay personal técnico registrado.</p>`;
  return `${table}${problem}<h3>Personal técnico</h3>${staff}`;
}

export function renderMemoriaHtml(m: Memoria, improvementsMd: string): string {
  const tr = (cells: (string | number)[]): string => `<tr>${cells.map((c) => `<td>${typeof c === "number" ? c : escapeHtml(c)}</td>`).join("")}</tr>`;
  const when = (iso: string | null): string => (iso === null ? "—" : `${formatMxSeconds(Date.parse(iso))}`);
  const incidents = m.incidents.length
    ? `<table><thead><tr><th>Tipo</th><th>Inicio (UTC-6)</th><th>Fin (UTC-6)</th><th>Duración</th><th>Detalle</th></tr></thead><tbody>${m.incidents.map((i) => tr([i.title, when(i.start), when(i.end), i.durationMs === null ? (i.end === null && i.kind !== "refused" && i.kind !== "transfer_failed" ? "sin cierre" : "puntual") : humanDuration(i.durationMs), i.detail])).join("")}</tbody></table>`
    : "<p>No se registraron incidentes que afectaran la publicación en el periodo.</p>";
  const cuts = m.cuts.length
    ? `<table><thead><tr><th>Secuencia</th><th>Corte</th><th>Recibido</th><th>Publicado</th><th>Demora desde el corte</th><th>Retraso vs. hora de publicación</th></tr></thead><tbody>${m.cuts.map((c) => tr([c.sequence, c.corte ? formatMx(Date.parse(c.corte)) : "—", when(c.receivedAt), when(c.activatedAt), c.delayFromCorteMs === null ? "—" : humanDuration(c.delayFromCorteMs), c.lateByMs === null ? "a tiempo" : humanDuration(c.lateByMs)])).join("")}</tbody></table>`
    : "<p>No hay cortes publicados en el periodo según la bitácora.</p>";
  const audit = m.auditLog.verified
    ? `<p class="ok">Bitácora <code>${escapeHtml(m.auditLog.file)}</code>: ${m.auditLog.entries} registros, cadena de hashes verificada.</p>`
    : `<p class="warn"><strong>Atención:</strong> ${escapeHtml(m.auditLog.problem ?? "la bitácora no se pudo verificar")}. Los datos de incidentes se leyeron sin garantía de integridad.</p>`;
  const pages = m.stats
    ? `<table><thead><tr><th>Página</th><th>Páginas vistas</th><th>Visitantes</th><th>Tiempo medio</th></tr></thead><tbody>${m.stats.pages
        .slice(0, 200)
        .map((p) => tr([p.path, p.pageviews, p.visitors, p.avgTimeOnPageMs === null ? "—" : humanDuration(p.avgTimeOnPageMs)]))
        .join("")}</tbody></table>${m.stats.pages.length > 200 ? `<p>Lista completa (${m.stats.pages.length} páginas) en <code>paginas.csv</code>.</p>` : ""}`
    : "";
  return `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Memoria técnica del difusor PREP</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222;max-width:60rem;margin:0 auto;padding:1rem 1.5rem;line-height:1.45}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{border-bottom:2px solid #1d3557;padding-bottom:.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}th{background:#eef2f6}
.kpi td{font-size:1.2rem;font-weight:bold;text-align:center}.chart{margin:.8rem 0;max-width:100%}
.warn{background:#fde2e2;padding:.5rem;border-left:4px solid #c0392b}.ok{color:#2a6f3a}.meta{color:#555}
@page{size:A4;margin:16mm}
@media print{body{max-width:none;padding:0;font-size:10.5pt}h2{break-after:avoid}table,svg,tr{break-inside:avoid}a{color:inherit;text-decoration:none}}
</style></head><body>
<h1>Memoria técnica del difusor PREP</h1>
<p class="meta">${m.difusor ? `${escapeHtml(m.difusor)} · ` : ""}Periodo: ${escapeHtml(formatMx(Date.parse(m.window.from)))} a ${escapeHtml(formatMx(Date.parse(m.window.to)))} (hora del centro de México, UTC-6) · Generada: ${escapeHtml(formatMx(Date.parse(m.generatedAt)))}</p>
<h2>1. Difusor y personal técnico</h2>
${identityHtml(m)}
<h2>2. Diagrama del servicio</h2>
${serviceDiagramSvg(m.deployment)}
${diagramLayout(m.deployment)
  .notes.map((n) => `<p class="meta">${escapeHtml(n)}</p>`)
  .join("\n")}
<h2>3. Incidentes que afectaron la publicación</h2>
${audit}
${incidents}
<p>Conexiones rechazadas o no autenticadas en el periodo: ${m.rejectedConnections}.</p>
<h2>4. Cortes publicados</h2>
${cuts}
<h2>5. Estadísticas de visitas, páginas y solicitudes</h2>
${m.stats ? renderStatsSections(m.stats) + `<h3>Páginas vistas</h3>${pages}` : `<p class="warn">${escapeHtml(m.statsProblem ?? "sin datos de analítica")}</p>`}
<h2>6. Criterios de mejora y planeación</h2>
${markdownToHtml(improvementsMd)}
<p class="meta">Texto mantenido por el operador en <code>${escapeHtml(m.improvementsFile)}</code>.</p>
</body></html>
`;
}
