// WebSocket transport for networks where only 443 is open: one binary message = one encoded
// Frame, at a fixed path, optionally sharing the receiver's existing HTTPS server.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { WebSocket, WebSocketServer, type ClientOptions, type RawData } from "ws";
import { guardHttpServer, PrepcastError } from "@prepcast/protocol";
import { ConnectionGate } from "./connection-gate";
import { Allowlist, normalizeAddress } from "./allowlist";
import { BaseConnection, deliverConnection, peerError, type ConnectionInit } from "./connection";
import { listenBridgeSocket, readBridgePreamble } from "./push-gateway";
import { PIN_SERVERNAME, probePinnedCertificate, unreachable } from "./tls";
import {
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_MS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_WEBSOCKET_PATH,
  type CloseReason,
  type ConnectOptions,
  type FrameConnection,
  type FrameServer,
  type ListenOptions,
  type TransportFactory,
} from "./types";

/** Close codes 4000-4999 are ours: the reason text is the PrepcastError code. */
export const ERROR_CLOSE_CODE = 4000;

export interface WebsocketTransportOptions {
  /**
   * Share an existing HTTP(S) server (e.g. the receiver's public site on 443): only upgrade
   * requests at `path` are taken; listen() then ignores host/port/tls and the allowlist applies to
   * the upgrade requests only (citizens must still reach the site).
   */
  attachTo?: http.Server | https.Server;
  /** Default /prepcast/v1/push. */
  path?: string;
  /**
   * Serve the push behind the site's HTTPS port (push.websocket: true): listen() listens on this
   * unix socket instead of host/port, for connections relayed by the site's push gateway
   * (createPushGateway), each starting with the bridge preamble that carries the publisher's
   * address. TLS was terminated by the gateway; the allowlist is checked again on that address.
   */
  bridgeSocket?: string;
}

class WebsocketConnection extends BaseConnection {
  private localError: PrepcastError | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private killTimer: NodeJS.Timeout | undefined;
  private pongSeen = true;

  constructor(
    init: ConnectionInit,
    private readonly ws: WebSocket,
    keepaliveMs: number,
  ) {
    super(init);
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        this.fail(
          new PrepcastError("PROTOCOL_ERROR", `${this.where} sent a text WebSocket message; frames travel as binary messages`, { where: this.where }),
          true,
        );
        return;
      }
      this.receiveBytes(data as Buffer);
    });
    ws.on("error", (err: Error & { code?: string }) => {
      this.localError ??=
        err.code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"
          ? new PrepcastError("MESSAGE_TOO_LARGE", `${this.where} sent a frame over the limit of ${this.maxFrameBytes} bytes`, {
              where: this.where,
              details: { limit: this.maxFrameBytes },
            })
          : new PrepcastError("PROTOCOL_ERROR", `WebSocket error on the session with ${this.where}: ${err.message}`, { where: this.where });
    });
    ws.on("pong", () => (this.pongSeen = true));
    ws.on("close", (code: number, reasonBytes: Buffer) => this.onClose(code, reasonBytes.toString("utf8")));
    if (keepaliveMs > 0) {
      this.keepaliveTimer = setInterval(() => {
        if (this.inputIsPaused) return; // pongs queue behind unread frames: not a dead peer
        if (!this.pongSeen) {
          this.fail(new PrepcastError("UNAVAILABLE", `${this.where} did not answer a WebSocket ping within ${keepaliveMs} ms`, { where: this.where }), false);
          return;
        }
        this.pongSeen = false;
        ws.ping();
      }, keepaliveMs);
    }
    void this.closed.then(() => {
      clearInterval(this.keepaliveTimer);
      if (this.ws.readyState !== WebSocket.CLOSED) this.killTimer = setTimeout(() => this.ws.terminate(), 1000);
      this.ws.once("close", () => clearTimeout(this.killTimer));
    });
  }

  private onClose(code: number, reason: string): void {
    if (this.localError) return this.transportClosed(this.localError);
    if (code === 1000 || code === 1001 || code === 1005) {
      this.remoteEnded();
      return this.transportClosed();
    }
    if (code === 1009) return this.transportClosed(peerError("MESSAGE_TOO_LARGE", reason, this.where));
    if (code >= ERROR_CLOSE_CODE && code < 5000) return this.transportClosed(peerError(reason, undefined, this.where));
    this.transportClosed(
      new PrepcastError("UNAVAILABLE", `connection with ${this.where} dropped (WebSocket close ${code}${reason ? ` ${reason}` : ""})`, { where: this.where }),
    );
  }

  protected writeBytes(bytes: Uint8Array, done: (err?: Error | null) => void): void {
    this.ws.send(bytes, { binary: true }, (err) => done(err));
  }

  protected pauseInput(): void {
    this.ws.pause();
  }

  protected resumeInput(): void {
    this.ws.resume();
  }

  protected endOutput(reason?: CloseReason): void {
    if (reason) this.ws.close(reason.code === "MESSAGE_TOO_LARGE" ? 1009 : ERROR_CLOSE_CODE, reason.code.slice(0, 120));
    else this.ws.close(1000);
  }

  protected destroyTransport(error: PrepcastError | undefined): void {
    if (error && this.ws.readyState === WebSocket.OPEN) this.ws.close(error.code === "MESSAGE_TOO_LARGE" ? 1009 : ERROR_CLOSE_CODE, error.code);
    else this.ws.terminate();
  }
}

