// The general path for a file of the live cut: content negotiation (brotli/gzip variants),
// validators (ETag / If-None-Match → 304), single Range (206/416), bytes checked against the
// manifest (in memory up to maxMemFile, streamed from an open handle above it).
import { promises as fsp } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CutFile, LoadedCut } from "../cut/cut";
import { chooseEncoding } from "../cut/compress";
import { errorPage } from "./pages";
import { bytesOf, CutRuntimes } from "./cut-runtime";
import { etagMatches, parseRange } from "./headers";
import type { SiteLogger } from "./log";
import type { Responder } from "./respond";

export interface StaticFileDeps {
  runtimes: CutRuntimes;
  respond: Responder;
  log: SiteLogger;
  /** Files up to this size are kept in memory after being verified against the manifest. */
  maxMemFile: number;
}

export async function serveFile(
  { runtimes, respond, log, maxMemFile }: StaticFileDeps,
  req: IncomingMessage,
  res: ServerResponse,
  cut: LoadedCut,
  file: CutFile,
  urlPath: string,
): Promise<void> {
  const { record, sendSimple } = respond;
  const rt = runtimes.runtimeFor(cut);
  const available = rt.variants?.get(file.path) ?? [];
  const rangeHeader = req.headers.range;
  // Ranges are served on the identity representation only (resuming downloads of zips/CSVs).
  const variant = rangeHeader ? undefined : chooseEncoding(req.headers["accept-encoding"] as string | undefined, available);
  const etag = variant ? `"${file.sha256}.${variant.encoding}"` : file.etag;
  res.setHeader("Content-Type", file.contentType);
  res.setHeader("Cache-Control", file.cacheControl);
  res.setHeader("ETag", etag);
  res.setHeader("Accept-Ranges", "bytes");
  if (file.compressible) res.setHeader("Vary", "Accept-Encoding");
  const inm = req.headers["if-none-match"];
  if (inm && etagMatches(inm, [file.etag, ...available.map((v) => `"${file.sha256}.${v.encoding}"`)])) {
    res.statusCode = 304;
    res.end();
    record(req, res, urlPath, file.contentType.startsWith("text/html"), 0);
    return;
  }
  let start = 0;
  let end = (variant ? variant.size : file.size) - 1;
  let status = 200;
  if (rangeHeader && !(req.headers["if-range"] && req.headers["if-range"] !== file.etag)) {
    const r = parseRange(rangeHeader, file.size);
    if (r === "unsatisfiable") {
      res.statusCode = 416;
      res.setHeader("Content-Range", `bytes */${file.size}`);
      res.setHeader("Content-Length", 0);
      res.end();
      record(req, res, urlPath, false, 0);
      return;
    }
    if (r) {
      ({ start, end } = r);
      status = 206;
      res.setHeader("Content-Range", `bytes ${start}-${end}/${file.size}`);
    }
  }
  if (variant) res.setHeader("Content-Encoding", variant.encoding);
  const length = end - start + 1;
  const abs = variant ? variant.abs : file.abs;
  const totalSize = variant ? variant.size : file.size;
  const sha = variant ? variant.sha256 : file.sha256;
  const key = variant ? `${file.path}\0${variant.encoding}` : file.path;
  let buf: Buffer | undefined;
  try {
    buf = await bytesOf(rt, key, abs, totalSize, sha, maxMemFile);
  } catch (e) {
    log.error({ code: "HASH_MISMATCH", cut: cut.id, path: file.path, err: String(e) }, "refusing to serve bytes that differ from the signed manifest");
    res.removeHeader("ETag");
    res.removeHeader("Content-Encoding");
    res.removeHeader("Content-Range");
    res.removeHeader("Vary");
    sendSimple(req, res, 500, "text/html; charset=utf-8", errorPage(), { "Cache-Control": "no-store" }, urlPath);
    return;
  }
  res.statusCode = status;
  res.setHeader("Content-Length", length);
  const html = file.contentType.startsWith("text/html");
  if (buf) {
    if (req.method === "HEAD") res.end();
    else res.end(status === 206 ? buf.subarray(start, end + 1) : buf);
    record(req, res, urlPath, html, req.method === "HEAD" ? 0 : length);
    return;
  }
  // Large file: open first (pins this cut's inode), then stream the requested span.
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(abs, "r");
  } catch (e) {
    log.error({ code: "IO_ERROR", cut: cut.id, path: file.path, err: String(e) }, "cannot open a file listed in the live manifest");
    for (const h of ["ETag", "Content-Encoding", "Content-Range", "Content-Length", "Vary"]) res.removeHeader(h);
    sendSimple(req, res, 503, "text/html; charset=utf-8", errorPage(), { "Cache-Control": "no-store", "Retry-After": "5" }, urlPath);
    return;
  }
  if (req.method === "HEAD") {
    await fh.close();
    res.end();
    record(req, res, urlPath, html, 0);
    return;
  }
  const stream = fh.createReadStream({ start, end, autoClose: true });
  stream.on("error", () => res.destroy());
  res.on("close", () => stream.destroy());
  stream.pipe(res);
  res.on("finish", () => record(req, res, urlPath, html, length));
}
