// The OPLE's record of the night as files: one self-contained HTML page (every text escaped: names,
// addresses and messages come from difusores and the network), the same content as PDF (no
// browser), CSV tables (cells a spreadsheet would run as formulas defused) and the JSON model.
import * as fs from "node:fs";
import * as path from "node:path";
import { csvRows } from "@prepcast/protocol";
import type { ResolvedPublisherConfig } from "../service/config";
import { buildOpleReport, type OpleReport, type OpleReportOptions } from "./ople-report";
import { renderOpleHtml } from "./html";
import { renderOplePdf } from "./pdf";
import { csvTables } from "./csv";

export { renderOpleHtml } from "./html";
export { renderOplePdf } from "./pdf";

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
  const tables = csvTables(r);
  const csv = tables.map(([name, rows]) => {
    fs.writeFileSync(file(name), csvRows(rows));
    return file(name);
  });
  return { html: file("informe.html"), pdf: file("informe.pdf"), json: file("informe.json"), csv, report: r };
}
