// gRPC transport: service prepcast.v1.Push/Session, one bidirectional stream per session.
//
// Allowlist before any protocol work: grpc-js has no per-connection hook, so the push port is our
// own net.Server; allowed sockets are handed to grpc-js through Server.createConnectionInjector
// (TLS, HTTP/2 and gRPC all start after the check), others are destroyed at once. There is no
// proxy hop: the injected socket is the accepted one, so the check costs one CIDR match.
import * as net from "node:net";
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { ConnectionGate } from "./connection-gate";
import { PrepcastError, type ErrorCode } from "@prepcast/protocol";
import { Allowlist, normalizeAddress } from "./allowlist";
import { BaseConnection, deliverConnection, peerError, type ConnectionInit } from "./connection";
import type { CloseReason } from "./types";
import { PIN_SERVERNAME, probePinnedCertificate, unreachable } from "./tls";
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_FRAME_BYTES,
  type ConnectOptions,
  type FrameConnection,
  type FrameServer,
  type ListenOptions,
  type TransportFactory,
} from "./types";

export const GRPC_SESSION_PATH = "/prepcast.v1.Push/Session";
export const ERROR_CODE_KEY = "prepcast-error-code";
const CALL_TAG_KEY = "prepcast-call-tag";

// Frames are encoded and decoded by the connection core (so size and decode errors are typed the
// same way on every transport); gRPC carries the bytes as they are.
const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
const passThrough = (b: Buffer): Buffer => b;

const SERVICE: grpc.ServiceDefinition = {
  Session: {
    path: GRPC_SESSION_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: asBuffer,
    requestDeserialize: passThrough,
    responseSerialize: asBuffer,
    responseDeserialize: passThrough,
    originalName: "session",
  },
};

export interface GrpcTransportOptions {
  /** Extra grpc-js channel/server options, merged over ours (advanced tuning only). */
  channelOptions?: grpc.ChannelOptions;
}

/**
 * The gRPC status a receiver ends a session with, from the PREPcast error code (the code itself
 * travels in the `prepcast-error-code` trailer): docs/protocol.md, gRPC binding.
 */
export function statusFor(code: ErrorCode | string): grpc.status {
  switch (code) {
    case "MESSAGE_TOO_LARGE":
      return grpc.status.RESOURCE_EXHAUSTED;
    case "TIMEOUT":
      return grpc.status.DEADLINE_EXCEEDED;
    case "AUTH_FAILED":
      return grpc.status.UNAUTHENTICATED;
    case "PEER_NOT_ALLOWED":
      return grpc.status.PERMISSION_DENIED;
    case "UNAVAILABLE":
      return grpc.status.UNAVAILABLE;
    case "INTEGER_OUT_OF_RANGE":
      return grpc.status.OUT_OF_RANGE;
    default:
      return grpc.status.ABORTED;
  }
}

/** Concurrent push sessions on one HTTP/2 connection (the publisher uses one; a redial may overlap briefly). */
export const MAX_STREAMS_PER_CONNECTION = 2;

function commonOptions(maxFrameBytes: number, keepaliveMs: number): grpc.ChannelOptions {
  const opts: grpc.ChannelOptions = {
    // +64: the message-length limit counts the encoded frame; ours is enforced exactly by the core.
    "grpc.max_receive_message_length": maxFrameBytes,
    "grpc.max_send_message_length": maxFrameBytes,
    // A frame of maxFrameBytes plus its window must fit, or the session dies with ENHANCE_YOUR_CALM.
    "grpc-node.max_session_memory": Math.max(16, Math.ceil((maxFrameBytes * 4) / (1024 * 1024))),
    // Larger HTTP/2 windows than the 64 KiB default: loopback and LAN throughput for 256 KiB chunks.
    "grpc-node.flow_control_window": 4 * 1024 * 1024,
    // One push session per connection (the publisher opens one): a peer cannot multiplex
    // thousands of unauthenticated sessions over a single TLS connection.
    "grpc.max_concurrent_streams": MAX_STREAMS_PER_CONNECTION,
  };
  if (keepaliveMs > 0) {
    opts["grpc.keepalive_time_ms"] = keepaliveMs;
    opts["grpc.keepalive_timeout_ms"] = Math.min(20_000, keepaliveMs);
    opts["grpc.keepalive_permit_without_calls"] = 1;
  }
  return opts;
}

