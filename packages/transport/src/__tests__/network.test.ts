// Transport-specific behaviour the shared compliance suite cannot express.
import { createHash } from "node:crypto";
import * as https from "node:https";
import * as net from "node:net";
import { WebSocket } from "ws";
import { isPrepcastError } from "@prepcast/protocol";
import * as grpc from "@grpc/grpc-js";
import { GRPC_SESSION_PATH, grpcTransport } from "../grpc";
import { generateSelfSignedCertificate, type SelfSignedCertificate } from "../tls";
import type { FrameConnection, FrameServer, TransportFactory } from "../types";
import { websocketTransport } from "../websocket";

let cert: SelfSignedCertificate;
const servers: FrameServer[] = [];
beforeAll(async () => {
  cert = await generateSelfSignedCertificate({ commonName: "network-test", days: 2 });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function listen(factory: TransportFactory, extra: Record<string, unknown> = {}) {
  const accepted: FrameConnection[] = [];
  const server = await factory.listen({ host: "127.0.0.1", port: 0, tls: { cert: cert.cert, key: cert.key }, ...extra }, (c) => accepted.push(c));
  servers.push(server);
  return { server, accepted };
}

async function firstError(conn: FrameConnection): Promise<unknown> {
  try {
    for await (const _ of conn.frames()) void _;
  } catch (e) {
    return e;
  }
  return undefined;
}

describe.each([
  ["grpc", () => grpcTransport()],
  ["websocket", () => websocketTransport()],
])("%s push port", (_name, make) => {
  it("closes a refused address's socket before answering a single byte", async () => {
    const rejected: string[] = [];
    const { server } = await listen(make(), { allowlist: ["10.0.0.0/8"], onRejected: (i: { address: string }) => rejected.push(i.address) });
    const socket = net.connect(server.address.port, "127.0.0.1");
    let received = 0;
    socket.on("data", (d: Buffer) => (received += d.length));
    socket.on("error", () => undefined);
    socket.write(Buffer.from("160301", "hex")); // start of a TLS ClientHello
    await new Promise((r) => socket.once("close", r));
    expect(received).toBe(0);
    expect(rejected).toEqual(["127.0.0.1"]);
  });
});

describe("websocket specifics", () => {
  it("shares an existing HTTPS server: the site keeps answering, the push path is allowlisted and pinned", async () => {
    const site = https.createServer({ cert: cert.cert, key: cert.key }, (_req, res) => res.end("sitio PREP"));
    await new Promise<void>((r) => site.listen(0, "127.0.0.1", () => r()));
    const port = (site.address() as net.AddressInfo).port;
    try {
      const rejected: string[] = [];
      const denying = await websocketTransport({ attachTo: site }).listen(
        { host: "ignored", port: 0, allowlist: ["10.0.0.0/8"], onRejected: (i) => rejected.push(i.address) },
        () => undefined,
      );
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get({ host: "127.0.0.1", port, path: "/index.html", rejectUnauthorized: false }, (res) => {
            let text = "";
            res.on("data", (d) => (text += d)).on("end", () => resolve(text));
          })
          .on("error", reject);
      });
      expect(body).toBe("sitio PREP");
      const e = await websocketTransport()
        .connect({ host: "127.0.0.1", port, tls: { expectedFingerprint: cert.fingerprint }, connectTimeoutMs: 3000 })
        .catch((x: unknown) => x);
      expect(isPrepcastError(e, "UNAVAILABLE")).toBe(true);
      expect(rejected).toEqual(["127.0.0.1"]);
      await denying.close();

      const accepted: FrameConnection[] = [];
      const allowing = await websocketTransport({ attachTo: site }).listen({ host: "ignored", port: 0, allowlist: ["127.0.0.0/8"] }, (c) => accepted.push(c));
      expect(allowing.address.port).toBe(port);
      const client = await websocketTransport().connect({ host: "127.0.0.1", port, tls: { expectedFingerprint: cert.fingerprint } });
      await client.send({ ping: { unixMs: 7 } });
      while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
      for await (const f of accepted[0]!.frames()) {
        expect(Number(f.ping?.unixMs)).toBe(7);
        break;
      }
      await client.close();
      await allowing.close();
    } finally {
      site.closeAllConnections();
      await new Promise((r) => site.close(r));
    }
  });

  it("answers a wrong path with a clear error", async () => {
    const { server } = await listen(websocketTransport());
    const e = await websocketTransport()
      .connect({ host: "127.0.0.1", port: server.address.port, path: "/other", tls: { expectedFingerprint: cert.fingerprint } })
      .catch((x: unknown) => x);
    expect(isPrepcastError(e, "UNAVAILABLE")).toBe(true);
    expect((e as Error).message).toMatch(/HTTP 404/);
  });

  it.each([
    ["a text message", (ws: WebSocket) => ws.send("hola"), /text WebSocket message/],
    ["bytes that are not a Frame", (ws: WebSocket) => ws.send(Buffer.from([0x0a, 0xff, 0x01])), /not a prepcast.v1.Frame/],
  ])("fails the session with PROTOCOL_ERROR on %s", async (_what, misbehave, message) => {
    const { server, accepted } = await listen(websocketTransport());
    const ws = new WebSocket(`wss://127.0.0.1:${server.address.port}/prepcast/v1/push`, { rejectUnauthorized: false });
    await new Promise((r, j) => ws.once("open", r).once("error", j));
    const closed = new Promise<number>((r) => ws.once("close", (code) => r(code)));
    misbehave(ws);
    while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
    const e = await firstError(accepted[0]!);
    expect(isPrepcastError(e, "PROTOCOL_ERROR")).toBe(true);
    expect((e as Error).message).toMatch(message);
    expect(await closed).toBe(4000);
  });
});

