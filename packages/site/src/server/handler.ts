// The public site server. Every request resolves DIR/current exactly once and then only reads
// from that cut (its parsed manifest, its files, its variants), so a response never mixes two cuts
// and a cut switch needs no coordination: the previous cut stays on disk (retention) and open file
// handles keep working even if it is pruned mid-response.
import { createHash } from "node:crypto";
import { promises as fsp, readFileSync } from "node:fs";
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { AddressInfo, createServer as createNetServer } from "node:net";
import { createPushGateway } from "@prepcast/transport";
import { CutCache, CutFile, LoadedCut, resolveCurrentDir } from "../cut/cut";
import { chooseEncoding, loadVariants, prepareCompressedVariants, Variant } from "../cut/compress";
import { embargoPage, errorPage, noCutPage, noticePage, notFoundPage } from "./pages";
import { createNoticeReader, NoticeReader } from "../cut/notice";
import { BANNER_HTML, BANNER_JS } from "./banner";
import { isHtmlPath } from "../cut/content";
import { verifierAssets } from "../verify/verify-page";
import { formatMx } from "../time";
import { HIT_LIMITS } from "../analytics/store";
import { guardHttpServer } from "@prepcast/protocol";

/** One request as the analytics store receives it (raw IP and UA never leave the writer). */
export interface RawHit {
  time: number;
  ip: string;
  ua: string;
  method: string;
  path: string;
  status: number;
  bytes: number;
  referrer: string;
  /** Sec-Fetch-Dest, when the browser sent it ("document", "iframe", "script", ...). */
  dest: string;
  /** The response was an HTML page (content type), used to tell pageviews from other hits. */
  html: boolean;
  /** Beacons only: time spent on `path`, reported by the banner at pagehide. */
  durationMs?: number;
}

export interface AnalyticsSink {
  record(hit: RawHit): void;
}

export interface SiteLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const stderrLogger: SiteLogger = {
  info: () => {},
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: "warn", msg, ...obj })}\n`),
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: "error", msg, ...obj })}\n`),
};

