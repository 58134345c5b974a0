// The behaviour every transport shares, so that the three implementations differ only in how
// bytes move: bounded inbox with pause/resume, a byte window for sends, idle timeout, close.
import { randomUUID } from "node:crypto";
import { findUnsafeInteger, prepcast } from "@prepcast/proto";
import { PrepcastError, type ErrorCode } from "@prepcast/protocol";
import type { CloseReason, FrameConnection, TransportKind } from "./types";

/** Bytes a sender may have written but not yet flushed before `send` starts waiting. */
export const SEND_WINDOW_BYTES = 1024 * 1024;
/** Decoded-but-unread bytes after which the transport stops reading from the peer. */
export const INBOX_HIGH_BYTES = 1024 * 1024;
export const INBOX_HIGH_FRAMES = 256;
/** How long close() waits for the final Error frame and the peer's own close. */
export const CLOSE_GRACE_MS = 2000;

const KNOWN_CODES = new Set<string>([
  "AUTH_FAILED",
  "PEER_NOT_ALLOWED",
  "PROTOCOL_ERROR",
  "MESSAGE_TOO_LARGE",
  "TIMEOUT",
  "UNAVAILABLE",
  "INTERNAL",
  "INTEGER_OUT_OF_RANGE",
]);

export function asErrorCode(code: string | undefined, fallback: ErrorCode): ErrorCode {
  return code !== undefined && KNOWN_CODES.has(code) ? (code as ErrorCode) : fallback;
}

export function tooLarge(size: number, limit: number, where: string, side: "local" | "remote"): PrepcastError {
  return new PrepcastError(
    "MESSAGE_TOO_LARGE",
    side === "local"
      ? `frame of ${size} bytes exceeds the limit of ${limit} bytes; it was not sent`
      : `${where} refused a frame${size > 0 ? ` of ${size} bytes` : ""} over ${limit > 0 ? `the limit of ${limit} bytes` : "its size limit"}`,
    { where, hint: "send payload data in chunks smaller than maxFrameBytes (both sides must agree on the limit)", details: { size, limit } },
  );
}

export interface ConnectionInit {
  transport: TransportKind;
  remoteAddress: string;
  /** host:port or similar, used in error messages. */
  where: string;
  peerCertificateFingerprint?: string;
  maxFrameBytes: number;
  idleTimeoutMs: number;
}

type State = "open" | "closing" | "closed";

export abstract class BaseConnection implements FrameConnection {
  readonly id = randomUUID();
  readonly remoteAddress: string;
  readonly transport: TransportKind;
  readonly peerCertificateFingerprint?: string;
  readonly closed: Promise<void>;
  protected readonly maxFrameBytes: number;
  protected readonly where: string;

  private state: State = "open";
  private resolveClosed!: () => void;
  private readonly inbox: prepcast.v1.Frame[] = [];
  private readonly inboxSizes: number[] = [];
  private inboxBytes = 0;
  private inboxDone = false;
  private inboxError: PrepcastError | undefined;
  private discardInput = false;
  private inputPaused = false;
  private wakeReader: (() => void) | undefined;
  private iterated = false;
  private inflightBytes = 0;
  private readonly waitingSends = new Set<{ resolve(): void; reject(e: Error): void }>();
  private readonly idleTimeoutMs: number;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(init: ConnectionInit) {
    this.transport = init.transport;
    this.remoteAddress = init.remoteAddress;
    this.where = init.where;
    if (init.peerCertificateFingerprint !== undefined) this.peerCertificateFingerprint = init.peerCertificateFingerprint;
    this.maxFrameBytes = init.maxFrameBytes;
    this.idleTimeoutMs = init.idleTimeoutMs;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.armIdleTimer();
  }

  // ---- what each transport implements -------------------------------------------------------
  /** Writes one encoded frame; `done` runs once the bytes left this process's buffers (or failed). */
  protected abstract writeBytes(bytes: Uint8Array, done: (err?: Error | null) => void): void;
  protected abstract pauseInput(): void;
  protected abstract resumeInput(): void;
  /**
   * Graceful close of our sending side; the transport reports the end with transportClosed().
   * With `reason` (close() after its Error frame) the end carries the error: a gRPC status and
   * trailer, a WebSocket close code; frames already written go first.
   */
  protected abstract endOutput(reason?: CloseReason): void;
  /** Immediate teardown; when the transport can, it tells the peer `error`. */
  protected abstract destroyTransport(error: PrepcastError | undefined): void;

  // ---- what transports call -----------------------------------------------------------------
  /** True while our own reader is behind (the transport is not reading from the peer). */
  protected get inputIsPaused(): boolean {
    return this.inputPaused;
  }

