// The receiver CLI's site subcommands, as plain functions (no commander dependency) so
// apps/receiver wires them in a few lines; registerSiteCommands does exactly that for commander 14.
//   prep-receiver serve --root DIR [--listen HOST:PORT] [--workers N] [--analytics FILE|--no-analytics] [--admin HOST:PORT] ...
//   prep-receiver report --from ISO --to ISO --out DIR [--root DIR] [--db FILE] [--audit-log FILE] [--difusor NAME]
//   prep-receiver ingest-logs FILE... [--root DIR | --db FILE] [--force]
//   prep-receiver ingest-logs --follow FILE [--root DIR | --db FILE]   (until SIGTERM)
//   prep-receiver verify-site URL --trust ROOT.pub [--sample N]
// Every command returns its exit code; errors are printed with reportCliError (code, where, hint).
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  installLastResort,
  PrepcastError,
  stateDirLayout,
  processStreams,
  reportCliError,
  reportCliSuccess,
  requireStateDir,
  type CliStreams,
} from "@prepcast/protocol";
import { createAnalyticsStore } from "./analytics/store";
import { ingestNginxLog, IngestResult } from "./analytics/nginx-log";
import { followNginxLog, type FollowEvent } from "./analytics/log-follow";
import { writeMemoria } from "./memoria/report";
import type { DifusorIdentity, ServiceDeployment } from "./memoria/deployment";
import { createSiteServer, SiteServer } from "./server/site-server";
import { verifySite } from "./verify/verify-site";

export interface ServeCommandOptions {
  /** Receiver state directory; serves DIR/current. */
  root: string;
  /** Public listener, "HOST:PORT" (default 0.0.0.0:8080). */
  listen?: string | undefined;
  /** 1 = one process (default), 0 = one worker per core, N = N workers. */
  workers?: number | undefined;
  /** Analytics SQLite file (default DIR/analytics.sqlite); false = no analytics. */
  analytics?: string | false | undefined;
  /** Admin listener for /stats and /stats.json (e.g. 127.0.0.1:8732); none by default. */
  admin?: string | undefined;
  /** Bearer token for the admin listener (default: env PREPCAST_ADMIN_TOKEN). Required when --admin is not loopback. */
  adminToken?: string | undefined;
  /** CSP frame-ancestors sources (default 'self'), e.g. ["'self'", "https://portal.example.mx"]. */
  frameAncestors?: string[] | undefined;
  /** TLS certificate and key files to serve HTTPS directly. */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** Seconds after the corte from which the site reports itself stale (default 1800). */
  staleAfter?: number | undefined;
  /** Take client addresses from X-Forwarded-For (only behind your own reverse proxy). */
  trustProxy?: boolean | undefined;
  json?: boolean | undefined;
  io?: CliStreams | undefined;
  /** Stops the server when aborted (default: SIGINT/SIGTERM). */
  signal?: AbortSignal | undefined;
  /** Called once listening (tests). */
  onListening?: ((server: SiteServer) => void) | undefined;
}

const isLoopback = (listen: string): boolean => /^(127\.\d+\.\d+\.\d+|\[::1\]|::1|localhost):\d+$/.test(listen);

export async function serveCommand(opts: ServeCommandOptions): Promise<number> {
  const io = opts.io ?? processStreams;
  try {
    requireStateDir(opts.root, "--root");
    const token = opts.adminToken ?? process.env.PREPCAST_ADMIN_TOKEN;
    if (opts.admin && !isLoopback(opts.admin) && !token) {
      throw new PrepcastError("CONFIG_INVALID", `--admin ${opts.admin} is not a loopback address and no token is set`, {
        where: "--admin",
        hint: "bind the stats to 127.0.0.1:PORT, or set PREPCAST_ADMIN_TOKEN / --admin-token",
      });
    }
    if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
      throw new PrepcastError("CONFIG_INVALID", "--tls-cert and --tls-key go together", { where: opts.tlsCert ? "--tls-key" : "--tls-cert" });
    }
    const server = await createSiteServer({
      root: opts.root,
      listen: opts.listen ?? "0.0.0.0:8080",
      workers: opts.workers,
      ...(opts.analytics === false ? {} : { analytics: opts.analytics ?? join(opts.root, "analytics.sqlite") }),
      ...(opts.admin ? { admin: { listen: opts.admin, ...(token ? { token } : {}) } } : {}),
      ...(opts.frameAncestors ? { frameAncestors: opts.frameAncestors } : {}),
      ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: opts.tlsCert, key: opts.tlsKey } } : {}),
      ...(opts.staleAfter !== undefined ? { staleAfterSeconds: opts.staleAfter } : {}),
      trustProxy: opts.trustProxy === true,
    });
    if (!existsSync(stateDirLayout(opts.root).current))
      io.stderr(`warning: ${stateDirLayout(opts.root).current} does not exist yet; the site answers 503 until a cut is installed\n`);
    reportCliSuccess(
      opts.json === true,
      { url: server.url, admin: server.adminUrl ?? null, workers: server.workers },
      [`serving ${opts.root}/current at ${server.url} with ${server.workers} process(es)${server.adminUrl ? `; stats at ${server.adminUrl}/stats` : ""}`],
      io,
    );
    opts.onListening?.(server);
    await new Promise<void>((resolve) => {
      if (opts.signal) {
        if (opts.signal.aborted) return resolve();
        opts.signal.addEventListener("abort", () => resolve(), { once: true });
      } else {
        // a real `serve` process (no abort signal: not a test): the last resort handler applies
        installLastResort("prep-receiver serve");
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      }
    });
    await server.close();
    return 0;
  } catch (e) {
    return reportCliError(e, opts.json === true, io);
  }
}

