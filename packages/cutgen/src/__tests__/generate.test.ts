import { readFileSync, statSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { ZipArchive, compareTrees, cutTime, generateCut, generateSeries, listFiles } from "../index";
import { parseGeneratedCsv, tempDirs } from "./helpers";

const tmp = tempDirs();

describe("cutTime", () => {
  test("cut 1 is 20:00 (UTC-6) on 2 June 2024 and each cut adds 15 minutes", () => {
    expect(cutTime(1).iso).toBe("2024-06-02T20:00:00-06:00");
    expect(cutTime(1).human).toBe("02/06/2024 20:00 (UTC-6)");
    expect(cutTime(1).date.toISOString()).toBe("2024-06-03T02:00:00.000Z");
    expect(cutTime(6).iso).toBe("2024-06-02T21:15:00-06:00");
    expect(cutTime(17).human).toBe("03/06/2024 00:00 (UTC-6)");
  });
  test("rejects cut numbers below 1 or not integers", () => {
    expect(() => cutTime(0)).toThrow(/integer >= 1/);
    expect(() => cutTime(1.5)).toThrow(/integer >= 1/);
  });
});

describe("generateCut", () => {
  test("same seed gives identical bytes, another seed gives other bytes", async () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    const ra = await generateCut({ outDir: a, k: 5, seed: 7 });
    const rb = await generateCut({ outDir: b, k: 5, seed: 7 });
    const rc = await generateCut({ outDir: c, k: 5, seed: 8 });
    expect(ra.dir).toBe(join(a, "cut-0005"));
    expect(ra.corte).toBe("2024-06-02T21:00:00-06:00");
    expect(rb.files).toBe(ra.files);
    expect(rb.bytes).toBe(ra.bytes);
    expect(await compareTrees(ra.dir, rb.dir)).toEqual({ equal: true, differences: [] });
    const other = await compareTrees(ra.dir, rc.dir);
    expect(other.equal).toBe(false);
    expect(other.differences.some((d) => d.includes("datos/GUB_2024.csv"))).toBe(true);
  });

  test("a cut generated alone equals the same cut generated inside a series", async () => {
    const [a, b] = [tmp(), tmp()];
    const series = await generateSeries({ outDir: a, cuts: 2, from: 3, seed: 3 });
    expect(series.map((s) => s.dir)).toEqual([3, 4].map((k) => join(a, `cut-000${k}`)));
    await generateCut({ outDir: b, k: 10, seed: 3 }); // another cut first, so nothing depends on order
    const alone = await generateCut({ outDir: b, k: 4, seed: 3 });
    expect(await compareTrees(series[1].dir, alone.dir)).toEqual({ equal: true, differences: [] });
  });

  test("regenerating into an existing cut directory replaces it entirely", async () => {
    const a = tmp();
    const first = await generateCut({ outDir: a, k: 4, seed: 2, actas: true });
    const again = await generateCut({ outDir: a, k: 4, seed: 2 });
    expect((await listFiles(again.dir)).some((f) => f.path.startsWith("actas/"))).toBe(false);
    expect(again.files).toBeLessThan(first.files);
    expect((await listFiles(a)).every((f) => f.path.startsWith("cut-0004/"))).toBe(true); // no partial directories left
  });

  test("the reported counts are the files on disk; every mtime is the cut time", async () => {
    const cut = await generateCut({ outDir: tmp(), k: 3 });
    const files = await listFiles(cut.dir);
    expect(files).toHaveLength(cut.files);
    expect(files.reduce((s, f) => s + f.size, 0)).toBe(cut.bytes);
    for (const f of files) expect(statSync(join(cut.dir, f.path)).mtime.getTime()).toBe(cutTime(3).date.getTime());
  });

  test("bad options are refused with a clear error", async () => {
    const outDir = tmp();
    await expect(generateCut({ outDir, k: 0 })).rejects.toMatchObject({ code: "CONFIG_INVALID", where: "k" });
    await expect(generateCut({ outDir, k: 1, scale: "mars" as never })).rejects.toThrow(/unknown scale "mars"/);
    await expect(generateCut({ outDir, k: 1, seed: -1 })).rejects.toMatchObject({ code: "CONFIG_INVALID", where: "seed" });
    await expect(generateSeries({ outDir, cuts: 0 })).rejects.toMatchObject({ code: "CONFIG_INVALID", where: "cuts" });
    await expect(generateCut({ outDir, k: 1, zipDeflate: "gzip" as never })).rejects.toMatchObject({ code: "CONFIG_INVALID", where: "zipDeflate" });
  });

  test('zipDeflate "libzip": the same cut but the zip, whose entry is stock zlib level 9 (pako), not node:zlib level 6', async () => {
    const node = await generateCut({ outDir: tmp(), k: 5 });
    const libzip = await generateCut({ outDir: tmp(), k: 5, zipDeflate: "libzip" });
    const cmp = await compareTrees(node.dir, libzip.dir);
    expect(cmp.differences).toHaveLength(1);
    expect(cmp.differences[0]).toMatch(/^(size|content) differs: datos\/PREP_2024.zip /);
    const a = ZipArchive.fromBuffer(readFileSync(join(node.dir, "datos/PREP_2024.zip")));
    const b = ZipArchive.fromBuffer(readFileSync(join(libzip.dir, "datos/PREP_2024.zip")));
    expect(b.read(b.entries[0]).equals(a.read(a.entries[0]))).toBe(true);
    // what libzip writes: pako (stock zlib) at level 9, memLevel 9
    const csv = readFileSync(join(libzip.dir, "datos/GUB_2024.csv"));
    const zipBytes = readFileSync(join(libzip.dir, "datos/PREP_2024.zip"));
    const start = 30 + zipBytes.readUInt16LE(26) + zipBytes.readUInt16LE(28);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const stock = Buffer.from((require("pako") as { deflateRaw(d: Uint8Array, o: object): Uint8Array }).deflateRaw(csv, { level: 9, memLevel: 9 }));
    expect(zipBytes.subarray(start, start + zipBytes.readUInt32LE(18)).equals(stock)).toBe(true);
    expect(deflateRawSync(csv, { level: 6 }).equals(stock)).toBe(false);
  });
});

