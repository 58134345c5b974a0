// The WebSocket push on the site's own HTTPS port (push.websocket: true). The site's listener reads
// each connection's TLS ClientHello before any TLS work and routes it by SNI:
//   - SNI = PIN_SERVERNAME (what every publisher sends): the push. The address allowlist is checked
//     right there, so a peer outside it is dropped before a single TLS byte is sent back; an allowed
//     one gets a TLS session with the receiver's push certificate (the one the OPLE pins), and the
//     decrypted bytes are relayed to the agent's push endpoint over a unix socket, behind a one-line
//     preamble with the peer's address (written by the gateway before any peer byte, so the peer
//     cannot forge it).
//   - any other SNI (citizens' browsers): the public site, with the public certificate. That server
//     has no push endpoint, so a wrong SNI never reaches it.
// In a cluster every site worker runs a gateway; the agent process holds the one push endpoint.
import * as fs from "node:fs";
import * as net from "node:net";
import * as tls from "node:tls";
import { PrepcastError } from "@prepcast/protocol";
import { Allowlist, normalizeAddress } from "./allowlist";
import type { RejectedConnectionInfo } from "./types";

/** First line on the bridge socket: `PREPCAST-BRIDGE/1 <peer address>\n`. */
export const BRIDGE_PREAMBLE = "PREPCAST-BRIDGE/1";
const MAX_PREAMBLE = 128;
/** Largest ClientHello read before routing (a real one is under 2 KiB; post-quantum key shares add ~1.2 KiB). */
const MAX_CLIENT_HELLO = 16 * 1024 + 5;
const DEFAULT_HELLO_TIMEOUT_MS = 10_000;

/**
 * The server name in a TLS ClientHello, from the bytes read so far.
 * "more": not enough bytes yet; null: a complete ClientHello without SNI, or not TLS at all.
 */
export function clientHelloServerName(buf: Buffer): string | null | "more" {
  if (buf.length < 1) return "more";
  if (buf[0] !== 0x16) return null; // not a TLS handshake record
  if (buf.length < 5) return "more";
  const recordLength = buf.readUInt16BE(3);
  if (buf.length < 5 + recordLength) return "more";
  // The ClientHello must fit in the first record (it always does in practice; a fragmented one is
  // treated as having no SNI, i.e. it is routed to the public site, never to the push).
  const hs = buf.subarray(5, 5 + recordLength);
  if (hs.length < 4 || hs[0] !== 0x01) return null;
  const helloLength = hs.readUIntBE(1, 3);
  if (4 + helloLength > hs.length) return null;
  const body = hs.subarray(4, 4 + helloLength);
  let p = 2 + 32; // client_version, random
  if (p + 1 > body.length) return null;
  p += 1 + body[p]!; // session_id
  if (p + 2 > body.length) return null;
  p += 2 + body.readUInt16BE(p); // cipher_suites
  if (p + 1 > body.length) return null;
  p += 1 + body[p]!; // compression_methods
  if (p + 2 > body.length) return null;
  const extEnd = Math.min(body.length, p + 2 + body.readUInt16BE(p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = body.readUInt16BE(p);
    const len = body.readUInt16BE(p + 2);
    const data = body.subarray(p + 4, Math.min(extEnd, p + 4 + len));
    p += 4 + len;
    if (type !== 0x0000) continue; // server_name
    let q = 2; // server_name_list length
    while (q + 3 <= data.length) {
      const nameType = data[q]!;
      const nameLen = data.readUInt16BE(q + 1);
      const name = data.subarray(q + 3, q + 3 + nameLen);
      if (nameType === 0 && name.length === nameLen) return name.toString("latin1").toLowerCase();
      q += 3 + nameLen;
    }
    return null;
  }
  return null;
}

export interface PushGatewayOptions {
  /** SNI that selects the push (PIN_SERVERNAME). */
  servername: string;
  /** The push endpoint's certificate and key (PEM): the certificate the publisher pins. */
  tls: { cert: string | Buffer; key: string | Buffer };
  /** Publisher addresses (CIDRs); deny by default. */
  allowlist: string[];
  /** The agent's bridge socket (websocketTransport({ bridgeSocket })). */
  socketPath: string;
  /** A peer that has not sent its whole ClientHello by then is dropped (default 10 s). */
  helloTimeoutMs?: number;
  onRejected?: (info: RejectedConnectionInfo) => void;
  /** Relay failures (agent not listening, ...): logged by the caller, the connection is closed. */
  onError?: (message: string) => void;
}

export interface PushGateway {
  /** Takes a freshly accepted TCP connection: the push when its SNI says so, else `toSite(socket)`. */
  route(socket: net.Socket, toSite: (socket: net.Socket) => void): void;
  /** Closes the relayed sessions (the caller closes its listener). */
  close(): void;
}

export function createPushGateway(opts: PushGatewayOptions): PushGateway {
  const allowlist = new Allowlist(opts.allowlist);
  const servername = opts.servername.toLowerCase();
  const open = new Set<net.Socket>();
  const pushTls = tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, handshakeTimeout: 10_000, ALPNProtocols: ["http/1.1"] }, (clear) => {
    const address = normalizeAddress(clear.remoteAddress ?? "");
    const upstream = net.connect(opts.socketPath);
    open.add(clear);
    open.add(upstream);
    const done = () => {
      clear.destroy();
      upstream.destroy();
      open.delete(clear);
      open.delete(upstream);
    };
    upstream.once("error", (e: NodeJS.ErrnoException) => {
      opts.onError?.(`the push from ${address} could not be relayed to the agent at ${opts.socketPath}: ${e.code ?? e.message}`);
      done();
    });
    clear.once("error", done);
    clear.once("close", done);
    upstream.once("close", done);
    upstream.write(`${BRIDGE_PREAMBLE} ${address}\n`);
    clear.pipe(upstream).pipe(clear);
  });
  pushTls.on("tlsClientError", (_e, socket) => socket.destroy());

  return {
    route(socket, toSite) {
      socket.on("error", () => undefined); // reported by the TLS/HTTP layers above; never fatal here
      // tracked until it is the site's (whose server tracks it) or closed: close() ends it
      open.add(socket);
      socket.once("close", () => open.delete(socket));
      const peer = normalizeAddress(socket.remoteAddress ?? "");
      let buf: Buffer = Buffer.alloc(0);
      const timer = setTimeout(() => socket.destroy(), opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        const name = clientHelloServerName(buf);
        if (name === "more" && buf.length < MAX_CLIENT_HELLO) return;
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("end", onEnd);
        socket.pause();
        socket.unshift(buf);
        if (name !== servername) {
          open.delete(socket);
          return toSite(socket);
        }
        // The push: the allowlist decides before any TLS byte goes back.
        if (!allowlist.allows(peer)) {
          socket.destroy();
          opts.onRejected?.({ address: peer, reason: "address not in allowlist" });
          return;
        }
        pushTls.emit("connection", socket);
      };
      const onEnd = () => {
        clearTimeout(timer);
        socket.destroy();
      };
      socket.on("data", onData);
      socket.once("end", onEnd);
      socket.once("close", () => clearTimeout(timer));
    },
    close() {
      for (const s of open) s.destroy();
      open.clear();
    },
  };
}