export interface ReportCommandOptions {
  /** Start of the window, ISO 8601 (a bare local time is read as UTC-6), e.g. 2024-06-02T20:00-06:00. */
  from: string;
  /** End of the window, e.g. 2024-06-09T23:59-06:00. */
  to: string;
  /** Output directory: memoria.html, memoria.pdf, memoria.json, *.csv, mejoras.md (kept). */
  out: string;
  /** Receiver state directory (default /var/lib/prepcast). */
  root?: string;
  /** Analytics SQLite (default DIR/analytics.sqlite). */
  db?: string;
  /** Receiver audit log (default DIR/audit.log). */
  auditLog?: string;
  /** The difusor's name for the cover (default: the name in its signed registration). */
  difusor?: string;
  /** The agent's config (receiver.yaml): state directory, analytics file, deployment, registration; read by `resolveConfig`. */
  config?: string;
  /** The signed registration (default: registration.json beside the config). */
  registration?: string;
  /** Reads --config (the receiver app supplies it: the config schema lives there). */
  resolveConfig?: ReportConfigResolver;
  json?: boolean;
  io?: CliStreams;
}

/** What the agent's config tells the report: where its files are, the deployment, who the difusor is. */
export interface ReportConfigContext {
  root: string;
  /** The analytics database the agent writes. */
  db: string;
  deployment: ServiceDeployment;
  identity: DifusorIdentity;
}
export type ReportConfigResolver = (config: string, registration: string | undefined) => ReportConfigContext;

export async function reportCommand(opts: ReportCommandOptions): Promise<number> {
  const io = opts.io ?? processStreams;
  try {
    if (opts.registration !== undefined && opts.config === undefined)
      throw new PrepcastError("CONFIG_INVALID", "--registration needs --config (the registration is checked against the config's id)", {
        where: "--registration",
        hint: "add --config /etc/prepcast/receiver.yaml",
      });
    if (opts.config !== undefined && !opts.resolveConfig)
      throw new PrepcastError("CONFIG_INVALID", "--config is read by prep-receiver report only", { where: "--config" });
    const ctx = opts.config !== undefined ? opts.resolveConfig!(opts.config, opts.registration) : null;
    const root = opts.root ?? ctx?.root ?? "/var/lib/prepcast";
    const db = opts.db ?? ctx?.db;
    // the state directory must exist unless both files it provides are named (read-only: beside the agent)
    if (db === undefined || opts.auditLog === undefined) requireStateDir(root, opts.root === undefined && ctx ? "root" : "--root");
    const r = await writeMemoria({
      root,
      from: opts.from,
      to: opts.to,
      out: opts.out,
      ...(db ? { db } : {}),
      ...(opts.auditLog ? { auditLogPath: opts.auditLog } : {}),
      ...(opts.difusor ? { difusor: opts.difusor } : {}),
      ...(ctx ? { identity: ctx.identity, deployment: ctx.deployment } : {}),
    });
    const m = r.memoria;
    reportCliSuccess(
      opts.json === true,
      {
        html: r.html,
        pdf: r.pdf,
        json: r.json,
        csv: r.csv,
        improvements: r.improvementsFile,
        incidents: m.incidents.length,
        cuts: m.cuts.length,
        auditLogVerified: m.auditLog.verified,
        visitors: m.stats?.visitors ?? null,
        pageviews: m.stats?.pageviews ?? null,
        difusor: m.difusor,
        staff: m.identity?.staff.length ?? null,
        registration: m.identity?.registration?.file ?? null,
        identityProblem: m.identity?.problem ?? null,
        diagram: m.deployment ? "deployment" : "generic",
      },
      [
        `memoria técnica: ${r.html} and ${r.pdf}`,
        m.identity
          ? `${m.difusor}: ${m.identity.staff.length} person(s) of technical staff${m.identity.problem ? ` (WARNING: ${m.identity.problem})` : ""}; service diagram from ${m.deployment?.config}`
          : "no --config: generic service diagram, no registration or technical staff",
        `${m.incidents.length} incident(s), ${m.cuts.length} cut(s) published, audit log ${m.auditLog.verified ? "verified" : `NOT verified (${m.auditLog.problem})`}`,
        m.stats ? `${m.stats.visitors} visitors, ${m.stats.pageviews} pageviews, ${m.stats.hits} hits` : `no analytics: ${m.statsProblem}`,
        `improvement criteria: edit ${r.improvementsFile} (kept between runs), then run report again`,
      ],
      io,
    );
    return 0;
  } catch (e) {
    return reportCliError(e, opts.json === true, io);
  }
}

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

