// The memoria técnica the difusor delivers after the election (the call: incidents that affected
// publication, statistics of visits/pages/hits, criteria for improvement). One self-contained HTML
// file (inline CSS and SVG, prints to PDF), the same data as CSV and JSON, and the operator's own
// improvement notes kept in mejoras.md between runs (read, never overwritten).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { csvRows, PrepcastError, readAuditEvidence, stateDirLayout, type AuditEntry } from "@prepcast/protocol";
import { openAnalyticsReadOnly } from "../analytics/store";
import { SiteStats, stats } from "./stats";
import { isoMx, toEpochMs } from "../time";
import { memoriaPdf } from "./report-pdf";
import type { DifusorIdentity, ServiceDeployment } from "./deployment";
import { buildIncidents, LABELS, type CutRow, type Incident } from "./report-incidents";
import { renderMemoriaHtml } from "./report-html";

export { buildIncidents, type CutRow, type Incident } from "./report-incidents";
export { renderMemoriaHtml, serviceDiagramSvg } from "./report-html";

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
