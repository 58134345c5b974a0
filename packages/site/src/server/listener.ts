// The public site's listeners: the guarded HTTP(S) server, and the front listener that routes the
// receiver's WebSocket push by TLS SNI when it shares the site's port.
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { AddressInfo, createServer as createNetServer } from "node:net";
import { guardHttpServer } from "@prepcast/protocol";
import { createPushGateway } from "@prepcast/transport";
import type { ListenAddress } from "./listen-address";
import type { SiteLogger } from "./log";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TlsFiles {
  cert: string;
  key: string;
}

/** A public or admin listener: guarded (400 on what it cannot parse, 500 on a handler error, slow clients cut, connections bounded). */
export function createHttpListener(handle: Handler, tls: TlsFiles | undefined, guard: { name: string; log?: SiteLogger } = { name: "site" }): Server {
  const options = { connectionsCheckingInterval: 2000, maxHeaderSize: 16 * 1024 };
  const server = tls
    ? createHttpsServer({ ...options, cert: readFileSync(tls.cert), key: readFileSync(tls.key), handshakeTimeout: 10_000 }, handle)
    : createHttpServer(options, handle);
  guardHttpServer(server, {
    name: guard.name,
    ...(guard.log ? { log: guard.log } : {}),
    keepAliveTimeoutMs: 65_000,
    headersTimeoutMs: 15_000,
    requestTimeoutMs: 60_000,
    maxConnections: 20_000,
  });
  return server;
}

export async function listenOn(server: Server, addr: ListenAddress): Promise<ListenAddress> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(addr.port, addr.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return { host: a.address, port: a.port };
}

/**
 * The push endpoint on the site's HTTPS port (the receiver's push.websocket: true): connections
 * whose TLS SNI is `servername` go to the agent's push endpoint through a push gateway
 * (@prepcast/transport createPushGateway: allowlist before any TLS byte, the push certificate,
 * relayed over the unix socket `socketPath`); every other connection is the public site.
 */
export interface SitePushOptions {
  servername: string;
  /** The push certificate and key files (the certificate the OPLE pins). */
  tls: TlsFiles;
  allowlist: string[];
  socketPath: string;
}

export interface Serving {
  address: ListenAddress;
  /** Stops accepting; open requests finish (idle keep-alive connections are closed). */
  stopListening(): void;
  /** Closes everything now. */
  close(): Promise<void>;
}

/**
 * Listens for `server` on `addr`; with `push`, through a front listener that routes each
 * connection by its TLS SNI before handing the site's connections to `server`.
 */
export async function serveSite(
  server: Server,
  addr: ListenAddress,
  push?: SitePushOptions,
  events: { onRejected?: (info: { address: string; reason: string }) => void; onError?: (message: string) => void } = {},
): Promise<Serving> {
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  if (!push) {
    const address = await listenOn(server, addr);
    return { address, stopListening: () => server.close(), close: closeServer };
  }
  const gateway = createPushGateway({
    servername: push.servername,
    tls: { cert: readFileSync(push.tls.cert), key: readFileSync(push.tls.key) },
    allowlist: push.allowlist,
    socketPath: push.socketPath,
    ...(events.onRejected ? { onRejected: events.onRejected } : {}),
    ...(events.onError ? { onError: events.onError } : {}),
  });
  const front = createNetServer({ noDelay: true }, (socket) => gateway.route(socket, (s) => server.emit("connection", s)));
  await new Promise<void>((resolve, reject) => {
    front.once("error", reject);
    front.listen(addr.port, addr.host, () => {
      front.off("error", reject);
      resolve();
    });
  });
  const a = front.address() as AddressInfo;
  return {
    address: { host: a.address, port: a.port },
    stopListening() {
      front.close();
      server.close();
    },
    async close() {
      const stopped = new Promise<void>((resolve) => front.close(() => resolve()));
      gateway.close();
      await closeServer();
      await stopped;
    },
  };
}
