// The common case in one step: a live cut, no notice, a GET/HEAD of a listed file already verified
// in memory, no Range or validators. Headers go out as one precomputed raw array and the body in
// the same write; the request headers are read from rawHeaders without building req.headers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { AnalyticsSink, HIT_LIMITS } from "../analytics/hit";
import type { LoadedCut } from "../cut/cut";
import { chooseEncoding, Variant } from "../cut/compress";
import type { NoticeReader } from "../cut/notice";
import { CutRuntimes, routeFor } from "./cut-runtime";
import { emptyFastHeaders, pickClientIp, referrerOrigin, scanHeaders } from "./request";

export interface FastPathOptions {
  runtimes: CutRuntimes;
  notices: NoticeReader;
  /** The CSP of the difusor's pages. */
  csp: string;
  analytics: AnalyticsSink | undefined;
  trustedHops: number;
}

/** Serves the request and returns true, or returns false (nothing written) for the general path. */
export type FastPath = (req: IncomingMessage, res: ServerResponse, path: string, cut: LoadedCut, now: number) => boolean;

export function createFastPath({ runtimes, notices, csp, analytics, trustedHops }: FastPathOptions): FastPath {
  // Accept-Encoding values repeat (a handful of browsers): parsed once each, bounded.
  const acceptCache = new Map<string, { br: boolean; gzip: boolean }>();
  const accepts = (header: string): { br: boolean; gzip: boolean } => {
    let a = acceptCache.get(header);
    if (!a) {
      const probe = (encoding: "br" | "gzip"): boolean => chooseEncoding(header, [{ encoding, size: 0, sha256: "", abs: "" }]) !== undefined;
      a = { br: probe("br"), gzip: probe("gzip") };
      if (acceptCache.size >= 256) acceptCache.clear();
      acceptCache.set(header, a);
    }
    return a;
  };
  const scratch = emptyFastHeaders();

  return function tryFast(req, res, path, cut, now) {
    if (now < cut.notBeforeMs) return false;
    const h = scanHeaders(req.rawHeaders, scratch);
    if (h.conditional || notices.current(now)) return false;
    const rt = runtimes.runtimeFor(cut);
    const route = routeFor(rt, cut, path);
    if (!route) return false;
    let variant: Variant | undefined;
    if (h.acceptEncoding !== undefined && route.variants.length > 0) {
      const a = accepts(h.acceptEncoding);
      variant = route.variants.find((v) => a[v.encoding]);
    }
    const encoding = variant ? variant.encoding : "";
    let rep = route.reps.get(encoding);
    if (!rep) {
      const file = route.file;
      const body = rt.memory.get(variant ? `${file.path}\0${variant.encoding}` : file.path);
      if (!body) return false;
      const headers = [
        "Content-Type",
        file.contentType,
        "Content-Length",
        String(body.length),
        "ETag",
        variant ? `"${file.sha256}.${variant.encoding}"` : file.etag,
        "Cache-Control",
        file.cacheControl,
        "Accept-Ranges",
        "bytes",
      ];
      if (file.compressible) headers.push("Vary", "Accept-Encoding");
      if (variant) headers.push("Content-Encoding", variant.encoding);
      headers.push(
        "X-PREP-Corte",
        cut.manifest.corte,
        "X-Content-Type-Options",
        "nosniff",
        "Referrer-Policy",
        "strict-origin-when-cross-origin",
        "Content-Security-Policy",
        csp,
      );
      rep = { body, headers };
      route.reps.set(encoding, rep);
    }
    res.writeHead(200, rep.headers);
    const head = req.method === "HEAD";
    res.end(head ? undefined : rep.body);
    if (analytics) {
      const ip = pickClientIp(req.socket.remoteAddress ?? "", trustedHops > 0 ? h.forwardedFor : undefined, trustedHops);
      // the route exists in the live cut: its path is stored as is (routes are only made for listed files)
      analytics.record({
        time: now,
        ip,
        ua: h.ua.length > HIT_LIMITS.ua ? h.ua.slice(0, HIT_LIMITS.ua) : h.ua,
        method: req.method!,
        path,
        status: 200,
        bytes: head ? 0 : rep.body.length,
        referrer: referrerOrigin(h.referrer),
        dest: h.dest.slice(0, HIT_LIMITS.dest),
        html: route.html,
      });
    }
    return true;
  };
}