  /** One complete encoded frame arrived. */
  protected receiveBytes(bytes: Uint8Array): void {
    if (this.state === "closed" || this.inboxDone) return;
    this.touch();
    if (bytes.length > this.maxFrameBytes) {
      this.fail(tooLarge(bytes.length, this.maxFrameBytes, this.where, "local"), true);
      return;
    }
    if (this.discardInput) return;
    let frame: prepcast.v1.Frame;
    try {
      frame = prepcast.v1.Frame.decode(bytes);
    } catch (e) {
      this.fail(
        new PrepcastError("PROTOCOL_ERROR", `${this.where} sent ${bytes.length} bytes that are not a prepcast.v1.Frame: ${(e as Error).message}`, {
          where: this.where,
        }),
        true,
      );
      return;
    }
    // A 64-bit value a JS number cannot hold exactly is refused here, for every field, before the
    // session sees it (it would be rounded: 2^53 + 1 reads as 2^53).
    const unsafe = findUnsafeInteger(frame);
    if (unsafe) {
      this.fail(
        new PrepcastError(
          "INTEGER_OUT_OF_RANGE",
          `${this.where} sent ${unsafe.field} = ${unsafe.value}, outside ±9007199254740991 (2^53 − 1), the range of every PREPcast 64-bit field; the frame is refused, not rounded`,
          {
            where: this.where,
            hint: "a peer must never send a 64-bit value above 2^53 − 1 (docs/protocol.md, Encodings on the wire)",
            details: { field: unsafe.field, value: unsafe.value },
          },
        ),
        true,
      );
      return;
    }
    this.inbox.push(frame);
    this.inboxSizes.push(bytes.length);
    this.inboxBytes += bytes.length;
    if (!this.inputPaused && (this.inboxBytes >= INBOX_HIGH_BYTES || this.inbox.length >= INBOX_HIGH_FRAMES)) {
      this.inputPaused = true;
      this.pauseInput();
    }
    this.wake();
  }

  /** The peer finished sending cleanly; we finish too. */
  protected remoteEnded(): void {
    if (this.state === "closed") return;
    this.finishInbox(undefined);
    this.rejectWaitingSends(new PrepcastError("UNAVAILABLE", `${this.where} closed the connection`, { where: this.where }));
    if (this.state === "open") {
      this.state = "closing";
      this.endOutput();
      this.startGraceTimer();
    }
  }

  /** The underlying transport is gone; `error` undefined means a clean close. */
  protected transportClosed(error?: PrepcastError): void {
    this.terminate(error);
  }

  /** A local or protocol failure: tear down and, when possible, tell the peer. */
  protected fail(error: PrepcastError, tellPeer: boolean): void {
    if (this.state === "closed") return;
    this.terminate(error);
    if (tellPeer) {
      // The one Error frame of this refusal (best effort), ahead of the status / close code.
      const bytes = prepcast.v1.Frame.encode({ error: { code: error.code, message: error.message.slice(0, 4096), retryable: false } }).finish();
      try {
        this.writeBytes(bytes, () => undefined);
      } catch {
        /* the transport is already gone */
      }
    }
    this.destroyTransport(tellPeer ? error : undefined);
  }

  // ---- FrameConnection ----------------------------------------------------------------------
  send(frame: prepcast.v1.IFrame): Promise<void> {
    if (this.state !== "open") return Promise.reject(this.closedError());
    let bytes: Uint8Array;
    try {
      bytes = prepcast.v1.Frame.encode(frame).finish();
    } catch (e) {
      return Promise.reject(new PrepcastError("PROTOCOL_ERROR", `frame cannot be encoded: ${(e as Error).message}`, { where: this.where }));
    }
    if (bytes.length > this.maxFrameBytes) return Promise.reject(tooLarge(bytes.length, this.maxFrameBytes, this.where, "local"));
    return this.sendBytes(bytes);
  }

  frames(): AsyncIterable<prepcast.v1.Frame> {
    if (this.iterated) throw new PrepcastError("INTERNAL", "frames() of a connection can only be iterated once");
    this.iterated = true;
    return this.readFrames();
  }

  async close(reason?: CloseReason): Promise<void> {
    if (this.state === "open") {
      this.state = "closing";
      this.discardInput = true;
      this.inbox.length = 0;
      this.inboxSizes.length = 0;
      this.inboxBytes = 0;
      if (this.inputPaused) {
        this.inputPaused = false;
        this.resumeInput();
      }
      this.finishInbox(undefined);
      this.startGraceTimer();
      if (reason) {
        const bytes = prepcast.v1.Frame.encode({
          error: { code: reason.code, message: String(reason.message).slice(0, 4096), retryable: reason.retryable === true },
        }).finish();
        await this.sendBytes(bytes).catch(() => undefined);
      }
      this.rejectWaitingSends(this.closedError());
      if (this.state === "closing") this.endOutput(reason);
    }
    await this.closed;
  }

