// The public site server's request handler. Every request resolves DIR/current exactly once and
// then only reads from that cut (its parsed manifest, its files, its variants), so a response never
// mixes two cuts and a cut switch needs no coordination: the previous cut stays on disk (retention)
// and open file handles keep working even if it is pruned mid-response.
//
// This file only routes; each concern is its own module: request.ts (target, headers, client
// address), live-cut.ts (which cut), fast-path.ts (verified files from memory), static-file.ts
// (the general path), well-known.ts, beacon.ts, status.ts, respond.ts (small responses + hits).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnalyticsSink } from "../analytics/hit";
import type { LoadedCut } from "../cut/cut";
import { isHtmlPath } from "../cut/content";
import { createNoticeReader, NoticeReader } from "../cut/notice";
import { browserAssets } from "./browser-assets";
import { embargoPage, errorPage, noCutPage, noticePage, notFoundPage } from "./pages";
import { BEACON_PATH, BeaconDeps, handleBeacon, handleBeaconPreflight, portalOriginsOf } from "./beacon";
import { createCutRuntimes } from "./cut-runtime";
import { createFastPath, FastPath } from "./fast-path";
import { ALLOWED_METHODS, buildCsp, ownPageCsp } from "./headers";
import { createLiveCut, LiveCut, readableCut } from "./live-cut";
import { SiteLogger, stderrLogger } from "./log";
import { createResponder, Responder } from "./respond";
import { isValidPath, manifestPathOf, parseRequestTarget, RequestTarget, trustedHopsOf } from "./request";
import { serveFile, StaticFileDeps } from "./static-file";
import { statusOf } from "./status";
import { handleWellKnown, isWellKnownPath, WellKnownDeps } from "./well-known";

