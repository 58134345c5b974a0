// Small responses and the hit record every response leaves: sendSimple writes a whole body with
// its headers; record() hands the hit to the analytics sink with the client address (behind
// trusted proxies) and the path as the store keeps it.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AnalyticsSink, HIT_LIMITS } from "../analytics/hit";
import { LiveCut, readableCut } from "./live-cut";
import { forwardedFor, manifestPathOf, pickClientIp, referrerOrigin } from "./request";

/** The path stored for a request to anything the live cut does not have (404s, probes, garbage). */
export const OTHER_PATH = "(otra ruta)";

export interface ResponderOptions {
  /** Where hits go; undefined = not recorded. */
  analytics: AnalyticsSink | undefined;
  clock: () => number;
  live: LiveCut;
  trustProxy: boolean | number | undefined;
  trustedHops: number;
}

export interface Responder {
  clientIp(req: IncomingMessage): string;
  /** The path as the analytics store keeps it: a path of the live cut, or one placeholder (a client cannot fill the store with paths of its choosing). */
  storedPath(path: string, status: number): string;
  record(req: IncomingMessage, res: ServerResponse, path: string, html: boolean, bytes: number): void;
  sendSimple(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    headers: Record<string, string>,
    path: string,
  ): void;
}

export function createResponder({ analytics, clock, live, trustProxy, trustedHops }: ResponderOptions): Responder {
  function clientIp(req: IncomingMessage): string {
    return pickClientIp(req.socket.remoteAddress ?? "", trustProxy ? forwardedFor(req.headers["x-forwarded-for"]) : undefined, trustedHops);
  }

  function storedPath(path: string, status: number): string {
    if (path.length > HIT_LIMITS.path) return OTHER_PATH;
    if (path.startsWith("/.well-known/")) return status < 400 ? path : OTHER_PATH;
    const cut = readableCut(live.current());
    if (!cut) return OTHER_PATH;
    const rel = manifestPathOf(path);
    return cut.files.has(rel) || cut.files.has(`${rel}/index.html`) ? path : OTHER_PATH;
  }

  function record(req: IncomingMessage, res: ServerResponse, path: string, html: boolean, bytes: number): void {
    if (!analytics) return;
    const dest = req.headers["sec-fetch-dest"];
    analytics.record({
      time: clock(),
      ip: clientIp(req),
      ua: (req.headers["user-agent"] ?? "").slice(0, HIT_LIMITS.ua),
      method: (req.method ?? "").slice(0, HIT_LIMITS.method),
      path: storedPath(path, res.statusCode),
      status: res.statusCode,
      bytes,
      referrer: referrerOrigin(req.headers.referer),
      dest: typeof dest === "string" ? dest.slice(0, HIT_LIMITS.dest) : "",
      html,
    });
  }

  function sendSimple(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    type: string,
    body: string | Buffer,
    headers: Record<string, string>,
    path: string,
  ): void {
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    res.statusCode = status;
    res.setHeader("Content-Type", type);
    res.setHeader("Content-Length", buf.length);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.end(req.method === "HEAD" ? undefined : buf);
    record(req, res, path, type.startsWith("text/html"), req.method === "HEAD" ? 0 : buf.length);
  }

  return { clientIp, storedPath, record, sendSimple };
}
