// The difusor's stats (visitors are citizens; the numbers are for the difusor and its memoria
// técnica): served on a SEPARATE admin listener, never on the public site. Default bind is
// loopback; if bound elsewhere a bearer token is required (Authorization: Bearer <token>, or
// ?token= for a browser).
import { timingSafeEqual } from "node:crypto";
import { IncomingMessage, ServerResponse } from "node:http";
import { hostChecker, parseRequestTarget } from "@prepcast/protocol";
import type { AnalyticsStore } from "../analytics/store";
import { escapeHtml } from "../server/pages";
import { SiteStats, stats } from "./stats";
import { barChart, hbarChart } from "./svg";
import { humanDuration } from "../time";

export function renderStatsSections(s: SiteStats): string {
  const hours = s.hourly.map((h) => h.hour.slice(5, 13).replace("T", " ") + "h");
  const num = (n: number): string => n.toLocaleString("es-MX");
  return `<table class="kpi"><tr><th>Visitantes únicos</th><th>Páginas vistas</th><th>Visitas (sesiones)</th><th>Solicitudes (hits)</th><th>Tiempo medio en el sitio</th><th>Solicitudes de bots</th></tr>
<tr><td>${num(s.visitors)}</td><td>${num(s.pageviews)}</td><td>${num(s.sessions)}</td><td>${num(s.hits)}</td><td>${s.avgTimeOnSiteMs === null ? "—" : humanDuration(s.avgTimeOnSiteMs)}</td><td>${num(s.bots.hits)}</td></tr></table>
<p class="dropped">Solicitudes no registradas (límite de espacio de la analítica o escritura saturada, desde el inicio): <strong>${num(s.droppedHits ?? 0)}</strong></p>
${barChart(
  hours,
  [
    { name: "Visitantes", color: "#1d3557", values: s.hourly.map((h) => h.visitors) },
    { name: "Páginas vistas", color: "#e76f51", values: s.hourly.map((h) => h.pageviews) },
  ],
  { title: "Visitantes y páginas vistas por hora (UTC-6)" },
)}
${hbarChart(
  s.topPages.slice(0, 15).map((p) => ({ label: p.path, value: p.pageviews })),
  { title: "Páginas más vistas" },
)}
${hbarChart(
  s.timeOnSite.map((b) => ({ label: b.bucket, value: b.sessions })),
  { title: "Tiempo en el sitio (sesiones)", color: "#2a9d8f" },
)}
${hbarChart(
  s.statusCodes.map((c) => ({ label: `HTTP ${c.status}`, value: c.hits })),
  { title: "Códigos de respuesta (solicitudes)", color: "#8d99ae" },
)}`;
}

export function renderStatsPage(s: SiteStats): string {
  return `<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Estadísticas del sitio PREP</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:1rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .5rem}.chart{margin:1rem 0;max-width:100%}</style></head>
<body><h1>Estadísticas del sitio PREP</h1><p>Periodo: ${escapeHtml(s.from)} a ${escapeHtml(s.to)}. JSON: <code>stats.json?from=…&amp;to=…</code></p>
${renderStatsSections(s)}</body></html>`;
}

export interface AdminHandlerOptions {
  store: AnalyticsStore | undefined;
  /** Required bearer token; undefined = no token (only acceptable on a loopback listener). */
  token?: string | undefined;
  /** Status of the live cut (same document as /.well-known/prepcast.json). */
  status?: (() => Record<string, unknown>) | undefined;
  clock?: (() => number) | undefined;
  /** The address the listener is bound to and the extra Host names it answers to (DNS rebinding). */
  listenHost?: string | undefined;
  allowedHosts?: readonly string[] | undefined;
}

export function createAdminHandler(opts: AdminHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const clock = opts.clock ?? Date.now;
  const send = (res: ServerResponse, status: number, type: string, body: string): void => {
    const data = Buffer.from(body);
    res.writeHead(status, {
      "Content-Type": type,
      "Content-Length": data.length,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    });
    res.end(data);
  };
  const hostOk = hostChecker(opts.listenHost ?? "127.0.0.1", opts.allowedHosts);
  return (req, res) => {
    const url = parseRequestTarget(req.url);
    if (!url) return send(res, 400, "text/plain; charset=utf-8", "solicitud inválida\n");
    if (!hostOk(req.headers.host, req.socket.localPort)) return send(res, 421, "text/plain; charset=utf-8", "host no permitido\n");
    if (opts.token !== undefined) {
      const given = (req.headers.authorization ?? "").replace(/^Bearer\s+/i, "") || url.searchParams.get("token") || "";
      const a = Buffer.from(given);
      const b = Buffer.from(opts.token);
      if (a.length !== b.length || !timingSafeEqual(a, b)) return send(res, 401, "text/plain; charset=utf-8", "token requerido\n");
    }
    const path = url.pathname.replace(/^\/\.well-known\/prepcast/, "");
    if (path === "/status.json" && opts.status) return send(res, 200, "application/json; charset=utf-8", JSON.stringify(opts.status()));
    if (path !== "/stats" && path !== "/stats.json" && path !== "/stats.html") return send(res, 404, "text/plain; charset=utf-8", "no encontrado\n");
    if (!opts.store) return send(res, 404, "text/plain; charset=utf-8", "la analítica no está habilitada (--analytics FILE)\n");
    const now = clock();
    let s: SiteStats;
    try {
      s = stats(opts.store, { from: url.searchParams.get("from") ?? now - 24 * 3600_000, to: url.searchParams.get("to") ?? now });
    } catch (e) {
      return send(res, 400, "text/plain; charset=utf-8", `${(e as Error).message}\n`);
    }
    if (path === "/stats.json") return send(res, 200, "application/json; charset=utf-8", JSON.stringify(s));
    return send(res, 200, "text/html; charset=utf-8", renderStatsPage(s));
  };
}