export interface VerifySiteCommandOptions {
  /** The difusor's public URL. */
  url: string;
  /** The OPLE's root public key file (root.pub). */
  trust: string;
  /** Check N random files instead of all. */
  sample?: number;
  concurrency?: number;
  json?: boolean;
  io?: CliStreams;
}

/** Exit codes: 0 the site serves exactly the signed cut; 1 verification failed (signatures, network, or files differ). */
export async function verifySiteCommand(opts: VerifySiteCommandOptions): Promise<number> {
  const io = opts.io ?? processStreams;
  try {
    const r = await verifySite({
      url: opts.url,
      trust: opts.trust,
      ...(opts.sample !== undefined ? { sample: opts.sample } : {}),
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    });
    if (opts.json === true) io.stdout(`${JSON.stringify(r)}\n`);
    else {
      io.stdout(`${r.url}: ${r.process}/${r.channel} sequence ${r.sequence}, corte ${r.corte}, manifest ${r.manifestSha256}\n`);
      io.stdout(`signatures valid (keyset signed by the pinned root key, manifest by a key it lists)\n`);
      if (r.ok) io.stdout(`OK: ${r.checked} of ${r.totalFiles} files checked, all identical to the signed manifest\n`);
      else {
        io.stdout(`DIFFERS: ${r.differing.length} of ${r.checked} checked files do not match what the OPLE signed:\n`);
        for (const d of r.differing) io.stdout(`  ${d.path}: ${d.problem} (${d.detail ?? ""})\n`);
      }
    }
    return r.ok ? 0 : 1;
  } catch (e) {
    return reportCliError(e, opts.json === true, io);
  }
}

/** The part of commander's Command used here (keeps this package free of a commander import). */
export interface CommandLike {
  command(name: string): CommandLike;
  description(text: string): CommandLike;
  argument(name: string, description?: string): CommandLike;
  option(flags: string, description?: string, defaultValue?: string | boolean | string[]): CommandLike;
  option<T>(flags: string, description: string, parse: (v: string, prev: T) => T, defaultValue?: T): CommandLike;
  requiredOption(flags: string, description?: string, defaultValue?: string | boolean | string[]): CommandLike;
  action(fn: (...args: any[]) => unknown): CommandLike;
}

const int = (v: string): number => {
  if (!/^\d{1,9}$/.test(v)) throw new Error(`"${v}" is not a non-negative integer`);
  return Number(v);
};
const collect = (v: string, prev: string[]): string[] => [...(prev ?? []), v];

