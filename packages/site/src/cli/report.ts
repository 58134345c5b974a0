// `prep-receiver report`: the memoria técnica for a time window.
import { PrepcastError, processStreams, reportCliError, reportCliSuccess, requireStateDir, type CliStreams } from "@prepcast/protocol";
import { writeMemoria } from "../memoria/report";
import type { DifusorIdentity, ServiceDeployment } from "../memoria/deployment";

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
