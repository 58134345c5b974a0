// Replays a real PREP database zip (Quintana Roo 2019, local deputies) as a series of cuts: each
// acta row appears at its FECHA_HORA_ACOPIO and fills in at its FECHA_HORA_CAPTURA.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import { TreeWriter } from "./writer";
import { ZipArchive, assembleZip, compressZipEntry, dosDateTime } from "./zip";

/** Quintana Roo is UTC-5 all year (since 2015). */
const QROO_OFFSET_MINUTES = -5 * 60;
const MAX_CUTS = 9999;

export interface ReplayQrooOptions {
  /** The PREP zip, e.g. `20190603_0547_PREP_DIP_QROO.zip`. */
  zipPath: string;
  outDir: string;
  /** Write at most this many cuts (default: until every acta is captured and verified). */
  cuts?: number | undefined;
  /** Minutes between cuts (default 15). */
  minutesPerCut?: number | undefined;
}

export interface QrooCut {
  dir: string;
  files: number;
  bytes: number;
  /** ISO 8601 with -05:00. */
  corte: string;
  registered: number;
  captured: number;
}

export interface QrooCsv {
  /** Line terminator used by the file (the 2019 database uses LF, other years CRLF). */
  eol: string;
  /** Lines before the counters' header (the `sep=|` line, the election name). */
  preamble: string[];
  /** Index of the cut-time line inside `preamble`, or -1. */
  timeLine: number;
  countersHeader: string[];
  counters: string[];
  /** Lines between the counters and the column header (usually one empty line). */
  gap: string[];
  columns: string[];
  rows: string[][];
  /** What follows the last row (the 2019 file ends with an empty line). */
  trailer: string;
}

function qrooError(where: string, message: string): PrepcastError {
  return new PrepcastError("PACKAGE_INVALID", `${where}: ${message}`, {
    where,
    hint: "Pass a PREP database zip whose results CSV has the CLAVE_CASILLA header and FECHA_HORA_ACOPIO / FECHA_HORA_CAPTURA columns.",
  });
}

/** Parses a PREP results CSV (decoded as Latin-1, which round-trips every byte). */
export function parseQrooCsv(text: string, where = "csv"): QrooCsv {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(eol);
  let trailer = "";
  while (lines.length > 0 && lines[lines.length - 1] === "") {
    lines.pop();
    trailer += eol;
  }
  const columnsAt = lines.findIndex((l) => l.startsWith("CLAVE_CASILLA|"));
  const countersAt = lines.findIndex((l) => l.startsWith("ACTAS_ESPERADAS|"));
  if (columnsAt < 0) throw qrooError(where, "no column header line starting with CLAVE_CASILLA|");
  if (countersAt < 0 || countersAt + 1 >= columnsAt) throw qrooError(where, "no ACTAS_ESPERADAS counters before the column header");
  const columns = lines[columnsAt].split("|");
  for (const required of ["FECHA_HORA_ACOPIO", "FECHA_HORA_CAPTURA"]) {
    if (!columns.includes(required)) throw qrooError(where, `column ${required} is missing`);
  }
  const rows = lines.slice(columnsAt + 1).map((l, i) => {
    const cells = l.split("|");
    if (cells.length !== columns.length) throw qrooError(`${where}:${columnsAt + 2 + i}`, `row has ${cells.length} fields, the header ${columns.length}`);
    return cells;
  });
  const preamble = lines.slice(0, countersAt);
  return {
    eol,
    preamble,
    timeLine: preamble.findIndex((l) => /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}/.test(l)),
    countersHeader: lines[countersAt].split("|"),
    counters: lines[countersAt + 1].split("|"),
    gap: lines.slice(countersAt + 2, columnsAt),
    columns,
    rows,
    trailer,
  };
}

/** `2019-06-03 02:45:00` (local UTC-5) to epoch ms; NaN when empty or malformed. */
function parseLocal(value: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]) - QROO_OFFSET_MINUTES * 60_000;
}

const pad = (n: number): string => String(n).padStart(2, "0");
function localFields(ms: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const d = new Date(ms + QROO_OFFSET_MINUTES * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
  };
}

const truncate4 = (x: number): string => (Math.floor(x * 10_000) / 10_000).toFixed(4);

interface ActaTimes {
  appears: number;
  captured: number;
  verified: number;
}