describe("grpc specifics", () => {
  it("fails the session with PROTOCOL_ERROR on bytes that are not a Frame and tells the client why", async () => {
    const { server, accepted } = await listen(grpcTransport(), { tls: undefined });
    const client = new grpc.Client(`127.0.0.1:${server.address.port}`, grpc.credentials.createInsecure());
    const call = client.makeBidiStreamRequest<Buffer, Buffer>(
      GRPC_SESSION_PATH,
      (b) => b,
      (b) => b,
    );
    call.on("error", () => undefined);
    call.on("data", () => undefined);
    const status = new Promise<{ code: number; metadata: { get(k: string): unknown[] } }>((r) => call.once("status", r));
    call.write(Buffer.from([0x0a, 0xff, 0x01]));
    while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
    const e = await firstError(accepted[0]!);
    expect(isPrepcastError(e, "PROTOCOL_ERROR")).toBe(true);
    const s = await status;
    expect(s.code).toBe(grpc.status.ABORTED);
    expect(s.metadata.get("prepcast-error-code")).toEqual(["PROTOCOL_ERROR"]);
    client.close();
  });
});

describe.each([
  ["grpc", () => grpcTransport()],
  ["websocket", () => websocketTransport()],
])("%s keepalive", (_name, make) => {
  it("keeps a quiet session alive with transport pings", async () => {
    const factory = make();
    const { server, accepted } = await listen(factory, { keepaliveMs: 100, idleTimeoutMs: 0 });
    const client = await factory.connect({
      host: "127.0.0.1",
      port: server.address.port,
      tls: { expectedFingerprint: cert.fingerprint },
      keepaliveMs: 100,
      idleTimeoutMs: 0,
    });
    await new Promise((r) => setTimeout(r, 1200));
    await client.send({ ping: { unixMs: 3 } });
    for await (const f of accepted[0]!.frames()) {
      expect(Number(f.ping?.unixMs)).toBe(3);
      break;
    }
    await client.close();
  });
});

it("websocket: a peer that stops answering pings is dropped", async () => {
  const { server, accepted } = await listen(websocketTransport(), { keepaliveMs: 100, idleTimeoutMs: 0 });
  const ws = new WebSocket(`wss://127.0.0.1:${server.address.port}/prepcast/v1/push`, { rejectUnauthorized: false, autoPong: false });
  await new Promise((r, j) => ws.once("open", r).once("error", j));
  ws.on("error", () => undefined);
  while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5));
  const e = await firstError(accepted[0]!);
  expect(isPrepcastError(e, "UNAVAILABLE")).toBe(true);
  expect((e as Error).message).toMatch(/did not answer a WebSocket ping within 100 ms/);
  ws.terminate();
});

describe("websocket client", () => {
  it("keeps a frame that arrives in the same read as the 101 response (no frame lost before the first listener)", async () => {
    const { prepcast } = await import("@prepcast/proto");
    const hello = prepcast.v1.Frame.encode({ ping: { unixMs: 1717290000000 } }).finish();
    // A server that answers the upgrade and sends its first binary frame in one TCP write.
    const sockets: net.Socket[] = [];
    const raw = net.createServer((socket) => {
      sockets.push(socket);
      let head = "";
      socket.on("data", (d: Buffer) => {
        head += d.toString("latin1");
        if (!head.includes("\r\n\r\n")) return;
        const key = /sec-websocket-key:\s*(\S+)/i.exec(head)![1]!;
        const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
        const response = Buffer.from(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
          "latin1",
        );
        const frame = Buffer.concat([Buffer.from([0x82, hello.length]), Buffer.from(hello)]); // FIN + binary, unmasked, length < 126
        socket.write(Buffer.concat([response, frame]));
      });
      socket.on("error", () => undefined);
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", () => r()));
    try {
      const conn = await websocketTransport().connect({
        host: "127.0.0.1",
        port: (raw.address() as net.AddressInfo).port,
        connectTimeoutMs: 5000,
        idleTimeoutMs: 5000,
        keepaliveMs: 0,
      });
      const it = conn.frames()[Symbol.asyncIterator]();
      let timer: NodeJS.Timeout | undefined;
      const lost = new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error("the coalesced frame was lost")), 3000)));
      const first = await Promise.race([it.next(), lost]).finally(() => clearTimeout(timer));
      expect(first.done).toBe(false);
      expect(Number(first.value!.ping?.unixMs)).toBe(1717290000000);
      await conn.close();
    } finally {
      for (const sock of sockets) sock.destroy(); // it never answers the WebSocket close
      await new Promise((r) => raw.close(r));
    }
  });
});
