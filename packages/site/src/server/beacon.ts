// Time-on-page beacons (POST /.well-known/prepcast/beacon, sent by the banner at pagehide) and
// their CORS preflight. Only from the site's own pages (Origin absent or this Host) or from a
// portal listed in frameAncestors, for a page the live cut has (own pages) — anything else is
// answered 204 and not recorded, so a script cannot fill the store with rows of its choosing.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AnalyticsSink, HIT_LIMITS } from "../analytics/hit";
import { referrerOrigin } from "./request";
import { OTHER_PATH, Responder } from "./respond";

export const BEACON_PATH = "/.well-known/prepcast/beacon";

/** The portal origins allowed to send beacons: the http(s) sources of frameAncestors, normalized. */
export function portalOriginsOf(frameAncestors: string[] | undefined): Set<string> {
  return new Set((frameAncestors ?? []).filter((o) => /^https?:\/\//i.test(o)).map((o) => o.replace(/\/+$/, "").toLowerCase()));
}

export function beaconOrigin(req: IncomingMessage, portalOrigins: ReadonlySet<string>): "own" | "portal" | null {
  const origin = req.headers.origin;
  const site = req.headers["sec-fetch-site"];
  if (origin === undefined) return site === undefined || site === "same-origin" ? "own" : null;
  if (origin === "null") return null;
  const host = String(req.headers.host ?? "").toLowerCase();
  const m = /^https?:\/\/([^/]+)$/i.exec(origin);
  if (!m) return null;
  if (m[1]!.toLowerCase() === host) return "own";
  return portalOrigins.has(origin.toLowerCase()) ? "portal" : null;
}

export function handleBeaconPreflight(res: ServerResponse): void {
  res.writeHead(204, {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
  });
  res.end();
}

export interface BeaconDeps {
  analytics: AnalyticsSink | undefined;
  clock: () => number;
  respond: Responder;
  portalOrigins: ReadonlySet<string>;
}

export function handleBeacon({ analytics, clock, respond, portalOrigins }: BeaconDeps, req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  let tooBig = false;
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => {
    body += chunk;
    if (body.length > 2048) {
      tooBig = true;
      req.destroy();
    }
  });
  req.on("error", () => undefined);
  req.on("end", () => {
    if (tooBig) return;
    let parsed: { path?: unknown; ms?: unknown };
    try {
      parsed = JSON.parse(body) as { path?: unknown; ms?: unknown };
    } catch {
      parsed = {};
    }
    const ok =
      parsed !== null &&
      typeof parsed === "object" &&
      typeof parsed.path === "string" &&
      parsed.path.startsWith("/") &&
      parsed.path.length <= HIT_LIMITS.path &&
      typeof parsed.ms === "number" &&
      Number.isFinite(parsed.ms) &&
      parsed.ms >= 0;
    res.statusCode = ok ? 204 : 400;
    res.setHeader("Access-Control-Allow-Origin", "*");
    res.end();
    if (!ok || !analytics) return;
    const from = beaconOrigin(req, portalOrigins);
    if (from === null) return;
    const path = parsed.path as string;
    // own pages: only a page the live cut has; a portal's pages are its own (kept short)
    if (from === "own" && respond.storedPath(path, 200) === OTHER_PATH) return;
    if (from === "portal" && path.length > 256) return;
    analytics.record({
      time: clock(),
      ip: respond.clientIp(req),
      ua: (req.headers["user-agent"] ?? "").slice(0, HIT_LIMITS.ua),
      method: "BEACON",
      path,
      status: 204,
      bytes: 0,
      referrer: referrerOrigin(req.headers.referer),
      dest: "",
      html: false,
      durationMs: Math.min(parsed.ms as number, 4 * 3600_000),
    });
  });
}