describe("a series evolves like a PREP night", () => {
  const ks = [1, 2, 5, 12, 40];
  let dirs: Map<number, string>;
  beforeAll(async () => {
    const out = tmp();
    dirs = new Map();
    for (const k of ks) dirs.set(k, (await generateCut({ outDir: out, k, seed: 11 })).dir);
  }, 30_000);

  test("static assets are identical in every cut; index.html and the data change", async () => {
    const first = await listFiles(dirs.get(1)!);
    const assets = first.filter((f) => f.path.startsWith("assets/"));
    expect(assets.filter((f) => f.path.startsWith("assets/js/")).length).toBeGreaterThan(10);
    expect(assets.some((f) => f.path.startsWith("assets/img/logos/") && f.path.endsWith(".svg"))).toBe(true);
    for (const k of ks.slice(1)) {
      for (const f of assets) expect(readFileSync(join(dirs.get(k)!, f.path)).equals(readFileSync(join(dirs.get(1)!, f.path)))).toBe(true);
      for (const p of ["index.html", "data/corte.json", "data/GUB/entidad.json", "datos/GUB_2024.csv", "datos/PREP_2024.zip"]) {
        expect(readFileSync(join(dirs.get(k)!, p)).equals(readFileSync(join(dirs.get(1)!, p)))).toBe(false);
      }
    }
    expect(readFileSync(join(dirs.get(5)!, "index.html"), "utf8")).toContain("Corte: 02/06/2024 21:00 (UTC-6)");
  });

  test("rows appear at acopio, fill in at captura, and never go back", async () => {
    let previous: ReturnType<typeof parseGeneratedCsv> | undefined;
    for (const k of ks) {
      const csv = parseGeneratedCsv(readFileSync(join(dirs.get(k)!, "datos/GUB_2024.csv"), "utf8"));
      const col = (name: string): number => csv.columns.indexOf(name);
      const capturedRows = [...csv.rows.values()].filter((r) => r[col("CONTABILIZADA")] === "1");
      expect(Number(csv.counters.ACTAS_REGISTRADAS)).toBe(csv.rows.size);
      expect(Number(csv.counters.ACTAS_CAPTURADAS)).toBe(capturedRows.length);
      for (const r of csv.rows.values()) {
        const captured = r[col("CONTABILIZADA")] === "1";
        expect(r[col("PAN")] === "-").toBe(!captured);
        expect(r[col("FECHA_HORA_CAPTURA")] === "-").toBe(!captured);
        expect(r[col("FECHA_HORA_ACOPIO")]).toMatch(/^\d{2}\/\d{2}\/2024 \d{2}:\d{2}:\d{2}$/);
      }
      const corte = JSON.parse(readFileSync(join(dirs.get(k)!, "data/corte.json"), "utf8"));
      expect(corte).toMatchObject({
        corte: cutTime(k).iso,
        numero: k,
        elecciones: { GUB: { actasRegistradas: csv.rows.size, actasCapturadas: capturedRows.length } },
      });
      if (previous) {
        expect(csv.rows.size).toBeGreaterThanOrEqual(previous.rows.size);
        expect(Number(csv.counters.ACTAS_CAPTURADAS)).toBeGreaterThanOrEqual(Number(previous.counters.ACTAS_CAPTURADAS));
        for (const [clave, before] of previous.rows) {
          const now = csv.rows.get(clave);
          expect(now).toBeDefined();
          if (before[col("CONTABILIZADA")] === "1") expect(now).toEqual(before); // captured rows are final
        }
      }
      previous = csv;
    }
    const early = parseGeneratedCsv(readFileSync(join(dirs.get(2)!, "datos/GUB_2024.csv"), "utf8"));
    const late = parseGeneratedCsv(readFileSync(join(dirs.get(40)!, "datos/GUB_2024.csv"), "utf8"));
    expect(late.rows.size).toBeGreaterThan(early.rows.size * 2); // rows keep appearing through the night
    expect(Number(late.counters.ACTAS_CAPTURADAS) / Number(late.counters.ACTAS_ESPERADAS)).toBeGreaterThan(0.8);
    expect(Number(late.counters.ACTAS_CAPTURADAS)).toBeLessThan(Number(late.counters.ACTAS_ESPERADAS)); // some never arrive
  });

  test("section and district JSON follow the CSV", async () => {
    const dir = dirs.get(12)!;
    const csv = parseGeneratedCsv(readFileSync(join(dir, "datos/GUB_2024.csv"), "utf8"));
    const files = await listFiles(dir);
    const sections = new Set([...csv.rows.values()].map((r) => r[csv.columns.indexOf("SECCION")]));
    const sectionFiles = files.filter((f) => f.path.startsWith("data/GUB/secciones/"));
    expect(sectionFiles.map((f) => f.path.replace(/^.*\/(\d+)\.json$/, "$1")).sort()).toEqual([...sections].sort());
    const s = JSON.parse(readFileSync(join(dir, sectionFiles[0].path), "utf8"));
    expect(s).toMatchObject({ eleccion: "GUB", corte: cutTime(12).iso });
    const entidad = JSON.parse(readFileSync(join(dir, "data/GUB/entidad.json"), "utf8"));
    let districtVotes = 0;
    for (const f of files.filter((x) => x.path.startsWith("data/GUB/distritos/"))) {
      districtVotes += (JSON.parse(readFileSync(join(dir, f.path), "utf8")).votos as number[]).reduce((a, b) => a + b, 0);
    }
    expect(districtVotes).toBe((entidad.votos as number[]).reduce((a, b) => a + b, 0));
    expect(districtVotes).toBeGreaterThan(0);
  });

  test("the .sha256 sidecar matches and the zip is a valid zip of the CSVs", () => {
    for (const k of ks) {
      const dir = dirs.get(k)!;
      const csv = readFileSync(join(dir, "datos/GUB_2024.csv"));
      expect(readFileSync(join(dir, "datos/GUB_2024.csv.sha256"), "utf8")).toBe(`${createHash("sha256").update(csv).digest("hex")}  GUB_2024.csv\n`);
      const zipBytes = readFileSync(join(dir, "datos/PREP_2024.zip"));
      const zip = ZipArchive.fromBuffer(zipBytes);
      expect(zip.entries.map((e) => e.name)).toEqual(["GUB_2024.csv"]);
      expect(zip.read(zip.entries[0]).equals(csv)).toBe(true);
      // Independently of ZipArchive: the local header's deflate stream inflates to the CSV.
      expect(zipBytes.readUInt32LE(0)).toBe(0x04034b50);
      const compressed = zipBytes.readUInt32LE(18);
      const start = 30 + zipBytes.readUInt16LE(26) + zipBytes.readUInt16LE(28);
      expect(inflateRawSync(zipBytes.subarray(start, start + compressed)).equals(csv)).toBe(true);
      expect(compressed).toBeLessThan(csv.length / 2);
    }
  });
});

