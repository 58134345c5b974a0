// How a refusal looks on the wire to an implementation that is not ours: a raw gRPC client or a
// raw WebSocket client talks to the real ReceiverSession over the real transports on loopback,
// and a raw gRPC server / WebSocket server talks to the real PublisherSession. Per refusal there
// is exactly one Error frame, then the transport's error ending: a non-OK gRPC status mapped from
// the code with the code in the `prepcast-error-code` trailer, or a WebSocket close 4000 whose
// reason is the code (docs/protocol.md, Error handling).
import * as grpc from "@grpc/grpc-js";
import { WebSocket, WebSocketServer } from "ws";
import { generateKeyPair } from "@prepcast/protocol";
import { prepcast } from "@prepcast/proto";
import { GRPC_SESSION_PATH, grpcTransport, websocketTransport, type FrameConnection, type FrameServer } from "@prepcast/transport";
import { PublisherSession, ReceiverSession, signAuth, type ReceiverSessionEvent } from "../index";
import { DirBackend, TestOple, testReceiverOptions, tmpDir } from "./fixtures";

const Frame = prepcast.v1.Frame;
const enc = (f: prepcast.v1.IFrame): Buffer => Buffer.from(Frame.encode(f).finish());

async function startReceiver(
  kind: "grpc" | "websocket",
  publisher = generateKeyPair(),
  events: ReceiverSessionEvent[] = [],
): Promise<{ server: FrameServer; done: Promise<void>[] }> {
  const ople = new TestOple();
  const receiver = generateKeyPair();
  const backend = new DirBackend(tmpDir());
  const done: Promise<void>[] = [];
  const factory = kind === "grpc" ? grpcTransport() : websocketTransport();
  const server = await factory.listen({ host: "127.0.0.1", port: 0 }, (conn: FrameConnection) => {
    done.push(
      new ReceiverSession(conn, testReceiverOptions({ ople, receiver, publisher, backend, partialDir: tmpDir() }, { onEvent: (e) => events.push(e) })).run(),
    );
  });
  return { server, done };
}

/** A PublisherAuth from an impostor: the receiver pins publisher "ople", this says "mallory". */
const impostorAuth = (): Buffer =>
  enc({
    publisherAuth: {
      publisherId: "mallory",
      identityPublicKey: Buffer.alloc(32, 1),
      nonce: Buffer.alloc(32, 2),
      signature: Buffer.alloc(64, 3),
      clockUnixMs: Date.now(),
    },
  });