export interface SiteHandlerOptions {
  /** Receiver state directory: serves DIR/current. */
  root: string;
  /** CSP frame-ancestors sources allowed to embed the pages (default ["'self'"]). */
  frameAncestors?: string[] | undefined;
  /** Injectable clock (epoch ms) for embargo and staleness. */
  clock?: (() => number) | undefined;
  /** Where hits go; omitted = not recorded. */
  analytics?: AnalyticsSink | undefined;
  /** Seconds after the corte from which /.well-known/prepcast.json reports `stale: true` (default 1800). */
  staleAfterSeconds?: number | undefined;
  /**
   * Take the client address from X-Forwarded-For (only behind a trusted reverse proxy): true = one
   * proxy, N = a chain of N proxies. The address taken is the one the outermost trusted proxy saw
   * (the Nth from the right); everything to its left was written by the client and is ignored.
   */
  trustProxy?: boolean | number | undefined;
  /** Prepare compressed variants when a cut without them is seen (default true; cluster workers: false). */
  prepareVariants?: boolean | undefined;
  /** Files up to this size are kept in memory after being verified against the manifest (default 256 KiB). */
  memoryCacheMaxFile?: number | undefined;
  log?: SiteLogger | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface SiteHandler {
  handle: Handler;
  /** Resolves once no compressed-variant preparation this handler started is still writing. */
  settled(): Promise<void>;
  /** Status document served at /.well-known/prepcast.json (also used by the admin page). */
  status(): Record<string, unknown>;
}

/** Everything the routing needs, built once per handler. */
interface SiteDeps {
  clock: () => number;
  log: SiteLogger;
  /** The CSP of the difusor's pages. */
  csp: string;
  live: LiveCut;
  notices: NoticeReader;
  respond: Responder;
  tryFast: FastPath;
  files: StaticFileDeps;
  wellKnown: WellKnownDeps;
  beacon: BeaconDeps;
}

export function createSiteHandler(opts: SiteHandlerOptions): SiteHandler {
  const root = opts.root;
  const clock = opts.clock ?? Date.now;
  const log = opts.log ?? stderrLogger;
  const frameAncestors = opts.frameAncestors ?? ["'self'"];
  const csp = buildCsp(frameAncestors);
  const staleAfterMs = (opts.staleAfterSeconds ?? 1800) * 1000;
  const trustedHops = trustedHopsOf(opts.trustProxy);
  const analytics = opts.analytics;
  const live = createLiveCut(root);
  const runtimes = createCutRuntimes({ root, prepare: opts.prepareVariants ?? true, log });
  const notices = createNoticeReader(root, (m) => log.error({ code: "NOTICE_INVALID" }, m));
  const respond = createResponder({ analytics, clock, live, trustProxy: opts.trustProxy, trustedHops });
  const status = (cut: LoadedCut | undefined | Error, now: number): Record<string, unknown> => statusOf(cut, now, { notices, staleAfterMs });
  const deps: SiteDeps = {
    clock,
    log,
    csp,
    live,
    notices,
    respond,
    tryFast: createFastPath({ runtimes, notices, csp, analytics, trustedHops }),
    files: { runtimes, respond, log, maxMemFile: opts.memoryCacheMaxFile ?? 256 * 1024 },
    wellKnown: { respond, status, ownPageCsp: ownPageCsp(frameAncestors), assets: browserAssets() },
    beacon: { analytics, clock, respond, portalOrigins: portalOriginsOf(opts.frameAncestors) },
  };
  return { handle: (req, res) => handleRequest(deps, req, res), status: () => status(live.current(), clock()), settled: () => runtimes.settled() };
}

function handleRequest(deps: SiteDeps, req: IncomingMessage, res: ServerResponse): void {
  const { clock, log, csp, live, respond, tryFast } = deps;
  const target = parseRequestTarget(req.url ?? "/");
  const { rawPath, path } = target;
  const now = clock();
  const loaded = live.current();
  if (loaded instanceof Error) log.error({ code: (loaded as { code?: string }).code ?? "STATE_INVALID", err: loaded.message }, "the live cut cannot be read");
  const cut = readableCut(loaded);
  if (
    cut &&
    (req.method === "GET" || req.method === "HEAD") &&
    path.startsWith("/") &&
    !path.startsWith("/.well-known/") &&
    !path.includes("\0") &&
    tryFast(req, res, path, cut, now)
  )
    return;
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
  res.setHeader("Content-Security-Policy", csp);
  const liveCut = cut && now >= cut.notBeforeMs ? cut : undefined;
  res.setHeader("X-PREP-Corte", liveCut ? liveCut.manifest.corte : "none");
  if (!isValidPath(path)) {
    respond.sendSimple(req, res, 400, "text/plain; charset=utf-8", "ruta inválida\n", { "Cache-Control": "no-store" }, rawPath.slice(0, 512));
    return;
  }
  if (path === BEACON_PATH) {
    if (req.method === "POST") return handleBeacon(deps.beacon, req, res);
    if (req.method === "OPTIONS") return handleBeaconPreflight(res);
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    respond.sendSimple(req, res, 405, "text/plain; charset=utf-8", "método no permitido\n", { Allow: ALLOWED_METHODS, "Cache-Control": "no-store" }, path);
    return;
  }
  if (isWellKnownPath(path)) {
    handleWellKnown(deps.wellKnown, req, res, path, cut, now);
    return;
  }
  if (!cut) {
    respond.sendSimple(req, res, 503, "text/html; charset=utf-8", noCutPage(), { "Cache-Control": "no-store", "Retry-After": "60" }, path);
    return;
  }
  if (now < cut.notBeforeMs) {
    const retry = Math.max(1, Math.ceil((cut.notBeforeMs - now) / 1000));
    respond.sendSimple(
      req,
      res,
      503,
      "text/html; charset=utf-8",
      embargoPage(cut.notBeforeMs),
      { "Cache-Control": "no-store", "Retry-After": String(retry) },
      path,
    );
    return;
  }
  serveCutPath(deps, req, res, cut, target, now);
}

/** A GET/HEAD of a path of the live cut (past its embargo): the notice, a redirect to "x/", a 404 or the file. */
function serveCutPath(deps: SiteDeps, req: IncomingMessage, res: ServerResponse, cut: LoadedCut, { rawPath, query, path }: RequestTarget, now: number): void {
  const { sendSimple } = deps.respond;
  const rel = manifestPathOf(path);
  const file = cut.files.get(rel);
  const notice = deps.notices.current(now);
  if (notice) {
    // HTML navigations get the notice as a normal page (200) so portals and iframes show it;
    // everything else (data, assets) gets 503 so no client or cache keeps using results.
    // Only for a page the cut has: any other path is a 404 (with the notice), never a fake page view.
    const exists = !!file || cut.files.has(`${rel}/index.html`);
    const navigation =
      exists && (rel.endsWith("index.html") || isHtmlPath(rel) || req.headers["sec-fetch-dest"] === "document" || req.headers["sec-fetch-dest"] === "iframe");
    sendSimple(
      req,
      res,
      navigation ? 200 : exists ? 503 : 404,
      "text/html; charset=utf-8",
      noticePage(notice.title, notice.text, notice.issuedAtMs),
      { "Cache-Control": "no-store", ...(navigation || !exists ? {} : { "Retry-After": "300" }) },
      path,
    );
    return;
  }
  if (!file) {
    if (cut.files.has(`${rel}/index.html`)) {
      sendSimple(req, res, 301, "text/plain; charset=utf-8", "", { Location: `${rawPath}/${query}`, "Cache-Control": "public, max-age=300" }, path);
      return;
    }
    sendSimple(req, res, 404, "text/html; charset=utf-8", notFoundPage(), { "Cache-Control": "public, max-age=30" }, path);
    return;
  }
  serveFile(deps.files, req, res, cut, file, path).catch((e) => {
    deps.log.error({ code: "INTERNAL", path, err: String(e) }, "unexpected error serving a file");
    if (!res.headersSent) sendSimple(req, res, 500, "text/html; charset=utf-8", errorPage(), { "Cache-Control": "no-store" }, path);
    else res.destroy();
  });
}
