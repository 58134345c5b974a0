// The memoria técnica the difusor delivers after the election (the call: incidents that affected
// publication, statistics of visits/pages/hits, criteria for improvement). One self-contained HTML
// file (inline CSS and SVG, prints to PDF), the same data as CSV and JSON, and the operator's own
// improvement notes kept in mejoras.md between runs (read, never overwritten).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { csvRows, PrepcastError, readAuditEvidence, stateDirLayout, type AuditEntry } from "@prepcast/protocol";
import { openAnalyticsReadOnly } from "../analytics/store";
import { escapeHtml } from "../server/pages";
import { SiteStats, stats } from "./stats";
import { renderStatsSections } from "./stats-page";
import { formatMx, formatMxSeconds, humanDuration, isoMx, toEpochMs } from "../time";
import { memoriaPdf } from "./report-pdf";
import { diagramLayout, diagramSvg, type DifusorIdentity, type ServiceDeployment } from "./deployment";

export interface ReportOptions {
  /** Receiver state directory (cuts are looked up there for notBefore when the log lacks it). */
  root: string;
  /** Analytics SQLite file (default DIR/analytics.sqlite). */
  db?: string;
  from: number | string | Date;
  to: number | string | Date;
  /** Output directory (created). */
  out: string;
  /** Receiver audit log (default DIR/audit.log). */
  auditLogPath?: string;
  /** Name of the difusor, shown on the cover. */
  difusor?: string;
  /** The difusor as its signed registration names it (staff list); null/absent: not read. */
  identity?: DifusorIdentity | null;
  /** The deployment as the agent's config sets it up (the service diagram); null/absent: the generic diagram. */
  deployment?: ServiceDeployment | null;
  /** Activation later than notBefore by more than this is an incident (default 60 s). */
  lateAfterMs?: number;
  clock?: () => number;
}

export interface Incident {
  kind: string;
  /** Spanish label. */
  title: string;
  start: string;
  end: string | null;
  durationMs: number | null;
  detail: string;
}

export interface CutRow {
  sequence: number;
  corte: string;
  receivedAt: string | null;
  activatedAt: string;
  notBefore: string | null;
  /** activatedAt − corte */
  delayFromCorteMs: number | null;
  /** activatedAt − notBefore, when positive */
  lateByMs: number | null;
  manifestSha256: string;
}

export interface Memoria {
  format: "prepcast/memoria@1";
  generatedAt: string;
  window: { from: string; to: string };
  difusor: string | null;
  /** Registration and technical staff (null: no config given). */
  identity: DifusorIdentity | null;
  /** The deployment drawn in the service diagram (null: the generic diagram). */
  deployment: ServiceDeployment | null;
  auditLog: { file: string; found: boolean; verified: boolean; entries: number; problem: string | null };
  incidents: Incident[];
  cuts: CutRow[];
  rejectedConnections: number;
  stats: SiteStats | null;
  statsProblem: string | null;
  improvementsFile: string;
}

export interface ReportResult {
  html: string;
  /** memoria.pdf, written by writeMemoria (writeReport writes HTML, JSON and CSV only). */
  pdf?: string;
  json: string;
  csv: string[];
  improvementsFile: string;
  memoria: Memoria;
}

const LABELS: Record<string, string> = {
  refused: "Paquete rechazado",
  transfer_failed: "Transferencia fallida",
  activation_failed: "Activación fallida",
  install_failed: "Instalación fallida",
  late_activation: "Activación tardía",
  suspension: "Suspensión de la publicación",
  downtime: "Servicio detenido",
  crash: "Caída del agente (reinicio sin cierre ordenado)",
  audit_integrity: "Integridad de la bitácora",
};

/** A window end from the command line: an ISO time, or TIME_INVALID naming the flag. */
function windowEnd(value: string | number | Date, flag: string): number {
  try {
    return toEpochMs(value, flag);
  } catch (e) {
    throw new PrepcastError("TIME_INVALID", (e as Error).message, {
      where: flag,
      hint: "write it as ISO 8601, e.g. 2024-06-02T20:00-06:00 (a time without offset is read as UTC-6)",
    });
  }
}

