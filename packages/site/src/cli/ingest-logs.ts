// `prep-receiver ingest-logs`: nginx access logs into the analytics store, once or --follow.
import { join } from "node:path";
import { installLastResort, PrepcastError, processStreams, reportCliError, reportCliSuccess, requireStateDir, type CliStreams } from "@prepcast/protocol";
import { createAnalyticsStore } from "../analytics/store";
import { ingestNginxLog, IngestResult } from "../analytics/nginx-log";
import { followNginxLog, type FollowEvent } from "../analytics/log-follow";

export interface IngestLogsCommandOptions {
  /** nginx access logs in combined format. */
  files: string[];
  /** Receiver state directory; the store is DIR/analytics.sqlite unless --db. */
  root?: string;
  db?: string;
  /** Ingest a file again even if the same content was ingested before. */
  force?: boolean;
  /** Follow the one FILE live (rotation, restarts: each line once) until SIGTERM/SIGINT or `signal`. */
  follow?: boolean;
  /** --follow: poll interval and rotation grace (ms). */
  pollMs?: number;
  rotateGraceMs?: number;
  /** --follow: stops following (default: SIGINT/SIGTERM). */
  signal?: AbortSignal;
  json?: boolean;
  io?: CliStreams;
}

const followEventText = (e: FollowEvent): string | undefined =>
  e.kind === "start"
    ? `following ${e.file} from byte ${e.offset}${e.resumed ? " (resumed)" : ""}`
    : e.kind === "rotated"
      ? `${e.file} was rotated: the old file is read to its end, now following the new one`
      : e.kind === "truncated"
        ? `${e.file} was truncated (copytruncate): read the rest of its old content from ${e.copy}`
        : e.kind === "lost"
          ? `warning: ${e.message}`
          : e.kind === "waiting"
            ? `waiting for ${e.file} to exist`
            : e.message;

/** `ingest-logs --follow FILE`: runs until the signal; exit code 0 after a clean stop. */
async function followCommand(opts: IngestLogsCommandOptions, store: ReturnType<typeof createAnalyticsStore>, dbPath: string, io: CliStreams): Promise<number> {
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  if (opts.signal) opts.signal.addEventListener("abort", stop, { once: true });
  else {
    installLastResort("prep-receiver ingest-logs --follow");
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  }
  let waitingShown = false;
  const stats = await followNginxLog(store, opts.files[0]!, {
    signal: ac.signal,
    ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
    ...(opts.rotateGraceMs !== undefined ? { rotateGraceMs: opts.rotateGraceMs } : {}),
    onEvent: (e) => {
      if (e.kind === "waiting" && waitingShown) return;
      waitingShown ||= e.kind === "waiting";
      if (opts.json === true) io.stdout(`${JSON.stringify({ event: e.kind, ...e })}\n`);
      else (e.kind === "lost" || e.kind === "malformed" ? io.stderr : io.stdout)(`${followEventText(e)}\n`);
    },
  });
  process.removeListener("SIGINT", stop);
  process.removeListener("SIGTERM", stop);
  reportCliSuccess(
    opts.json === true,
    { db: dbPath, ...stats },
    [
      `stopped: ${stats.hits} hits from ${stats.lines} lines of ${stats.file} into ${dbPath} (${stats.rotations} rotation(s), ${stats.truncations} truncation(s), ${stats.errorCount} malformed line(s) skipped)`,
    ],
    io,
  );
  return 0;
}

/** Exit codes: 0 all lines ingested; 3 some malformed lines were skipped (the rest is stored); 1 a file could not be ingested. */
export async function ingestLogsCommand(opts: IngestLogsCommandOptions): Promise<number> {
  const io = opts.io ?? processStreams;
  const dbPath = opts.db ?? join(opts.root ?? "/var/lib/prepcast", "analytics.sqlite");
  let store;
  try {
    if (opts.follow === true && opts.files.length !== 1)
      throw new PrepcastError("CONFIG_INVALID", `--follow reads one access log, got ${opts.files.length}`, {
        where: "--follow",
        hint: "give the live log (e.g. /var/log/nginx/prepcast.access.log); ingest rotated files without --follow",
      });
    if (opts.follow === true && opts.force === true)
      throw new PrepcastError("CONFIG_INVALID", "--force does not apply to --follow (a followed log is stored once by position)", { where: "--force" });
    if (opts.db === undefined) requireStateDir(opts.root ?? "/var/lib/prepcast", "--root"); // never a new directory from a typo
    store = createAnalyticsStore(dbPath);
  } catch (e) {
    return reportCliError(e, opts.json === true, io);
  }
  if (opts.follow === true) {
    try {
      return await followCommand(opts, store, dbPath, io);
    } catch (e) {
      return reportCliError(e, opts.json === true, io);
    } finally {
      store.close();
    }
  }
  let code = 0;
  const results: (IngestResult | { file: string; error: unknown })[] = [];
  try {
    for (const file of opts.files) {
      try {
        const r = await ingestNginxLog(store, file, { force: opts.force === true });
        results.push(r);
        if (r.errorCount > 0 && code === 0) code = 3;
        if (opts.json !== true) {
          io.stdout(`${file}: ${r.hits} hits from ${r.lines} lines into ${dbPath}${r.errorCount ? `; ${r.errorCount} malformed line(s) skipped` : ""}\n`);
          for (const err of r.errors.slice(0, 10)) io.stderr(`  ${err.message}\n`);
          if (r.errorCount > 10) io.stderr(`  … and ${r.errorCount - 10} more\n`);
        }
      } catch (e) {
        code = 1;
        results.push({ file, error: e });
        if (opts.json !== true) reportCliError(e, false, io);
      }
    }
  } finally {
    store.close();
  }
  if (opts.json === true)
    io.stdout(
      `${JSON.stringify({ ok: code === 0, db: dbPath, files: results.map((r) => ("error" in r ? { file: r.file, error: (r.error as Error).message } : r)) })}\n`,
    );
  return code;
}
