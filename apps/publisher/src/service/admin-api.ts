import type { IncomingMessage } from "node:http";
import { toPrepcastError } from "@prepcast/protocol";
import { readJsonObject, sendJson, type AdminRoute } from "@prepcast/runtime";
import type { AdminAuth } from "../dashboard/routes";
import type { PrepareOptions, PreparedCut } from "./cut-repository";
import type { StatusReport } from "./status-report";

/** What the service's own admin API needs: its status and a way to sign a cut directory. */
export interface ServiceApi {
  status(): StatusReport;
  publish(cutDir: string, opts?: PrepareOptions): Promise<PreparedCut>;
}

/** `GET /api/status` and `POST /api/push` (bearer token); the operator routes come from the dashboard. */
export function serviceApiRoutes(svc: ServiceApi, auth: AdminAuth): AdminRoute[] {
  const authorized = (req: IncomingMessage) => auth.allows(req);
  return [
    (req, res, url) => {
      if (url.pathname !== "/api/status") return false;
      if (!authorized(req)) return (sendJson(res, 401, { ok: false, code: "AUTH_FAILED", message: "bearer token required" }), true);
      sendJson(res, 200, svc.status());
      return true;
    },
    async (req, res, url) => {
      if (url.pathname !== "/api/push" || req.method !== "POST") return false;
      if (!authorized(req)) return (sendJson(res, 401, { ok: false, code: "AUTH_FAILED", message: "bearer token required" }), true);
      try {
        const body = await readJsonObject(req, 64 * 1024);
        if (typeof body.dir !== "string") throw toPrepcastError(new Error('body must be {"dir": "/path/to/cut"}'));
        const cut = await svc.publish(body.dir, {
          ...(typeof body.corte === "string" ? { corte: body.corte } : {}),
          ...(typeof body.notBefore === "string" ? { notBefore: body.notBefore } : {}),
          ...(typeof body.sequence === "number" ? { sequence: body.sequence } : {}),
          ...(typeof body.retract === "string" ? { retract: body.retract } : {}),
          ...(body.final === true ? { final: true } : {}),
          ...(typeof body.publishUntil === "string" ? { publishUntil: body.publishUntil } : {}),
        });
        sendJson(res, 200, {
          ok: true,
          sequence: cut.ref.sequence,
          manifestSha256: cut.ref.manifestSha256,
          final: cut.summary.final !== undefined,
          publishUntil: cut.summary.final?.publishUntil ?? null,
        });
      } catch (e) {
        sendJson(res, 400, toPrepcastError(e).toJSON());
      }
      return true;
    },
  ];
}
