// Reads nginx's "combined" access log into the analytics store, for difusores that put nginx in
// front:  $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"
// Malformed lines are reported with their line number and skipped; everything else is kept.
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { PrepcastError, hashFile } from "@prepcast/protocol";
import type { AnalyticsStore } from "./store";
import { looksLikeHtmlPath } from "./classify";
import type { RawHit } from "./hit";

const LINE = /^(\S+) \S+ \S+ \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"/;
const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/** nginx $time_local ("02/Jun/2024:20:15:03 -0600") to epoch ms; NaN if malformed. */
export function parseNginxTime(s: string): number {
  const m = TIME.exec(s);
  if (!m || MONTHS[m[2]!] === undefined) return NaN;
  const utc = Date.UTC(Number(m[3]), MONTHS[m[2]!]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (new Date(utc).getUTCDate() !== Number(m[1]) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6]) > 60) return NaN;
  const offset = (Number(m[8]) * 60 + Number(m[9])) * 60_000 * (m[7] === "-" ? -1 : 1);
  return utc - offset;
}

const unescapeNginx = (s: string): string => s.replace(/\\x([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\(.)/g, "$1");

/** One log line to a hit, or a message saying what is wrong with it. */
export function parseCombinedLine(line: string): RawHit | string {
  const m = LINE.exec(line);
  if (!m) return 'not in nginx combined format (expected: IP - USER [dd/Mon/yyyy:hh:mm:ss +zzzz] "METHOD PATH PROTO" STATUS BYTES "REFERER" "USER-AGENT")';
  const time = parseNginxTime(m[2]!);
  if (!Number.isFinite(time)) return `bad time "${m[2]}" (expected dd/Mon/yyyy:hh:mm:ss +zzzz)`;
  const request = unescapeNginx(m[3]!);
  const rq = /^([A-Z]+) (\S+)(?: HTTP\/[\d.]+)?$/.exec(request);
  let method = "-";
  let path = "-";
  if (rq) {
    method = rq[1]!;
    const raw = rq[2]!.split("?")[0]!;
    try {
      path = decodeURIComponent(raw);
    } catch {
      path = raw;
    }
  }
  return {
    time,
    ip: m[1]!,
    ua: unescapeNginx(m[7]!),
    method,
    path,
    status: Number(m[4]),
    bytes: m[5] === "-" ? 0 : Number(m[5]),
    referrer: m[6] === "-" ? "" : unescapeNginx(m[6]!),
    dest: "",
    html: rq !== null && looksLikeHtmlPath(path),
  };
}

export interface IngestResult {
  file: string;
  lines: number;
  hits: number;
  errors: { line: number; message: string }[];
  /** Errors beyond the first 100 are only counted. */
  errorCount: number;
}

/** Computes the file's hash first so the same log is never counted twice (ALREADY_INSTALLED-like refusal). */
export async function ingestNginxLog(store: AnalyticsStore, file: string, opts: { force?: boolean; batch?: number } = {}): Promise<IngestResult> {
  try {
    statSync(file);
  } catch (e) {
    throw new PrepcastError("IO_ERROR", `cannot read the access log ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, {
      where: file,
      cause: e,
      hint: "give the path of an nginx access log in combined format",
    });
  }
  const digest = (await hashFile(file)).sha256;
  const seen = store.db.prepare("SELECT file, at FROM ingested WHERE sha256 = ?").get(digest) as { file: string; at: number } | undefined;
  if (seen && !opts.force) {
    throw new PrepcastError(
      "ALREADY_INSTALLED",
      `${file} was already ingested (same content as ${seen.file}, ingested ${new Date(seen.at).toISOString()}); its hits would be counted twice`,
      { where: file, hint: "ingest each rotated log once; use --force only if the first ingestion was lost" },
    );
  }
  const result: IngestResult = { file, lines: 0, hits: 0, errors: [], errorCount: 0 };
  const batchSize = opts.batch ?? 5000;
  let batch: RawHit[] = [];
  const rl = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of rl) {
    result.lines++;
    if (line.trim() === "") continue;
    const hit = parseCombinedLine(line);
    if (typeof hit === "string") {
      result.errorCount++;
      if (result.errors.length < 100) result.errors.push({ line: result.lines, message: `${file} line ${result.lines}: ${hit}` });
      continue;
    }
    batch.push(hit);
    if (batch.length >= batchSize) {
      result.hits += store.insertHits(batch);
      batch = [];
    }
  }
  result.hits += store.insertHits(batch);
  store.db.prepare("INSERT OR REPLACE INTO ingested (sha256, file, at, lines) VALUES (?, ?, ?, ?)").run(digest, file, Date.now(), result.lines);
  return result;
}
