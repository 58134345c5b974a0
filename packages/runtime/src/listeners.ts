// Listen addresses of a service, checked together at start-up: each must be IP:PORT (or
// localhost:PORT), and no two may take the same port on overlapping addresses (0.0.0.0 and ::
// take every address of the machine), so a collision is a configuration error naming both fields
// instead of an EADDRINUSE at run time.
import * as net from "node:net";
import { PrepcastError } from "@prepcast/protocol";

export interface ListenerField {
  /** Dotted config path, e.g. push.listen. */
  field: string;
  /** HOST:PORT or [V6]:PORT as written. */
  value: string;
}

export interface ParsedListener extends ListenerField {
  host: string;
  port: number;
}

/** "host:port" / "[v6]:port" → parts; a message saying what is wrong otherwise. */
export function parseListenAddress(value: string): { host: string; port: number } | string {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  if (!m) return `"${value}" is not HOST:PORT (e.g. 0.0.0.0:8730, 127.0.0.1:8731, [::]:443)`;
  const port = Number(m[3]);
  if (port > 65535) return `port ${port} in "${value}" is above 65535`;
  const host = (m[1] ?? m[2])!;
  if (host !== "localhost" && net.isIP(host) === 0)
    return `"${host}" in "${value}" is not an IP address: listen on an address of this machine (0.0.0.0 for all IPv4, :: for all, 127.0.0.1 for loopback only)`;
  if (m[1] !== undefined && net.isIPv6(host) === false) return `"[${host}]" in "${value}" is not an IPv6 address`;
  if (m[2] !== undefined && net.isIPv6(host)) return `write the IPv6 address in brackets: "[${host}]:${port}"`;
  return { host, port };
}

const WILDCARDS = new Set(["0.0.0.0", "::"]);

function canonicalHost(host: string): string {
  if (host === "localhost") return "127.0.0.1";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host);
  if (mapped) return mapped[1]!;
  if (net.isIPv6(host)) {
    // expand and lowercase so "::1" and "0:0:0:0:0:0:0:1" compare equal
    const sl = new net.SocketAddress({ address: host, family: "ipv6" });
    return sl.address.toLowerCase();
  }
  return host;
}

/** Do two listeners collide? Same port (not 0) and the same address, or one of them a wildcard. */
export function listenersOverlap(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  if (a.port === 0 || b.port === 0 || a.port !== b.port) return false;
  const ha = canonicalHost(a.host);
  const hb = canonicalHost(b.host);
  return ha === hb || WILDCARDS.has(ha) || WILDCARDS.has(hb);
}

/**
 * Checks every listener and every pair: calls `problem(field, message)` for each bad address and
 * each collision (reported at the later field, naming the earlier one). Returns the parsed ones.
 */
export function checkListeners(list: ListenerField[], problem: (field: string, message: string) => void): ParsedListener[] {
  const ok: ParsedListener[] = [];
  for (const l of list) {
    const p = parseListenAddress(l.value);
    if (typeof p === "string") {
      problem(l.field, p);
      continue;
    }
    const clash = ok.find((o) => listenersOverlap(o, p));
    if (clash) {
      const wildcard = WILDCARDS.has(canonicalHost(clash.host)) ? clash : WILDCARDS.has(canonicalHost(p.host)) ? l : null;
      problem(
        l.field,
        `${l.value} collides with ${clash.field} ${clash.value}: both would listen on port ${p.port}${wildcard ? ` (${wildcard.value.replace(/:\d+$/, "")} takes every address of the machine)` : ""}; give ${l.field} or ${clash.field} another port`,
      );
      continue;
    }
    ok.push({ ...l, ...p });
  }
  return ok;
}

function errnoOf(e: unknown): string | undefined {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; cur = (cur as { cause?: unknown }).cause, depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

const LISTEN_HINTS: Record<string, (host: string, port: number, field: string) => string> = {
  EADDRINUSE: (_h, port, field) => `another process holds this address: find it with \`ss -ltnp 'sport = :${port}'\` and stop it, or change ${field}`,
  EACCES: (_h, port, field) =>
    `ports below 1024 need root or CAP_NET_BIND_SERVICE (the systemd unit grants it; a container needs it too): grant it, or choose a port >= 1024 in ${field} (${port})`,
  EADDRNOTAVAIL: (host, _p, field) => `${host} is not an address of this machine (\`ip -br addr\`): use one of its addresses, or 0.0.0.0, in ${field}`,
};

/**
 * Runs `listen` and turns a failure to bind into an error naming the address, the config field and
 * the file. It is not a configuration error (exit 1, not 78): a port held by another process may
 * be free at the next start, so supervisors keep retrying.
 */
export async function bindListener<T>(file: string, field: string, value: string, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen();
  } catch (e) {
    const code = errnoOf(e);
    if (code === undefined) throw e;
    const parsed = parseListenAddress(value);
    const { host, port } = typeof parsed === "string" ? { host: value, port: 0 } : parsed;
    throw new PrepcastError("UNAVAILABLE", `cannot listen on ${value} (${field} in ${file}): ${code}`, {
      where: file,
      hint: LISTEN_HINTS[code]?.(host, port, field) ?? `check ${field}`,
      cause: e,
      details: { field, address: value, errno: code },
    });
  }
}
