// The report as PDF, drawn without a browser (@prepcast/runtime's renderPdfReport).
import { renderPdfReport, type PdfBlock } from "@prepcast/runtime";
import type { OpleReport } from "./ople-report";
import { evidenceTable, liveCutsTable, period, probesTable, receiptsTable, suspensionLines, timelineTable, verdictTime, when, type Table } from "./tables";

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
