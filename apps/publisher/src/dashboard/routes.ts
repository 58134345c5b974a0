import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { EventThrottle, peerText, toPrepcastError, PrepcastError } from "@prepcast/protocol";
import { readBrowserScript, readJsonObject, readRequestBody, sendJson, type AdminRoute } from "@prepcast/runtime";
import type { AuditLog, PublisherAuditEvent } from "@prepcast/protocol";
import type { DifusorMonitor, Incident } from "../monitor/monitor";
import type { StatusReport } from "../service/status-report";
import { AdminAuth } from "./auth";
import { DASHBOARD_CSS, dashboardHtml, loginHtml, lockedHtml } from "./page";

export { AdminAuth };

/**
 * What the dashboard and the operator API use of the running service (PublisherService satisfies
 * it): its events ("cut", "receipt", "notice-sent" and SSE_EVENTS), status, the monitor's actions.
 */
export interface OperatorService extends Pick<EventEmitter, "on" | "off"> {
  readonly config: { channel: string; suspendAfterPeriods: number };
  readonly repo: {
    list(): ReadonlyArray<{ ref: { sequence: number }; summary: { corte: string }; preparedAt: string }>;
    latest(): { ref: { sequence: number } } | null;
  };
  readonly audit: Pick<AuditLog<PublisherAuditEvent>, "append">;
  readonly monitor: Pick<DifusorMonitor, "periodMs" | "incidents" | "on" | "off" | "suspend" | "reinstate" | "sendTestNotice" | "isSuspended">;
  status(): StatusReport;
  link(id: string): { poke(): void } | undefined;
  linkIds(): string[];
}

export interface TimelineItem {
  at: string;
  kind: "cut" | "receipt" | "notice";
  receiver: string | null;
  sequence: number | null;
  text: string;
}

export interface Overview extends StatusReport {
  generatedAt: string;
  simulacro: boolean;
  periodSeconds: number;
  suspendAfterPeriods: number;
  timeline: TimelineItem[];
  incidents: Incident[];
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-content-type-options": "nosniff",
  // same-origin (not no-referrer): with no-referrer Chromium sends "Origin: null" on form posts
  "referrer-policy": "same-origin",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  const data = typeof body === "string" ? Buffer.from(body) : body;
  res.writeHead(status, { ...SECURITY_HEADERS, "content-type": type, "content-length": String(data.length), ...extra });
  res.end(data);
}

const NOTICE_KIND: Record<string, string> = { suspension: "suspensión", reinstatement: "reinstalación", test: "prueba" };

/** The operator's view, recorded from the service's events (newest first). */
class Journal {
  readonly timeline: TimelineItem[] = [];

  constructor(svc: OperatorService) {
    for (const c of svc.repo.list().slice(-50))
      this.add({ at: c.preparedAt, kind: "cut", receiver: null, sequence: c.ref.sequence, text: `corte ${c.ref.sequence} firmado (${c.summary.corte})` });
    svc.on("cut", (c: { ref: { sequence: number }; summary: { corte: string }; preparedAt: string }) =>
      this.add({ at: c.preparedAt, kind: "cut", receiver: null, sequence: c.ref.sequence, text: `corte ${c.ref.sequence} firmado (${c.summary.corte})` }),
    );
    svc.on("receipt", (p: { id: string; receipt: { sequence: number; state: string; activatedAt: string | null; receivedAt: string } }) =>
      this.add({
        at: p.receipt.activatedAt ?? p.receipt.receivedAt,
        kind: "receipt",
        receiver: p.id,
        sequence: p.receipt.sequence,
        text: p.receipt.state === "active" ? `${p.id}: corte ${p.receipt.sequence} en línea` : `${p.id}: corte ${p.receipt.sequence} en espera (embargo)`,
      }),
    );
    svc.on("notice-sent", (p: { id: string; kind: string; issuedAt: string }) =>
      this.add({
        at: new Date().toISOString(),
        kind: "notice",
        receiver: p.id,
        sequence: null,
        text: `${p.id}: aviso firmado entregado (${NOTICE_KIND[p.kind] ?? p.kind})`,
      }),
    );
  }

  private add(item: TimelineItem): void {
    // an agent may confirm the same activation twice (delivery receipt, then its volunteered one)
    if (
      this.timeline
        .slice(0, 20)
        .some((t) => t.kind === item.kind && t.receiver === item.receiver && t.sequence === item.sequence && t.text === item.text && item.kind !== "notice")
    )
      return;
    this.timeline.unshift(item);
    if (this.timeline.length > 300) this.timeline.pop();
  }
}

