// One push session carried by a gRPC bidirectional stream (either side), and the gRPC status a
// receiver ends a session with. The service, the listener and the dialler are in grpc.ts.
import * as grpc from "@grpc/grpc-js";
import { PrepcastError, type ErrorCode } from "@prepcast/protocol";
import { BaseConnection, peerError, type ConnectionInit } from "./connection";
import type { CloseReason } from "./types";

export const ERROR_CODE_KEY = "prepcast-error-code";

// Frames are encoded and decoded by the connection core (so size and decode errors are typed the
// same way on every transport); gRPC carries the bytes as they are.
export const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));
export const passThrough = (b: Buffer): Buffer => b;

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

type GrpcCall = grpc.ServerDuplexStream<Buffer, Buffer> | grpc.ClientDuplexStream<Buffer, Buffer>;

export class GrpcConnection extends BaseConnection {
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
