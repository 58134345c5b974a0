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
import { PrepcastError } from "@prepcast/protocol";
import { Allowlist, normalizeAddress } from "./allowlist";
import { deliverConnection } from "./connection";
import { GrpcConnection, asBuffer, passThrough } from "./grpc-connection";
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

export { ERROR_CODE_KEY, statusFor } from "./grpc-connection";

export const GRPC_SESSION_PATH = "/prepcast.v1.Push/Session";
const CALL_TAG_KEY = "prepcast-call-tag";

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
