// Retention of prepared cuts (STATE/cuts) and their delta streams (STATE/deltas), after each
// delivery: keeps the newest `retention.keepCuts`, the final cut, the newest public one, every cut
// a receiver holds (live or staged) and every cut an in-flight delivery uses (the repository's
// pins); removes the rest (docs/operations/configuration.md, retention).
import { toPrepcastError, type AuditLog, type PublisherAuditEvent } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { DeltaPlanning } from "../fanout";
import type { CutRepository, PreparedCut } from "./cut-repository";
import type { LinkStatus } from "./receiver-link";
import { readStoredReceipts, type StoredReceipt } from "./receipts";

export interface CutRetentionDeps {
  retention: { prune: boolean; keepCuts: number };
  /** STATE/cuts, for messages */
  cutsDir: string;
  /** STATE/receipts.jsonl: each receiver's last "active" receipt, until its session says hello */
  receiptsFile: string;
  repo: Pick<CutRepository, "prune" | "list">;
  links: () => Iterable<[string, { status(): Pick<LinkStatus, "live" | "staged" | "hello"> }]>;
  deltaPlanning: () => Pick<DeltaPlanning, "forgetCuts"> | null;
  audit: Pick<AuditLog<PublisherAuditEvent>, "append">;
  log: Logger;
  now: () => number;
}

export class CutRetention {
  /** The running prune (one at a time) and whether another was asked for meanwhile. */
  private pruning: Promise<void> | null = null;
  private again = false;
  private stopping = false;
  /** Each receiver's live cut from its last "active" receipt in STATE/receipts.jsonl. */
  private readonly receiptLive: Map<string, number>;

  constructor(private readonly deps: CutRetentionDeps) {
    this.receiptLive = lastActiveSequences(deps.receiptsFile);
  }

  /** Runs retention soon (after a delivery): one prune at a time, coalesced. */
  schedule(): void {
    if (!this.deps.retention.prune || this.stopping) return;
    if (this.pruning) {
      this.again = true;
      return;
    }
    this.pruning = (async () => {
      do {
        this.again = false;
        await this.pruneNow();
      } while (this.again && !this.stopping);
    })()
      .catch((e: unknown) => {
        const err = toPrepcastError(e, this.deps.cutsDir);
        this.deps.log.error({ code: err.code, err: err.message }, "pruning prepared cuts failed");
      })
      .finally(() => {
        this.pruning = null;
      });
  }

  /**
   * The cuts receivers hold, as this publisher knows them: each link's live and staged cut (from
   * its hello and receipts); for a link whose receiver has not said hello since this service
   * started, the live cut of its last "active" receipt.
   */
  held(): Set<number> {
    const held = new Set<number>();
    for (const [id, link] of this.deps.links()) {
      const s = link.status();
      if (s.live) held.add(s.live.sequence);
      if (s.staged) held.add(s.staged.sequence);
      const fromReceipts = this.receiptLive.get(id);
      if (!s.hello && fromReceipts !== undefined) held.add(fromReceipts);
    }
    return held;
  }

  /** Retention now: returns the cuts removed. */
  async pruneNow(): Promise<PreparedCut[]> {
    const { repo, retention } = this.deps;
    const removed = await repo.prune({ keepNewest: retention.keepCuts, held: this.held(), now: this.deps.now() });
    if (removed.length === 0) return removed;
    const streams = (await this.deps.deltaPlanning()?.forgetCuts(removed)) ?? [];
    const sequences = removed.map((c) => c.ref.sequence);
    this.deps.audit.append("cuts_pruned", { sequences, streams: streams.length, keepCuts: retention.keepCuts, kept: repo.list().map((c) => c.ref.sequence) });
    this.deps.log.info({ pruned: sequences, streams: streams.length, kept: repo.list().length }, "prepared cuts pruned");
    return removed;
  }

  /** No new prune starts; resolves once the running one ends. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.pruning;
  }
}

/**
 * The sequence of each receiver's last "active" receipt in receipts.jsonl (this service's own
 * file, written after checking each receipt's signature). Used only to keep a cut from being
 * pruned, so a damaged line costs at most an extra cut kept or a full transfer.
 */
function lastActiveSequences(file: string): Map<string, number> {
  const out = new Map<string, number>();
  let stored: StoredReceipt[];
  try {
    stored = readStoredReceipts(file);
  } catch {
    return out;
  }
  for (const rec of stored) {
    if (typeof rec.receiverId !== "string" || typeof rec.receipt !== "string") continue;
    try {
      const doc = JSON.parse(Buffer.from(rec.receipt, "base64").toString("utf8")) as { state?: unknown; sequence?: unknown };
      if (doc.state === "active" && Number.isSafeInteger(doc.sequence)) out.set(rec.receiverId, doc.sequence as number);
    } catch {
      /* a damaged record: at most an extra cut kept or a full transfer */
    }
  }
  return out;
}
