import * as http from "node:http";
import { Registry, collectDefaultMetrics } from "prom-client";
import { badRequest, guardHttpServer, hostChecker, isWildcardHost, parseRequestTarget, PrepcastError, type GuardLog } from "@prepcast/protocol";

export { hostChecker, isWildcardHost };

export type AdminRoute = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface AdminServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Ready = able to do its job (keys loaded, store open, listeners up). Liveness checks nothing external. */
  ready: () => { ok: boolean; reasons: string[] };
  /** Extra routes tried in order before the 404; return true when handled. */
  routes?: AdminRoute[];
  /**
   * Host header values (name or name:port) this listener answers to besides the loopback names
   * and its own address (DNS rebinding: a page on another name must not reach it). Required for a
   * wildcard listen (0.0.0.0, ::) to be reachable by any name other than loopback ones.
   */
  allowedHosts?: readonly string[];
  log?: GuardLog;
}

/** Refuses a wildcard admin listen that nothing protects (issue 12: DNS rebinding, anyone on the network). */
export function checkAdminExposure(where: string, host: string, opts: { credential: boolean; allowedHosts: readonly string[] }): void {
  if (!isWildcardHost(host)) return;
  if (!opts.credential) {
    throw new PrepcastError("CONFIG_INVALID", `${where} listens on every interface (${host}) without a credential`, {
      where,
      hint: "bind it to 127.0.0.1 (tunnel to it), or set admin.tokenFile / admin.passwordFile and admin.allowedHosts",
    });
  }
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

/** A request body of at most `limit` bytes (MESSAGE_TOO_LARGE past it, counted before buffering more). */
export async function readRequestBody(req: http.IncomingMessage, limit = 16 * 1024): Promise<string> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new PrepcastError("MESSAGE_TOO_LARGE", `request body over ${limit} bytes`);
    parts.push(c as Buffer);
  }
  return Buffer.concat(parts).toString("utf8");
}

/** A request body that must be one JSON object (an empty body is `{}`); PROTOCOL_ERROR otherwise. */
export async function readJsonObject(req: http.IncomingMessage, limit = 16 * 1024): Promise<Record<string, unknown>> {
  const text = await readRequestBody(req, limit);
  try {
    const v = JSON.parse(text || "{}") as unknown;
    if (typeof v === "object" && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new PrepcastError("PROTOCOL_ERROR", "request body must be a JSON object");
}

/** /livez, /readyz and /metrics (Prometheus), plus the caller's routes. Bind it to localhost. */
export async function startAdminServer(
  opts: AdminServerOptions,
): Promise<{ server: http.Server; address: { host: string; port: number }; close(): Promise<void> }> {
  const hostOk = hostChecker(opts.host, opts.allowedHosts);
  const server = http.createServer({ connectionsCheckingInterval: 2000 }, (req, res) => {
    const target = parseRequestTarget(req.url);
    if (!target) return badRequest(res);
    // DNS rebinding: a page on an attacker's name that resolves to this address is another origin.
    if (target.pathname !== "/livez" && target.pathname !== "/readyz" && !hostOk(req.headers.host, req.socket.localPort))
      return sendJson(res, 421, {
        ok: false,
        code: "PEER_NOT_ALLOWED",
        message: "this listener does not answer to that Host name",
        hint: "use http://127.0.0.1:PORT/ (or a tunnel), or list the name in admin.allowedHosts",
      });
    const url = new URL(`http://admin.invalid${target.pathname}${target.searchParams.size ? `?${target.searchParams}` : ""}`);
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
        if (!res.headersSent) sendJson(res, 500, { ok: false, code: "INTERNAL", message: "internal error (see the service log)" });
        else res.destroy();
        opts.log?.error({ code: "INTERNAL", err: (e as Error)?.message }, "admin route failed");
      }
    })();
  });
  guardHttpServer(server, { name: "admin", ...(opts.log ? { log: opts.log } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const a = server.address() as { address: string; port: number };
  return {
    server,
    address: { host: a.address, port: a.port },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
