// PDF reports without a browser (the difusor's server has no Chromium): the memoria técnica and
// the OPLE's record of the night are described as a list of blocks (headings, paragraphs, tables,
// a boxes-and-arrows drawing, bar rows) and written with pdfkit, pure JavaScript, using the
// standard PDF fonts (Helvetica: nothing to embed or find on the server). Those fonts cover
// Windows-1252 (Spanish included); any other character is printed as "?" (the HTML and CSV keep
// it). Text is only ever drawn as text: nothing in a report is interpreted.
// pdfkit is loaded when a report is written, not with the package: its font metrics and code are
// ~20 MB of resident memory that a running agent or publisher never needs until someone asks for a
// PDF (docs/benchmarks.md, "Receiver memory with a 1.2 GB cut, measured again"). Its CommonJS build, as a static import loads it.
import type PDFKitDocument from "pdfkit";

export interface PdfDrawing {
  width: number;
  height: number;
  boxes: { x: number; y: number; w: number; h: number; title: string; lines: string[]; fill: string }[];
  arrows: { x1: number; y1: number; x2: number; y2: number; label: string; dashed?: boolean }[];
}

export type PdfCell = string | number | null;

export type PdfBlock =
  | { kind: "heading"; text: string; level?: 1 | 2 }
  | { kind: "paragraph"; text: string; tone?: "normal" | "warn" | "muted" | "ok" }
  | { kind: "list"; items: string[] }
  | { kind: "table"; columns: { header: string; width?: number; align?: "left" | "right" }[]; rows: PdfCell[][] }
  | { kind: "keyValue"; rows: [string, string][] }
  | { kind: "drawing"; drawing: PdfDrawing; caption?: string }
  | { kind: "bars"; title: string; rows: { label: string; value: number }[]; color?: string }
  | { kind: "pageBreak" };

export interface PdfReportSpec {
  /** Title on the cover and in the document's metadata. */
  title: string;
  /** Lines under the title on the cover (difusor, period…). */
  subtitle: string[];
  /** Key-value table on the cover. */
  cover: [string, string][];
  /** The body, from page 2 on. */
  blocks: PdfBlock[];
  /** Footer of every page, before "página N de M". */
  footer: string;
  author?: string;
  /** The document's creation date (metadata): the report's generation time, so equal inputs give equal files. */
  createdAt: Date;
  /** Compress the content streams (default true; false only to read them in tests). */
  compress?: boolean;
}

const CP1252_EXTRA = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ";
const REPLACEMENTS: Record<string, string> = { "→": "->", "←": "<-", "≤": "<=", "≥": ">=", "≠": "!=", "✓": "v", "✗": "x", "\t": " " };

/** Text the standard fonts can draw: Windows-1252, other characters as "?" (a few arrows spelled out). */
export function pdfText(value: unknown): string {
  const s = value === null || value === undefined ? "" : String(value);
  let out = "";
  for (const ch of s.normalize("NFC")) {
    const c = ch.codePointAt(0)!;
    if (ch === "\n" || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xff) || CP1252_EXTRA.includes(ch)) out += ch;
    else out += REPLACEMENTS[ch] ?? "?";
  }
  return out;
}

const COLORS = { text: "#222222", muted: "#555555", warn: "#a52a1c", ok: "#2a6f3a", rule: "#1d3557", grid: "#bbbbbb", head: "#eef2f6" };

