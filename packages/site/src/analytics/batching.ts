// The sink between the request path and the writer: hits are buffered and written in batches off
// the request path, and dropped (counted) beyond a bound so a stuck writer never exhausts memory.
import type { AnalyticsSink, RawHit } from "./hit";

export interface BatchingSinkOptions {
  /** Flush when this many hits are waiting (default 1000). */
  maxBatch?: number;
  /** Flush at least this often (default 250 ms). */
  intervalMs?: number;
  /** Drop (and count) hits beyond this many waiting, so a stuck writer never exhausts memory (default 200,000). */
  maxPending?: number;
  onError?: (e: unknown) => void;
}

export interface BatchingSink extends AnalyticsSink {
  flush(): void;
  close(): void;
  readonly dropped: number;
}

/**
 * Buffers hits and hands them to `write` in batches, off the request path (setImmediate/timer).
 * `write` is the store's insertHits in one process, or a process.send to the cluster primary.
 */
export function createBatchingSink(write: (hits: RawHit[]) => void, opts: BatchingSinkOptions = {}): BatchingSink {
  const maxBatch = opts.maxBatch ?? 1000;
  const maxPending = opts.maxPending ?? 50_000;
  let pending: RawHit[] = [];
  let dropped = 0;
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    try {
      write(batch);
    } catch (e) {
      (opts.onError ?? ((err) => process.stderr.write(`analytics: ${String(err)}\n`)))(e);
    }
  };
  const timer = setInterval(flush, opts.intervalMs ?? 250);
  timer.unref();
  return {
    record(hit) {
      if (pending.length >= maxPending) {
        dropped++;
        return;
      }
      pending.push(hit);
      if (pending.length >= maxBatch && !scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
    close() {
      clearInterval(timer);
      flush();
    },
    get dropped() {
      return dropped;
    },
  };
}
