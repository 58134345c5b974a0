// createSiteServer: the public listener (single process, or a node:cluster of workers) plus the
// analytics writer and the optional admin listener for the stats. In cluster mode the primary owns
// SQLite, the admin listener and the compressed-variant preparation; workers only serve.
import cluster, { Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { extname, join } from "node:path";
import { Server } from "node:http";
import { AnalyticsStore, createAnalyticsStore } from "../analytics/store";
import { BatchingSink, createBatchingSink } from "../analytics/batching";
import { decodeHits } from "../analytics/ipc";
import { prepareCompressedVariants, pruneVariants } from "../cut/compress";
import { resolveCurrentDir } from "../cut/cut";
import { createSiteHandler, SiteHandlerOptions } from "./handler";
import { ListenAddress, parseListen } from "./listen-address";
import { createHttpListener, listenOn, serveSite, SitePushOptions, TlsFiles } from "./listener";
import { SiteLogger, stderrLogger } from "./log";
import { createAdminHandler } from "../memoria/stats-page";

export interface SiteServerOptions extends Omit<SiteHandlerOptions, "analytics"> {
  /** "HOST:PORT" or {host, port}; default 0.0.0.0:8080. Port 0 picks a free port. */
  listen?: string | ListenAddress | undefined;
  tls?: TlsFiles | undefined;
  /** SQLite file for the hits (opened by this process / the cluster primary), or an open store. Keep it on its own file (or volume): it has its own disk budget. */
  analytics?: string | AnalyticsStore | undefined;
  /** Disk budget of the analytics file (default 1 GiB): past it hits are counted as dropped, not written. */
  analyticsMaxBytes?: number | undefined;
  /** undefined or 1: one process. 0: one worker per core. N > 1: N cluster workers. */
  workers?: number | undefined;
  /** Separate listener for the difusor's stats (default: none). Bind it to loopback or protect it with a token. */
  admin?: { listen: string | ListenAddress; token?: string; allowedHosts?: string[] } | undefined;
  /** The receiver's WebSocket push on this (TLS) listener, routed by SNI to the agent (needs `tls`). */
  push?: SitePushOptions | undefined;
  /** A push connection dropped by the allowlist (in whichever worker it arrived). */
  onPushRejected?: ((info: { address: string; reason: string }) => void) | undefined;
}

export interface SiteServer {
  url: string;
  address: ListenAddress;
  adminUrl: string | undefined;
  workers: number;
  store: AnalyticsStore | undefined;
  /** Writes every hit received so far (waits for the workers' batches in cluster mode). */
  flushAnalytics(): Promise<void>;
  close(): Promise<void>;
}

/** What the primary passes to each worker (JSON in PREPCAST_SITE_WORKER). */
export interface WorkerConfig {
  root: string;
  listen: ListenAddress;
  tls?: TlsFiles | undefined;
  frameAncestors?: string[] | undefined;
  staleAfterSeconds?: number | undefined;
  trustProxy?: boolean | number | undefined;
  analytics: boolean;
  push?: SitePushOptions | undefined;
}

function urlOf(addr: ListenAddress, tls: boolean): string {
  const host = addr.host === "0.0.0.0" ? "127.0.0.1" : addr.host === "::" ? "[::1]" : addr.host.includes(":") ? `[${addr.host}]` : addr.host;
  return `${tls ? "https" : "http"}://${host}:${addr.port}`;
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Prepares compressed variants for each new live cut and prunes those of removed cuts. */
function watchCuts(root: string, log: SiteLogger): () => Promise<void> {
  let lastDir: string | undefined;
  let busy = false;
  let inflight: Promise<void> = Promise.resolve();
  const tick = (): void => {
    const dir = resolveCurrentDir(root);
    if (!dir || dir === lastDir || busy) return;
    busy = true;
    inflight = prepareCompressedVariants({ root, cutDir: dir })
      .then(() => {
        lastDir = dir;
        return pruneVariants(root);
      })
      .catch((e) => log.warn({ err: String(e) }, "compressed variants could not be prepared; serving identity"))
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => {
        busy = false;
      });
  };
  tick();
  const timer = setInterval(tick, 1000);
  timer.unref();
  // stopping waits for a preparation in flight: nothing is written under root after close()
  return () => {
    clearInterval(timer);
    return inflight;
  };
}

export async function createSiteServer(opts: SiteServerOptions): Promise<SiteServer> {
  const log = opts.log ?? stderrLogger;
  if (opts.push && !opts.tls) throw new TypeError("the push on the site's listener needs the site's TLS certificate (tls)");
  const pushEvents = {
    onRejected: (info: { address: string; reason: string }) => opts.onPushRejected?.(info),
    onError: (message: string) => log.error({ err: message }, "push relay failed"),
  };
  const listen = parseListen(opts.listen, { host: "0.0.0.0", port: 8080 });
  const ownsStore = typeof opts.analytics === "string";
  const store =
    typeof opts.analytics === "string"
      ? createAnalyticsStore(opts.analytics, opts.analyticsMaxBytes !== undefined ? { maxBytes: opts.analyticsMaxBytes } : {})
      : opts.analytics;
  const workers = opts.workers === 0 ? availableParallelism() : (opts.workers ?? 1);
  let admin: Server | undefined;
  let adminUrl: string | undefined;
  const startAdmin = async (status: () => Record<string, unknown>): Promise<void> => {
    if (!opts.admin) return;
    const adminAddr = parseListen(opts.admin.listen, { host: "127.0.0.1", port: 8731 });
    admin = createHttpListener(
      createAdminHandler({
        store,
        token: opts.admin.token,
        status,
        listenHost: adminAddr.host,
        ...(opts.admin.allowedHosts ? { allowedHosts: opts.admin.allowedHosts } : {}),
      }),
      undefined,
      { name: "stats", log },
    );
    const a = await listenOn(admin, adminAddr);
    adminUrl = urlOf(a, false);
  };

  if (workers <= 1) {
    let noted = 0;
    const sink: BatchingSink | undefined = store
      ? createBatchingSink(
          (hits) => {
            store.insertHits(hits);
            const d = sink!.dropped - noted;
            if (d > 0) {
              noted += d;
              store.noteDropped(d);
            }
          },
          { onError: (e) => log.error({ err: String(e) }, "analytics write failed") },
        )
      : undefined;
    const { analytics: _a, analyticsMaxBytes: _m, ...handlerOpts } = opts;
    const handler = createSiteHandler({ ...handlerOpts, log, ...(sink ? { analytics: sink } : {}) });
    const server = createHttpListener(handler.handle, opts.tls);
    const serving = await serveSite(server, listen, opts.push, pushEvents);
    const address = serving.address;
    const stopWatch = watchCuts(opts.root, log);
    await startAdmin(handler.status);
    return {
      url: urlOf(address, !!opts.tls),
      address,
      adminUrl,
      workers: 1,
      store,
      async flushAnalytics() {
        sink?.flush();
      },
      async close() {
        await stopWatch();
        await handler.settled();
        await serving.close();
        if (admin) await closeServer(admin);
        sink?.close();
        if (ownsStore) store?.close();
      },
    };
  }

  if (!cluster.isPrimary) throw new Error("createSiteServer with workers > 1 must run in the cluster primary");
  const workerFile = join(__dirname, `cluster-worker${extname(__filename)}`);
  const execArgv = extname(__filename) === ".ts" ? ["-r", join(__dirname, "..", "..", "scripts", "ts-register.js")] : [];
  cluster.setupPrimary({ exec: workerFile, execArgv, silent: false });
  const config: WorkerConfig = {
    root: opts.root,
    listen,
    tls: opts.tls,
    frameAncestors: opts.frameAncestors,
    staleAfterSeconds: opts.staleAfterSeconds,
    trustProxy: opts.trustProxy,
    analytics: !!store,
    ...(opts.push ? { push: opts.push } : {}),
  };
  const pool: Worker[] = [];
  let closing = false;
  let port = listen.port;
  const flushWaiters = new Map<Worker, () => void>();
  const reportedDrops = new Map<Worker, number>();
  const onMessage = (w: Worker, msg: { type?: string; batch?: unknown }): void => {
    if (msg?.type === "prepcast-hits" && store) {
      try {
        store.insertHits(decodeHits(msg.batch));
      } catch (e) {
        log.error({ err: String(e) }, "analytics write failed");
      }
    } else if (msg?.type === "prepcast-flushed") {
      const total = Number((msg as { dropped?: number }).dropped ?? 0) || 0;
      // workers report their running total; the store counts the increase
      const dropped = total - (reportedDrops.get(w) ?? 0);
      if (dropped > 0) {
        reportedDrops.set(w, total);
        store?.noteDropped(dropped);
        log.warn({ dropped }, "a site worker dropped analytics hits because the writer could not keep up");
      }
      flushWaiters.get(w)?.();
    }
  };
  let started = false;
  const restarts: number[] = [];
  // Every worker asks for the configured address (even port 0): the primary shares one handle per
  // address, so all workers end up on the same port.
  const fork = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork({ PREPCAST_SITE_WORKER: JSON.stringify(config) });
      pool.push(w);
      let startError: (Error & { code?: string }) | undefined;
      w.on("message", (msg: { type?: string; port?: number; code?: string; message?: string; address?: string; reason?: string }) => {
        if (msg?.type === "prepcast-ready") {
          port = msg.port ?? port;
          resolve();
        } else if (msg?.type === "prepcast-start-failed") {
          startError = Object.assign(new Error(msg.message ?? "site worker failed to start"), msg.code ? { code: msg.code } : {});
        } else if (msg?.type === "prepcast-push-rejected") {
          pushEvents.onRejected({ address: String(msg.address), reason: String(msg.reason) });
        } else if (msg?.type === "prepcast-push-error") {
          pushEvents.onError(String(msg.message));
        } else onMessage(w, msg as { type?: string; batch?: unknown });
      });
      w.once("exit", (code) => {
        pool.splice(pool.indexOf(w), 1);
        // the worker's own error (e.g. EADDRINUSE, with its errno code) when it said why
        reject(startError ?? new Error(`site worker exited with code ${code} during start-up`));
        if (closing || !started) return;
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && now - restarts[0]! > 60_000) restarts.shift();
        if (restarts.length > 10) {
          log.error({ code }, "site workers keep exiting (more than 10 restarts in a minute); not restarting");
          return;
        }
        log.error({ code }, "site worker exited; starting a new one");
        fork().catch((e) => log.error({ err: String(e) }, "could not restart a site worker"));
      });
    });
  try {
    await Promise.all(Array.from({ length: workers }, () => fork()));
  } catch (e) {
    closing = true;
    for (const w of pool) w.process.kill("SIGKILL");
    if (ownsStore) store?.close();
    throw e;
  }
  started = true;
  const stopWatch = watchCuts(opts.root, log);
  const { analytics: _b, analyticsMaxBytes: _c, ...statusOpts } = opts;
  const statusHandler = createSiteHandler({ ...statusOpts, log, prepareVariants: false });
  await startAdmin(statusHandler.status);
  const address = { host: listen.host, port };
  const flushAnalytics = async (): Promise<void> => {
    await Promise.all(
      pool.map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(resolve, 3000);
            flushWaiters.set(w, () => {
              clearTimeout(t);
              flushWaiters.delete(w);
              resolve();
            });
            w.send({ type: "prepcast-flush" });
          }),
      ),
    );
  };
  return {
    url: urlOf(address, !!opts.tls),
    address,
    adminUrl,
    workers,
    store,
    flushAnalytics,
    async close() {
      await stopWatch();
      if (store) await flushAnalytics();
      closing = true;
      await Promise.all(
        [...pool].map(
          (w) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(() => {
                w.process.kill("SIGKILL");
              }, 3000);
              w.once("exit", () => {
                clearTimeout(t);
                resolve();
              });
              w.disconnect();
            }),
        ),
      );
      if (admin) await closeServer(admin);
      if (ownsStore) store?.close();
    },
  };
}
