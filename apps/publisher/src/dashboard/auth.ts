import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import type { IncomingMessage } from "node:http";
import { hostChecker, isWildcardHost, PrepcastError } from "@prepcast/protocol";
import type { ResolvedPublisherConfig } from "../service/config";
import { parsePasswordHash, scrypt, type PasswordHash } from "./password-hash";

export { hashPassword, parsePasswordHash } from "./password-hash";

export interface Session {
  id: string;
  csrf: string;
  createdAt: number;
  expiresAt: number;
}

export const SESSION_COOKIE = "prepcast_session";
const SESSION_MS = 12 * 3600_000;

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Password attempts a source (remote address) may have in flight or failed within a minute. */
export const LOGIN_FAILURES_PER_MINUTE = 10;
/** scrypt hashes computed at once (each takes a libuv thread, shared with file I/O). */
export const LOGIN_CONCURRENT_HASHES = 1;
/** Password attempts waiting for a hash slot; beyond this the attempt is answered "busy". */
export const LOGIN_QUEUE = 8;
const MAX_SESSIONS = 256;
const MAX_SOURCES = 10_000;

export type LoginResult = Session | "locked" | "busy" | null;

/**
 * Who may use the admin listener. Credentials: a bearer token (admin.tokenFile; the CLI sends it,
 * the dashboard login accepts it) and/or a password stored as an scrypt hash (admin.passwordFile).
 * Browser sessions are random ids in an HttpOnly, SameSite=Strict cookie (Secure over TLS), kept
 * in memory and swept when they expire; every state-changing request from a browser must also
 * carry the session's CSRF token in a header. Requests naming another Host are refused (DNS
 * rebinding; a wildcard listen answers only to loopback names and admin.allowedHosts). With no
 * credential configured the API keeps answering local CLI calls but the dashboard stays locked.
 *
 * Login: the right token always gets in (a brute force of a 16+ character random token is not a
 * threat, and so nobody can lock the operators out); password attempts are limited per source,
 * the slot being reserved before the hash is computed, and at most LOGIN_CONCURRENT_HASHES run at
 * once with LOGIN_QUEUE waiting: a burst is answered 429/503 at once instead of queueing scrypt.
 */
export class AdminAuth {
  private readonly sessions = new Map<string, Session>();
  /** Per source: times of failed attempts in the last minute, and attempts being hashed. */
  private readonly sources = new Map<string, { failures: number[]; inFlight: number }>();
  private hashing = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly sweeper: NodeJS.Timeout;
  private readonly hostOkFn: (host: string | undefined, port: number | undefined) => boolean;

