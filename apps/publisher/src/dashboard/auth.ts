import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";
import * as fs from "node:fs";
import type { IncomingMessage } from "node:http";
import { PrepcastError } from "@prepcast/protocol";
import type { ResolvedPublisherConfig } from "../service/config";

const scrypt = (password: string, salt: Buffer, keylen: number, opts: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** Password file line: `scrypt$<N>$<r>$<p>$<salt base64>$<hash base64>`. */
export async function hashPassword(password: string, params = { N: 1 << 15, r: 8, p: 1 }): Promise<string> {
  if (password.length < 12) throw new PrepcastError("CONFIG_INVALID", "the dashboard password must have at least 12 characters");
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, { ...params, maxmem: 256 * params.N * params.r });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

interface PasswordHash {
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  key: Buffer;
}

function parsePasswordHash(line: string, file: string): PasswordHash {
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(line.trim());
  const N = Number(m?.[1]);
  if (!m || N < 1024 || (N & (N - 1)) !== 0 || Number(m[2]) < 1 || Number(m[3]) < 1) {
    throw new PrepcastError("CONFIG_INVALID", `${file} is not a dashboard password hash`, { where: file, hint: "create it with `prep-publisher admin-password --out FILE`" });
  }
  return { N, r: Number(m[2]), p: Number(m[3]), salt: Buffer.from(m[4]!, "base64"), key: Buffer.from(m[5]!, "base64") };
}

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

/**
 * Who may use the admin listener. Credentials: a bearer token (admin.tokenFile; the CLI sends it,
 * the dashboard login accepts it) and/or a password stored as an scrypt hash (admin.passwordFile).
 * Browser sessions are random ids in an HttpOnly, SameSite=Strict cookie, kept in memory; every
 * state-changing request from a browser must also carry the session's CSRF token in a header.
 * Requests naming another Host are refused (DNS rebinding). With no credential configured the
 * API keeps answering local CLI calls but the dashboard stays locked.
 */
export class AdminAuth {
  private readonly sessions = new Map<string, Session>();
  private failures: number[] = [];

  constructor(
    private readonly token: string | null,
    private readonly password: PasswordHash | null,
    private readonly allowedHosts: Set<string> | null,
  ) {}

  static fromConfig(config: ResolvedPublisherConfig, listen: { host: string; port: number }): AdminAuth {
    const read = (file: string) => {
      try {
        return fs.readFileSync(file, "utf8").trim();
      } catch (e) {
        throw new PrepcastError("CONFIG_INVALID", `cannot read ${file}: ${(e as Error).message}`, { where: file });
      }
    };
    const token = config.admin.tokenFile ? read(config.admin.tokenFile) : null;
    if (token !== null && token.length < 16) throw new PrepcastError("CONFIG_INVALID", `${config.admin.tokenFile}: the admin token must have at least 16 characters`, { where: config.admin.tokenFile });
    const password = config.admin.passwordFile ? parsePasswordHash(read(config.admin.passwordFile), config.admin.passwordFile) : null;
    const wildcard = listen.host === "0.0.0.0" || listen.host === "::";
    const hosts = wildcard ? null : new Set([listen.host, "127.0.0.1", "localhost", "[::1]", ...(listen.host.includes(":") ? [`[${listen.host}]`] : [])]);
    return new AdminAuth(token, password, hosts);
  }

  /** Whether any credential is configured (the dashboard needs one). */
  get configured(): boolean {
    return this.token !== null || this.password !== null;
  }

  /** The Host header names this listener (a loopback name and the port it is bound to). */
  hostOk(req: IncomingMessage): boolean {
    if (!this.allowedHosts) return true;
    const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+):(\d{1,5})$/.exec(String(req.headers.host ?? "").toLowerCase());
    return !!m && this.allowedHosts.has(m[1]!) && Number(m[2]) === req.socket.localPort;
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
    if (s.expiresAt < Date.now()) {
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
    if (req.method === "GET" || req.method === "HEAD") return req.headers["sec-fetch-site"] === undefined || req.headers["sec-fetch-site"] === "same-origin" || req.headers["sec-fetch-site"] === "none";
    return String(req.headers["content-type"] ?? "").startsWith("application/json") && req.headers.origin === undefined;
  }

  /** Checks a login secret (the token or the password); rate limited to 10 failures a minute. */
  async login(secret: string): Promise<Session | "locked" | null> {
    const now = Date.now();
    this.failures = this.failures.filter((t) => now - t < 60_000);
    if (this.failures.length >= 10) return "locked";
    let ok = false;
    if (this.token !== null && sameSecret(secret, this.token)) ok = true;
    if (!ok && this.password && secret.length > 0 && secret.length <= 1024) {
      const p = this.password;
      const key = await scrypt(secret, p.salt, p.key.length, { N: p.N, r: p.r, p: p.p, maxmem: 256 * p.N * p.r + 1024 * 1024 });
      ok = timingSafeEqual(key, p.key);
    }
    if (!ok) {
      this.failures.push(now);
      return null;
    }
    const s: Session = { id: randomBytes(32).toString("base64url"), csrf: randomBytes(32).toString("base64url"), createdAt: now, expiresAt: now + SESSION_MS };
    this.sessions.set(s.id, s);
    return s;
  }

  logout(req: IncomingMessage): void {
    const s = this.session(req);
    if (s) this.sessions.delete(s.id);
  }

  cookieFor(s: Session): string {
    return `${SESSION_COOKIE}=${s.id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(SESSION_MS / 1000)}`;
  }
}
