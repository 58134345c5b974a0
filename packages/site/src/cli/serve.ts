// `prep-receiver serve`: the public site from DIR/current, without the push channel.
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
import { createSiteServer, SiteServer } from "../server/site-server";

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
