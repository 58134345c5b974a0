import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import { PARTIES, SCALES, entityName, geography, type ElectionActas, type Geography, type Scale } from "./geography";
import { pseudoRandomBytes } from "./random";
import { indexHtml, staticSite } from "./static-site";
import { CUT_MINUTES, FIRST_CUT_UTC_MS, csvStamp, cutTime, cutTimeAt, localParts } from "./time";
import { TreeWriter } from "./writer";
import { assembleZip, compressZipEntry, dosDateTime, type CompressedZipEntry, type ZipDeflate } from "./zip";

export interface GenerateCutOptions {
  /** Directory that receives `cut-000k/`. */
  outDir: string;
  /** Cut number, 1-based (cut 1 is 20:00 UTC-6). */
  k: number;
  scale?: Scale;
  seed?: number;
  /** Also write `actas/<E>/<clave>.jpg`, an incompressible scan per captured acta. */
  actas?: boolean;
  /**
   * Stamp the cut (its corte, page header, file times) at this instant instead of the series'
   * 2024-06-02 time, e.g. now: a site showing it is then not stale. The content is the same.
   */
  at?: Date;
  /** How the database zip is deflated (default "node"; "libzip" as the OPLE's PHP site writes it, which delta-zip@1 can rebuild). */
  zipDeflate?: ZipDeflate;
}

export interface GeneratedCut {
  dir: string;
  files: number;
  bytes: number;
  /** ISO 8601 with -06:00. */
  corte: string;
}

export interface GenerateSeriesOptions extends Omit<GenerateCutOptions, "k"> {
  cuts: number;
  /** First cut number (default 1). */
  from?: number;
}

export const MAX_CUT = 9999;

const CSV_COLUMNS = [
  "CLAVE_CASILLA",
  "CLAVE_ACTA",
  "ID_ENTIDAD",
  "ENTIDAD",
  "ID_DISTRITO",
  "DISTRITO",
  "SECCION",
  "ID_CASILLA",
  "TIPO_CASILLA",
  "EXT_CONTIGUA",
  "TIPO_ACTA",
  ...PARTIES,
  "NO_REGISTRADOS",
  "NULOS",
  "TOTAL_VOTOS_CALCULADOS",
  "LISTA_NOMINAL",
  "OBSERVACIONES",
  "CONTABILIZADA",
  "MECANISMOS_TRASLADO",
  "SHA",
  "FECHA_HORA_ACOPIO",
  "FECHA_HORA_CAPTURA",
  "FECHA_HORA_VERIFICACION",
  "ORIGEN",
  "DIGITALIZACION",
  "TIPO_DOCUMENTO",
  "COTEJADA",
].join("|");
const NOT_CAPTURED_VOTES = PARTIES.map(() => "-").join("|");

function configError(where: string, message: string, hint: string): PrepcastError {
  return new PrepcastError("CONFIG_INVALID", message, { where, hint });
}

export function checkCutNumber(k: unknown, where: string): number {
  if (typeof k !== "number" || !Number.isSafeInteger(k) || k < 1 || k > MAX_CUT) {
    throw configError(
      where,
      `cut number must be an integer from 1 to ${MAX_CUT}, got ${String(k)}`,
      "Cut 1 is 20:00 (UTC-6); each further cut adds 15 minutes.",
    );
  }
  return k;
}

export function checkScale(scale: unknown, where: string): Scale {
  if (typeof scale !== "string" || !Object.prototype.hasOwnProperty.call(SCALES, scale)) {
    throw configError(where, `unknown scale ${JSON.stringify(scale)}`, `Use one of: ${Object.keys(SCALES).join(", ")}.`);
  }
  return scale as Scale;
}

export function checkSeed(seed: unknown, where: string): number {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw configError(where, `seed must be an integer from 0 to 4294967295, got ${String(seed)}`, "Any fixed seed gives a reproducible series.");
  }
  return seed;
}

/** Accumulates text in ~1 MiB pieces, so a 40 MB CSV is never one giant JS string. */
class ChunkedText {
  private readonly chunks: Buffer[] = [];
  private pending: string[] = [];
  private pendingLength = 0;

  add(line: string): void {
    this.pending.push(line);
    this.pendingLength += line.length;
    if (this.pendingLength >= 1 << 20) this.flush();
  }

  toBuffer(): Buffer {
    this.flush();
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    this.chunks.push(Buffer.from(this.pending.join(""), "utf8"));
    this.pending = [];
    this.pendingLength = 0;
  }
}

