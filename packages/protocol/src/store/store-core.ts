import * as path from "node:path";
import type { AuditLog } from "../audit-log";
import type { ReceiverAuditEvent } from "../audit-events";
import { PrepcastError } from "../errors";
import { writeFileAtomic } from "../durable";
import type { CutStoreOptions } from "./cut-store";
import type { StateDirLayout } from "./layout";
import type { CutRecord, StoreState } from "./state-file";

/**
 * What the store's modules share (the cut store, its crash recovery and activation): the state
 * directory's paths, the state as last written to state.json, the audit log. Internal to the store.
 */
export class StoreCore {
  constructor(
    readonly layout: StateDirLayout,
    public state: StoreState,
    readonly audit: AuditLog<ReceiverAuditEvent>,
    readonly now: () => Date,
    readonly afterStep: CutStoreOptions["afterStep"],
  ) {}

  cutDir(id: string): string {
    return path.join(this.layout.cuts, id);
  }

  record(id: string): CutRecord | undefined {
    return this.state.cuts.find((c) => c.id === id);
  }

  assertKnown(id: string): void {
    if (this.record(id) === undefined) throw new PrepcastError("STATE_INVALID", `cut ${id} is not committed in ${this.layout.cuts}`, { where: id });
  }

  /** Writes state.json (temp file + rename), anchoring the audit log's current end in it. */
  async saveState(): Promise<void> {
    this.state.auditHead = { entries: this.audit.entries, lastHash: this.audit.lastHash };
    await writeFileAtomic(this.layout.state, JSON.stringify(this.state, null, 2) + "\n");
  }
}
