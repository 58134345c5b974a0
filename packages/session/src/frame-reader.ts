import { peerText, PrepcastError, type ErrorCode, ERROR_CODES } from "@prepcast/protocol";
import type { prepcast } from "@prepcast/proto";
import type { FrameConnection } from "@prepcast/transport";

export type Frame = prepcast.v1.Frame;
export type FrameBody = NonNullable<Frame["body"]>;

/**
 * Pulls frames from a connection in the background so a sender can notice an Error frame
 * (disk full, refusal) while it streams, and a reader can wait for the next frame with a
 * deadline. Ping frames are answered here, Pong frames dropped.
 */
export class FrameReader {
  private readonly queue: Frame[] = [];
  private waiter: ((v: void) => void) | null = null;
  private ended = false;
  private failure: unknown = null;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private bytes = 0;
  private drained: (() => void) | null = null;

  /**
   * `maxQueuedBytes` (default 64 MiB): past it the reader stops pulling frames, so the transport's
   * flow control holds the peer back; frames are up to 8 MiB each, and 1024 of them unread would
   * otherwise be 8 GiB in memory.
   */
  constructor(
    private readonly conn: FrameConnection,
    opts: { maxQueued?: number; maxQueuedBytes?: number } = {},
  ) {
    this.maxQueued = opts.maxQueued ?? 1024;
    this.maxQueuedBytes = opts.maxQueuedBytes ?? 64 * 1024 * 1024;
    void this.pump();
  }

  /** Bytes of payload held in frames nobody has read yet. */
  get queuedBytes(): number {
    return this.bytes;
  }

  private async pump(): Promise<void> {
    try {
      for await (const frame of this.conn.frames()) {
        if (frame.body === "ping") {
          void this.conn.send({ pong: { unixMs: frame.ping?.unixMs ?? 0 } }).catch(() => undefined);
          continue;
        }
        if (frame.body === "pong") continue;
        if (this.queue.length >= this.maxQueued) {
          // a flood: end the session now rather than after working through the backlog
          this.queue.length = 0;
          this.bytes = 0;
          throw new PrepcastError("PROTOCOL_ERROR", `peer sent more than ${this.maxQueued} frames without waiting for an answer`, {
            where: this.conn.remoteAddress,
          });
        }
        this.queue.push(frame);
        this.bytes += frameBytes(frame);
        this.wake();
        while (this.bytes > this.maxQueuedBytes && !this.ended) await new Promise<void>((resolve) => (this.drained = resolve));
      }
    } catch (e) {
      this.failure = e;
    } finally {
      this.ended = true;
      this.wake();
    }
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    if (w) w();
  }

  /** A queued Error frame, if the peer sent one; does not wait. */
  peekError(): PrepcastError | null {
    const f = this.queue.find((q) => q.body === "error");
    return f ? errorFromFrame(f) : null;
  }

  /** True when a frame is waiting. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * The next frame, or throws TIMEOUT / UNAVAILABLE (connection ended) / the peer's Error.
   * An aborted `signal` returns null without consuming anything: one waiter at a time.
   */
  async next(timeoutMs: number, what: string): Promise<Frame>;
  async next(timeoutMs: number, what: string, signal: AbortSignal): Promise<Frame | null>;
  async next(timeoutMs: number, what: string, signal?: AbortSignal): Promise<Frame | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (signal?.aborted) return null;
      const f = this.queue.shift();
      if (f) {
        this.bytes -= frameBytes(f);
        if (this.drained && this.bytes <= this.maxQueuedBytes) {
          const d = this.drained;
          this.drained = null;
          d();
        }
        if (f.body === "error") throw errorFromFrame(f);
        return f;
      }
      if (this.ended) {
        if (this.failure) throw this.failure;
        throw new PrepcastError("UNAVAILABLE", `connection closed while waiting for ${what}`, { where: this.conn.remoteAddress });
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new PrepcastError("TIMEOUT", `no ${what} within ${Math.round(timeoutMs / 1000)} s`, {
          where: this.conn.remoteAddress,
          hint: "the peer stalled; the session will be retried",
        });
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          signal?.removeEventListener("abort", done);
          if (this.waiter === done) this.waiter = null;
          resolve();
        };
        const t = setTimeout(done, left);
        signal?.addEventListener("abort", done);
        this.waiter = done;
      });
    }
  }

  /** The next frame, which must carry `body`. */
  async expect<K extends FrameBody>(body: K, timeoutMs: number): Promise<NonNullable<Frame[K]>> {
    const f = await this.next(timeoutMs, body);
    if (f.body !== body) {
      throw new PrepcastError("PROTOCOL_ERROR", `expected ${body}, got ${f.body ?? "an empty frame"}`, { where: this.conn.remoteAddress });
    }
    return f[body] as NonNullable<Frame[K]>;
  }
}

/** Approximate memory held by a frame: its byte and string fields (what a peer can make large). */
function frameBytes(f: Frame): number {
  const body = f.body ? (f as unknown as Record<string, unknown>)[f.body] : null;
  let n = 64;
  if (body && typeof body === "object") {
    for (const v of Object.values(body)) {
      if (v instanceof Uint8Array || typeof v === "string") n += v.length;
    }
  }
  return n;
}

export function errorFromFrame(f: Frame): PrepcastError {
  // Both fields come from the peer: bounded and made inert before they reach a log or the audit.
  const code = peerText(f.error?.code ?? "INTERNAL", 40);
  const known = Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
  return new PrepcastError((known ? code : "PROTOCOL_ERROR") as ErrorCode, `peer reported ${code}: ${peerText(f.error?.message ?? "", 300)}`, {
    details: { remoteCode: code, retryable: Boolean(f.error?.retryable) },
  });
}

/**
 * Refuses and ends the session: exactly one Error frame (sent by close), then the transport's
 * error ending (gRPC status and trailer, WebSocket close code). Never throws (the peer may be gone).
 */
export async function sendErrorAndClose(conn: FrameConnection, err: PrepcastError, retryable = false): Promise<void> {
  await conn.close({ code: err.code, message: err.message, retryable }).catch(() => undefined);
}