/** Memoized `dd/mm/aaaa hh:mm:ss` stamps: a cut has only a few thousand distinct ones. */
class StampCache {
  private readonly cache = new Map<number, string>();
  get(utcMs: number): string {
    let s = this.cache.get(utcMs);
    if (s === undefined) {
      s = csvStamp(utcMs);
      this.cache.set(utcMs, s);
    }
    return s;
  }
}

const cutStartMs = (k: number): number => FIRST_CUT_UTC_MS + (k - 1) * CUT_MINUTES * 60_000;

interface ElectionProgress {
  actasEsperadas: number;
  actasRegistradas: number;
  actasCapturadas: number;
}

/** Writes everything of one election for cut k; returns its CSV (for the zip) and its counters. */
function writeElection(
  w: TreeWriter,
  g: Geography,
  e: ElectionActas,
  k: number,
  corte: { iso: string; human: string },
  withActas: boolean,
  stamps: StampCache,
): { csv: Buffer; progress: ElectionProgress } {
  const P = PARTIES.length;
  const rows = new ChunkedText();
  const totals = new Array<number>(P).fill(0);
  const districtVotes = new Map<number, { votos: number[]; actas: number }>();
  let registered = 0;
  let captured = 0;
  const sections = g.spec.sections;
  for (let s = 1; s <= sections; s++) {
    const casillas: Array<{ casilla: string; capturada: boolean; votos: number[] | null; nulos: number | null }> = [];
    for (let a = g.sectionStart[s - 1]; a < g.sectionStart[s]; a++) {
      if (e.registered[a] > k) continue;
      registered++;
      const clave = g.clave[a];
      const done = e.captured[a] <= k;
      const d = g.district[a];
      const acopio = stamps.get(cutStartMs(e.registered[a]) - (7 * 60 + e.jitter[2 * a]) * 1000);
      const sha = e.sha.toString("hex", a * 32, a * 32 + 32);
      const head = `${clave}|${clave}${e.name}|${g.entityId[a]}|${entityName(g.spec, g.entityId[a])}|${d}|DISTRITO ${d}|${s}|${g.casillaId[a]}|${g.tipo[a]}|0|${e.name}|`;
      if (done) {
        captured++;
        const votos = Array.from(e.counts.subarray(a * P, a * P + P));
        let sum = e.nulos[a];
        let dv = districtVotes.get(d);
        if (!dv) districtVotes.set(d, (dv = { votos: new Array<number>(P).fill(0), actas: 0 }));
        dv.actas++;
        for (let p = 0; p < P; p++) {
          totals[p] += votos[p];
          dv.votos[p] += votos[p];
          sum += votos[p];
        }
        const captura = stamps.get(cutStartMs(e.captured[a]) - (3 * 60 + e.jitter[2 * a + 1]) * 1000);
        rows.add(`${head}${votos.join("|")}|0|${e.nulos[a]}|${sum}|${g.lista[a]}|-|1|F|${sha}|${acopio}|${captura}|-|CATD|ESCANER|ACTA PREP|1\r\n`);
        casillas.push({ casilla: clave, capturada: true, votos, nulos: e.nulos[a] });
        if (withActas) w.put(`actas/${e.name}/${clave}.jpg`, pseudoRandomBytes(e.scanBytes[a], g.seed, g.scale, "scan", e.name, clave));
      } else {
        rows.add(`${head}${NOT_CAPTURED_VOTES}|-|-|-|${g.lista[a]}|-|0|F|${sha}|${acopio}|-|-|CATD|ESCANER|ACTA PREP|0\r\n`);
        casillas.push({ casilla: clave, capturada: false, votos: null, nulos: null });
      }
    }
    if (casillas.length > 0) {
      w.put(`data/${e.name}/secciones/${s}.json`, JSON.stringify({ eleccion: e.name, seccion: s, corte: corte.iso, casillas }));
    }
  }
  const expected = g.casillaCount;
  const progress = { actasEsperadas: expected, actasRegistradas: registered, actasCapturadas: captured };
  const header =
    `${e.name}\r\n${corte.human}\r\nACTAS_ESPERADAS|ACTAS_REGISTRADAS|ACTAS_CAPTURADAS|PORCENTAJE_ACTAS_CAPTURADAS\r\n` +
    `${expected}|${registered}|${captured}|${((100 * captured) / expected).toFixed(4)}\r\n${CSV_COLUMNS}\r\n`;
  const csv = Buffer.concat([Buffer.from(header, "utf8"), rows.toBuffer()]);
  const csvName = `${e.name}_2024.csv`;
  w.put(`datos/${csvName}`, csv);
  w.put(`datos/${csvName}.sha256`, `${createHash("sha256").update(csv).digest("hex")}  ${csvName}\n`);
  w.put(`data/${e.name}/entidad.json`, JSON.stringify({ eleccion: e.name, corte: corte.iso, partidos: PARTIES, votos: totals, ...progress }));
  for (const [d, v] of [...districtVotes].sort((x, y) => x[0] - y[0])) {
    w.put(`data/${e.name}/distritos/${d}.json`, JSON.stringify({ eleccion: e.name, distrito: d, corte: corte.iso, partidos: PARTIES, ...v }));
  }
  return { csv, progress };
}

