// site.nginx: the agent keeps the difusor's nginx in step (docs/operations/nginx.md). A sync on
// start, after every cut switch and notice, and every refreshSeconds (prepcast.json's age and
// staleness, an embargo or notice ending); nginx is reloaded only when the include's text changes.
// With followLog, nginx's access log is followed into the analytics store (each line once).
import * as path from "node:path";
import { toPrepcastError } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { ResolvedReceiverConfig } from "./config";

export type NginxConfig = NonNullable<ResolvedReceiverConfig["site"]["nginx"]>;

/** The nginx-site options of a config (shared by the agent and `prep-receiver nginx-config`). */
export function nginxControlOptions(c: ResolvedReceiverConfig, n: NginxConfig) {
  return {
    root: c.root,
    publicDir: n.publicDir ?? path.join(c.root, "nginx"),
    accessLog: n.accessLog,
    frameAncestors: c.site.frameAncestors,
    staleAfterSeconds: c.stalePeriods * c.updatePeriodMinutes * 60,
    include: n.include,
    test: n.test,
    reload: n.reload,
  };
}

/** The analytics database the agent writes (site.analyticsFile, else ROOT/analytics.sqlite). */
export function analyticsPathOf(c: ResolvedReceiverConfig): string {
  return c.site.analyticsFile ? path.resolve(path.dirname(c.file), c.site.analyticsFile) : path.join(c.root, "analytics.sqlite");
}

export class NginxKeeper {
  private timer: NodeJS.Timeout | null = null;
  /** A sync at the exact end of an embargo or notice (the refresh alone could be refreshSeconds late). */
  private exact: NodeJS.Timeout | null = null;
  private follow: { abort: AbortController; done: Promise<unknown> } | null = null;
  private lastError: string | null = null;
  private site: typeof import("@prepcast/site") | null = null;
  /** The last sync's outcome, for the status. */
  last: { at: string; mode: string; cut: string | null; reloaded: boolean; error: string | null } | null = null;

  constructor(
    private readonly config: ResolvedReceiverConfig,
    private readonly nginx: NginxConfig,
    private readonly clock: () => Date,
    private readonly log: Logger,
    private readonly onIncident: (message: string, code: string) => void,
  ) {}

  async start(): Promise<void> {
    this.site = await import("@prepcast/site");
    await this.sync("start", true);
    this.timer = setInterval(() => void this.sync("refresh"), this.nginx.refreshSeconds * 1000);
    this.timer.unref();
    if (this.nginx.followLog && this.config.site.analytics) {
      const store = this.site.createAnalyticsStore(analyticsPathOf(this.config), { maxBytes: this.config.site.analyticsMaxMiB * 1024 * 1024 });
      const abort = new AbortController();
      const done = this.site
        .followNginxLog(store, this.nginx.accessLog, {
          signal: abort.signal,
          onEvent: (e) => {
            if (e.kind === "lost" || e.kind === "malformed") this.log.warn({ file: e.file }, e.message);
            else if (e.kind !== "waiting") this.log.info({ ...e }, `access log: ${e.kind}`);
          },
        })
        .catch((e) => {
          const err = toPrepcastError(e);
          this.onIncident(`following ${this.nginx.accessLog} stopped: ${err.message}`, err.code);
          this.log.error({ code: err.code, err: err.message }, "the nginx access log is no longer followed");
        })
        .finally(() => store.close());
      this.follow = { abort, done };
    }
  }

  private queue: Promise<void> = Promise.resolve();

  /** Brings nginx in step (after a switch or notice), after any sync still running; errors are logged, typed, never thrown. */
  sync(reason: string, assets = false): Promise<void> {
    this.queue = this.queue.then(() => this.syncNow(reason, assets));
    return this.queue;
  }

  private async syncNow(reason: string, assets: boolean): Promise<void> {
    if (!this.site) return;
    try {
      const r = await this.site.syncNginxSite(nginxControlOptions(this.config, this.nginx), this.clock().getTime(), assets);
      this.last = { at: new Date().toISOString(), mode: r.mode, cut: r.cut, reloaded: r.reloaded, error: null };
      if (this.exact) clearTimeout(this.exact);
      this.exact = null;
      const wait = r.nextChangeMs === null ? null : r.nextChangeMs - this.clock().getTime();
      if (wait !== null && wait < this.nginx.refreshSeconds * 1000) {
        this.exact = setTimeout(() => void this.sync("scheduled"), Math.max(0, wait) + 1);
        this.exact.unref();
      }
      if (r.changed) this.log.info({ reason, mode: r.mode, cut: r.cut, include: r.include, reloaded: r.reloaded }, "nginx include updated");
      this.lastError = null;
    } catch (e) {
      const err = toPrepcastError(e);
      this.last = {
        at: new Date().toISOString(),
        mode: this.last?.mode ?? "unknown",
        cut: this.last?.cut ?? null,
        reloaded: false,
        error: `${err.code}: ${err.message}`,
      };
      if (err.message !== this.lastError) {
        // once per distinct failure, not every refresh
        this.lastError = err.message;
        this.onIncident(err.message, err.code);
        this.log.error({ code: err.code, err: err.message, reason }, "nginx include not updated");
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.exact) clearTimeout(this.exact);
    await this.queue;
    this.follow?.abort.abort();
    await this.follow?.done;
  }
}
