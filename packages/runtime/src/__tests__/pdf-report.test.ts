import { inflateSync } from "node:zlib";
import { pdfText, renderPdfReport } from "../pdf-report";

/** The text of every TJ operation (pdfkit writes hex strings), content streams inflated. */
function textOf(pdf: Buffer): string {
  const raw = pdf.toString("latin1");
  const out: string[] = [];
  for (const m of raw.matchAll(/<<([^]*?)>>\s*stream\r?\n/g)) {
    const start = m.index! + m[0].length;
    let data = pdf.subarray(start, raw.indexOf("endstream", start));
    try {
      if (/FlateDecode/.test(m[1]!)) data = inflateSync(data);
    } catch {
      continue;
    }
    for (const tj of data.toString("latin1").matchAll(/\[([^\]]*)\]\s*TJ/g))
      out.push([...tj[1]!.matchAll(/<([0-9a-f]*)>/gi)].map((h) => Buffer.from(h[1]!, "hex").toString("latin1")).join(""));
  }
  return out.join("\n");
}

test("text the standard fonts cannot draw becomes ?, arrows are spelled out, Spanish stays", () => {
  expect(pdfText("Pérez → año ≤ 3 — “ok” 中")).toBe("Pérez -> año <= 3 — “ok” ?");
  expect(pdfText(null)).toBe("");
});

test("a long table continues on new pages with its header; every page has its footer; equal input, equal bytes", async () => {
  const spec = {
    title: "Informe de prueba",
    subtitle: ["Difusor <b>"],
    cover: [["Periodo", "2 a 9 de junio"]] as [string, string][],
    blocks: [
      { kind: "heading" as const, text: "Tabla" },
      { kind: "table" as const, columns: [{ header: "Fila" }, { header: "Valor" }], rows: Array.from({ length: 150 }, (_, i) => [`fila ${i}`, i]) },
    ],
    footer: "pie",
    createdAt: new Date("2024-06-10T12:00:00Z"),
  };
  const pdf = await renderPdfReport(spec);
  expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
  expect(pdf.subarray(-8).toString()).toContain("%%EOF");
  const text = textOf(pdf);
  const pages = (pdf.toString("latin1").match(/\/Type \/Page\b/g) ?? []).length;
  expect(pages).toBeGreaterThanOrEqual(4); // the cover and at least 3 pages of 150 rows
  expect(text).toContain("fila 149");
  expect(text).toContain("Difusor <b>");
  expect(text.split("\n").filter((l) => l === "Fila").length).toBe(pages - 1); // the header again on every page of the table
  for (let p = 1; p <= pages; p++) expect(text).toContain(`pie · página ${p} de ${pages}`);
  expect((await renderPdfReport(spec)).equals(pdf)).toBe(true);
});