/** Writes the report; resolves with the PDF bytes. */
export function renderPdfReport(spec: PdfReportSpec): Promise<Buffer> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const PDFDocument = require("pdfkit") as typeof PDFKitDocument;
  const doc = new PDFDocument({
    size: "A4",
    margin: 50,
    bufferPages: true,
    compress: spec.compress !== false,
    info: {
      Title: pdfText(spec.title),
      Author: pdfText(spec.author ?? "PREPcast"),
      Creator: "PREPcast",
      Producer: "PREPcast (pdfkit)",
      CreationDate: spec.createdAt,
      ModDate: spec.createdAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("data", (c: Buffer) => chunks.push(c));
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });
  const left = doc.page.margins.left;
  const width = doc.page.width - doc.page.margins.left - doc.page.margins.right;
  const bottom = (): number => doc.page.height - doc.page.margins.bottom - 14; // room for the footer
  const ensure = (h: number): void => {
    if (doc.y + h > bottom()) doc.addPage();
  };

  // cover
  doc.font("Helvetica-Bold").fontSize(24).fillColor(COLORS.rule).text(pdfText(spec.title), left, 170, { width });
  doc.moveDown(0.6);
  for (const s of spec.subtitle) doc.font("Helvetica").fontSize(14).fillColor(COLORS.text).text(pdfText(s), { width });
  doc.moveDown(1.5);
  keyValue(spec.cover);

  function heading(text: string, level: 1 | 2): void {
    ensure(level === 1 ? 60 : 40);
    doc.moveDown(level === 1 ? 0.8 : 0.5);
    doc
      .font("Helvetica-Bold")
      .fontSize(level === 1 ? 15 : 12)
      .fillColor(COLORS.rule)
      .text(pdfText(text), left, doc.y, { width });
    if (level === 1)
      doc
        .moveTo(left, doc.y + 1)
        .lineTo(left + width, doc.y + 1)
        .lineWidth(1.2)
        .strokeColor(COLORS.rule)
        .stroke();
    doc.moveDown(0.4);
    doc.fillColor(COLORS.text);
  }

  function paragraph(text: string, tone: "normal" | "warn" | "muted" | "ok" = "normal"): void {
    doc.font(tone === "warn" ? "Helvetica-Bold" : "Helvetica").fontSize(10);
    const t = pdfText(text);
    ensure(Math.min(doc.heightOfString(t, { width }), 200));
    doc.fillColor(tone === "warn" ? COLORS.warn : tone === "muted" ? COLORS.muted : tone === "ok" ? COLORS.ok : COLORS.text).text(t, left, doc.y, { width });
    doc.fillColor(COLORS.text).moveDown(0.4);
  }

  function table(columns: { header: string; width?: number; align?: "left" | "right" }[], rows: PdfCell[][]): void {
    const total = columns.reduce((a, c) => a + (c.width ?? 1), 0);
    const widths = columns.map((c) => ((c.width ?? 1) / total) * width);
    const pad = 3;
    const rowHeight = (cells: string[], bold: boolean): number => {
      doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(8.5);
      return Math.max(...cells.map((c, i) => doc.heightOfString(c, { width: widths[i]! - 2 * pad }))) + 2 * pad;
    };
    const drawRow = (cells: string[], bold: boolean): void => {
      const h = rowHeight(cells, bold);
      const y = doc.y;
      let x = left;
      cells.forEach((c, i) => {
        if (bold) doc.rect(x, y, widths[i]!, h).fillColor(COLORS.head).fill();
        doc.rect(x, y, widths[i]!, h).lineWidth(0.5).strokeColor(COLORS.grid).stroke();
        doc
          .font(bold ? "Helvetica-Bold" : "Helvetica")
          .fontSize(8.5)
          .fillColor(COLORS.text)
          .text(c, x + pad, y + pad, { width: widths[i]! - 2 * pad, align: columns[i]!.align ?? "left" });
        x += widths[i]!;
      });
      doc.x = left;
      doc.y = y + h;
    };
    const header = columns.map((c) => pdfText(c.header));
    ensure(rowHeight(header, true) + 16);
    drawRow(header, true);
    for (const r of rows) {
      const cells = r.map((c) => (c === null ? "—" : pdfText(c)));
      const h = rowHeight(cells, false);
      if (doc.y + h > bottom()) {
        doc.addPage();
        drawRow(header, true);
      }
      drawRow(cells, false);
    }
    doc.moveDown(0.6);
  }

  function keyValue(rows: [string, string][]): void {
    table(
      [
        { header: "", width: 1 },
        { header: "", width: 2.6 },
      ],
      rows,
    );
  }

  function drawing(d: PdfDrawing, caption: string | undefined): void {
    const scale = width / d.width;
    ensure(d.height * scale + 20);
    const ox = left;
    const oy = doc.y;
    const X = (v: number): number => ox + v * scale;
    const Y = (v: number): number => oy + v * scale;
    for (const b of d.boxes) {
      doc
        .roundedRect(X(b.x), Y(b.y), b.w * scale, b.h * scale, 6 * scale)
        .lineWidth(1)
        .fillAndStroke(b.fill, COLORS.rule);
      doc
        .fillColor(COLORS.text)
        .font("Helvetica-Bold")
        .fontSize(12 * scale)
        .text(pdfText(b.title), X(b.x), Y(b.y + 10), { width: b.w * scale, align: "center", lineBreak: false, ellipsis: true, height: 14 * scale });
      b.lines.forEach((l, i) =>
        doc
          .font("Helvetica")
          .fontSize(9.5 * scale)
          .text(pdfText(l), X(b.x + 4), Y(b.y + 31 + i * 15), {
            width: (b.w - 8) * scale,
            align: "center",
            lineBreak: false,
            ellipsis: true,
            height: 12 * scale,
          }),
      );
    }
    for (const a of d.arrows) {
      doc
        .save()
        .lineWidth(1.5 * scale)
        .strokeColor(COLORS.rule);
      if (a.dashed) doc.dash(5 * scale, { space: 4 * scale });
      doc.moveTo(X(a.x1), Y(a.y1)).lineTo(X(a.x2), Y(a.y2)).stroke().undash();
      // the arrowhead
      const ang = Math.atan2(a.y2 - a.y1, a.x2 - a.x1);
      const hx = X(a.x2);
      const hy = Y(a.y2);
      const len = 8 * scale;
      doc
        .polygon([hx, hy], [hx - len * Math.cos(ang - 0.4), hy - len * Math.sin(ang - 0.4)], [hx - len * Math.cos(ang + 0.4), hy - len * Math.sin(ang + 0.4)])
        .fillColor(COLORS.rule)
        .fill();
      doc.restore();
      const lines = a.label ? a.label.split("\n") : [];
      lines.forEach((l, i) => {
        const cx = (a.x1 + a.x2) / 2;
        const cy = (a.y1 + a.y2) / 2 - 15 - (lines.length - 1 - i) * 12;
        doc
          .fillColor(COLORS.text)
          .font("Helvetica")
          .fontSize(9 * scale)
          .text(pdfText(l), X(cx - 110), Y(cy), { width: 220 * scale, align: "center", lineBreak: false });
      });
    }
    doc.x = left;
    doc.y = oy + d.height * scale + 8;
    if (caption) paragraph(caption, "muted");
  }

  function bars(title: string, rows: { label: string; value: number }[], color: string): void {
    ensure(30);
    doc.font("Helvetica-Bold").fontSize(10).fillColor(COLORS.text).text(pdfText(title), left, doc.y, { width });
    doc.moveDown(0.2);
    const max = Math.max(1, ...rows.map((r) => r.value));
    const labelW = width * 0.38;
    const plotW = width - labelW - 60;
    for (const r of rows) {
      ensure(13);
      const y = doc.y;
      doc
        .font("Helvetica")
        .fontSize(8)
        .fillColor(COLORS.text)
        .text(pdfText(r.label), left, y + 1, { width: labelW - 6, align: "right", lineBreak: false, ellipsis: true, height: 10 });
      doc
        .rect(left + labelW, y + 1, Math.max(0.5, (r.value / max) * plotW), 9)
        .fillColor(color)
        .fill();
      doc.fillColor(COLORS.text).text(r.value.toLocaleString("es-MX"), left + labelW + (r.value / max) * plotW + 4, y + 1, { lineBreak: false });
      doc.x = left;
      doc.y = y + 13;
    }
    doc.moveDown(0.5);
  }

  doc.addPage();
  for (const b of spec.blocks) {
    switch (b.kind) {
      case "heading":
        heading(b.text, b.level ?? 1);
        break;
      case "paragraph":
        paragraph(b.text, b.tone);
        break;
      case "list":
        for (const item of b.items) paragraph(`•  ${item}`);
        break;
      case "table":
        table(b.columns, b.rows);
        break;
      case "keyValue":
        keyValue(b.rows);
        break;
      case "drawing":
        drawing(b.drawing, b.caption);
        break;
      case "bars":
        bars(b.title, b.rows, b.color ?? "#457b9d");
        break;
      case "pageBreak":
        doc.addPage();
        break;
    }
  }

  // footers: "página N de M" on every page
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    const y = doc.page.height - doc.page.margins.bottom + 8;
    const savedBottom = doc.page.margins.bottom;
    doc.page.margins.bottom = 0; // writing in the margin must not add a page
    doc
      .font("Helvetica")
      .fontSize(8)
      .fillColor(COLORS.muted)
      .text(`${pdfText(spec.footer)} · página ${i + 1} de ${range.count}`, left, y, { width, align: "center", lineBreak: false });
    doc.page.margins.bottom = savedBottom;
  }
  doc.end();
  return done;
}
