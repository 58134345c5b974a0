import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ZipArchive, listFiles, parseQrooCsv, replayQroo2019 } from "../index";
import { tempDirs } from "./helpers";

// Real data kept outside the repository; a fresh clone has none, so these tests skip.
const repoRoot = resolve(__dirname, "../../../..");
const dataDir = resolve(repoRoot, "../shared/data/qroo-2019");
const zipPath = join(dataDir, "20190603_0547_PREP_DIP_QROO.zip");
const available = existsSync(zipPath);
if (!available) console.warn(`qroo.test.ts: skipped, ${zipPath} is absent (the real Quintana Roo 2019 data is not part of the repository)`);
const maybe = available ? test : test.skip;

const tmp = tempDirs();

describe("replayQroo2019 on the real Quintana Roo 2019 database", () => {
  maybe("rows appear at acopio and fill in at captura; the last cut is the published database", async () => {
    const original = ZipArchive.fromBuffer(readFileSync(zipPath));
    const originalCsv = original.read(original.find("QROO_DIP_LOC_2019.csv")!);
    const parsed = parseQrooCsv(originalCsv.toString("latin1"));
    expect(parsed.rows).toHaveLength(2136);

    const out = tmp();
    const cuts = await replayQroo2019({ zipPath, outDir: out });
    expect(cuts.length).toBeGreaterThan(30);
    expect(cuts[0].corte).toMatch(/^2019-06-0[23]T\d{2}:\d{2}:00-05:00$/);
    for (let i = 1; i < cuts.length; i++) {
      expect(cuts[i].registered).toBeGreaterThanOrEqual(cuts[i - 1].registered);
      expect(cuts[i].captured).toBeGreaterThanOrEqual(cuts[i - 1].captured);
    }
    expect(cuts[0].captured).toBeLessThan(cuts[0].registered);
    expect(cuts[0].registered).toBeLessThan(1000);

    // A cut in the middle: every row is either filled in or blank in its vote columns.
    const mid = cuts[Math.floor(cuts.length / 3)];
    const midCsv = parseQrooCsv(readFileSync(join(mid.dir, "datos/QROO_DIP_LOC_2019.csv"), "latin1"));
    expect(midCsv.rows).toHaveLength(mid.registered);
    const pan = midCsv.columns.indexOf("PAN");
    expect(midCsv.rows.filter((r) => r[pan] !== "-" || r[midCsv.columns.indexOf("CONTABILIZADA")] !== "-")).toHaveLength(mid.captured);
    expect(statSync(join(mid.dir, "data/corte.json")).mtime.toISOString()).toBe(new Date(mid.corte).toISOString());

    // The last cut holds every acta captured and verified: its rows are the published rows.
    const last = cuts[cuts.length - 1];
    expect(last.captured).toBe(2136);
    const lastCsv = parseQrooCsv(readFileSync(join(last.dir, "datos/QROO_DIP_LOC_2019.csv"), "latin1"));
    expect(lastCsv.rows).toEqual(parsed.rows);
    const counters = Object.fromEntries(lastCsv.countersHeader.map((n, i) => [n, lastCsv.counters[i]]));
    const published = Object.fromEntries(parsed.countersHeader.map((n, i) => [n, parsed.counters[i]]));
    for (const name of [
      "ACTAS_ESPERADAS",
      "ACTAS_REGISTRADAS",
      "ACTAS_CAPTURADAS",
      "ACTAS_CONTABILIZADAS",
      "PORCENTAJE_ACTAS_CONTABILIZADAS",
      "ACTAS_NO_CONTABILIZADAS",
      "LISTA_NOMINAL_ACTAS_CONTABILIZADAS",
      "TOTAL_VOTOS_C_CS",
      "PORCENTAJE_ACTAS_INCONSISTENCIAS",
    ]) {
      expect([name, counters[name]]).toEqual([name, published[name]]);
    }

    // Each cut's zip holds exactly the cut's datos files; LEEME keeps its Latin-1 bytes.
    for (const cut of [cuts[0], last]) {
      const zipFile = (await listFiles(join(cut.dir, "datos"))).find((f) => f.path.endsWith(".zip"))!;
      expect(zipFile.path).toBe("PREP_DIP_QROO.zip");
      const zip = ZipArchive.fromBuffer(readFileSync(join(cut.dir, "datos", zipFile.path)));
      expect(zip.entries.map((e) => e.name).sort()).toEqual(original.entries.map((e) => e.name).sort());
      for (const e of zip.entries) expect(zip.read(e).equals(readFileSync(join(cut.dir, "datos", e.name)))).toBe(true);
    }
    expect(readFileSync(join(last.dir, "datos/LEEME.txt")).equals(original.read(original.find("LEEME.txt")!))).toBe(true);
  });

  maybe("cuts and minutesPerCut bound the series", async () => {
    const cuts = await replayQroo2019({ zipPath, outDir: tmp(), cuts: 3, minutesPerCut: 60 });
    expect(cuts).toHaveLength(3);
    expect(new Date(cuts[1].corte).getTime() - new Date(cuts[0].corte).getTime()).toBe(3_600_000);
    await expect(replayQroo2019({ zipPath, outDir: tmp(), minutesPerCut: 0 })).rejects.toMatchObject({ code: "CONFIG_INVALID" });
  });
});

describe("parseQrooCsv", () => {
  test("refuses a CSV without the PREP column header, naming the file", () => {
    expect(() => parseQrooCsv("sep=|\r\nfoo|bar\r\n", "x.csv")).toThrow(/x.csv: no column header line starting with CLAVE_CASILLA/);
  });
  test("refuses a row with the wrong number of fields, naming the line", () => {
    const text = "ACTAS_ESPERADAS|ACTAS_REGISTRADAS\n1|1\n\nCLAVE_CASILLA|FECHA_HORA_ACOPIO|FECHA_HORA_CAPTURA\na|b\n";
    expect(() => parseQrooCsv(text, "x.csv")).toThrow(/x.csv:5: row has 2 fields, the header 3/);
  });
});