export interface SiteHandlerOptions {
  /** Receiver state directory: serves DIR/current. */
  root: string;
  /** CSP frame-ancestors sources allowed to embed the pages (default ["'self'"]). */
  frameAncestors?: string[];
  /** Injectable clock (epoch ms) for embargo and staleness. */
  clock?: () => number;
  /** Where hits go; omitted = not recorded. */
  analytics?: AnalyticsSink;
  /** Seconds after the corte from which /.well-known/prepcast.json reports `stale: true` (default 1800). */
  staleAfterSeconds?: number;
  /**
   * Take the client address from X-Forwarded-For (only behind a trusted reverse proxy): true = one
   * proxy, N = a chain of N proxies. The address taken is the one the outermost trusted proxy saw
   * (the Nth from the right); everything to its left was written by the client and is ignored.
   */
  trustProxy?: boolean | number;
  /** Prepare compressed variants when a cut without them is seen (default true; cluster workers: false). */
  prepareVariants?: boolean;
  /** Files up to this size are kept in memory after being verified against the manifest (default 256 KiB). */
  memoryCacheMaxFile?: number;
  log?: SiteLogger;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface CutRuntime {
  cut: LoadedCut;
  variants: Map<string, Variant[]> | undefined;
  variantsCheckedAt: number;
  memory: Map<string, Buffer>;
  /** Fast path: URL path → the file's in-memory representations with their precomputed raw headers. */
  routes: Map<string, FastRoute>;
  memoryBytes: number;
  loading: Map<string, Promise<Buffer | undefined>>;
}

interface FastRepresentation {
  body: Buffer;
  /** Raw [name, value, ...] array for writeHead: built once per file, encoding and cut. */
  headers: string[];
}

interface FastRoute {
  file: CutFile;
  html: boolean;
  variants: Variant[];
  /** Per encoding ("" = identity); filled as each representation is verified into memory. */
  reps: Map<string, FastRepresentation>;
}

/** The few request headers the fast path and the hit record need, read from rawHeaders in one pass. */
interface FastHeaders {
  /** Range, If-Range or If-None-Match present: handled by the general path. */
  conditional: boolean;
  acceptEncoding: string | undefined;
  ua: string;
  referrer: string;
  dest: string;
  forwardedFor: string | undefined;
}

function scanHeaders(raw: string[], out: FastHeaders): FastHeaders {
  out.conditional = false;
  out.acceptEncoding = undefined;
  out.ua = "";
  out.referrer = "";
  out.dest = "";
  out.forwardedFor = undefined;
  let uaSeen = false;
  let refSeen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    // Length first: most headers are skipped without lowercasing.
    switch (name.length) {
      case 5:
        if (name.toLowerCase() === "range") out.conditional = true;
        break;
      case 7:
        // Node keeps the first of duplicate User-Agent / Referer headers; so does this scan.
        if (!refSeen && name.toLowerCase() === "referer") {
          refSeen = true;
          out.referrer = raw[i + 1]!;
        }
        break;
      case 8:
        if (name.toLowerCase() === "if-range") out.conditional = true;
        break;
      case 10:
        if (!uaSeen && name.toLowerCase() === "user-agent") {
          uaSeen = true;
          out.ua = raw[i + 1]!;
        }
        break;
      case 13:
        if (name.toLowerCase() === "if-none-match") out.conditional = true;
        break;
      case 14:
        if (name.toLowerCase() === "sec-fetch-dest") out.dest = out.dest === "" ? raw[i + 1]! : `${out.dest}, ${raw[i + 1]!}`;
        break;
      case 15:
        if (name.toLowerCase() === "accept-encoding") out.acceptEncoding = out.acceptEncoding === undefined ? raw[i + 1]! : `${out.acceptEncoding}, ${raw[i + 1]!}`;
        else if (name.toLowerCase() === "x-forwarded-for") out.forwardedFor = out.forwardedFor === undefined ? raw[i + 1]! : `${out.forwardedFor}, ${raw[i + 1]!}`;
        break;
    }
  }
  return out;
}

const MEMORY_BUDGET_PER_CUT = 48 * 1024 * 1024;
/** The path stored for a request to anything the live cut does not have (404s, probes, garbage). */
export const OTHER_PATH = "(otra ruta)";

