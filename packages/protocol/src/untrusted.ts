// What a peer, a visitor or a request sends is untrusted: before it reaches a log line, the audit
// log, an incident, a metric label, a CSV cell or an HTML page it is bounded and made inert here.
// And every HTTP listener goes through guardHttpServer: a request it cannot parse is answered 400,
// a handler that throws is answered 500 and logged, and neither ever reaches the process.
import * as fs from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";

/**
 * Reads a whole untrusted file from an open descriptor, refusing one that is not a regular file or
 * is larger than `max` bytes before reading anything (`refuse` builds the caller's typed error).
 * Reads at most what fstat reported, so a file growing meanwhile is not read past it.
 */
export function readBoundedFd(fd: number, max: number, refuse: (problem: "not-a-file" | "too-large", size: number) => Error): Buffer {
  const st = fs.fstatSync(fd);
  if (!st.isFile()) throw refuse("not-a-file", st.size);
  if (st.size > max) throw refuse("too-large", st.size);
  const buf = Buffer.alloc(st.size);
  let off = 0;
  while (off < buf.length) {
    const n = fs.readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/**
 * A peer-supplied string as it may be logged or stored: at most `max` characters (UTF-16 units),
 * control characters, lone surrogates and bidi overrides replaced by U+FFFD, and a marker with the
 * original length when cut. Non-strings become their type name (never their content).
 */
export function peerText(value: unknown, max = 128): string {
  if (typeof value !== "string") return value === undefined || value === null ? "" : `(${typeof value})`;
  const cut = value.length > max;
  // eslint-disable-next-line no-control-regex
  let s = (cut ? value.slice(0, max) : value).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, "\ufffd");
  s = s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
  return cut ? `${s}…(${value.length} chars)` : s;
}

/** A CSV cell safe to open in a spreadsheet: quoted when needed (`"`, `,`, CR, LF), and a text that a spreadsheet would read as a formula (= + - @ tab CR) is prefixed with `'`. Numbers pass as numbers. */
export function csvCell(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "";
  let s = String(v);
  if (/^[=+\-@\t\r\n|%]/.test(s) || /^\s*[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRows(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return rows.map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

/** HTML text or attribute value (double- or single-quoted) with nothing left that markup can use. */
export function escapeHtmlText(s: unknown): string {
  return String(s ?? "").replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface RequestTarget {
  pathname: string;
  searchParams: URLSearchParams;
}

const TARGET_BASE = "http://request.invalid";

/**
 * Parses a request target without ever throwing: origin-form ("/a?b") is resolved against a fixed
 * origin, so "//host/x" stays a path and never changes the host; absolute-form keeps only its path
 * and query; anything else ("*", authority-form, garbage, over 8 KiB) is null (answer 400).
 */
export function parseRequestTarget(raw: string | undefined): RequestTarget | null {
  if (raw === undefined || raw.length === 0 || raw.length > 8192) return null;
  // a "%" not followed by two hex digits is not a URL (RFC 3986): 400, not a guess
  if (/%(?![0-9a-fA-F]{2})/.test(raw)) return null;
  try {
    if (raw.startsWith("/")) {
      const u = new URL(TARGET_BASE + raw);
      if (u.origin !== TARGET_BASE) return null;
      return { pathname: u.pathname, searchParams: u.searchParams };
    }
    if (/^https?:\/\//i.test(raw)) {
      const u = new URL(raw);
      return { pathname: u.pathname, searchParams: u.searchParams };
    }
  } catch {
    return null;
  }
  return null;
}

export interface GuardLog {
  error(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

export interface GuardOptions {
  /** Which listener, for the log line ("admin", "site", "stats", "dashboard"). */
  name: string;
  log?: GuardLog;
  /** Time to receive all the request headers (slowloris); default 10 s. */
  headersTimeoutMs?: number;
  /** Time to receive the whole request; default 30 s. */
  requestTimeoutMs?: number;
  /** Idle keep-alive connections are closed after this; default 5 s. */
  keepAliveTimeoutMs?: number;
  /** At most this many headers per request (default 100; a request with more is answered 431). */
  maxHeadersCount?: number;
  /** Connections open at once on this listener (default 1024): beyond, new ones are closed. */
  maxConnections?: number;
}

const stderrGuardLog: GuardLog = { error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: "error", msg, ...obj })}\n`) };

function answer(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent || res.writableEnded) {
    res.destroy();
    return;
  }
  const body = Buffer.from(text);
  try {
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": body.length,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      connection: "close",
    });
    res.end(body);
  } catch {
    res.destroy();
  }
}

/** Answers 400 "bad request" with no detail taken from the request. */
export function badRequest(res: ServerResponse, why = "solicitud inválida"): void {
  answer(res, 400, `${why}\n`);
}

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown;

/**
 * Wraps a request listener so that nothing it throws, synchronously or as a rejected promise,
 * leaves the request: the client gets a 500 (or the socket is closed if the answer had started)
 * and the error is logged without any request data.
 */
export function safeListener(name: string, handler: Listener, log: GuardLog = stderrGuardLog, maxHeaders = 0): Listener {
  const fail = (req: IncomingMessage, res: ServerResponse, e: unknown): void => {
    try {
      log.error(
        { listener: name, code: "INTERNAL", method: peerText(req.method, 16), err: peerText(e instanceof Error ? e.message : String(e), 300) },
        "an HTTP handler failed; answered 500, the listener keeps serving",
      );
    } catch {
      /* a broken logger must not break the listener either */
    }
    answer(res, 500, "error interno\n");
  };
  return (req, res) => {
    try {
      // RFC 9112 3.2: more than one Host is a 400 (which one would a proxy and we each believe?)
      let hosts = 0;
      for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.length === 4 && req.rawHeaders[i]!.toLowerCase() === "host") hosts++;
      if (hosts > 1) return badRequest(res);
      // node:http stops collecting at maxHeadersCount: reaching it means the request had more
      if (maxHeaders > 0 && req.rawHeaders.length >= 2 * maxHeaders) return answer(res, 431, "demasiados encabezados\n");
      const r = handler(req, res);
      if (r && typeof (r as Promise<unknown>).then === "function") (r as Promise<unknown>).then(undefined, (e: unknown) => fail(req, res, e));
    } catch (e) {
      fail(req, res, e);
    }
  };
}

/**
 * Hardens a node:http(s) server: timeouts against slow clients, a bound on headers and on open
 * connections, a 400/408/431 answer (never an exception) for what the parser refuses, and every
 * 'request' listener wrapped by safeListener. Call it after the server is created, before listen.
 */
export function guardHttpServer<S extends Server>(server: S, opts: GuardOptions): S {
  const log = opts.log ?? stderrGuardLog;
  server.headersTimeout = opts.headersTimeoutMs ?? 10_000;
  server.requestTimeout = opts.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  const maxHeaders = opts.maxHeadersCount ?? 100;
  server.maxHeadersCount = maxHeaders;
  server.maxConnections = opts.maxConnections ?? 1024;
  // Node checks the timeouts every connectionsCheckingInterval (30 s by default): slowloris
  // connections would be held that long beyond the deadline.
  const listeners = server.listeners("request") as Listener[];
  server.removeAllListeners("request");
  for (const l of listeners) server.on("request", safeListener(opts.name, l, log, maxHeaders));
  // CONNECT and Upgrade requests leave node:http's request handling: without a listener the socket
  // would be held with no timeout at all. Answered and closed here (unless someone attached a
  // WebSocket endpoint to this server: then its own 'upgrade' listener answers).
  const refuse = (status: string) => (_req: IncomingMessage, socket: import("node:stream").Duplex) => {
    socket.on("error", () => undefined);
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  server.on("connect", refuse("405 Method Not Allowed"));
  const refuseUpgrade = refuse("400 Bad Request");
  server.on("upgrade", (req: IncomingMessage, socket: import("node:stream").Duplex) => {
    if (server.listenerCount("upgrade") > 1) return;
    refuseUpgrade(req, socket);
  });
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const status =
      err.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : err.code === "ERR_HTTP_REQUEST_TIMEOUT" || err.code === "ETIMEDOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
    (socket as { destroySoon?: () => void }).destroySoon?.();
  });
  return server;
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

export function isWildcardHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "[::]" || host === "";
}

/**
 * The Host names an admin listener answers to: loopback names, its own bound address (unless a
 * wildcard) and the configured ones. Entries may carry a port; without one the listener's port
 * is required.
 */
export function hostChecker(
  listenHost: string,
  allowedHosts: readonly string[] = [],
): (hostHeader: string | undefined, localPort: number | undefined) => boolean {
  const own = isWildcardHost(listenHost) ? [] : [listenHost.includes(":") && !listenHost.startsWith("[") ? `[${listenHost}]` : listenHost];
  const names = new Set<string>();
  const withPort = new Set<string>();
  for (const h of [...LOOPBACK_NAMES, ...own, ...allowedHosts]) {
    const v = h.trim().toLowerCase().replace(/\.$/, "");
    if (/:\d{1,5}$/.test(v) && !/^\[[^\]]*\]$/.test(v)) withPort.add(v);
    else names.add(v);
  }
  return (hostHeader, localPort) => {
    const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+?)\.?(?::(\d{1,5}))?$/.exec(
      String(hostHeader ?? "")
        .trim()
        .toLowerCase(),
    );
    if (!m) return false;
    const name = m[1]!;
    const port = m[2] === undefined ? undefined : Number(m[2]);
    if (port !== undefined && withPort.has(`${name}:${port}`)) return true;
    return names.has(name) && (port ?? 80) === localPort;
  };
}

/**
 * Aggregates a flood of similar records (auth failures, refused connections): the first
 * `perWindow` of each window are recorded one by one, the rest only counted; the count is handed
 * back once the window is over, for one summary record. Bounded however fast the peer is.
 */
export class EventThrottle {
  private windowStart = -Infinity;
  private recorded = 0;
  private suppressed = 0;

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** record: write this one in full. summary: records suppressed in the window that just ended (write one line for them). */
  take(): { record: boolean; summary: number } {
    const t = this.now();
    let summary = 0;
    if (t - this.windowStart >= this.windowMs) {
      summary = this.suppressed;
      this.windowStart = t;
      this.recorded = 0;
      this.suppressed = 0;
    }
    if (this.recorded < this.perWindow) {
      this.recorded++;
      return { record: true, summary };
    }
    this.suppressed++;
    return { record: false, summary };
  }

  /** The suppressed count not yet reported (on stop, or from a timer); resets it. */
  drain(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}

/** Exit code after an uncaught exception: EX_SOFTWARE (70), for the supervisor to restart the service. */
export const EXIT_UNCAUGHT = 70;

let lastResortInstalled = false;

/**
 * The process-level last resort: an exception or rejection nothing caught is logged as one JSON
 * line (never silently) and the process exits 70 for its supervisor (systemd Restart=on-failure,
 * Docker restart policy) to start it again with a clean state. The listeners themselves answer 400
 * or 500 and never get here; this is for bugs elsewhere.
 */
export function installLastResort(name: string, write: (line: string) => void = (l) => process.stderr.write(l)): void {
  if (lastResortInstalled) return;
  lastResortInstalled = true;
  const die = (kind: string, e: unknown): void => {
    try {
      const err = e instanceof Error ? e : new Error(String(e));
      write(
        `${JSON.stringify({ level: "fatal", time: new Date().toISOString(), name, msg: `${kind}: exiting for a supervised restart`, code: "INTERNAL", err: err.message, stack: err.stack?.split("\n").slice(0, 12).join("\n") })}\n`,
      );
    } finally {
      process.exit(EXIT_UNCAUGHT);
    }
  };
  process.on("uncaughtException", (e) => die("uncaught exception", e));
  process.on("unhandledRejection", (e) => die("unhandled promise rejection", e));
}
