// The memoria técnica as PDF, written without a browser (renderPdfReport, pdfkit): the same
// sections as memoria.html, in the same order, from the same Memoria object.
import { renderPdfReport, type PdfBlock } from "@prepcast/runtime";
import { formatMx, formatMxSeconds, humanDuration } from "../time";
import { diagramLayout } from "./deployment";
import type { Memoria } from "./report";

const when = (iso: string | null): string => (iso === null ? "—" : formatMxSeconds(Date.parse(iso)));
const num = (n: number): string => n.toLocaleString("es-MX");

/** The operator's mejoras.md as blocks: headings, "- " items, paragraphs (HTML comments dropped). */
function markdownBlocks(md: string): PdfBlock[] {
  const out: PdfBlock[] = [];
  for (const raw of md.replace(/<!--[\s\S]*?-->/g, "").split("\n")) {
    const line = raw.trimEnd();
    const h = /^(#{1,4})\s+(.*)$/.exec(line);
    const li = /^\s*[-*](?:\s+(.*))?$/.exec(line);
    if (h) out.push({ kind: "heading", text: h[2]!, level: 2 });
    else if (li) out.push({ kind: "list", items: [li[1] ?? ""] });
    else if (line.trim() !== "") out.push({ kind: "paragraph", text: line });
  }
  return out;
}

export function memoriaPdf(m: Memoria, improvementsMd: string, opts: { compress?: boolean } = {}): Promise<Buffer> {
  const b: PdfBlock[] = [];
  const period = `${formatMx(Date.parse(m.window.from))} a ${formatMx(Date.parse(m.window.to))} (hora del centro de México, UTC-6)`;
  // 1. difusor and staff
  b.push({ kind: "heading", text: "1. Difusor y personal técnico" });
  const id = m.identity;
  if (id === null)
    b.push({
      kind: "paragraph",
      tone: "warn",
      text: "Sin datos del registro: ejecute prep-receiver report --config receiver.yaml para incluir el registro firmado y el personal técnico.",
    });
  else {
    const rows: [string, string][] = [
      ["Identificador", id.id],
      ["Nombre", id.name],
    ];
    if (id.organization) rows.push(["Organización", id.organization]);
    if (id.publicUrl) rows.push(["Sitio público", id.publicUrl]);
    if (id.registration)
      rows.push(["Registro firmado", `${id.registration.file} (llave de identidad ${id.registration.keyid}, firmado ${id.registration.signedAt})`]);
    b.push({ kind: "keyValue", rows });
    if (id.problem) b.push({ kind: "paragraph", tone: "warn", text: id.problem });
    b.push({ kind: "heading", text: "Personal técnico", level: 2 });
    if (id.staff.length)
      b.push({
        kind: "table",
        columns: [
          { header: "Nombre", width: 1.4 },
          { header: "Cargo", width: 1.2 },
          { header: "Teléfono", width: 1 },
          { header: "Correo", width: 1.4 },
        ],
        rows: id.staff.map((p) => [p.name, p.role, p.phone, p.email]),
      });
    else b.push({ kind: "paragraph", tone: "warn", text: "No hay personal técnico registrado." });
  }
  // 2. diagram
  b.push({ kind: "heading", text: "2. Diagrama del servicio" });
  const layout = diagramLayout(m.deployment);
  b.push({ kind: "drawing", drawing: layout, caption: layout.notes.join(" ") });
  // 3. incidents
  b.push({ kind: "heading", text: "3. Incidentes que afectaron la publicación" });
  b.push(
    m.auditLog.verified
      ? { kind: "paragraph", tone: "ok", text: `Bitácora ${m.auditLog.file}: ${m.auditLog.entries} registros, cadena de hashes verificada.` }
      : {
          kind: "paragraph",
          tone: "warn",
          text: `Atención: ${m.auditLog.problem ?? "la bitácora no se pudo verificar"}. Los datos de incidentes se leyeron sin garantía de integridad.`,
        },
  );
  if (m.incidents.length) {
    b.push({
      kind: "table",
      columns: [
        { header: "Tipo", width: 1.2 },
        { header: "Inicio (UTC-6)", width: 1.1 },
        { header: "Fin (UTC-6)", width: 1.1 },
        { header: "Duración", width: 0.8 },
        { header: "Detalle", width: 2.4 },
      ],
      rows: m.incidents.map((i) => [
        i.title,
        when(i.start),
        when(i.end),
        i.durationMs === null
          ? i.end === null && i.kind !== "refused" && i.kind !== "transfer_failed"
            ? "sin cierre"
            : "puntual"
          : humanDuration(i.durationMs),
        i.detail,
      ]),
    });
  } else b.push({ kind: "paragraph", text: "No se registraron incidentes que afectaran la publicación en el periodo." });
  b.push({ kind: "paragraph", text: `Conexiones rechazadas o no autenticadas en el periodo: ${m.rejectedConnections}.` });
  // 4. cuts
  b.push({ kind: "heading", text: "4. Cortes publicados" });
  if (m.cuts.length) {
    b.push({
      kind: "table",
      columns: [
        { header: "Secuencia", width: 0.7, align: "right" },
        { header: "Corte", width: 1.1 },
        { header: "Recibido", width: 1.2 },
        { header: "Publicado", width: 1.2 },
        { header: "Demora desde el corte", width: 1 },
        { header: "Retraso vs. hora de publicación", width: 1 },
      ],
      rows: m.cuts.map((c) => [
        c.sequence,
        c.corte ? formatMx(Date.parse(c.corte)) : "—",
        when(c.receivedAt),
        when(c.activatedAt),
        c.delayFromCorteMs === null ? "—" : humanDuration(c.delayFromCorteMs),
        c.lateByMs === null ? "a tiempo" : humanDuration(c.lateByMs),
      ]),
    });
  } else b.push({ kind: "paragraph", text: "No hay cortes publicados en el periodo según la bitácora." });
  // 5. statistics
  b.push({ kind: "heading", text: "5. Estadísticas de visitas, páginas y solicitudes" });
  const s = m.stats;
  if (!s) b.push({ kind: "paragraph", tone: "warn", text: m.statsProblem ?? "sin datos de analítica" });
  else {
    b.push({
      kind: "table",
      columns: [
        { header: "Visitantes únicos" },
        { header: "Páginas vistas" },
        { header: "Visitas (sesiones)" },
        { header: "Solicitudes (hits)" },
        { header: "Tiempo medio en el sitio" },
        { header: "Mediana del tiempo en el sitio" },
        { header: "Solicitudes de bots" },
      ],
      rows: [
        [
          num(s.visitors),
          num(s.pageviews),
          num(s.sessions),
          num(s.hits),
          s.avgTimeOnSiteMs === null ? "—" : humanDuration(s.avgTimeOnSiteMs),
          s.medianTimeOnSiteMs === null ? "—" : humanDuration(s.medianTimeOnSiteMs),
          num(s.bots.hits),
        ],
      ],
    });
    b.push({
      kind: "paragraph",
      text: `Solicitudes no registradas (límite de espacio de la analítica o escritura saturada, desde el inicio): ${num(s.droppedHits ?? 0)}.`,
    });
    b.push({ kind: "heading", text: "Tiempo en el sitio", level: 2 });
    b.push({ kind: "bars", title: "Sesiones por duración", rows: s.timeOnSite.map((t) => ({ label: t.bucket, value: t.sessions })), color: "#2a9d8f" });
    b.push({ kind: "heading", text: "Visitas por hora (UTC-6)", level: 2 });
    b.push({
      kind: "table",
      columns: [
        { header: "Hora", width: 1.6 },
        { header: "Visitantes", align: "right" },
        { header: "Páginas vistas", align: "right" },
        { header: "Solicitudes", align: "right" },
      ],
      rows: s.hourly.map((h) => [formatMx(Date.parse(h.hour)), h.visitors, h.pageviews, h.hits]),
    });
    b.push({ kind: "heading", text: "Códigos de respuesta", level: 2 });
    b.push({
      kind: "bars",
      title: "Solicitudes por código HTTP",
      rows: s.statusCodes.map((c) => ({ label: `HTTP ${c.status}`, value: c.hits })),
      color: "#8d99ae",
    });
    b.push({ kind: "heading", text: "Páginas vistas", level: 2 });
    b.push({
      kind: "table",
      columns: [
        { header: "Página", width: 3 },
        { header: "Páginas vistas", align: "right" },
        { header: "Visitantes", align: "right" },
        { header: "Tiempo medio", align: "right" },
      ],
      rows: s.pages.slice(0, 200).map((p) => [p.path, p.pageviews, p.visitors, p.avgTimeOnPageMs === null ? "—" : humanDuration(p.avgTimeOnPageMs)]),
    });
    if (s.pages.length > 200) b.push({ kind: "paragraph", tone: "muted", text: `Lista completa (${s.pages.length} páginas) en paginas.csv.` });
  }
  // 6. improvements
  b.push({ kind: "heading", text: "6. Criterios de mejora y planeación" });
  b.push(...markdownBlocks(improvementsMd));
  b.push({ kind: "paragraph", tone: "muted", text: `Texto mantenido por el operador en ${m.improvementsFile}.` });

  const cover: [string, string][] = [
    ["Periodo", period],
    ["Generada", `${formatMx(Date.parse(m.generatedAt))} (UTC-6)`],
    ["Bitácora", m.auditLog.verified ? `${m.auditLog.entries} registros, cadena verificada` : `NO verificada: ${m.auditLog.problem ?? ""}`],
  ];
  if (id?.staff.length) cover.push(["Personal técnico", id.staff.map((p) => `${p.name} (${p.role})`).join("; ")]);
  return renderPdfReport({
    title: "Memoria técnica del difusor PREP",
    subtitle: [m.difusor ?? "Difusor sin nombre (use --config o --difusor)", ...(id?.organization && id.organization !== m.difusor ? [id.organization] : [])],
    cover,
    blocks: b,
    footer: `Memoria técnica · ${m.difusor ?? ""}`,
    author: m.difusor ?? "PREPcast",
    createdAt: new Date(Date.parse(m.generatedAt)),
    ...(opts.compress === false ? { compress: false } : {}),
  });
}