/** One cut of the replayed CSV: rows that have appeared, blank until captured; counters recomputed. */
function renderCsv(csv: QrooCsv, times: ActaTimes[], cutMs: number): { text: string; registered: number; captured: number } {
  const col = (name: string): number => csv.columns.indexOf(name);
  const firstCaptureField = col("TIPO_ACTA") + 1;
  const lista = col("LISTA_NOMINAL");
  const blankWhenPending = new Set<number>();
  for (let i = firstCaptureField; i < (lista > 0 ? lista : firstCaptureField); i++) blankWhenPending.add(i);
  for (const name of ["REPRESENTANTES_PP_CI", "OBSERVACIONES", "CONTABILIZADA", "FECHA_HORA_CAPTURA", "FECHA_HORA_VERIFICACION"]) {
    if (col(name) >= 0) blankWhenPending.add(col(name));
  }
  const verification = col("FECHA_HORA_VERIFICACION");
  const counted = col("CONTABILIZADA");
  const observations = col("OBSERVACIONES");
  const totalVotes = col("TOTAL_VOTOS_CALCULADO");
  const tipo = col("TIPO_CASILLA");
  const out: string[] = [];
  let registered = 0;
  let captured = 0;
  let contabilizadas = 0;
  let illegible = 0;
  let listaContabilizadas = 0;
  let votesWithSpecial = 0;
  let votesWithoutSpecial = 0;
  csv.rows.forEach((row, i) => {
    const t = times[i];
    if (t.appears > cutMs) return;
    registered++;
    if (t.captured <= cutMs) {
      captured++;
      const cells = row.slice();
      if (verification >= 0 && !(t.verified <= cutMs)) cells[verification] = "-";
      if (counted >= 0 && row[counted] === "1") {
        contabilizadas++;
        if (lista >= 0) listaContabilizadas += Number(row[lista]) || 0;
        const votes = totalVotes >= 0 ? Number(row[totalVotes]) || 0 : 0;
        votesWithSpecial += votes;
        if (tipo < 0 || row[tipo] !== "S") votesWithoutSpecial += votes;
      }
      if (observations >= 0 && row[observations].includes("ILEGIBLE")) illegible++;
      out.push(cells.join("|"));
    } else {
      out.push(row.map((cell, c) => (blankWhenPending.has(c) ? "-" : cell)).join("|"));
    }
  });
  const expected = Number(csv.counters[csv.countersHeader.indexOf("ACTAS_ESPERADAS")]) || csv.rows.length;
  const computed: Record<string, string> = {
    ACTAS_ESPERADAS: String(expected),
    ACTAS_REGISTRADAS: String(registered),
    ACTAS_CAPTURADAS: String(captured),
    PORCENTAJE_ACTAS_CAPTURADAS: truncate4((100 * captured) / expected),
    ACTAS_CONTABILIZADAS: String(contabilizadas),
    PORCENTAJE_ACTAS_CONTABILIZADAS: truncate4((100 * contabilizadas) / expected),
    PORCENTAJE_ACTAS_INCONSISTENCIAS: truncate4((100 * illegible) / expected),
    ACTAS_NO_CONTABILIZADAS: String(captured - contabilizadas),
    LISTA_NOMINAL_ACTAS_CONTABILIZADAS: String(listaContabilizadas),
    TOTAL_VOTOS_C_CS: String(votesWithSpecial),
    TOTAL_VOTOS_S_CS: String(votesWithoutSpecial),
    PORCENTAJE_PARTICIPACION_CIUDADANA: truncate4(listaContabilizadas > 0 ? (100 * votesWithSpecial) / listaContabilizadas : 0),
  };
  // Counters this replay cannot derive (e.g. ACTAS_FUERA_CATALOGO) keep the published value.
  const counters = csv.countersHeader.map((name, i) => computed[name] ?? csv.counters[i]);
  const f = localFields(cutMs);
  const preamble = csv.preamble.slice();
  if (csv.timeLine >= 0) preamble[csv.timeLine] = `${f.year}/${pad(f.month)}/${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)} (UTC-5)`;
  const lines = [...preamble, csv.countersHeader.join("|"), counters.join("|"), ...csv.gap, csv.columns.join("|"), ...out];
  return { text: lines.join(csv.eol) + csv.trailer, registered, captured };
}

/**
 * Writes `outDir/cut-000k` for the replayed night: `datos/` holds every file of the original zip
 * (results CSVs replayed, the others copied byte for byte), a `.sha256` per results CSV and the
 * cut's own zip (`datos/PREP_<same name without the timestamp>.zip`); `data/corte.json` and
 * `index.html` give the cut's time and progress. Cut 1 is the first cut boundary at or after the
 * first capture; by default the series ends with the cut that has every acta captured and verified.
 */
