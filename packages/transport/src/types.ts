import type { prepcast } from "@prepcast/proto";

/**
 * A transport's name: the three built in, or any other a third party registers (docs/extending.md,
 * "A transport"). `(string & {})` keeps the built-in names suggested while leaving the set open.
 */
export type TransportKind = "grpc" | "websocket" | "memory" | (string & {});

/** Why a connection is being closed; sent to the peer as a final `Error` frame. */
export interface CloseReason {
  code: string;
  message: string;
  /** Error.retryable on the wire (default false). */
  retryable?: boolean;
}

/** One session: an ordered, bidirectional stream of `prepcast.v1.Frame` messages. */
export interface FrameConnection {
  readonly id: string;
  /** IP of the other side as seen by this side, IPv4-mapped IPv6 unwrapped ("127.0.0.1"). */
  readonly remoteAddress: string;
  readonly transport: TransportKind;
  /** SHA-256 hex of the peer's TLS certificate (DER), when the peer presented one. */
  readonly peerCertificateFingerprint?: string;
  /**
   * Resolves once the transport accepted the frame; waits while the peer's buffers are full.
   * Rejects with MESSAGE_TOO_LARGE (nothing sent, connection stays open) or when the connection closes.
   */
  send(frame: prepcast.v1.IFrame): Promise<void>;
  /** Incoming frames in order; ends on a clean close, throws a PrepcastError on failure. Single consumer. */
  frames(): AsyncIterable<prepcast.v1.Frame>;
  /**
   * Closes both directions. With a reason, exactly one `Error` frame {code, message} is sent first
   * (best effort), then the transport ends with an error status: gRPC server side a non-OK status
   * mapped from the code with the code in the `prepcast-error-code` trailer, gRPC client side a
   * half-close, WebSocket a close code 4000 (1009 for MESSAGE_TOO_LARGE) whose reason is the code.
   */
  close(reason?: CloseReason): Promise<void>;
  /** Resolves once the connection is fully closed, whatever the cause. Never rejects. */
  readonly closed: Promise<void>;
}

export interface FrameServer {
  readonly address: { host: string; port: number };
  /** Stops accepting, closes every open connection and releases the port. */
  close(): Promise<void>;
}

export interface RejectedConnectionInfo {
  address: string;
  reason: string;
}

export interface ListenOptions {
  host: string;
  /** 0 picks an ephemeral port (see FrameServer.address). */
  port: number;
  /** PEM certificate and key. Without it the server speaks plain TCP: loopback tests only. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** CIDRs (IPv4 and IPv6). When given, every other address is dropped before any TLS work. */
  allowlist?: string[];
  /** Largest encoded frame accepted (default 8 MiB). */
  maxFrameBytes?: number;
  /** Close a connection on which no frame moved for this long (default 120 s; 0 disables). */
  idleTimeoutMs?: number;
  /** Transport-level liveness probe interval (default 30 s; 0 disables). */
  keepaliveMs?: number;
  /** Caps on connections that have not opened a session yet (per address, in total, time to open one). */
  pending?: { perAddress?: number; total?: number; handshakeMs?: number };
  onRejected?: (info: RejectedConnectionInfo) => void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  /** Pins the receiver's (self-signed) certificate by the SHA-256 hex of its DER. */
  tls?: { expectedFingerprint: string };
  maxFrameBytes?: number;
  /** Default 10 s. */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  keepaliveMs?: number;
  /** WebSocket only: request path (default /prepcast/v1/push). */
  path?: string;
}

export interface TransportFactory {
  readonly kind: TransportKind;
  listen(opts: ListenOptions, onConnection: (c: FrameConnection) => void): Promise<FrameServer>;
  connect(opts: ConnectOptions): Promise<FrameConnection>;
}

export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_MS = 120_000;
export const DEFAULT_KEEPALIVE_MS = 30_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_PUSH_PORT = 8730;
export const DEFAULT_WEBSOCKET_PATH = "/prepcast/v1/push";