function readEntries(file: string): { entries: AuditEntry[]; verified: boolean; problem: string | null; found: boolean } {
  return readAuditEvidence(file);
}

function manifestNotBefore(root: string, sha: string): string | null {
  try {
    const dir = readdirSync(join(root, "cuts")).find((d) => d.endsWith(`-${sha.slice(0, 12)}`));
    if (!dir) return null;
    return (JSON.parse(readFileSync(join(root, "cuts", dir, "prepcast", "manifest.json"), "utf8")) as { notBefore?: string }).notBefore ?? null;
  } catch {
    return null;
  }
}

const str = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const ms = (v: string | null): number | null => (v === null ? null : Number.isFinite(Date.parse(v)) ? Date.parse(v) : null);

export function buildIncidents(
  entries: AuditEntry[],
  root: string,
  from: number,
  to: number,
  lateAfterMs: number,
): { incidents: Incident[]; cuts: CutRow[]; rejectedConnections: number } {
  const incidents: Incident[] = [];
  const cuts: CutRow[] = [];
  let rejectedConnections = 0;
  let suspendedAt: { t: number; detail: string } | null = null;
  let stoppedAt: number | null = null;
  let lastTime: number | null = null;
  const push = (kind: string, start: number, end: number | null, detail: string): void => {
    if ((end ?? start) < from || start > to) return;
    incidents.push({
      kind,
      title: LABELS[kind] ?? kind,
      start: isoMx(start),
      end: end === null ? null : isoMx(end),
      durationMs: end === null ? null : end - start,
      detail,
    });
  };
  const pushed = new Set(
    entries.filter((e) => e.event === "activated" && typeof e.data?.manifestSha256 === "string").map((e) => e.data!.manifestSha256 as string),
  );
  const activation = (d: Record<string, unknown>, time: string): void => {
    const activatedAt = str(d.activatedAt) ?? time;
    const notBefore = str(d.notBefore) ?? (typeof d.manifestSha256 === "string" ? manifestNotBefore(root, d.manifestSha256) : null);
    const a = ms(activatedAt)!;
    const nb = ms(notBefore);
    const corte = str(d.corte) ?? "";
    const row: CutRow = {
      sequence: Number(d.sequence),
      corte,
      receivedAt: str(d.receivedAt),
      activatedAt,
      notBefore,
      delayFromCorteMs: ms(corte) === null ? null : a - ms(corte)!,
      lateByMs: nb !== null && a - nb > 0 ? a - nb : null,
      manifestSha256: String(d.manifestSha256 ?? ""),
    };
    if (a >= from && a <= to) cuts.push(row);
    if (nb !== null && a - nb > lateAfterMs)
      push("late_activation", nb, a, `corte #${row.sequence} (${corte}) se publicó ${humanDuration(a - nb)} después de su hora de publicación`);
  };
  for (const e of entries) {
    const t = Date.parse(e.time);
    if (!Number.isFinite(t)) continue;
    const d = e.data ?? {};
    switch (e.event) {
      case "refused":
        if (d.code !== "ALREADY_INSTALLED") push("refused", t, null, `${d.code ?? ""} ${d.sequence ? `corte #${d.sequence}: ` : ""}${d.message ?? ""}`.trim());
        break;
      case "transfer_failed":
      case "activation_failed":
      case "install_failed":
        push(e.event, t, null, `${d.code ?? ""} ${d.sequence ? `corte #${d.sequence}: ` : ""}${d.message ?? ""}`.trim());
        break;
      case "activated":
        activation(d, e.time);
        break;
      case "cut.activated":
        // the store's record of every switch; a cut installed without the agent (`prep-receiver install`,
        // the contingency path) has only this one, a pushed cut also the agent's "activated"
        if (typeof d.manifestSha256 === "string" && !pushed.has(d.manifestSha256))
          activation({ sequence: d.sequence, corte: d.corte, manifestSha256: d.manifestSha256, activatedAt: e.time }, e.time);
        break;
      case "notice_applied":
        if (d.kind === "suspension" && !suspendedAt) suspendedAt = { t, detail: `aviso del OPLE emitido ${d.issuedAt ?? ""}` };
        else if (d.kind === "reinstatement" && suspendedAt) {
          push("suspension", suspendedAt.t, t, `${suspendedAt.detail}; reanudada por aviso emitido ${d.issuedAt ?? ""}`);
          suspendedAt = null;
        }
        break;
      case "agent_stopped":
        stoppedAt = t;
        break;
      case "agent_started":
        if (stoppedAt !== null) push("downtime", stoppedAt, t, "el agente se detuvo de forma ordenada y volvió a iniciar");
        else if (lastTime !== null)
          push(
            "crash",
            lastTime,
            t,
            "el agente volvió a iniciar sin registrar su cierre; el inicio es el último registro previo (cota inferior de la duración)",
          );
        stoppedAt = null;
        break;
      case "connection_rejected":
      case "auth_failed":
        if (t >= from && t <= to) rejectedConnections++;
        break;
      case "audit.torn-tail-recovered":
      case "audit.log-restarted":
        push("audit_integrity", t, null, `${e.event}: ${JSON.stringify(d).slice(0, 200)}`);
        break;
      default:
        break;
    }
    lastTime = t;
  }
  if (suspendedAt) push("suspension", suspendedAt.t, null, `${suspendedAt.detail}; vigente al final de la bitácora`);
  if (stoppedAt !== null) push("downtime", stoppedAt, null, "el agente se detuvo y no hay registro de reinicio");
  incidents.sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
  cuts.sort((a, b) => a.sequence - b.sequence);
  return { incidents, cuts, rejectedConnections };
}

/** Every cell through csvCell: quoted when it holds `"`, `,`, CR or LF; a text a spreadsheet would run as a formula is prefixed with `'`. */
function csv(rows: (string | number | null)[][]): string {
  return csvRows(rows);
}

const MEJORAS_TEMPLATE = `# Criterios de mejora y planeación para futuros procesos electorales

<!-- Este archivo lo escribe el operador del difusor. prep-receiver report lo incluye en la memoria
     técnica tal cual y nunca lo sobrescribe. -->

## Qué funcionó bien

- 

## Qué debe mejorar

- 

## Comentarios y sugerencias al OPLE

- 
`;

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

export function writeReport(opts: ReportOptions): ReportResult {
  const from = windowEnd(opts.from, "--from");
  const to = windowEnd(opts.to, "--to");
  if (to < from)
    throw new PrepcastError("TIME_INVALID", `--to (${isoMx(to)}) is before --from (${isoMx(from)})`, {
      where: "--to",
      hint: "the window runs from --from to --to, e.g. --from 2024-06-02T20:00-06:00 --to 2024-06-09T23:59-06:00",
    });
  const clock = opts.clock ?? Date.now;
  mkdirSync(opts.out, { recursive: true });
  const auditFile = opts.auditLogPath ?? stateDirLayout(opts.root).auditLog;
  const log = readEntries(auditFile);
  const { incidents, cuts, rejectedConnections } = buildIncidents(log.entries, opts.root, from, to, opts.lateAfterMs ?? 60_000);
  if (log.found && !log.verified)
    incidents.unshift({
      kind: "audit_integrity",
      title: LABELS.audit_integrity!,
      start: isoMx(clock()),
      end: null,
      durationMs: null,
      detail: log.problem ?? "",
    });
  const dbPath = opts.db ?? join(opts.root, "analytics.sqlite");
  let siteStats: SiteStats | null = null;
  let statsProblem: string | null = null;
  if (existsSync(dbPath)) {
    const store = openAnalyticsReadOnly(dbPath);
    try {
      siteStats = stats(store, { from, to });
    } finally {
      store.close();
    }
  } else statsProblem = `no existe la base de analítica ${dbPath}`;
  const improvementsFile = join(opts.out, "mejoras.md");
  if (!existsSync(improvementsFile)) writeFileSync(improvementsFile, MEJORAS_TEMPLATE);
  const improvements = readFileSync(improvementsFile, "utf8");
  const memoria: Memoria = {
    format: "prepcast/memoria@1",
    generatedAt: isoMx(clock()),
    window: { from: isoMx(from), to: isoMx(to) },
    difusor: opts.difusor ?? opts.identity?.name ?? null,
    identity: opts.identity ?? null,
    deployment: opts.deployment ?? null,
    auditLog: { file: auditFile, found: log.found, verified: log.verified, entries: log.entries.length, problem: log.problem },
    incidents,
    cuts,
    rejectedConnections,
    stats: siteStats,
    statsProblem,
    improvementsFile,
  };
  const html = join(opts.out, "memoria.html");
  const json = join(opts.out, "memoria.json");
  writeFileSync(html, renderMemoriaHtml(memoria, improvements));
  writeFileSync(json, JSON.stringify(memoria, null, 2) + "\n");
  const csvFiles: [string, (string | number | null)[][]][] = [
    [
      "incidentes.csv",
      [
        ["tipo", "titulo", "inicio", "fin", "duracion_s", "detalle"],
        ...incidents.map((i) => [i.kind, i.title, i.start, i.end, i.durationMs === null ? null : Math.round(i.durationMs / 1000), i.detail]),
      ],
    ],
    [
      "cortes.csv",
      [
        ["secuencia", "corte", "recibido", "publicado", "not_before", "demora_desde_corte_s", "retraso_s", "manifest_sha256"],
        ...cuts.map((c) => [
          c.sequence,
          c.corte,
          c.receivedAt,
          c.activatedAt,
          c.notBefore,
          c.delayFromCorteMs === null ? null : Math.round(c.delayFromCorteMs / 1000),
          c.lateByMs === null ? null : Math.round(c.lateByMs / 1000),
          c.manifestSha256,
        ]),
      ],
    ],
  ];
  if (memoria.identity)
    csvFiles.push(["personal.csv", [["nombre", "cargo", "telefono", "correo"], ...memoria.identity.staff.map((p) => [p.name, p.role, p.phone, p.email])]]);
  if (siteStats) {
    csvFiles.push([
      "paginas.csv",
      [
        ["pagina", "paginas_vistas", "visitantes", "tiempo_medio_s"],
        ...siteStats.pages.map((p) => [p.path, p.pageviews, p.visitors, p.avgTimeOnPageMs === null ? null : Math.round(p.avgTimeOnPageMs / 1000)]),
      ],
    ]);
    csvFiles.push([
      "horas.csv",
      [["hora", "visitantes", "paginas_vistas", "solicitudes"], ...siteStats.hourly.map((h) => [h.hour, h.visitors, h.pageviews, h.hits])],
    ]);
    csvFiles.push(["codigos.csv", [["codigo", "solicitudes"], ...siteStats.statusCodes.map((c) => [c.status, c.hits])]]);
    csvFiles.push(["tiempo_en_sitio.csv", [["intervalo", "sesiones"], ...siteStats.timeOnSite.map((b) => [b.bucket, b.sessions])]]);
    csvFiles.push([
      "resumen.csv",
      [
        ["visitantes", "paginas_vistas", "sesiones", "solicitudes", "bytes", "solicitudes_bots", "tiempo_medio_en_sitio_s", "solicitudes_no_registradas"],
        [
          siteStats.visitors,
          siteStats.pageviews,
          siteStats.sessions,
          siteStats.hits,
          siteStats.bytes,
          siteStats.bots.hits,
          siteStats.avgTimeOnSiteMs === null ? null : Math.round(siteStats.avgTimeOnSiteMs / 1000),
          siteStats.droppedHits,
        ],
      ],
    ]);
  }
  const csvPaths = csvFiles.map(([name, rows]) => {
    const p = join(opts.out, name);
    writeFileSync(p, csv(rows));
    return p;
  });
  return { html, json, csv: csvPaths, improvementsFile, memoria };
}

/** writeReport, and the same memoria as memoria.pdf (no browser: pdfkit). */
export async function writeMemoria(opts: ReportOptions & { pdfCompress?: boolean }): Promise<ReportResult & { pdf: string }> {
  const r = writeReport(opts);
  const pdf = join(opts.out, "memoria.pdf");
  writeFileSync(pdf, await memoriaPdf(r.memoria, readFileSync(r.improvementsFile, "utf8"), { compress: opts.pdfCompress !== false }));
  return { ...r, pdf };
}