  // ---- internals ----------------------------------------------------------------------------
  private sendBytes(bytes: Uint8Array): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter = { resolve, reject };
      let settled = false;
      this.inflightBytes += bytes.length;
      if (this.inflightBytes <= SEND_WINDOW_BYTES) {
        settled = true;
        resolve();
      } else {
        this.waitingSends.add(waiter);
      }
      this.writeBytes(bytes, (err) => {
        this.inflightBytes -= bytes.length;
        if (!err) this.touch();
        if (settled) return;
        settled = true;
        this.waitingSends.delete(waiter);
        if (err)
          reject(
            this.state === "closed"
              ? this.closedError()
              : new PrepcastError("UNAVAILABLE", `write to ${this.where} failed: ${err.message}`, { where: this.where, cause: err }),
          );
        else resolve();
      });
    });
  }

  private async *readFrames(): AsyncGenerator<prepcast.v1.Frame> {
    while (true) {
      const frame = this.inbox.shift();
      if (frame) {
        this.inboxBytes -= this.inboxSizes.shift()!;
        if (this.inputPaused && this.inboxBytes < INBOX_HIGH_BYTES / 2 && this.inbox.length < INBOX_HIGH_FRAMES / 2) {
          this.inputPaused = false;
          this.touch();
          if (this.state !== "closed") this.resumeInput();
        }
        yield frame;
        continue;
      }
      if (this.inboxDone) {
        if (this.inboxError) throw this.inboxError;
        return;
      }
      await new Promise<void>((resolve) => (this.wakeReader = resolve));
    }
  }

  private wake(): void {
    const w = this.wakeReader;
    this.wakeReader = undefined;
    w?.();
  }

  private finishInbox(error: PrepcastError | undefined): void {
    if (this.inboxDone) return;
    this.inboxDone = true;
    this.inboxError = error;
    this.wake();
  }

  private closeErrorCache: PrepcastError | undefined;
  private closedError(): PrepcastError {
    return this.closeErrorCache ?? new PrepcastError("UNAVAILABLE", `connection to ${this.where} is closed`, { where: this.where });
  }

  private rejectWaitingSends(error: PrepcastError): void {
    for (const w of this.waitingSends) w.reject(error);
    this.waitingSends.clear();
  }

  private terminate(error: PrepcastError | undefined): void {
    if (this.state === "closed") return;
    this.state = "closed";
    if (error) this.closeErrorCache = error;
    clearTimeout(this.idleTimer);
    clearTimeout(this.graceTimer);
    this.finishInbox(error);
    this.rejectWaitingSends(this.closedError());
    this.resolveClosed();
  }

  private startGraceTimer(): void {
    if (this.graceTimer) return;
    this.graceTimer = setTimeout(() => {
      if (this.state === "closed") return;
      this.terminate(undefined);
      this.destroyTransport(undefined);
    }, CLOSE_GRACE_MS);
  }

  private touch(): void {
    this.lastActivity = Date.now();
  }

  private armIdleTimer(): void {
    if (this.idleTimeoutMs <= 0) return;
    const due = this.lastActivity + this.idleTimeoutMs - Date.now();
    this.idleTimer = setTimeout(
      () => {
        if (this.state === "closed") return;
        // Our own reader being slow is not the peer stalling.
        if (this.inputPaused) this.touch();
        if (Date.now() - this.lastActivity >= this.idleTimeoutMs) {
          this.fail(
            new PrepcastError("TIMEOUT", `no frame moved to or from ${this.where} for ${this.idleTimeoutMs} ms`, {
              where: this.where,
              hint: "the peer is stalled or gone; the session can be resumed",
            }),
            true,
          );
        } else {
          this.armIdleTimer();
        }
      },
      Math.max(due, 10),
    );
  }
}

/** The error a side sees when its peer tore the connection down because of `code`. */
export function peerError(code: string | undefined, message: string | undefined, where: string): PrepcastError {
  const known = asErrorCode(code, "UNAVAILABLE");
  if (known === "MESSAGE_TOO_LARGE") return tooLarge(0, 0, where, "remote");
  return new PrepcastError(known, `${where} closed the connection${code ? ` (${code})` : ""}${message ? `: ${message}` : ""}`, { where });
}

/** Hands a new server-side connection to the application; a throwing callback closes it, never the server. */
export function deliverConnection(conn: FrameConnection, onConnection: (c: FrameConnection) => void): void {
  try {
    onConnection(conn);
  } catch (e) {
    void conn.close({ code: "INTERNAL", message: `the receiver failed to start the session: ${(e as Error)?.message ?? String(e)}` });
  }
}