export async function replayQroo2019(opts: ReplayQrooOptions): Promise<QrooCut[]> {
  const minutes = opts.minutesPerCut ?? 15;
  if (!Number.isSafeInteger(minutes) || minutes < 1 || minutes > 24 * 60) {
    throw new PrepcastError("CONFIG_INVALID", `minutesPerCut must be an integer from 1 to 1440, got ${String(opts.minutesPerCut)}`, { where: "minutesPerCut" });
  }
  if (opts.cuts !== undefined && (!Number.isSafeInteger(opts.cuts) || opts.cuts < 1 || opts.cuts > MAX_CUTS)) {
    throw new PrepcastError("CONFIG_INVALID", `cuts must be an integer from 1 to ${MAX_CUTS}, got ${String(opts.cuts)}`, { where: "cuts" });
  }
  const zip = await ZipArchive.open(opts.zipPath);
  const files = zip.entries.map((entry) => {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(entry.name)) throw qrooError(`${opts.zipPath}:${entry.name}`, "entry name is not a plain file name");
    return { name: entry.name, data: zip.read(entry) };
  });
  const results = files
    .filter((f) => f.name.toLowerCase().endsWith(".csv"))
    .map((f) => {
      const text = f.data.toString("latin1");
      return /^CLAVE_CASILLA\|.*FECHA_HORA_CAPTURA/m.test(text) ? { name: f.name, csv: parseQrooCsv(text, `${opts.zipPath}:${f.name}`) } : undefined;
    })
    .filter((r): r is { name: string; csv: QrooCsv } => r !== undefined);
  if (results.length === 0) throw qrooError(opts.zipPath, "no results CSV with FECHA_HORA_ACOPIO and FECHA_HORA_CAPTURA columns");

  const allTimes = results.map(({ csv }) => {
    const ia = csv.columns.indexOf("FECHA_HORA_ACOPIO");
    const ic = csv.columns.indexOf("FECHA_HORA_CAPTURA");
    const iv = csv.columns.indexOf("FECHA_HORA_VERIFICACION");
    return csv.rows.map((row): ActaTimes => {
      const captured = parseLocal(row[ic]);
      const acopio = parseLocal(row[ia]);
      const capturedAt = Number.isNaN(captured) ? Infinity : captured;
      // A missing or late acopio stamp (both occur in the real data) cannot hide a captured acta.
      const appears = Number.isNaN(acopio) ? capturedAt : Math.min(acopio, capturedAt);
      const verified = iv >= 0 ? parseLocal(row[iv]) : capturedAt;
      return { appears, captured: capturedAt, verified: Number.isNaN(verified) ? Infinity : Math.max(verified, capturedAt) };
    });
  });
  const flat = allTimes.flat();
  const finite = (xs: number[]): number[] => xs.filter((x) => Number.isFinite(x));
  const captures = finite(flat.map((t) => t.captured));
  if (captures.length === 0) throw qrooError(opts.zipPath, "no acta has a FECHA_HORA_CAPTURA");
  const step = minutes * 60_000;
  const localBoundary = (ms: number): number => Math.ceil((ms + QROO_OFFSET_MINUTES * 60_000) / step) * step - QROO_OFFSET_MINUTES * 60_000;
  // reduce, not Math.min(...xs): spreading a national database's rows would overflow the stack
  const first = localBoundary(captures.reduce((a, b) => Math.min(a, b)));
  const last = localBoundary([...captures, ...finite(flat.map((t) => t.verified))].reduce((a, b) => Math.max(a, b)));
  const total = Math.min(opts.cuts ?? Infinity, Math.round((last - first) / step) + 1, MAX_CUTS);

  const zipName = `PREP_${opts.zipPath
    .replace(/^.*[\\/]/, "")
    .replace(/^\d{8}_\d{4}_PREP_/, "")
    .replace(/\.zip$/i, "")}.zip`;
  const out: QrooCut[] = [];
  for (let k = 1; k <= total; k++) {
    const cutMs = first + (k - 1) * step;
    const f = localFields(cutMs);
    const iso = `${f.year}-${pad(f.month)}-${pad(f.day)}T${pad(f.hour)}:${pad(f.minute)}:00-05:00`;
    const human = `${pad(f.day)}/${pad(f.month)}/${f.year} ${pad(f.hour)}:${pad(f.minute)} (UTC-5)`;
    const name = `cut-${String(k).padStart(4, "0")}`;
    const finalDir = resolve(opts.outDir, name);
    const tempDir = resolve(opts.outDir, `.${name}.partial-${process.pid}`);
    await rm(tempDir, { recursive: true, force: true });
    const w = new TreeWriter(tempDir, new Date(cutMs));
    let registered = 0;
    let captured = 0;
    try {
      const zipEntries = [];
      for (const file of files) {
        const r = results.findIndex((x) => x.name === file.name);
        let data = file.data;
        if (r >= 0) {
          const rendered = renderCsv(results[r].csv, allTimes[r], cutMs);
          data = Buffer.from(rendered.text, "latin1");
          registered += rendered.registered;
          captured += rendered.captured;
          w.put(`datos/${file.name}.sha256`, `${createHash("sha256").update(data).digest("hex")}  ${file.name}\n`);
        }
        w.put(`datos/${file.name}`, data);
        zipEntries.push(await compressZipEntry({ name: file.name, data }));
      }
      w.put(`datos/${zipName}`, assembleZip(zipEntries, dosDateTime(f)));
      const progress = { actasEsperadas: flat.length, actasRegistradas: registered, actasCapturadas: captured };
      w.put("data/corte.json", JSON.stringify({ corte: iso, corteTexto: human, numero: k, ...progress }, null, 2));
      w.put(
        "index.html",
        `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>PREP Quintana Roo 2019</title></head>` +
          `<body><header>Corte: ${human}</header><p>Actas capturadas: ${captured} de ${flat.length}</p>` +
          `<p><a href="/datos/${zipName}">Base de datos</a></p></body></html>\n`,
      );
    } catch (err) {
      await rm(tempDir, { recursive: true, force: true });
      throw err;
    }
    if (existsSync(finalDir)) await rm(finalDir, { recursive: true, force: true });
    await rename(tempDir, finalDir);
    out.push({ dir: finalDir, files: w.files, bytes: w.bytes, corte: iso, registered, captured });
  }
  return out;
}
