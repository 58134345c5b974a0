// /.well-known/prepcast.json (the status) and /.well-known/prepcast/*: the live cut's signed
// keyset and manifest (exact bytes), the embeddable banner and the in-browser verifier. CORS * on
// all of them (public, read-only).
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { LoadedCut } from "../cut/cut";
import type { StaticAsset } from "./browser-assets";
import { notFoundPage } from "./pages";
import { etagMatches } from "./headers";
import type { Responder } from "./respond";

const WELL_KNOWN_FILES = new Set(["keyset.json", "keyset.sig", "manifest.json", "manifest.sig", "root.json", "root.sig"]);

/** A path served by handleWellKnown. */
export function isWellKnownPath(path: string): boolean {
  return path === "/.well-known/prepcast.json" || path.startsWith("/.well-known/prepcast/");
}

export interface WellKnownDeps {
  respond: Responder;
  /** The status document for this cut at `now`. */
  status(cut: LoadedCut | undefined, now: number): Record<string, unknown>;
  /** The CSP of the server's own HTML pages. */
  ownPageCsp: string;
  /** The banner and the verifier (browserAssets). */
  assets: { get(name: string): StaticAsset | undefined };
}

export function handleWellKnown(
  { respond, status, ownPageCsp, assets }: WellKnownDeps,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  cut: LoadedCut | undefined,
  now: number,
): void {
  const { record, sendSimple } = respond;
  res.setHeader("Access-Control-Allow-Origin", "*");
  if (path === "/.well-known/prepcast.json") {
    sendSimple(req, res, 200, "application/json; charset=utf-8", JSON.stringify(status(cut, now)), { "Cache-Control": "no-cache" }, path);
    return;
  }
  const name = path.slice("/.well-known/prepcast/".length);
  if (WELL_KNOWN_FILES.has(name)) {
    if (!cut || now < cut.notBeforeMs) {
      sendSimple(req, res, 503, "text/plain; charset=utf-8", "sin corte publicado\n", { "Cache-Control": "no-store" }, path);
      return;
    }
    const bytes = cut.signed[name as keyof LoadedCut["signed"]];
    if (bytes === undefined) {
      // root.json / root.sig of a cut signed under a single root.pub: there is none
      sendSimple(req, res, 404, "text/plain; charset=utf-8", "este corte no trae documento raíz\n", { "Cache-Control": "no-cache" }, path);
      return;
    }
    const type = name.endsWith(".json") ? "application/json; charset=utf-8" : "application/octet-stream";
    const etag = `"${createHash("sha256").update(bytes).digest("hex")}"`;
    const inm = req.headers["if-none-match"];
    if (inm && etagMatches(inm, [etag])) {
      res.statusCode = 304;
      res.setHeader("ETag", etag);
      res.end();
      record(req, res, path, false, 0);
      return;
    }
    sendSimple(req, res, 200, type, bytes, { "Cache-Control": "no-cache", ETag: etag }, path);
    return;
  }
  const asset = assets.get(name);
  if (asset) {
    if (asset.csp) res.setHeader("Content-Security-Policy", asset.csp);
    else if (asset.type.startsWith("text/html")) res.setHeader("Content-Security-Policy", ownPageCsp);
    sendSimple(req, res, 200, asset.type, asset.body, { "Cache-Control": "public, max-age=300" }, path);
    return;
  }
  sendSimple(req, res, 404, "text/html; charset=utf-8", notFoundPage(), { "Cache-Control": "no-store" }, path);
}