type GrpcCall = grpc.ServerDuplexStream<Buffer, Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>;

class GrpcConnection extends BaseConnection {
  private readableEnded = false;
  private finalStatus: { error?: PrepcastError } | undefined;

  constructor(
    init: ConnectionInit,
    private readonly call: GrpcCall,
    private readonly side: "server" | "client",
    private readonly hardKill: () => void,
  ) {
    super(init);
    call.on("data", (b: Buffer) => this.receiveBytes(b));
    call.on("end", () => {
      this.readableEnded = true;
      this.remoteEnded();
      this.maybeClosed();
    });
    call.on("error", () => undefined); // statuses are handled below; this keeps 'error' from throwing
    void this.closed.then(() => this.hardKillLater());
  }

  /** Server side: the call was cancelled (by the client, or by grpc-js refusing an oversized frame). */
  serverCancelled(refusedStatus: grpc.StatusObject | undefined): void {
    if (refusedStatus?.code === grpc.status.RESOURCE_EXHAUSTED) {
      this.transportClosed(
        new PrepcastError("MESSAGE_TOO_LARGE", `${this.where} sent a frame over the limit of ${this.maxFrameBytes} bytes (${refusedStatus.details})`, {
          where: this.where,
          details: { limit: this.maxFrameBytes },
        }),
      );
    } else {
      this.transportClosed(new PrepcastError("UNAVAILABLE", `${this.where} cancelled the session`, { where: this.where }));
    }
  }

  /** Server side: our response stream finished (status sent). */
  serverFinished(): void {
    this.finalStatus ??= {};
    this.maybeClosed();
  }

  /** Client side: the server's final status arrived. */
  clientStatus(status: grpc.StatusObject): void {
    if (status.code === grpc.status.OK) {
      this.finalStatus = {};
      this.maybeClosed();
      return;
    }
    const code = status.metadata?.get(ERROR_CODE_KEY)[0];
    let error: PrepcastError;
    if (typeof code === "string") error = peerError(code, status.details, this.where);
    else if (status.code === grpc.status.RESOURCE_EXHAUSTED)
      error = new PrepcastError(
        "MESSAGE_TOO_LARGE",
        `a frame was refused as too large on the session with ${this.where}: ${status.details} (this side's limit is ${this.maxFrameBytes} bytes)`,
        { where: this.where, details: { limit: this.maxFrameBytes } },
      );
    else if (status.code === grpc.status.CANCELLED) error = new PrepcastError("UNAVAILABLE", `session with ${this.where} was cancelled`, { where: this.where });
    else
      error = new PrepcastError(
        status.code === grpc.status.DEADLINE_EXCEEDED ? "TIMEOUT" : "UNAVAILABLE",
        `session with ${this.where} failed: ${grpc.status[status.code]} ${status.details}`,
        { where: this.where },
      );
    this.transportClosed(error);
  }

  private maybeClosed(): void {
    if (this.readableEnded && this.finalStatus) this.transportClosed(this.finalStatus.error);
  }

  protected writeBytes(bytes: Uint8Array, done: (err?: Error | null) => void): void {
    this.call.write(asBuffer(bytes), (err: Error | null | undefined) => done(err));
  }

  protected pauseInput(): void {
    this.call.pause();
  }

  protected resumeInput(): void {
    this.call.resume();
  }

  protected endOutput(reason?: CloseReason): void {
    // A client has no status to send: it half-closes after its Error frame.
    if (reason && this.side === "server") this.endWithStatus(reason.code, reason.message);
    else this.call.end();
  }

  protected destroyTransport(error: PrepcastError | undefined): void {
    if (this.side === "client") {
      (this.call as grpc.ClientDuplexStream<Buffer, Buffer>).cancel();
      this.hardKill();
      return;
    }
    this.endWithStatus(error?.code ?? "UNAVAILABLE", error?.message ?? "session closed");
  }

