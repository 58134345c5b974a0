import * as http from "node:http";
import { Registry, collectDefaultMetrics } from "prom-client";

export type AdminRoute = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Ready = able to do its job (keys loaded, store open, listeners up). Liveness checks nothing external. */
  ready: () => { ok: boolean; reasons: string[] };
  /** Extra routes tried in order before the 404; return true when handled. */
  routes?: AdminRoute[];
}

export function createMetricsRegistry(prefix: string): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix });
  return registry;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body, null, 2) + "\n");
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": data.length, "cache-control": "no-store" });
  res.end(data);
}

/** /livez, /readyz and /metrics (Prometheus), plus the caller's routes. Bind it to localhost. */
export async function startAdminServer(opts: AdminServerOptions): Promise<{ server: http.Server; address: { host: string; port: number }; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://admin.invalid");
    void (async () => {
      try {
        if (url.pathname === "/livez") return sendJson(res, 200, { ok: true });
        if (url.pathname === "/readyz") {
          const r = opts.ready();
          return sendJson(res, r.ok ? 200 : 503, r);
        }
        if (url.pathname === "/metrics") {
          const body = await opts.registry.metrics();
          res.writeHead(200, { "content-type": opts.registry.contentType });
          return void res.end(body);
        }
        for (const route of opts.routes ?? []) if (await route(req, res, url)) return;
        sendJson(res, 404, { ok: false, code: "NOT_FOUND", message: `no route ${url.pathname}` });
      } catch (e) {
        if (!res.headersSent) sendJson(res, 500, { ok: false, code: "INTERNAL", message: (e as Error).message });
        else res.destroy();
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const a = server.address() as { address: string; port: number };
  return {
    server,
    address: { host: a.address, port: a.port },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