  constructor(
    private readonly token: string | null,
    private readonly password: PasswordHash | null,
    allowedHosts: { listenHost: string; extra: readonly string[] } | null,
    private readonly now: () => number = Date.now,
  ) {
    this.hostOkFn = allowedHosts ? hostChecker(allowedHosts.listenHost, allowedHosts.extra) : () => true;
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  static fromConfig(config: ResolvedPublisherConfig, listen: { host: string; port: number }): AdminAuth {
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, "utf8").trim();
      } catch (e) {
        throw new PrepcastError("CONFIG_INVALID", `cannot read ${file}: ${(e as Error).message}`, { where: file });
      }
    };
    const token = config.admin.tokenFile ? read(config.admin.tokenFile) : null;
    if (token !== null && token.length < 16)
      throw new PrepcastError("CONFIG_INVALID", `${config.admin.tokenFile}: the admin token must have at least 16 characters`, {
        where: config.admin.tokenFile,
      });
    const password = config.admin.passwordFile ? parsePasswordHash(read(config.admin.passwordFile), config.admin.passwordFile) : null;
    if (isWildcardHost(listen.host) && token === null && password === null) {
      throw new PrepcastError("CONFIG_INVALID", `${config.file}: admin.listen ${listen.host}:${listen.port} is every interface, and no credential is set`, {
        where: `${config.file}: admin.listen`,
        hint: "bind the admin listener to 127.0.0.1 (and tunnel to it), or set admin.tokenFile and/or admin.passwordFile, and list the names it is reached by in admin.allowedHosts",
      });
    }
    return new AdminAuth(token, password, { listenHost: listen.host, extra: config.admin.allowedHosts ?? [] });
  }

  /** Drops expired sessions and idle per-source counters (also run every minute). */
  sweep(): void {
    const now = this.now();
    for (const [id, s] of this.sessions) if (s.expiresAt < now) this.sessions.delete(id);
    for (const [src, st] of this.sources) {
      st.failures = st.failures.filter((t) => now - t < 60_000);
      if (st.failures.length === 0 && st.inFlight === 0) this.sources.delete(src);
    }
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Whether any credential is configured (the dashboard needs one). */
  get configured(): boolean {
    return this.token !== null || this.password !== null;
  }

  /** The Host header names this listener (a loopback name, its own address or admin.allowedHosts, with its port). */
  hostOk(req: IncomingMessage): boolean {
    return this.hostOkFn(req.headers.host, req.socket.localPort);
  }

  /** Same-origin check for browser POSTs (Origin is sent by every current browser on POST). */
  originOk(req: IncomingMessage): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      return new URL(origin).host === String(req.headers.host ?? "").toLowerCase();
    } catch {
      return false;
    }
  }

  bearer(req: IncomingMessage): boolean {
    const h = req.headers.authorization;
    return this.token !== null && typeof h === "string" && h.startsWith("Bearer ") && sameSecret(h.slice(7), this.token);
  }

  session(req: IncomingMessage): Session | null {
    const cookie = String(req.headers.cookie ?? "");
    const m = new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([A-Za-z0-9_-]{43})(?:;|$)`).exec(cookie);
    if (!m) return null;
    const s = this.sessions.get(m[1]!);
    if (!s) return null;
    if (s.expiresAt < this.now()) {
      this.sessions.delete(s.id);
      return null;
    }
    return s;
  }

  /** API access: bearer; or a session (plus its CSRF header on anything but GET); or, with no credential configured, a local non-browser call. */
  allows(req: IncomingMessage): boolean {
    if (!this.hostOk(req)) return false;
    if (this.bearer(req)) return true;
    const s = this.session(req);
    if (s) {
      if (req.method === "GET" || req.method === "HEAD") return true;
      const h = req.headers["x-csrf-token"];
      return typeof h === "string" && sameSecret(h, s.csrf) && this.originOk(req);
    }
    if (this.configured) return false;
    // no credential configured: only requests a web page cannot forge (JSON bodies need a preflight)
    if (req.method === "GET" || req.method === "HEAD")
      return req.headers["sec-fetch-site"] === undefined || req.headers["sec-fetch-site"] === "same-origin" || req.headers["sec-fetch-site"] === "none";
    return String(req.headers["content-type"] ?? "").startsWith("application/json") && req.headers.origin === undefined;
  }

  /** Checks a login secret (the token or the password) from `source` (the remote address). */
  async login(secret: string, source = "unknown"): Promise<LoginResult> {
    if (this.token !== null && sameSecret(secret, this.token)) return this.newSession();
    if (!this.password || secret.length === 0 || secret.length > 1024) {
      // no hash to compute: a wrong token is still a failure of this source
      const st = this.sourceState(source);
      if (st.failures.length + st.inFlight >= LOGIN_FAILURES_PER_MINUTE) return "locked";
      st.failures.push(this.now());
      return null;
    }
    const st = this.sourceState(source);
    // The slot is reserved before the hash: a burst of N attempts gets at most the limit hashed.
    if (st.failures.length + st.inFlight >= LOGIN_FAILURES_PER_MINUTE) return "locked";
    if (this.hashing >= LOGIN_CONCURRENT_HASHES && this.waiting.length >= LOGIN_QUEUE) return "busy";
    st.inFlight++;
    let ok = false;
    try {
      await this.hashSlot();
      try {
        const p = this.password;
        const key = await scrypt(secret, p.salt, p.key.length, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 });
        ok = timingSafeEqual(key, p.key);
      } finally {
        this.releaseHashSlot();
      }
    } finally {
      st.inFlight--;
      if (!ok) st.failures.push(this.now());
    }
    return ok ? this.newSession() : null;
  }

  private sourceState(source: string): { failures: number[]; inFlight: number } {
    let st = this.sources.get(source);
    if (!st) {
      if (this.sources.size >= MAX_SOURCES) this.sweep();
      st = { failures: [], inFlight: 0 };
      // Still full after the sweep (a distributed flood): share one bucket rather than grow.
      this.sources.set(this.sources.size >= MAX_SOURCES ? "(many)" : source, st);
    }
    const now = this.now();
    st.failures = st.failures.filter((t) => now - t < 60_000);
    return st;
  }

  private hashSlot(): Promise<void> {
    if (this.hashing < LOGIN_CONCURRENT_HASHES) {
      this.hashing++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.waiting.push(() => {
        this.hashing++;
        resolve();
      }),
    );
  }

  private releaseHashSlot(): void {
    this.hashing--;
    this.waiting.shift()?.();
  }

  private newSession(): Session {
    const now = this.now();
    if (this.sessions.size >= MAX_SESSIONS) {
      this.sweep();
      // still full: the oldest session goes (Map keeps insertion order)
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    }
    const s: Session = { id: randomBytes(32).toString("base64url"), csrf: randomBytes(32).toString("base64url"), createdAt: now, expiresAt: now + SESSION_MS };
    this.sessions.set(s.id, s);
    return s;
  }

  logout(req: IncomingMessage): void {
    const s = this.session(req);
    if (s) this.sessions.delete(s.id);
  }

  /** The session cookie; `Secure` when the request came over TLS (directly, or through a proxy that says so). */
  cookieFor(s: Session, req?: IncomingMessage): string {
    return `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(SESSION_MS / 1000)}${req && overTls(req) ? "; Secure" : ""}`;
  }

  /** The cookie that ends a session (Secure under the same rule). */
  clearCookie(req?: IncomingMessage): string {
    return `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0${req && overTls(req) ? "; Secure" : ""}`;
  }
}

/** The request reached us over TLS: on a TLS socket, or through a proxy that set X-Forwarded-Proto: https. */
export function overTls(req: IncomingMessage): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted) return true;
  const xfp = req.headers["x-forwarded-proto"];
  return typeof xfp === "string" && xfp.split(",")[0]!.trim().toLowerCase() === "https";
}