  /** Server side: ends the call (after the frames already written) with a non-OK status and the code in the trailer. */
  private endWithStatus(code: string, message: string): void {
    const metadata = new grpc.Metadata();
    metadata.set(ERROR_CODE_KEY, code);
    // grpc-js turns an 'error' on a server stream into the final status once pending writes are flushed.
    this.call.emit("error", { code: statusFor(code), details: message.slice(0, 1024), metadata });
  }

  private hardKillLater(): void {
    // A peer that stopped reading never lets the final status through: drop its socket.
    if (this.side === "client") {
      this.hardKill();
      return;
    }
    const t = setTimeout(() => this.hardKill(), 1000);
    this.call.once("finish", () => clearTimeout(t));
    this.call.once("close", () => clearTimeout(t));
    if (this.call.writableFinished) clearTimeout(t);
  }
}

function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function splitPeer(peer: string): { address: string; port: number } {
  const i = peer.lastIndexOf(":");
  return { address: normalizeAddress(peer.slice(0, i)), port: Number(peer.slice(i + 1)) };
}

export function grpcTransport(transportOptions: GrpcTransportOptions = {}): TransportFactory {
  return {
    kind: "grpc",

    async listen(opts: ListenOptions, onConnection: (c: FrameConnection) => void): Promise<FrameServer> {
      const allowlist = opts.allowlist ? new Allowlist(opts.allowlist) : undefined;
      const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
      const keepaliveMs = opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS;
      const refusals = new Map<string, { status?: grpc.StatusObject }>();
      // Sees grpc-js's own refusals (oversized frames) that the handler otherwise only sees as a cancel.
      const recordRefusals: grpc.ServerInterceptor = (_method, call) => {
        const tag = randomUUID();
        const record: { status?: grpc.StatusObject } = {};
        // Entries leave in the handler; calls that never reach it must not pile up.
        if (refusals.size >= 10_000) refusals.delete(refusals.keys().next().value!);
        refusals.set(tag, record);
        const base = call as unknown as { sendStatus?: (s: grpc.StatusObject) => void };
        const originalSendStatus = base.sendStatus;
        if (typeof originalSendStatus === "function") {
          base.sendStatus = (s: grpc.StatusObject) => {
            if (s.code !== grpc.status.OK) record.status ??= s;
            originalSendStatus.call(call, s);
          };
        }
        return new grpc.ServerInterceptingCall(call, {
          start: (next) =>
            next({
              onReceiveMetadata: (md, mdNext) => {
                md.set(CALL_TAG_KEY, tag);
                mdNext(md);
              },
            }),
        });
      };
      const server = new grpc.Server({ ...commonOptions(maxFrameBytes, keepaliveMs), interceptors: [recordRefusals], ...transportOptions.channelOptions });
      const sockets = new Map<string, net.Socket>();
      const open = new Set<GrpcConnection>();
      const gate = new ConnectionGate({
        ...opts.pending,
        onEvicted: (info) => opts.onRejected?.({ address: info.address, reason: `closed before opening a session (${info.reason})` }),
      });

      server.addService(SERVICE, {
        Session: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          const tag = String(call.metadata.get(CALL_TAG_KEY)[0] ?? "");
          const record = refusals.get(tag);
          refusals.delete(tag);
          const peer = splitPeer(call.getPeer());
          gate.established(`${peer.address}:${peer.port}`);
          const conn = new GrpcConnection(
            {
              transport: "grpc",
              remoteAddress: peer.address,
              where: `publisher ${peer.address}`,
              maxFrameBytes,
              idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
            },
            call,
            "server",
            () => sockets.get(`${peer.address}:${peer.port}`)?.destroy(),
          );
          call.on("cancelled", () => conn.serverCancelled(record?.status));
          call.on("finish", () => conn.serverFinished());
          open.add(conn);
          void conn.closed.then(() => open.delete(conn));
          call.sendMetadata(new grpc.Metadata());
          deliverConnection(conn, onConnection);
        },
      });

      const credentials = opts.tls
        ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(opts.tls.cert), private_key: Buffer.from(opts.tls.key) }], false)
        : grpc.ServerCredentials.createInsecure();
      const injector = server.createConnectionInjector(credentials);
      const front = net.createServer({ noDelay: true }, (socket) => {
        const address = normalizeAddress(socket.remoteAddress ?? "");
        if (allowlist && !allowlist.allows(address)) {
          socket.destroy();
          opts.onRejected?.({ address, reason: "address not in allowlist" });
          return;
        }
        const key = `${address}:${socket.remotePort}`;
        socket.on("error", () => undefined); // reported by the TLS/HTTP2 layers above; never fatal here
        sockets.set(key, socket);
        socket.once("close", () => sockets.delete(key));
        gate.admit(socket, address, key);
        injector.injectConnection(socket);
      });
      await new Promise<void>((resolve, reject) => {
        front.once("error", (e: NodeJS.ErrnoException) =>
          reject(
            new PrepcastError("UNAVAILABLE", `cannot listen on ${formatHostPort(opts.host, opts.port)}: ${e.code ?? e.message}`, {
              where: formatHostPort(opts.host, opts.port),
              cause: e,
              hint: e.code === "EADDRINUSE" ? "another process uses this port; pick another push port" : undefined,
            }),
          ),
        );
        front.listen(opts.port, opts.host, () => resolve());
      });
      const port = (front.address() as net.AddressInfo).port;
      return {
        address: { host: opts.host, port },
        async close() {
          gate.close();
          await new Promise<void>((resolve) => {
            front.close(() => resolve());
            void Promise.all([...open].map((c) => c.close())).then(() => {
              injector.destroy();
              for (const s of sockets.values()) s.destroy();
            });
          });
          server.forceShutdown();
        },
      };
    },

    async connect(opts: ConnectOptions): Promise<FrameConnection> {
      const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
      const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const target = formatHostPort(opts.host, opts.port);
      const where = `receiver ${target}`;
      let credentials: grpc.ChannelCredentials;
      let fingerprint: string | undefined;
      if (opts.tls) {
        const pin = await probePinnedCertificate(opts.host, opts.port, opts.tls.expectedFingerprint, timeoutMs);
        fingerprint = pin.fingerprint;
        credentials = grpc.credentials.createSsl(Buffer.from(pin.ca), null, null, { checkServerIdentity: pin.checkServerIdentity });
      } else {
        credentials = grpc.credentials.createInsecure();
      }
      const client = new grpc.Client(target, credentials, {
        ...commonOptions(maxFrameBytes, opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS),
        "grpc.ssl_target_name_override": PIN_SERVERNAME,
        "grpc.default_authority": PIN_SERVERNAME,
        // One TCP connection per session: a stalled session never shares a connection with another.
        "grpc.use_local_subchannel_pool": 1,
        // Retries would buffer frames in memory and ack writes before they reach the socket.
        "grpc.enable_retries": 0,
        ...transportOptions.channelOptions,
      });
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(GRPC_SESSION_PATH, asBuffer, passThrough, new grpc.Metadata());
      call.on("error", () => undefined);
      try {
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new PrepcastError("TIMEOUT", `no gRPC session with ${target} within ${timeoutMs} ms`, { where: target })),
            timeoutMs,
          );
          call.once("metadata", () => {
            clearTimeout(timer);
            resolve();
          });
          call.once("status", (s: grpc.StatusObject) => {
            clearTimeout(timer);
            reject(unreachable(opts.host, opts.port, Object.assign(new Error(s.details), { code: grpc.status[s.code] })));
          });
        });
      } catch (e) {
        call.cancel();
        client.close();
        throw e;
      }
      const conn = new GrpcConnection(
        {
          transport: "grpc",
          remoteAddress: normalizeAddress(opts.host),
          where,
          maxFrameBytes,
          idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
          ...(fingerprint ? { peerCertificateFingerprint: fingerprint } : {}),
        },
        call,
        "client",
        () => client.close(),
      );
      call.on("status", (s: grpc.StatusObject) => conn.clientStatus(s));
      return conn;
    },
  };
}