/**
 * Writes cut k of the series defined by (seed, scale) into `outDir/cut-000k`, replacing any
 * previous copy. The cut is built in a sibling temporary directory and renamed into place, so
 * `cut-000k` is never a half-written tree.
 */
export async function generateCut(opts: GenerateCutOptions): Promise<GeneratedCut> {
  if (typeof opts.outDir !== "string" || opts.outDir === "")
    throw configError("outDir", "outDir must be a non-empty path", "Pass the directory that should receive cut-000k/.");
  const k = checkCutNumber(opts.k, "k");
  const scale = checkScale(opts.scale ?? "small", "scale");
  const seed = checkSeed(opts.seed ?? 1, "seed");
  const withActas = opts.actas === true;
  if (opts.zipDeflate !== undefined && opts.zipDeflate !== "node" && opts.zipDeflate !== "libzip")
    throw configError(
      "zipDeflate",
      `zipDeflate ${JSON.stringify(opts.zipDeflate)} is not "node" or "libzip"`,
      'Pass "libzip" for a zip as PHP\'s ZipArchive writes it, or leave it out.',
    );
  const time = opts.at !== undefined ? cutTimeAt(opts.at) : cutTime(k);
  const name = `cut-${String(k).padStart(4, "0")}`;
  const finalDir = resolve(opts.outDir, name);
  const tempDir = resolve(opts.outDir, `.${name}.partial-${process.pid}`);
  await rm(tempDir, { recursive: true, force: true });

  const g = geography(scale, seed);
  const site = staticSite(seed);
  const w = new TreeWriter(tempDir, time.date);
  try {
    for (const f of site) w.put(f.path, f.data);
    w.put("index.html", indexHtml(site, time.human));
    const stamps = new StampCache();
    const progress: Record<string, ElectionProgress> = {};
    const zipEntries: Array<Promise<CompressedZipEntry>> = [];
    for (const e of g.elections) {
      const done = writeElection(w, g, e, k, time, withActas, stamps);
      progress[e.name] = done.progress;
      const entry = compressZipEntry({ name: `${e.name}_2024.csv`, data: done.csv }, opts.zipDeflate ?? "node");
      entry.catch(() => undefined); // awaited below; this only keeps an early failure from being "unhandled"
      zipEntries.push(entry);
    }
    w.put("data/corte.json", JSON.stringify({ corte: time.iso, corteTexto: time.human, numero: k, elecciones: progress }, null, 2));
    w.put("datos/PREP_2024.zip", assembleZip(await Promise.all(zipEntries), dosDateTime(localParts(time.date.getTime()))));
  } catch (err) {
    await rm(tempDir, { recursive: true, force: true });
    throw err;
  }
  if (existsSync(finalDir)) await rm(finalDir, { recursive: true, force: true });
  await rename(tempDir, finalDir);
  return { dir: finalDir, files: w.files, bytes: w.bytes, corte: time.iso };
}

/** Cuts `from` .. `from + cuts - 1`, one after the other. */
export async function generateSeries(opts: GenerateSeriesOptions): Promise<GeneratedCut[]> {
  const from = checkCutNumber(opts.from ?? 1, "from");
  if (!Number.isSafeInteger(opts.cuts) || opts.cuts < 1 || from + opts.cuts - 1 > MAX_CUT) {
    throw configError(
      "cuts",
      `cuts must be an integer >= 1 with from + cuts - 1 <= ${MAX_CUT}, got ${String(opts.cuts)}`,
      "A PREP night is about 100 cuts of 15 minutes.",
    );
  }
  const out: GeneratedCut[] = [];
  for (let k = from; k < from + opts.cuts; k++) out.push(await generateCut({ ...opts, k }));
  return out;
}
