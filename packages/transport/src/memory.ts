// In-process transport for fast unit tests: same semantics as the network ones (frames encoded
// through protobuf, size limits on the receiving side, bounded buffers, send waits when full).
import { PrepcastError } from "@prepcast/protocol";
import { Allowlist } from "./allowlist";
import { BaseConnection, deliverConnection, peerError } from "./connection";
import { certificateFingerprint, normalizeFingerprint, pinMismatchError } from "./tls";
import {
  type CloseReason,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_FRAME_BYTES,
  type ConnectOptions,
  type FrameConnection,
  type FrameServer,
  type ListenOptions,
  type TransportFactory,
} from "./types";

export interface MemoryTransportOptions {
  /** Address the client side appears to connect from (default 127.0.0.1), for allowlist tests. */
  clientAddress?: string;
}

interface WireEntry {
  bytes: Uint8Array;
  done: (err?: Error | null) => void;
}

class MemoryConnection extends BaseConnection {
  peer!: MemoryConnection;
  private readonly incoming: WireEntry[] = [];
  private paused = false;
  private outputEnded = false;
  private endReason: CloseReason | undefined;
  private pumpScheduled = false;
  private gone = false;

  protected writeBytes(bytes: Uint8Array, done: (err?: Error | null) => void): void {
    if (this.gone) return done(new Error("connection reset"));
    this.peer.incoming.push({ bytes, done });
    this.peer.schedulePump();
  }

  protected pauseInput(): void {
    this.paused = true;
  }

  protected resumeInput(): void {
    this.paused = false;
    this.schedulePump();
  }

  protected endOutput(reason?: CloseReason): void {
    this.outputEnded = true;
    this.endReason = reason;
    this.peer.schedulePump();
  }

  protected destroyTransport(error: PrepcastError | undefined): void {
    if (this.gone) return;
    this.gone = true;
    this.dropIncoming();
    this.peer.gone = true;
    this.peer.dropIncoming();
    this.peer.transportClosed(
      error
        ? peerError(error.code, error.message, this.peer.where)
        : new PrepcastError("UNAVAILABLE", `${this.peer.where} reset the connection`, { where: this.peer.where }),
    );
  }

  private dropIncoming(): void {
    for (const entry of this.incoming.splice(0)) entry.done(new Error("connection reset"));
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    while (!this.paused && !this.gone && this.incoming.length > 0) {
      const entry = this.incoming.shift()!;
      entry.done();
      this.receiveBytes(entry.bytes);
    }
    if (this.gone || this.incoming.length > 0 || !this.peer.outputEnded) return;
    const reason = this.peer.endReason;
    if (reason) {
      // The peer closed with an error (after its Error frame): this side ends with it, like a gRPC status.
      this.gone = this.peer.gone = true;
      this.transportClosed(peerError(reason.code, reason.message, this.where));
      this.peer.transportClosed();
      return;
    }
    this.remoteEnded();
    if (this.outputEnded) {
      this.gone = this.peer.gone = true;
      this.transportClosed();
      this.peer.transportClosed();
    }
  }
}

/** A transport whose servers live in this factory's own registry (host:port → server). */
export function memoryTransport(options: MemoryTransportOptions = {}): TransportFactory {
  const clientAddress = options.clientAddress ?? "127.0.0.1";
  const servers = new Map<string, { listen: ListenOptions; allowlist?: Allowlist; accept: (c: FrameConnection) => void; open: Set<MemoryConnection> }>();
  let nextPort = 40000;

  return {
    kind: "memory",
    async listen(opts, onConnection): Promise<FrameServer> {
      const allowlist = opts.allowlist ? new Allowlist(opts.allowlist) : undefined;
      if (opts.tls) certificateFingerprint(opts.tls.cert);
      const port = opts.port === 0 ? nextPort++ : opts.port;
      const key = `${opts.host}:${port}`;
      if (servers.has(key)) throw new PrepcastError("UNAVAILABLE", `address ${key} is already in use`, { where: key });
      const entry = { listen: opts, accept: onConnection, open: new Set<MemoryConnection>(), ...(allowlist ? { allowlist } : {}) };
      servers.set(key, entry);
      return {
        address: { host: opts.host, port },
        async close() {
          servers.delete(key);
          await Promise.all([...entry.open].map((c) => c.close()));
        },
      };
    },

    async connect(opts: ConnectOptions): Promise<FrameConnection> {
      const key = `${opts.host}:${opts.port}`;
      const server = servers.get(key);
      await new Promise((r) => setImmediate(r));
      if (!server) throw new PrepcastError("UNAVAILABLE", `cannot reach ${key}: nothing listens there`, { where: key });
      if (server.allowlist && !server.allowlist.allows(clientAddress)) {
        server.listen.onRejected?.({ address: clientAddress, reason: "address not in allowlist" });
        throw new PrepcastError("UNAVAILABLE", `cannot reach ${key}: connection reset`, {
          where: key,
          hint: "the receiver dropped the connection: is this publisher's address in its allowlist?",
        });
      }
      let fingerprint: string | undefined;
      if (server.listen.tls) {
        fingerprint = certificateFingerprint(server.listen.tls.cert);
        if (opts.tls) {
          const expected = normalizeFingerprint(opts.tls.expectedFingerprint);
          if (expected !== fingerprint) throw pinMismatchError(opts.host, opts.port, expected, fingerprint);
        }
      }
      const client = new MemoryConnection({
        transport: "memory",
        remoteAddress: opts.host,
        where: `receiver ${key}`,
        maxFrameBytes: opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        ...(fingerprint ? { peerCertificateFingerprint: fingerprint } : {}),
      });
      const serverSide = new MemoryConnection({
        transport: "memory",
        remoteAddress: clientAddress,
        where: `publisher ${clientAddress}`,
        maxFrameBytes: server.listen.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
        idleTimeoutMs: server.listen.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
      });
      client.peer = serverSide;
      serverSide.peer = client;
      server.open.add(serverSide);
      void serverSide.closed.then(() => server.open.delete(serverSide));
      deliverConnection(serverSide, server.accept);
      return client;
    },
  };
}