describe("a refused session on the wire", () => {
  it("gRPC receiver: Hello, then exactly one Error frame, then UNAUTHENTICATED with the code in the trailer", async () => {
    const { server, done } = await startReceiver("grpc");
    const client = new grpc.Client(`127.0.0.1:${server.address.port}`, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(
        GRPC_SESSION_PATH,
        (b) => b,
        (b) => b,
      );
      call.on("error", () => undefined);
      const frames: prepcast.v1.Frame[] = [];
      call.on("data", (b: Buffer) => {
        frames.push(Frame.decode(b));
        if (frames.length === 1) call.write(impostorAuth());
      });
      const status = await new Promise<grpc.StatusObject>((resolve) => call.once("status", resolve));
      expect(frames.map((f) => f.body)).toEqual(["hello", "error"]);
      expect(frames[1]!.error).toMatchObject({ code: "AUTH_FAILED", retryable: false });
      expect(frames[1]!.error!.message).toMatch(/mallory/);
      expect(status.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(status.metadata.get("prepcast-error-code")).toEqual(["AUTH_FAILED"]);
      expect(status.details).toMatch(/mallory/);
      await Promise.all(done);
    } finally {
      client.close();
      await server.close();
    }
  });

  it("WebSocket receiver: Hello, then exactly one Error frame, then close 4000 with the code as reason", async () => {
    const { server, done } = await startReceiver("websocket");
    const ws = new WebSocket(`ws://127.0.0.1:${server.address.port}/prepcast/v1/push`);
    try {
      const frames: prepcast.v1.Frame[] = [];
      ws.on("message", (b: Buffer) => {
        frames.push(Frame.decode(b));
        if (frames.length === 1) ws.send(impostorAuth());
      });
      const [code, reason] = await new Promise<[number, string]>((resolve) => ws.once("close", (c: number, r: Buffer) => resolve([c, r.toString("utf8")])));
      expect(frames.map((f) => f.body)).toEqual(["hello", "error"]);
      expect(frames[1]!.error).toMatchObject({ code: "AUTH_FAILED" });
      expect(code).toBe(4000);
      expect(reason).toBe("AUTH_FAILED");
      await Promise.all(done);
    } finally {
      ws.terminate();
      await server.close();
    }
  });

  it("publisher over gRPC: a Hello from the wrong receiver gets exactly one Error frame, then a half-close", async () => {
    const server = new grpc.Server();
    const seen: prepcast.v1.Frame[] = [];
    const ended = new Promise<void>((resolve) => {
      server.addService(
        {
          Session: {
            path: GRPC_SESSION_PATH,
            requestStream: true,
            responseStream: true,
            requestSerialize: (b: Buffer) => b,
            requestDeserialize: (b: Buffer) => b,
            responseSerialize: (b: Buffer) => b,
            responseDeserialize: (b: Buffer) => b,
          },
        },
        {
          Session: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
            call.on("data", (b: Buffer) => seen.push(Frame.decode(b)));
            call.on("end", () => {
              call.end();
              resolve();
            });
            call.write(enc({ hello: { protocolVersion: 1, receiverId: "someone-else", identityPublicKey: Buffer.alloc(32, 9), nonce: Buffer.alloc(32, 8) } }));
          },
        },
      );
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    try {
      const conn = await grpcTransport().connect({ host: "127.0.0.1", port });
      const me = generateKeyPair();
      await expect(
        PublisherSession.open(conn, { publisherId: "ople", identity: me, receiver: { id: "uv", publicKey: generateKeyPair().publicKey } }),
      ).rejects.toMatchObject({ code: "AUTH_FAILED" });
      await ended;
      expect(seen.map((f) => f.body)).toEqual(["error"]);
      expect(seen[0]!.error!.code).toBe("AUTH_FAILED");
    } finally {
      server.forceShutdown();
    }
  });

  it("publisher over WebSocket: exactly one Error frame, then close 4000 with the code as reason", async () => {
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
    const seen: prepcast.v1.Frame[] = [];
    const closed = new Promise<[number, string]>((resolve) => {
      wss.on("connection", (ws) => {
        ws.on("message", (b: Buffer) => seen.push(Frame.decode(b)));
        ws.on("close", (c: number, r: Buffer) => resolve([c, r.toString("utf8")]));
        ws.send(enc({ hello: { protocolVersion: 1, receiverId: "someone-else", identityPublicKey: Buffer.alloc(32, 9), nonce: Buffer.alloc(32, 8) } }));
      });
    });
    try {
      const conn = await websocketTransport().connect({ host: "127.0.0.1", port: (wss.address() as { port: number }).port });
      await expect(
        PublisherSession.open(conn, { publisherId: "ople", identity: generateKeyPair(), receiver: { id: "uv", publicKey: generateKeyPair().publicKey } }),
      ).rejects.toMatchObject({ code: "AUTH_FAILED" });
      const [code, reason] = await closed;
      expect(seen.map((f) => f.body)).toEqual(["error"]);
      expect(code).toBe(4000);
      expect(reason).toBe("AUTH_FAILED");
    } finally {
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it("an authenticated Offer with payload_size = 2^53 + 1: INTEGER_OUT_OF_RANGE naming the field and the exact value, never rounded", async () => {
    const publisher = generateKeyPair();
    const events: ReceiverSessionEvent[] = [];
    const { server, done } = await startReceiver("grpc", publisher, events);
    const client = new grpc.Client(`127.0.0.1:${server.address.port}`, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest<Buffer, Buffer>(
        GRPC_SESSION_PATH,
        (b) => b,
        (b) => b,
      );
      call.on("error", () => undefined);
      const frames: prepcast.v1.Frame[] = [];
      const nonce = Buffer.alloc(32, 5);
      // Offer{transfer_id, payload_size = 2^53 + 1}, hand-encoded: field 8, varint 0x81 0x80 ... 0x10
      const offerBody = Buffer.concat([
        enc({ offer: { transferId: "ab".repeat(16), encoding: "full", chunkSize: 1024 } }).subarray(2),
        Buffer.from([0x40, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10]),
      ]);
      const offer = Buffer.concat([Buffer.from([0x22, offerBody.length]), offerBody]);
      call.on("data", (b: Buffer) => {
        const f = Frame.decode(b);
        frames.push(f);
        if (f.body === "hello") {
          const params = {
            publisherId: "ople",
            publisherKey: publisher.publicKey,
            publisherNonce: nonce,
            receiverId: f.hello!.receiverId!,
            receiverKey: f.hello!.identityPublicKey!,
            receiverNonce: f.hello!.nonce!,
          };
          call.write(
            enc({
              publisherAuth: {
                publisherId: "ople",
                identityPublicKey: publisher.publicKey,
                nonce,
                signature: signAuth("publisher", params, publisher),
                clockUnixMs: Date.now(),
              },
            }),
          );
        }
        if (f.body === "receiverAuth") call.write(offer);
      });
      const status = await new Promise<grpc.StatusObject>((resolve) => call.once("status", resolve));
      expect(frames.map((f) => f.body)).toEqual(["hello", "receiverAuth", "error"]);
      expect(frames[2]!.error!.code).toBe("INTEGER_OUT_OF_RANGE");
      expect(frames[2]!.error!.message).toMatch(/offer\.payload_size = 9007199254740993\b/);
      expect(frames[2]!.error!.message).not.toMatch(/9007199254740992/);
      expect(status.code).toBe(grpc.status.OUT_OF_RANGE);
      expect(status.metadata.get("prepcast-error-code")).toEqual(["INTEGER_OUT_OF_RANGE"]);
      await Promise.all(done);
      // the session never saw the offer, so nothing (audit log included) can record a rounded size
      expect(events.map((e) => e.type)).toEqual(["authenticated"]);
    } finally {
      client.close();
      await server.close();
    }
  });
});