export function overview(svc: OperatorService, journal: Journal): Overview {
  const status = svc.status();
  // the page needs the verdicts, not every piece of evidence (that stays in the audit log and /api/status)
  for (const r of status.receivers) if (r.monitor?.suspended) r.monitor.suspended.evidence = r.monitor.suspended.evidence.slice(-1);
  return {
    ...status,
    generatedAt: new Date().toISOString(),
    simulacro: svc.config.channel === "simulacro",
    periodSeconds: svc.monitor.periodMs / 1000,
    suspendAfterPeriods: svc.config.suspendAfterPeriods,
    timeline: journal.timeline.slice(0, 100),
    incidents: svc.monitor.incidents.slice(-100).reverse(),
  };
}

const SSE_EVENTS = ["state", "progress", "receipt", "cut", "hello", "refused", "failed", "error-event", "notice-sent", "public-list"];

/**
 * The operator dashboard and its API on the admin listener: `/` (login, then the live page),
 * `/api/overview`, `/api/events` (Server-Sent Events), and the actions under
 * `/api/receivers/<id>/{suspend,reinstate,notice,push}` (also used by the CLI with the bearer token).
 */
export function operatorRoutes(svc: OperatorService, auth: AdminAuth): AdminRoute[] {
  const journal = new Journal(svc);
  // the compiled src/browser/dashboard.ts, read once (the package folder is ../.. from src/ and dist/ alike)
  const dashboardJs = readBrowserScript(join(__dirname, "..", ".."), "dashboard.js");
  const loginFailures = new EventThrottle(20, 60_000);
  let sseClients = 0;
  const operator = (req: IncomingMessage, body: Record<string, unknown>) => {
    const by = typeof body.by === "string" && body.by.trim() ? body.by.trim().slice(0, 80) : null;
    return auth.bearer(req) ? `cli${by ? `:${by}` : ""}` : "panel";
  };

  const pages: AdminRoute = async (req, res, url) => {
    const p = url.pathname;
    if (p === "/dashboard.css") return (send(res, 200, "text/css; charset=utf-8", DASHBOARD_CSS), true);
    if (p === "/dashboard.js") return (send(res, 200, "text/javascript; charset=utf-8", dashboardJs), true);
    if (p === "/favicon.ico") return (res.writeHead(204, SECURITY_HEADERS), res.end(), true);
    if (p !== "/" && p !== "/login" && p !== "/logout") return false;
    if (!auth.hostOk(req)) return (send(res, 421, "text/plain; charset=utf-8", "host no permitido\n"), true);
    if (!auth.configured) return (send(res, 503, "text/html; charset=utf-8", lockedHtml()), true);
    if (p === "/logout" && req.method === "POST") {
      auth.logout(req);
      res.writeHead(303, { ...SECURITY_HEADERS, location: "/login", "set-cookie": auth.clearCookie(req) });
      res.end();
      return true;
    }
    if (p === "/login" && req.method === "POST") {
      if (!auth.originOk(req)) return (send(res, 403, "text/plain; charset=utf-8", "origen no permitido\n"), true);
      const form = new URLSearchParams(await readRequestBody(req, 4096));
      const source = req.socket.remoteAddress ?? "unknown";
      const s = await auth.login(form.get("secreto") ?? "", source);
      if (s === "locked")
        return (
          send(
            res,
            429,
            "text/html; charset=utf-8",
            loginHtml("Demasiados intentos fallidos desde esta dirección. Espere un minuto (el token de operación siempre entra)."),
            { "retry-after": "60" },
          ),
          true
        );
      if (s === "busy")
        return (
          send(res, 503, "text/html; charset=utf-8", loginHtml("Demasiados intentos en curso. Intente de nuevo en unos segundos."), { "retry-after": "2" }),
          true
        );
      if (!s) {
        const t = loginFailures.take();
        if (t.summary > 0) svc.audit.append("dashboard_login_failed_suppressed", { count: t.summary });
        if (t.record) svc.audit.append("dashboard_login_failed", { address: peerText(source, 64) });
        return (send(res, 401, "text/html; charset=utf-8", loginHtml("Contraseña o token incorrecto.")), true);
      }
      svc.audit.append("dashboard_login", { address: peerText(source, 64) });
      res.writeHead(303, { ...SECURITY_HEADERS, location: "/", "set-cookie": auth.cookieFor(s, req) });
      res.end();
      return true;
    }
    const session = auth.session(req);
    if (p === "/login" || !session) return (send(res, 200, "text/html; charset=utf-8", loginHtml(null)), true);
    send(res, 200, "text/html; charset=utf-8", dashboardHtml(session.csrf, svc.config.channel === "simulacro"));
    return true;
  };

  const api: AdminRoute = async (req, res, url) => {
    const p = url.pathname;
    if (p !== "/api/overview" && p !== "/api/events" && !p.startsWith("/api/receivers/")) return false;
    if (!auth.allows(req)) return (sendJson(res, 401, { ok: false, code: "AUTH_FAILED", message: "login or bearer token required" }), true);
    if (p === "/api/overview") return (sendJson(res, 200, overview(svc, journal)), true);
    if (p === "/api/events") {
      if (sseClients >= 32) return (sendJson(res, 503, { ok: false, code: "UNAVAILABLE", message: "too many dashboard connections" }), true);
      sseClients++;
      res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive" });
      let timer: NodeJS.Timeout | null = null;
      const push = () => {
        timer = null;
        res.write(`event: overview\ndata: ${JSON.stringify(overview(svc, journal))}\n\n`);
      };
      // several events in a burst (progress, receipts) become one update
      const schedule = () => {
        if (!timer) timer = setTimeout(push, 250);
      };
      const heartbeat = setInterval(() => res.write(": ping\n\n"), 15_000);
      for (const ev of SSE_EVENTS) svc.on(ev, schedule);
      svc.monitor.on("changed", schedule);
      svc.monitor.on("incident", schedule);
      push();
      const done = () => {
        sseClients--;
        if (timer) clearTimeout(timer);
        clearInterval(heartbeat);
        for (const ev of SSE_EVENTS) svc.off(ev, schedule);
        svc.monitor.off("changed", schedule);
        svc.monitor.off("incident", schedule);
      };
      req.on("close", done);
      return true;
    }
    // actions on difusores are never anonymous, even from localhost
    if (!auth.configured)
      return (
        sendJson(res, 403, {
          ok: false,
          code: "AUTH_FAILED",
          message: "operator actions need a credential",
          hint: "set admin.tokenFile (and/or admin.passwordFile) in the publisher config and restart",
        }),
        true
      );
    const m = /^\/api\/receivers\/([a-z0-9][a-z0-9_.-]{0,63})\/(suspend|reinstate|notice|push)$/.exec(p);
    if (!m || req.method !== "POST") return (sendJson(res, 404, { ok: false, code: "NOT_FOUND", message: `no route ${req.method} ${p}` }), true);
    const [, id, action] = m as unknown as [string, string, string];
    try {
      const body = await readJsonObject(req);
      const reason = typeof body.reason === "string" ? body.reason.trim().slice(0, 1000) : "";
      const by = operator(req, body);
      const link = svc.link(id);
      if (!link) throw new PrepcastError("NOT_FOUND", `no difusor "${id}" in the registry`, { hint: `registered: ${svc.linkIds().join(", ")}` });
      if (action === "suspend") return (sendJson(res, 200, { ok: true, suspension: await svc.monitor.suspend(id, { reason, manual: true, by }) }), true);
      if (action === "reinstate")
        return (sendJson(res, 200, { ok: true, ...(await svc.monitor.reinstate(id, { reason, by })), latest: svc.repo.latest()?.ref.sequence ?? null }), true);
      if (action === "notice")
        return (
          sendJson(res, 200, { ok: true, notice: svc.monitor.sendTestNotice(id, typeof body.text === "string" ? body.text.slice(0, 2000) : "", by) }),
          true
        );
      if (svc.monitor.isSuspended(id))
        throw new PrepcastError("STATE_CONFLICT", `difusor "${id}" is suspended: no results are sent to it`, { hint: "reinstate it first" });
      link.poke();
      svc.audit.append("push_again", { receiver: id, by, latest: svc.repo.latest()?.ref.sequence ?? null });
      return (sendJson(res, 200, { ok: true, latest: svc.repo.latest()?.ref.sequence ?? null }), true);
    } catch (e) {
      const err = toPrepcastError(e);
      const status = err.code === "NOT_FOUND" ? 404 : err.code === "STATE_CONFLICT" ? 409 : 400;
      return (sendJson(res, status, err.toJSON()), true);
    }
  };
  return [pages, api];
}
