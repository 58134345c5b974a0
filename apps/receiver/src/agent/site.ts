import * as path from "node:path";
import { stateDirLayout } from "@prepcast/protocol";
import { PIN_SERVERNAME } from "@prepcast/transport";
import type { ResolvedReceiverConfig } from "./config";

/** The unix socket (0600) on which the agent takes the WebSocket push relayed by the site's workers. */
export function bridgeSocketPath(root: string): string {
  return stateDirLayout(root).pushSocket;
}

/** The running public site server, as the agent holds it. */
export interface SiteHandle {
  url: string;
  store?: { droppedHits(): number; usage(): { bytes: number; maxBytes: number } } | undefined;
  close(): Promise<void>;
}

/**
 * Starts the public site (@prepcast/site) as the config says: TLS, workers, analytics, staleness,
 * and the WebSocket push relayed from the site's port (push.websocket: true) to bridgeSocketPath.
 * `clock`: the agent's decision clock (never ahead of the publisher's).
 */
export async function startSite(
  c: ResolvedReceiverConfig,
  clock: () => Date,
  onPushRejected: (info: { address: string; reason: string }) => void,
): Promise<SiteHandle> {
  // Loaded lazily: the site package opens SQLite and may fork workers.
  const site = await import("@prepcast/site");
  const srv = await site.createSiteServer({
    root: c.root,
    listen: c.site.listen,
    ...(c.site.tls ? { tls: c.site.tls } : {}),
    frameAncestors: c.site.frameAncestors,
    workers: c.site.workers,
    // with site.nginx.followLog the hits come from nginx's access log (one writer of the store)
    ...(c.site.analytics && !c.site.nginx?.followLog
      ? {
          analytics: c.site.analyticsFile ? path.resolve(path.dirname(c.file), c.site.analyticsFile) : path.join(c.root, "analytics.sqlite"),
          analyticsMaxBytes: c.site.analyticsMaxMiB * 1024 * 1024,
        }
      : {}),
    staleAfterSeconds: c.stalePeriods * c.updatePeriodMinutes * 60,
    clock: () => clock().getTime(),
    ...(c.push.websocket === true && c.push.tls
      ? {
          push: { servername: PIN_SERVERNAME, tls: c.push.tls, allowlist: c.push.allowlist, socketPath: bridgeSocketPath(c.root) },
          onPushRejected,
        }
      : {}),
  } as Parameters<typeof site.createSiteServer>[0]);
  return srv;
}