/** The referrer as stored: its origin only (scheme and host, at most 256 characters), or "". */
export function referrerOrigin(referer: string | undefined): string {
  if (!referer) return "";
  const m = /^(https?:\/\/[^/?#\s]{1,240})/i.exec(referer);
  return m ? m[1]!.toLowerCase() : "";
}

/** X-Forwarded-For values, left to right (trimmed, empty entries dropped). */
export function forwardedFor(xff: string | string[] | undefined): string[] | undefined {
  if (xff === undefined) return undefined;
  const all = (Array.isArray(xff) ? xff.join(",") : xff).split(",").map((s) => s.trim()).filter(Boolean);
  return all.length ? all : undefined;
}

/**
 * The client address behind `hops` trusted proxies: the socket address is the nearest proxy; the
 * rightmost X-Forwarded-For entry was added by it, and so on. Entries to the left of the one the
 * outermost trusted proxy added were written by the client (spoofable) and are never used.
 */
export function pickClientIp(socketAddress: string, xff: string | string[] | undefined, hops: number): string {
  if (hops <= 0 || xff === undefined) return socketAddress;
  const list = forwardedFor(xff);
  if (!list || list.length === 0) return socketAddress;
  const entry = list[Math.max(0, list.length - hops)]!.trim();
  return entry.length > 0 && entry.length <= 64 && /^[0-9a-fA-F:.[\]]+$/.test(entry) ? entry : socketAddress;
}
const WELL_KNOWN_FILES = new Set(["keyset.json", "keyset.sig", "manifest.json", "manifest.sig"]);
const ALLOWED = "GET, HEAD";

export function buildCsp(frameAncestors: string[]): string {
  // The OPLE's pages are served unmodified and may use inline scripts/styles, so those stay
  // allowed; everything else is same-origin only. X-Frame-Options is deliberately not sent: it
  // cannot express an allowlist and would conflict with frame-ancestors.
  return `default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors ${frameAncestors.join(" ")}`;
}

function parseRange(header: string, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined; // multiple or malformed ranges: ignored, the whole file is sent (RFC 9110 allows it)
  const [, a, b] = m;
  if (a === "" && b === "") return undefined;
  let start: number;
  let end: number;
  if (a === "") {
    const n = Number(b);
    if (n === 0) return "unsatisfiable";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return undefined;
  }
  if (start >= size || size === 0) return "unsatisfiable";
  return { start, end };
}

function etagMatches(header: string, etags: string[]): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((t) => {
    const tag = t.trim().replace(/^W\//, "");
    return etags.includes(tag);
  });
}

export interface SiteHandler {
  handle: Handler;
  /** Resolves once no compressed-variant preparation this handler started is still writing. */
  settled(): Promise<void>;
  /** Status document served at /.well-known/prepcast.json (also used by the admin page). */
  status(): Record<string, unknown>;
}

export function createSiteHandler(opts: SiteHandlerOptions): SiteHandler {
  const root = opts.root;
  const clock = opts.clock ?? Date.now;
  const log = opts.log ?? stderrLogger;
  const csp = buildCsp(opts.frameAncestors ?? ["'self'"]);
  const ownPageCsp = `default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors ${(opts.frameAncestors ?? ["'self'"]).join(" ")}`;
  const bannerCsp = `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; frame-ancestors *`;
  const staleAfter = (opts.staleAfterSeconds ?? 1800) * 1000;
  const trustedHops = opts.trustProxy === true ? 1 : typeof opts.trustProxy === "number" ? Math.max(0, Math.floor(opts.trustProxy)) : 0;
  const maxMemFile = opts.memoryCacheMaxFile ?? 256 * 1024;
  const prepare = opts.prepareVariants ?? true;
  const cuts = new CutCache();
  const runtimes = new WeakMap<LoadedCut, CutRuntime>();
  const preparing = new Set<string>();
  const preparations = new Set<Promise<unknown>>();
  const notices: NoticeReader = createNoticeReader(root, (m) => log.error({ code: "NOTICE_INVALID" }, m));
  const verifier = verifierAssets();
  const portalOrigins = new Set((opts.frameAncestors ?? []).filter((o) => /^https?:\/\//i.test(o)).map((o) => o.replace(/\/+$/, "").toLowerCase()));

  function runtimeFor(cut: LoadedCut): CutRuntime {
    let rt = runtimes.get(cut);
    if (!rt) {
      rt = { cut, variants: undefined, variantsCheckedAt: -Infinity, memory: new Map(), routes: new Map(), memoryBytes: 0, loading: new Map() };
      runtimes.set(cut, rt);
    }
    if (!rt.variants && Date.now() - rt.variantsCheckedAt > 2000) {
      rt.variantsCheckedAt = Date.now();
      rt.variants = loadVariants(root, cut);
      if (rt.variants) rt.routes.clear();
      if (!rt.variants && prepare && !preparing.has(cut.dir)) {
        preparing.add(cut.dir);
        const p: Promise<unknown> = prepareCompressedVariants({ root, cutDir: cut.dir })
          .then(() => {
            rt!.variantsCheckedAt = -Infinity;
            rt!.routes.clear(); // routes remember which variants exist
          })
          .catch((e) => log.warn({ cut: cut.id, err: String(e) }, "compressed variants could not be prepared; serving identity"))
          .finally(() => {
            preparing.delete(cut.dir);
            preparations.delete(p);
          });
        preparations.add(p);
      }
    }
    return rt;
  }

  // `current` is resolved (one readlink) at most once per event-loop turn: the requests parsed in
  // the same turn share that cut, as if they had arrived together, and the first request of the
  // next turn sees any switch. Each request still holds one cut object from start to end, so no
  // response mixes two cuts.
  let turnCut: LoadedCut | undefined | Error;
  let turnResolved = false;
  const endTurn = (): void => {
    turnResolved = false;
    turnCut = undefined;
  };
  function currentCut(): LoadedCut | undefined | Error {
    if (turnResolved) return turnCut;
    turnResolved = true;
    setImmediate(endTurn);
    turnCut = resolveCut();
    return turnCut;
  }

  function resolveCut(): LoadedCut | undefined | Error {
    const dir = resolveCurrentDir(root);
    if (!dir) return undefined;
    try {
      return cuts.get(dir);
    } catch (e) {
      return e as Error;
    }
  }

  function statusOf(cut: LoadedCut | undefined | Error, now: number): Record<string, unknown> {
    if (!cut || cut instanceof Error) return { format: "prepcast/site-status@1", status: "no-cut", now: new Date(now).toISOString() };
    const m = cut.manifest;
    if (now < cut.notBeforeMs) return { format: "prepcast/site-status@1", status: "embargo", notBefore: m.notBefore, now: new Date(now).toISOString() };
    const notice = notices.current(now);
    const staleSeconds = Math.max(0, Math.floor((now - cut.corteMs) / 1000));
    const out: Record<string, unknown> = {
      format: "prepcast/site-status@1",
      status: notice ? "suspended" : "live",
      process: m.process,
      channel: m.channel,
      simulacro: m.channel === "simulacro",
      sequence: m.sequence,
      corte: m.corte,
      corteLocal: `${formatMx(cut.corteMs)} (UTC-6)`,
      manifestSha256: cut.manifestSha256,
      notBefore: m.notBefore,
      expires: m.expires ?? null,
      now: new Date(now).toISOString(),
      staleSeconds,
      stale: now - cut.corteMs > staleAfter,
      final: false,
    };
    if (m.final !== undefined) {
      // the OPLE's last cut: no newer one will come, so its age is no alarm; it stays up until the
      // signed end of publication (and after it, the results are simply the last ones)
      out.final = true;
      out.publishUntil = m.final.publishUntil;
      out.publishUntilLocal = `${formatMx(Date.parse(m.final.publishUntil))} (UTC-6)`;
      out.publicationEnded = now > Date.parse(m.final.publishUntil);
      out.stale = false;
    }
    if (notice) out.notice = { title: notice.title, text: notice.text };
    return out;
  }

  function clientIp(req: IncomingMessage): string {
    return pickClientIp(req.socket.remoteAddress ?? "", opts.trustProxy ? forwardedFor(req.headers["x-forwarded-for"]) : undefined, trustedHops);
  }

  /** The path as the analytics store keeps it: a path of the live cut, or one placeholder (a client cannot fill the store with paths of its choosing). */
  function storedPath(path: string, status: number): string {
    if (path.length > HIT_LIMITS.path) return OTHER_PATH;
    if (path.startsWith("/.well-known/")) return status < 400 ? path : OTHER_PATH;
    const loaded = currentCut();
    const cut = loaded instanceof Error ? undefined : loaded;
    if (!cut) return OTHER_PATH;
    let rel = path.slice(1);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    return cut.files.has(rel) || cut.files.has(`${rel}/index.html`) ? path : OTHER_PATH;
  }

  function record(req: IncomingMessage, res: ServerResponse, path: string, html: boolean, bytes: number): void {
    if (!opts.analytics) return;
    const dest = req.headers["sec-fetch-dest"];
    opts.analytics.record({
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

  function sendSimple(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string>, path: string): void {
    const buf = typeof body === "string" ? Buffer.from(body) : body;
    res.statusCode = status;
    res.setHeader("Content-Type", type);
    res.setHeader("Content-Length", buf.length);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.end(req.method === "HEAD" ? undefined : buf);
    record(req, res, path, type.startsWith("text/html"), req.method === "HEAD" ? 0 : buf.length);
  }

  async function bytesOf(rt: CutRuntime, key: string, abs: string, size: number, sha256: string): Promise<Buffer | undefined> {
    const cached = rt.memory.get(key);
    if (cached) return cached;
    if (size > maxMemFile) return undefined;
    let p = rt.loading.get(key);
    if (!p) {
      p = fsp.readFile(abs).then((buf) => {
        if (buf.length !== size || createHash("sha256").update(buf).digest("hex") !== sha256) {
          throw Object.assign(new Error(`${abs} does not match the signed manifest (sha256/size)`), { integrity: true });
        }
        if (rt.memoryBytes + buf.length <= MEMORY_BUDGET_PER_CUT) {
          rt.memory.set(key, buf);
          rt.memoryBytes += buf.length;
        }
        return buf;
      });
      rt.loading.set(key, p);
      p.then(() => rt.loading.delete(key), () => rt.loading.delete(key));
    }
    return p;
  }

  async function serveFile(req: IncomingMessage, res: ServerResponse, cut: LoadedCut, file: CutFile, urlPath: string): Promise<void> {
    const rt = runtimeFor(cut);
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
      buf = await bytesOf(rt, key, abs, totalSize, sha);
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

  /**
   * Time-on-page beacons: only from the site's own pages (Origin absent or this Host) or from a
   * portal listed in frameAncestors, for a page the live cut has (own pages) — anything else is
   * answered 204 and not recorded, so a script cannot fill the store with rows of its choosing.
   */
  function beaconOrigin(req: IncomingMessage): "own" | "portal" | null {
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

  function handleBeacon(req: IncomingMessage, res: ServerResponse): void {
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
      const ok = parsed !== null && typeof parsed === "object" && typeof parsed.path === "string" && parsed.path.startsWith("/") && parsed.path.length <= HIT_LIMITS.path && typeof parsed.ms === "number" && Number.isFinite(parsed.ms) && parsed.ms >= 0;
      res.statusCode = ok ? 204 : 400;
      res.setHeader("Access-Control-Allow-Origin", "*");
      res.end();
      if (!ok || !opts.analytics) return;
      const from = beaconOrigin(req);
      if (from === null) return;
      const path = parsed.path as string;
      // own pages: only a page the live cut has; a portal's pages are its own (kept short)
      if (from === "own" && storedPath(path, 200) === OTHER_PATH) return;
      if (from === "portal" && path.length > 256) return;
      opts.analytics.record({
        time: clock(),
        ip: clientIp(req),
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

  function handleWellKnown(req: IncomingMessage, res: ServerResponse, path: string, cut: LoadedCut | undefined, now: number): void {
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (path === "/.well-known/prepcast.json") {
      sendSimple(req, res, 200, "application/json; charset=utf-8", JSON.stringify(statusOf(cut, now)), { "Cache-Control": "no-cache" }, path);
      return;
    }
    const name = path.slice("/.well-known/prepcast/".length);
    if (WELL_KNOWN_FILES.has(name)) {
      if (!cut || now < cut.notBeforeMs) {
        sendSimple(req, res, 503, "text/plain; charset=utf-8", "sin corte publicado\n", { "Cache-Control": "no-store" }, path);
        return;
      }
      const bytes = cut.signed[name as keyof LoadedCut["signed"]];
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
    const asset = name === "banner.js" ? { type: "text/javascript; charset=utf-8", body: BANNER_JS, csp: undefined }
      : name === "banner.html" ? { type: "text/html; charset=utf-8", body: BANNER_HTML, csp: bannerCsp }
      : verifier.get(name);
    if (asset) {
      if (asset.csp) res.setHeader("Content-Security-Policy", asset.csp);
      else if (asset.type.startsWith("text/html")) res.setHeader("Content-Security-Policy", ownPageCsp);
      sendSimple(req, res, 200, asset.type, asset.body, { "Cache-Control": "public, max-age=300" }, path);
      return;
    }
    sendSimple(req, res, 404, "text/html; charset=utf-8", notFoundPage(), { "Cache-Control": "no-store" }, path);
  }

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
  const scratch: FastHeaders = { conditional: false, acceptEncoding: undefined, ua: "", referrer: "", dest: "", forwardedFor: undefined };

  function routeFor(rt: CutRuntime, cut: LoadedCut, path: string): FastRoute | undefined {
    let route = rt.routes.get(path);
    if (route) return route;
    let rel = path.slice(1);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = cut.files.get(rel);
    if (!file) return undefined;
    route = { file, html: file.contentType.startsWith("text/html"), variants: rt.variants?.get(file.path) ?? [], reps: new Map() };
    if (rt.routes.size < 100_000) rt.routes.set(path, route);
    return route;
  }

  /**
   * The common case in one step: a live cut, no notice, a GET/HEAD of a listed file already verified
   * in memory, no Range or validators. Headers go out as one precomputed raw array and the body in
   * the same write; the request headers are read from rawHeaders without building req.headers.
   */
  function tryFast(req: IncomingMessage, res: ServerResponse, path: string, cut: LoadedCut, now: number): boolean {
    if (now < cut.notBeforeMs) return false;
    const h = scanHeaders(req.rawHeaders, scratch);
    if (h.conditional || notices.current(now)) return false;
    const rt = runtimeFor(cut);
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
      const headers = ["Content-Type", file.contentType, "Content-Length", String(body.length), "ETag", variant ? `"${file.sha256}.${variant.encoding}"` : file.etag, "Cache-Control", file.cacheControl, "Accept-Ranges", "bytes"];
      if (file.compressible) headers.push("Vary", "Accept-Encoding");
      if (variant) headers.push("Content-Encoding", variant.encoding);
      headers.push("X-PREP-Corte", cut.manifest.corte, "X-Content-Type-Options", "nosniff", "Referrer-Policy", "strict-origin-when-cross-origin", "Content-Security-Policy", csp);
      rep = { body, headers };
      route.reps.set(encoding, rep);
    }
    res.writeHead(200, rep.headers);
    const head = req.method === "HEAD";
    res.end(head ? undefined : rep.body);
    if (opts.analytics) {
      const ip = pickClientIp(req.socket.remoteAddress ?? "", trustedHops > 0 ? h.forwardedFor : undefined, trustedHops);
      // the route exists in the live cut: its path is stored as is (routes are only made for listed files)
      opts.analytics.record({ time: now, ip, ua: h.ua.length > HIT_LIMITS.ua ? h.ua.slice(0, HIT_LIMITS.ua) : h.ua, method: req.method!, path, status: 200, bytes: head ? 0 : rep.body.length, referrer: referrerOrigin(h.referrer), dest: h.dest.slice(0, HIT_LIMITS.dest), html: route.html });
    }
    return true;
  }

  const handle: Handler = (req, res) => {
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
    let path: string;
    try {
      path = rawPath.includes("%") ? decodeURIComponent(rawPath) : rawPath;
    } catch {
      path = "";
    }
    const now = clock();
    const loaded = currentCut();
    if (loaded instanceof Error) log.error({ code: (loaded as { code?: string }).code ?? "STATE_INVALID", err: loaded.message }, "the live cut cannot be read");
    const cut = loaded instanceof Error ? undefined : loaded;
    if (cut && (req.method === "GET" || req.method === "HEAD") && path.startsWith("/") && !path.startsWith("/.well-known/") && !path.includes("\0") && tryFast(req, res, path, cut, now)) return;
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("Referrer-Policy", "strict-origin-when-cross-origin");
    res.setHeader("Content-Security-Policy", csp);
    const live = cut && now >= cut.notBeforeMs ? cut : undefined;
    res.setHeader("X-PREP-Corte", live ? live.manifest.corte : "none");
    if (!path.startsWith("/") || path.includes("\0")) {
      sendSimple(req, res, 400, "text/plain; charset=utf-8", "ruta inválida\n", { "Cache-Control": "no-store" }, rawPath.slice(0, 512));
      return;
    }
    if (path === "/.well-known/prepcast/beacon") {
      if (req.method === "POST") return handleBeacon(req, res);
      if (req.method === "OPTIONS") {
        res.writeHead(204, { "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "Content-Type", "Access-Control-Max-Age": "86400" });
        res.end();
        return;
      }
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      sendSimple(req, res, 405, "text/plain; charset=utf-8", "método no permitido\n", { Allow: ALLOWED, "Cache-Control": "no-store" }, path);
      return;
    }
    if (path === "/.well-known/prepcast.json" || path.startsWith("/.well-known/prepcast/")) {
      handleWellKnown(req, res, path, cut, now);
      return;
    }
    if (!cut) {
      sendSimple(req, res, 503, "text/html; charset=utf-8", noCutPage(), { "Cache-Control": "no-store", "Retry-After": "60" }, path);
      return;
    }
    if (now < cut.notBeforeMs) {
      const retry = Math.max(1, Math.ceil((cut.notBeforeMs - now) / 1000));
      sendSimple(req, res, 503, "text/html; charset=utf-8", embargoPage(cut.notBeforeMs), { "Cache-Control": "no-store", "Retry-After": String(retry) }, path);
      return;
    }
    let rel = path.slice(1);
    if (rel === "" || rel.endsWith("/")) rel += "index.html";
    const file = cut.files.get(rel);
    const notice = notices.current(now);
    if (notice) {
      // HTML navigations get the notice as a normal page (200) so portals and iframes show it;
      // everything else (data, assets) gets 503 so no client or cache keeps using results.
      // Only for a page the cut has: any other path is a 404 (with the notice), never a fake page view.
      const exists = !!file || cut.files.has(`${rel}/index.html`);
      const navigation = exists && (rel.endsWith("index.html") || isHtmlPath(rel) || req.headers["sec-fetch-dest"] === "document" || req.headers["sec-fetch-dest"] === "iframe");
      sendSimple(req, res, navigation ? 200 : exists ? 503 : 404, "text/html; charset=utf-8", noticePage(notice.title, notice.text, notice.issuedAtMs), { "Cache-Control": "no-store", ...(navigation || !exists ? {} : { "Retry-After": "300" }) }, path);
      return;
    }
    if (!file) {
      if (cut.files.has(`${rel}/index.html`)) {
        const target = `${rawPath}/${q === -1 ? "" : rawUrl.slice(q)}`;
        sendSimple(req, res, 301, "text/plain; charset=utf-8", "", { Location: target, "Cache-Control": "public, max-age=300" }, path);
        return;
      }
      sendSimple(req, res, 404, "text/html; charset=utf-8", notFoundPage(), { "Cache-Control": "public, max-age=30" }, path);
      return;
    }
    serveFile(req, res, cut, file, path).catch((e) => {
      log.error({ code: "INTERNAL", path, err: String(e) }, "unexpected error serving a file");
      if (!res.headersSent) sendSimple(req, res, 500, "text/html; charset=utf-8", errorPage(), { "Cache-Control": "no-store" }, path);
      else res.destroy();
    });
  };

  return { handle, status: () => statusOf(currentCut(), clock()), settled: async () => void (await Promise.allSettled([...preparations])) };
}

export interface ListenAddress {
  host: string;
  port: number;
}

/** "HOST:PORT", ":PORT" or "[::1]:PORT" → {host, port}. */
export function parseListen(value: string | ListenAddress | undefined, fallback: ListenAddress): ListenAddress {
  if (value === undefined) return fallback;
  if (typeof value !== "string") return value;
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  if (!m || Number(m[3]) > 65535) throw new TypeError(`listen address "${value}" is not HOST:PORT (example: 0.0.0.0:8080)`);
  return { host: m[1] ?? (m[2] || "0.0.0.0"), port: Number(m[3]) };
}

export interface TlsFiles {
  cert: string;
  key: string;
}

/** A public or admin listener: guarded (400 on what it cannot parse, 500 on a handler error, slow clients cut, connections bounded). */
export function createHttpListener(handle: Handler, tls: TlsFiles | undefined, guard: { name: string; log?: SiteLogger } = { name: "site" }): Server {
  const options = { connectionsCheckingInterval: 2000, maxHeaderSize: 16 * 1024 };
  const server = tls ? createHttpsServer({ ...options, cert: readFileSync(tls.cert), key: readFileSync(tls.key), handshakeTimeout: 10_000 }, handle) : createHttpServer(options, handle);
  guardHttpServer(server, { name: guard.name, ...(guard.log ? { log: guard.log } : {}), keepAliveTimeoutMs: 65_000, headersTimeoutMs: 15_000, requestTimeoutMs: 60_000, maxConnections: 20_000 });
  return server;
}

export async function listenOn(server: Server, addr: ListenAddress): Promise<ListenAddress> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return { host: a.address, port: a.port };
}

/**
 * The push endpoint on the site's HTTPS port (the receiver's push.websocket: true): connections
 * whose TLS SNI is `servername` go to the agent's push endpoint through a push gateway
 * (@prepcast/transport createPushGateway: allowlist before any TLS byte, the push certificate,
 * relayed over the unix socket `socketPath`); every other connection is the public site.
 */
export interface SitePushOptions {
  servername: string;
  /** The push certificate and key files (the certificate the OPLE pins). */
  tls: TlsFiles;
  allowlist: string[];
  socketPath: string;
}

export interface Serving {
  address: ListenAddress;
  /** Stops accepting; open requests finish (idle keep-alive connections are closed). */
  stopListening(): void;
  /** Closes everything now. */
  close(): Promise<void>;
}

/**
 * Listens for `server` on `addr`; with `push`, through a front listener that routes each
 * connection by its TLS SNI before handing the site's connections to `server`.
 */
export async function serveSite(
  server: Server,
  addr: ListenAddress,
  push?: SitePushOptions,
  events: { onRejected?: (info: { address: string; reason: string }) => void; onError?: (message: string) => void } = {},
): Promise<Serving> {
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  if (!push) {
    const address = await listenOn(server, addr);
    return { address, stopListening: () => server.close(), close: closeServer };
  }
  const gateway = createPushGateway({
    servername: push.servername,
    tls: { cert: readFileSync(push.tls.cert), key: readFileSync(push.tls.key) },
    allowlist: push.allowlist,
    socketPath: push.socketPath,
    ...(events.onRejected ? { onRejected: events.onRejected } : {}),
    ...(events.onError ? { onError: events.onError } : {}),
  });
  const front = createNetServer({ noDelay: true }, (socket) => gateway.route(socket, (s) => server.emit("connection", s)));
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(addr.port, addr.host, () => {
      front.off("error", reject);
      resolve();
    });
  });
  const a = front.address() as AddressInfo;
  return {
    address: { host: a.address, port: a.port },
    stopListening() {
      front.close();
      server.close();
    },
    async close() {
      const stopped = new Promise<void>((resolve) => front.close(() => resolve()));
      gateway.close();
      await closeServer();
      await stopped;
    },
  };
}
