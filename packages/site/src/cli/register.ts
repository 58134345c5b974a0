// registerSiteCommands: the site subcommands on a commander 14 program (their options and help).
import { ingestLogsCommand } from "./ingest-logs";
import { reportCommand, type ReportConfigResolver } from "./report";
import { serveCommand } from "./serve";
import { verifySiteCommand } from "./verify-site";

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
