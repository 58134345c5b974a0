// Connections that have not yet opened a push session (TLS handshake, HTTP/2 or WebSocket upgrade
// still pending) cost memory and a file descriptor and prove nothing: at most `perAddress` of them
// per remote address and `total` in all, each for at most `handshakeMs`. A new connection over a
// cap closes the OLDEST pending one (of that address, or overall), so a flood cannot keep the
// real publisher out: its fresh connection always gets in and has handshakeMs to open its session.
import type * as net from "node:net";

export interface ConnectionGateOptions {
  /** Pending connections per remote address (default 16). */
  perAddress?: number;
  /** Pending connections in all (default 256). */
  total?: number;
  /** Time from accept to an opened session (default 20 s). */
  handshakeMs?: number;
  /** Told once a minute at most about what was closed (for one aggregated log line). */
  onEvicted?: (info: { address: string; reason: "per-address cap" | "total cap" | "handshake timeout"; count: number }) => void;
}

interface Pending {
  socket: net.Socket;
  address: string;
  timer: NodeJS.Timeout;
}

export const DEFAULT_PENDING_PER_ADDRESS = 16;
export const DEFAULT_PENDING_TOTAL = 256;
export const DEFAULT_HANDSHAKE_MS = 20_000;

export class ConnectionGate {
  private readonly pending = new Map<string, Pending>();
  private readonly byAddress = new Map<string, Set<string>>();
  private readonly perAddress: number;
  private readonly total: number;
  private readonly handshakeMs: number;
  evicted = 0;

  constructor(private readonly opts: ConnectionGateOptions = {}) {
    this.perAddress = opts.perAddress ?? DEFAULT_PENDING_PER_ADDRESS;
    this.total = opts.total ?? DEFAULT_PENDING_TOTAL;
    this.handshakeMs = opts.handshakeMs ?? DEFAULT_HANDSHAKE_MS;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** A freshly accepted socket; `key` is `${address}:${port}` as later seen by the session. */
  admit(socket: net.Socket, address: string, key: string): void {
    const mine = this.byAddress.get(address) ?? new Set<string>();
    this.byAddress.set(address, mine);
    if (mine.size >= this.perAddress) this.evict(mine.values().next().value!, "per-address cap");
    if (this.pending.size >= this.total) this.evict(this.pending.keys().next().value!, "total cap");
    const timer = setTimeout(() => this.evict(key, "handshake timeout"), this.handshakeMs);
    timer.unref();
    this.pending.set(key, { socket, address, timer });
    mine.add(key);
    socket.once("close", () => this.forget(key));
  }

  /** The connection opened a session: no longer pending (the session's own deadlines apply). */
  established(key: string): void {
    this.forget(key);
  }

  private forget(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
    const set = this.byAddress.get(p.address);
    set?.delete(key);
    if (set && set.size === 0) this.byAddress.delete(p.address);
  }

  private evict(key: string, reason: "per-address cap" | "total cap" | "handshake timeout"): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.forget(key);
    this.evicted++;
    p.socket.destroy();
    this.opts.onEvicted?.({ address: p.address, reason, count: this.evicted });
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.byAddress.clear();
  }
}