/** Adds serve, report, ingest-logs and verify-site to a commander 14 program; with `resolveReportConfig`, report takes --config and --registration. */
export function registerSiteCommands(program: CommandLike, opts: { resolveReportConfig?: ReportConfigResolver } = {}): void {
  const done = (code: number): void => {
    process.exitCode = code;
  };
  program
    .command("serve")
    .description("serve DIR/current (the live signed cut) without the push channel")
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--listen <HOST:PORT>", "public listener", "0.0.0.0:8080")
    .option("--workers <N>", "1 = one process, 0 = one per core, N = N workers", int, 1)
    .option("--analytics <FILE>", "analytics SQLite file (default DIR/analytics.sqlite)")
    .option("--no-analytics", "do not record hits")
    .option("--admin <HOST:PORT>", "listener for /stats and /stats.json (loopback, or set PREPCAST_ADMIN_TOKEN)")
    .option("--frame-ancestor <SOURCE>", "allow embedding from this origin (repeatable; 'self' always allowed)", collect)
    .option("--tls-cert <FILE>", "serve HTTPS with this certificate")
    .option("--tls-key <FILE>", "private key for --tls-cert")
    .option("--stale-after <SECONDS>", "report the site stale this long after the corte", int)
    .option("--trust-proxy", "client address from X-Forwarded-For (behind your own proxy only)")
    .option("--json", "print the start-up line as JSON")
    .action(async (o: Record<string, any>) =>
      done(
        await serveCommand({
          root: o.root,
          listen: o.listen,
          workers: o.workers,
          analytics: o.analytics === false ? false : o.analytics,
          admin: o.admin,
          frameAncestors: o.frameAncestor ? ["'self'", ...o.frameAncestor] : undefined,
          tlsCert: o.tlsCert,
          tlsKey: o.tlsKey,
          staleAfter: o.staleAfter,
          trustProxy: o.trustProxy,
          json: o.json,
        }),
      ),
    );
  const report = program
    .command("report")
    .description("write the memoria técnica (HTML + PDF + CSV + JSON) for a time window")
    .requiredOption("--from <ISO>", "window start, e.g. 2024-06-02T20:00-06:00")
    .requiredOption("--to <ISO>", "window end, e.g. 2024-06-09T23:59-06:00")
    .requiredOption("--out <DIR>", "output directory (mejoras.md there is kept)");
  if (opts.resolveReportConfig) {
    report
      .option("--config <FILE>", "the agent's config: state directory, analytics file and the deployment drawn in the service diagram")
      .option("--registration <FILE>", "the signed registration with the technical staff (default: registration.json beside --config)");
  }
  report
    .option("--root <DIR>", "receiver state directory (default: root in --config, else /var/lib/prepcast)")
    .option("--db <FILE>", "analytics SQLite (default DIR/analytics.sqlite)")
    .option("--audit-log <FILE>", "audit log (default DIR/audit.log)")
    .option("--difusor <NAME>", "difusor name for the cover (default: the name in the registration)")
    .option("--json", "print the result as JSON")
    .action(async (o: Record<string, any>) =>
      done(
        await reportCommand({
          from: o.from,
          to: o.to,
          out: o.out,
          root: o.root,
          db: o.db,
          auditLog: o.auditLog,
          difusor: o.difusor,
          config: o.config,
          registration: o.registration,
          ...(opts.resolveReportConfig ? { resolveConfig: opts.resolveReportConfig } : {}),
          json: o.json,
        }),
      ),
    );
  program
    .command("ingest-logs")
    .description("read nginx access logs (combined format) into the analytics store")
    .argument("<FILE...>", "access log files")
    .option("--root <DIR>", "receiver state directory", "/var/lib/prepcast")
    .option("--db <FILE>", "analytics SQLite (default DIR/analytics.sqlite)")
    .option("--force", "ingest a file again even if already ingested")
    .option("--follow", "follow the one FILE live until SIGTERM: each line stored once across rotations and restarts")
    .option("--poll-ms <MS>", "--follow: check interval when idle", int)
    .option("--rotate-grace-ms <MS>", "--follow: after a rotation, read the old file until idle this long", int)
    .option("--json", "print the result as JSON (--follow: one event per line)")
    .action(async (files: string[], o: Record<string, any>) =>
      done(
        await ingestLogsCommand({
          files,
          root: o.root,
          db: o.db,
          force: o.force,
          follow: o.follow,
          pollMs: o.pollMs,
          rotateGraceMs: o.rotateGraceMs,
          json: o.json,
        }),
      ),
    );
  program
    .command("verify-site")
    .description("check that a difusor's public site serves exactly the cut the OPLE signed")
    .argument("<URL>", "the difusor's public URL")
    .requiredOption("--trust <ROOT.pub>", "the OPLE's root: root.pub, or root.json of a root set (root.sig beside it)")
    .option("--sample <N>", "check N random files instead of all", int)
    .option("--concurrency <N>", "parallel downloads", int)
    .option("--json", "print the result as JSON")
    .action(async (url: string, o: Record<string, any>) =>
      done(await verifySiteCommand({ url, trust: o.trust, sample: o.sample, concurrency: o.concurrency, json: o.json })),
    );
}