/** Reads the bridge preamble from a connection on the agent's unix socket: the peer's address and what followed. */
export function readBridgePreamble(socket: net.Socket, timeoutMs = 5000): Promise<{ address: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const fail = (why: string) => {
      cleanup();
      reject(new PrepcastError("PROTOCOL_ERROR", `bridge connection without a valid preamble: ${why}`));
    };
    const timer = setTimeout(() => fail("timeout"), timeoutMs);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > MAX_PREAMBLE) fail("too long");
        return;
      }
      const line = buf.subarray(0, nl).toString("latin1");
      const m = new RegExp(`^${BRIDGE_PREAMBLE.replace("/", "\\/")} ([0-9a-fA-F:.]{2,45})$`).exec(line);
      if (!m || net.isIP(m[1]!) === 0) return fail(JSON.stringify(line.slice(0, 64)));
      cleanup();
      socket.pause();
      resolve({ address: normalizeAddress(m[1]!), rest: buf.subarray(nl + 1) });
    };
    const onEnd = () => fail("closed");
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("error", onEnd);
    };
    socket.on("data", onData);
    socket.once("end", onEnd);
    socket.once("error", onEnd);
  });
}

/**
 * Listens on a unix socket for the gateway's relayed connections: a stale socket file left by a
 * crash is replaced (anything else at that path is an error), and the socket is made 0600 so only
 * the service's own user (the site workers) can connect.
 */
export async function listenBridgeSocket(server: net.Server, socketPath: string): Promise<void> {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(socketPath);
  } catch {
    st = undefined;
  }
  if (st && !st.isSocket())
    throw new PrepcastError("STATE_INVALID", `${socketPath} exists and is not a socket`, {
      where: socketPath,
      hint: "move it aside: the agent creates its push bridge socket there",
    });
  if (st) fs.rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new PrepcastError("UNAVAILABLE", `cannot listen on the push bridge socket ${socketPath}: ${e.code ?? e.message}`, { where: socketPath, cause: e }),
      ),
    );
    server.listen(socketPath, () => resolve());
  });
  fs.chmodSync(socketPath, 0o600);
}