function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

export function websocketTransport(transportOptions: WebsocketTransportOptions = {}): TransportFactory {
  const path = transportOptions.path ?? DEFAULT_WEBSOCKET_PATH;
  return {
    kind: "websocket",

    async listen(opts: ListenOptions, onConnection: (c: FrameConnection) => void): Promise<FrameServer> {
      const allowlist = opts.allowlist ? new Allowlist(opts.allowlist) : undefined;
      const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
      const wss = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes, perMessageDeflate: false, clientTracking: false });
      const attached = transportOptions.attachTo;
      const bridge = transportOptions.bridgeSocket;
      // behind the bridge, TLS was terminated by the site's push gateway: plain HTTP here
      const httpServer: http.Server =
        attached ??
        (opts.tls && bridge === undefined ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: 10_000 }) : http.createServer());
      const open = new Set<WebsocketConnection>();
      const gate = new ConnectionGate({
        ...opts.pending,
        onEvicted: (info) => opts.onRejected?.({ address: info.address, reason: `closed before opening a session (${info.reason})` }),
      });
      const reject = (socket: net.Socket, address: string) => {
        socket.destroy();
        opts.onRejected?.({ address, reason: "address not in allowlist" });
      };

      /** Relayed connections (bridge mode): the publisher's address, set by the gateway's preamble only, and the gate's key. */
      const relayed = new WeakMap<net.Socket, { address: string; key: string }>();
      let relayedCount = 0;
      const onUpgrade = (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
        const requestPath = (req.url ?? "").split("?")[0];
        if (requestPath !== path) {
          if (!attached) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
          return;
        }
        const bridged = relayed.get(req.socket);
        const address = bridged?.address ?? normalizeAddress(req.socket.remoteAddress ?? "");
        if (allowlist && !allowlist.allows(address)) return reject(socket, address);
        wss.handleUpgrade(req, socket, head, (ws) => {
          gate.established(bridged?.key ?? `${address}:${req.socket.remotePort}`);
          const conn = new WebsocketConnection(
            {
              transport: "websocket",
              remoteAddress: address,
              where: `publisher ${address}`,
              maxFrameBytes,
              idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
            },
            ws,
            opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
          );
          open.add(conn);
          void conn.closed.then(() => open.delete(conn));
          deliverConnection(conn, onConnection);
        });
      };
      httpServer.on("upgrade", onUpgrade);

      if (attached) {
        const info = attached.address();
        if (!info || typeof info === "string")
          throw new PrepcastError("CONFIG_INVALID", "the server to attach the WebSocket endpoint to is not listening on a TCP port", {
            hint: "call listen() on it first",
          });
        return {
          address: { host: info.address, port: info.port },
          async close() {
            attached.off("upgrade", onUpgrade);
            await Promise.all([...open].map((c) => c.close()));
            wss.close();
          },
        };
      }

      httpServer.on("request", (_req, res) => res.writeHead(404, { "content-type": "text/plain" }).end(`PREPcast push endpoint: WebSocket at ${path}\n`));
      // its own listener: the same guard as every HTTP listener (timeouts, header bounds, 400 on bad input)
      guardHttpServer(httpServer, { name: "push (WebSocket)", headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
      httpServer.on("tlsClientError", (_err, socket) => socket.destroy());
      if (bridge !== undefined) {
        // Relayed by the site's push gateway: the first line is the publisher's address.
        const unix = net.createServer((socket) => {
          socket.on("error", () => undefined);
          readBridgePreamble(socket).then(
            ({ address, rest }) => {
              if (allowlist && !allowlist.allows(address)) return reject(socket, address);
              const key = `${address}:bridge-${++relayedCount}`;
              relayed.set(socket, { address, key });
              gate.admit(socket, address, key); // the same pending-connection caps as a listener of its own
              socket.unshift(rest);
              httpServer.emit("connection", socket);
              socket.resume();
            },
            () => socket.destroy(),
          );
        });
        await listenBridgeSocket(unix, bridge);
        return {
          address: { host: bridge, port: 0 },
          async close() {
            gate.close();
            const stopped = new Promise<void>((resolve) => unix.close(() => resolve()));
            await Promise.all([...open].map((c) => c.close()));
            wss.close();
            httpServer.closeAllConnections();
            await stopped;
            fs.rmSync(bridge, { force: true });
          },
        };
      }
      // The allowlist runs on the accepted TCP socket, before TLS or HTTP parsing.
      const front = net.createServer({ noDelay: true }, (socket) => {
        const address = normalizeAddress(socket.remoteAddress ?? "");
        if (allowlist && !allowlist.allows(address)) return reject(socket, address);
        socket.on("error", () => undefined); // reported by the TLS/HTTP layers above; never fatal here
        gate.admit(socket, address, `${address}:${socket.remotePort}`);
        httpServer.emit("connection", socket);
      });
      await new Promise<void>((resolve, rejectListen) => {
        front.once("error", (e: NodeJS.ErrnoException) =>
          rejectListen(
            new PrepcastError("UNAVAILABLE", `cannot listen on ${formatHostPort(opts.host, opts.port)}: ${e.code ?? e.message}`, {
              where: formatHostPort(opts.host, opts.port),
              cause: e,
            }),
          ),
        );
        front.listen(opts.port, opts.host, () => resolve());
      });
      return {
        address: { host: opts.host, port: (front.address() as net.AddressInfo).port },
        async close() {
          gate.close();
          const stopped = new Promise<void>((resolve) => front.close(() => resolve()));
          await Promise.all([...open].map((c) => c.close()));
          wss.close();
          httpServer.closeAllConnections();
          await stopped;
        },
      };
    },

    async connect(opts: ConnectOptions): Promise<FrameConnection> {
      const maxFrameBytes = opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
      const timeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
      const target = formatHostPort(opts.host, opts.port);
      const pin = opts.tls ? await probePinnedCertificate(opts.host, opts.port, opts.tls.expectedFingerprint, timeoutMs) : undefined;
      const url = `${pin ? "wss" : "ws"}://${target}${opts.path ?? path}`;
      const ws = new WebSocket(url, {
        maxPayload: maxFrameBytes,
        perMessageDeflate: false,
        handshakeTimeout: timeoutMs,
        followRedirects: false,
        // ws passes these to tls.connect; its typings describe checkServerIdentity differently from Node's.
        ...(pin
          ? {
              ca: pin.ca,
              checkServerIdentity: pin.checkServerIdentity as unknown as NonNullable<ClientOptions["checkServerIdentity"]>,
              servername: PIN_SERVERNAME,
              rejectUnauthorized: true,
            }
          : {}),
      });
      // The connection (and its "message" listener) is made inside the "open" handler, in the same
      // tick: a Hello that arrives in the same read as the 101 response is emitted right after
      // "open", and a listener attached after an `await` would miss it.
      return new Promise<FrameConnection>((resolve, rejectConnect) => {
        const fail = (e: Error) => {
          ws.removeAllListeners();
          ws.on("error", () => undefined);
          ws.terminate();
          rejectConnect(e);
        };
        ws.once("open", () => {
          ws.removeAllListeners();
          resolve(
            new WebsocketConnection(
              {
                transport: "websocket",
                remoteAddress: normalizeAddress(opts.host),
                where: `receiver ${target}`,
                maxFrameBytes,
                idleTimeoutMs: opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
                ...(pin ? { peerCertificateFingerprint: pin.fingerprint } : {}),
              },
              ws,
              opts.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
            ),
          );
        });
        ws.once("error", (e: NodeJS.ErrnoException) =>
          fail(
            e instanceof PrepcastError
              ? e
              : /handshake has timed out/i.test(e.message)
                ? new PrepcastError("TIMEOUT", `WebSocket handshake with ${target} did not finish within ${timeoutMs} ms`, { where: target })
                : unreachable(opts.host, opts.port, e),
          ),
        );
        ws.once("unexpected-response", (_req, res) =>
          fail(
            new PrepcastError("UNAVAILABLE", `${url} answered HTTP ${res.statusCode} instead of a WebSocket upgrade`, {
              where: url,
              hint: "check the receiver's WebSocket path and that it runs the PREPcast agent",
            }),
          ),
        );
      });
    },
  };
}