describe("scales and acta scans", () => {
  test("small: a few hundred files at most, ~13 MB of static site", async () => {
    const out = tmp();
    const early = await generateCut({ outDir: out, k: 1 });
    const late = await generateCut({ outDir: out, k: 60 });
    expect(early.files).toBeGreaterThanOrEqual(120);
    expect(early.files).toBeLessThan(250);
    expect(late.files).toBeGreaterThan(early.files + 150);
    expect(late.files).toBeLessThan(400);
    expect(early.bytes).toBeGreaterThan(8_000_000);
    expect(late.bytes).toBeLessThan(20_000_000);
  });

  test("veracruz cut 9: about 6,500 files and 17 MB", async () => {
    const cut = await generateCut({ outDir: tmp(), k: 9, scale: "veracruz" });
    expect(cut.files).toBeGreaterThan(5_500);
    expect(cut.files).toBeLessThan(7_500);
    expect(cut.bytes).toBeGreaterThan(14_000_000);
    expect(cut.bytes).toBeLessThan(21_000_000);
    const corte = JSON.parse(readFileSync(join(cut.dir, "data/corte.json"), "utf8"));
    expect(Object.keys(corte.elecciones)).toEqual(["GUB", "DIP_LOC"]);
  }, 20_000);

  test("scans appear once captured, never change, and do not compress", async () => {
    const out = tmp();
    const a = await generateCut({ outDir: out, k: 6, actas: true });
    const b = await generateCut({ outDir: out, k: 7, actas: true });
    const scans = async (dir: string): Promise<string[]> => (await listFiles(dir)).filter((f) => f.path.startsWith("actas/GUB/")).map((f) => f.path);
    const [sa, sb] = [await scans(a.dir), await scans(b.dir)];
    const captured = (dir: string): number => JSON.parse(readFileSync(join(dir, "data/corte.json"), "utf8")).elecciones.GUB.actasCapturadas;
    expect(sa).toHaveLength(captured(a.dir));
    expect(sb).toHaveLength(captured(b.dir));
    expect(sb.length).toBeGreaterThan(sa.length);
    for (const p of sa) expect(readFileSync(join(b.dir, p)).equals(readFileSync(join(a.dir, p)))).toBe(true);
    const one = readFileSync(join(a.dir, sa[0]));
    expect(one.length).toBeGreaterThanOrEqual(60_000);
    expect(deflateRawSync(one).length).toBeGreaterThan(one.length * 0.99);
  });
});
