import { performance } from "node:perf_hooks";

/**
 * Gives the event loop a turn once `budgetMs` of synchronous work has passed since the last one.
 * Installs write files with synchronous calls (cheaper than a thread-pool round trip per small
 * file), and an `await` on work that completed synchronously only runs microtasks: without a
 * real turn, rebuilding a national cut (143,000 files, ~10 s under load) kept every other
 * session of the process from answering pings and TLS handshakes, and the publisher dropped them
 * (bench/transfer, national N = 8).
 */
export class EventLoopTurns {
  private last = performance.now();
  constructor(private readonly budgetMs = 20) {}

  /** Resolves at once while within the budget; otherwise after one setImmediate turn. */
  async maybeYield(): Promise<void> {
    if (performance.now() - this.last < this.budgetMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.last = performance.now();
  }
}
