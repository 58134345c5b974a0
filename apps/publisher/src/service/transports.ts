import { PrepcastError } from "@prepcast/protocol";
import { parseListen } from "@prepcast/runtime";
import { grpcTransport, websocketTransport, type TransportFactory } from "@prepcast/transport";

/** Where a receiver's push endpoint is, once its configured address is parsed. */
export interface DialAddress {
  host: string;
  port: number;
  /** Request path (WebSocket). */
  path?: string;
}

/**
 * A transport the publisher can dial receivers with (docs/extending.md, "A transport"): the name
 * `publisher.yaml` uses in `receivers[].transport`, how that receiver's `address` reads, and the
 * client side of a `TransportFactory` that passes the transport compliance suite
 * (`@prepcast/transport/compliance`).
 */
export interface PublisherTransport {
  /** As written in `receivers[].transport` (lower case, e.g. `grpc`). */
  readonly name: string;
  /** An address this transport accepts, for error messages. */
  readonly example: string;
  /** Parses `receivers[].address`; throws a PrepcastError `CONFIG_INVALID` naming `where` on a bad one. */
  parseAddress(address: string, where: string, o: { insecurePlaintext: boolean }): DialAddress;
  /** How the address is shown in status, reports and logs. */
  display(a: DialAddress): string;
  /** Created once per service, when the service starts. */
  create(): TransportFactory;
}

export const DEFAULT_WEBSOCKET_PATH = "/prepcast/v1/push";

const grpc: PublisherTransport = {
  name: "grpc",
  example: "203.0.113.10:8730",
  parseAddress(address, where) {
    const hint = "write the receiver's push port as HOST:PORT, e.g. 203.0.113.10:8730 or [2001:db8::10]:8730";
    let a: DialAddress | null = null;
    try {
      if (!/[\s/]/.test(address)) a = parseListen(address, where);
    } catch {
      // reported below, with the hint for a receiver's address
    }
    if (!a) throw new PrepcastError("CONFIG_INVALID", `"${address}" is not HOST:PORT`, { where, hint });
    if (a.port === 0) throw new PrepcastError("CONFIG_INVALID", `"${address}" has port 0`, { where, hint });
    return a;
  },
  display: (a) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`),
  // No gRPC message compression: the manifest travels zstd-compressed in the Offer itself (once
  // per cut: docs/protocol.md, Offer) and payload chunks are zstd already, so gzip would only
  // burn CPU re-compressing them for every receiver.
  create: () => grpcTransport(),
};

const websocket: PublisherTransport = {
  name: "websocket",
  example: "wss://prep.example.mx/prepcast/v1/push",
  parseAddress(address, where, o) {
    let u: URL;
    try {
      u = new URL(address);
    } catch {
      throw new PrepcastError("CONFIG_INVALID", `"${address}" is not a wss:// URL`, { where, hint: "e.g. wss://prep.uv.mx:443/prepcast/v1/push" });
    }
    if (u.protocol !== "wss:" && !(u.protocol === "ws:" && o.insecurePlaintext))
      throw new PrepcastError("CONFIG_INVALID", `WebSocket address must be wss:// (got ${u.protocol})`, {
        where,
        hint: "e.g. wss://prep.uv.mx:443/prepcast/v1/push",
      });
    return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || 443), path: u.pathname || DEFAULT_WEBSOCKET_PATH };
  },
  display: (a) => `wss://${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}${a.path ?? DEFAULT_WEBSOCKET_PATH}`,
  create: () => websocketTransport(),
};

/** The transports a publisher knows by default: gRPC and WebSocket. */
export function defaultTransports(): PublisherTransport[] {
  return [grpc, websocket];
}

const TRANSPORT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** The registry by name; refuses invalid or duplicate names. */
export function transportRegistry(list: readonly PublisherTransport[]): ReadonlyMap<string, PublisherTransport> {
  const map = new Map<string, PublisherTransport>();
  for (const t of list) {
    const hint = "a transport is registered once, under a lower-case name (e.g. grpc, websocket, quic)";
    if (!TRANSPORT_NAME.test(t.name)) throw new PrepcastError("CONFIG_INVALID", `transport "${t.name}" has an invalid name`, { where: "transports", hint });
    if (map.has(t.name)) throw new PrepcastError("CONFIG_INVALID", `transport "${t.name}" is registered twice`, { where: "transports", hint });
    map.set(t.name, t);
  }
  return map;
}

/** The registered transport called `name`, or a CONFIG_INVALID error listing the known ones. */
export function transportNamed(registry: ReadonlyMap<string, PublisherTransport>, name: string, where: string): PublisherTransport {
  const t = registry.get(name);
  if (!t) throw new PrepcastError("CONFIG_INVALID", `unknown transport "${name}"`, { where, hint: `this publisher knows ${[...registry.keys()].join(", ")}` });
  return t;
}
