import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { AuditLog } from "../audit-log";
import type { ReceiverAuditEvent } from "../audit-events";
import { PrepcastError, toPrepcastError } from "../errors";
import { parseManifest, type Manifest } from "../trust/manifest";
import { advanceTrustState, type TrustState, type VerifiedCut } from "../trust/trust";
import { KEYSET_ENTRY, KEYSET_SIG_ENTRY, MANIFEST_ENTRY, MANIFEST_SIG_ENTRY, ROOT_ENTRY, ROOT_SIG_ENTRY } from "../archive/format";
import { sha256Hex } from "../hash";
import { SITE_DIR } from "../archive/verified-file";
import { activateCut, markCutPending, settleCut, unsettledCut } from "./activation";
import { fsyncDir, syncTree } from "../durable";
import { stateDirLayout } from "./layout";
import { recoverStore } from "./recover";
import { acquireStateLock, type StateLock } from "./state-lock";
import { cutIdOf, emptyState, type CutRecord, type StoreState } from "./state-file";
import { StoreCore } from "./store-core";

// The receiver's state directory (docs/architecture.md; its names in layout.ts). Invariants:
// `current` only ever points to a complete, verified directory under cuts/; every step that
// changes what is live is a single rename; state.json is written after the file system change it
// describes, and open() reconciles the two after a crash (recover.ts: leftover staging and temp
// links removed, unreferenced cut directories deleted, `current` adopted as live when the state
// lags behind, and a cut recorded but never switched live completed: see StoreStep). How a
// committed cut goes live is activation.ts; state.json's shape is state-file.ts.

export const DEFAULT_RETAIN = 3;

/**
 * The durable steps of an install, in order. A crash after any of them leaves a state that open()
 * brings back to "the old cut live" or "the new cut live (or pending)", never in between:
 * - `committed`: the cut's directory is under cuts/, state.json does not know it yet (open() removes it)
 * - `recorded`: state.json records the cut and the advanced trust state; `current` still points to
 *   the previous cut (open() completes the install: switches `current`, or marks it pending)
 * - `switched`: `current` points to the new cut, state.json still names the old one (open() adopts `current`)
 * - `activated` / `pending`: state.json says so; the install is complete
 */
export type StoreStep = "committed" | "recorded" | "switched" | "activated" | "pending";

export interface CutStoreOptions {
  /** previous cuts kept besides the live (and pending) one; default 3 */
  retain?: number;
  now?: () => Date;
  /**
   * Called after each durable step of commit, activate and markPending (fault-injection tests kill
   * the process here to reproduce a crash at exactly that point). Never set in production.
   */
  afterStep?: (step: StoreStep, id: string) => void | Promise<void>;
}

/** A fresh directory under staging/ that receives one cut; removed on any error. */
export class Staging {
  private done = false;
  constructor(
    readonly dir: string,
    readonly verified: VerifiedCut,
  ) {}

  get finished(): boolean {
    return this.done;
  }

  /** Marks the staging as moved away (by commit). */
  markCommitted(): void {
    this.done = true;
  }

  /** Removes the staging directory and everything in it. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await fsp.rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

export class CutStore {
  readonly stagingRoot: string;
  readonly cutsRoot: string;
  readonly statePath: string;
  readonly currentPath: string;
  readonly auditPath: string;
  readonly audit: AuditLog<ReceiverAuditEvent>;
  private closed = false;

  private constructor(
    readonly root: string,
    private readonly core: StoreCore,
    readonly retainCount: number,
    private readonly lock: StateLock,
  ) {
    const layout = core.layout;
    this.stagingRoot = layout.staging;
    this.cutsRoot = layout.cuts;
    this.statePath = layout.state;
    this.currentPath = layout.current;
    this.auditPath = layout.auditLog;
    this.audit = core.audit;
  }

  /** Opens (creating if needed) a receiver state directory, taking its lock and repairing what a crash left behind. */
  static async open(root: string, options: CutStoreOptions = {}): Promise<CutStore> {
    const retain = options.retain ?? DEFAULT_RETAIN;
    if (!Number.isInteger(retain) || retain < 0 || retain > 1000) {
      throw new PrepcastError("CONFIG_INVALID", `retain ${retain} is not an integer between 0 and 1000`, { where: "--retain" });
    }
    const now = options.now ?? (() => new Date());
    const abs = path.resolve(root);
    const layout = stateDirLayout(abs);
    try {
      await fsp.mkdir(layout.cuts, { recursive: true, mode: 0o755 });
      await fsp.mkdir(layout.staging, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw toPrepcastError(e, abs);
    }
    const lock = await acquireStateLock(abs);
    let audit: AuditLog<ReceiverAuditEvent> | undefined;
    try {
      audit = AuditLog.open<ReceiverAuditEvent>(layout.auditLog);
      const core = new StoreCore(layout, emptyState(), audit, now, options.afterStep);
      const store = new CutStore(abs, core, retain, lock);
      await recoverStore(core);
      return store;
    } catch (e) {
      audit?.close();
      lock.release();
      throw toPrepcastError(e, abs);
    }
  }

  /**
   * The most recently committed cut when it is neither live nor pending: an install that stopped
   * between its commit and its activation (activation.ts).
   */
  unsettled(): CutRecord | null {
    return unsettledCut(this.core);
  }

  /** Completes the install of the unsettled cut `record`: switches `current` to it, or records it as pending (activation.ts). */
  async settle(record: CutRecord, reason: "recovery" | "re-offer", now: Date = this.core.now()): Promise<"activated" | "pending"> {
    this.assertOpen();
    return settleCut(this.core, record, reason, now);
  }

  /** A copy of the trust state (what verifySignedCut must check against). */
  trustState(): TrustState {
    return JSON.parse(JSON.stringify(this.core.state.trust)) as TrustState;
  }

  snapshot(): StoreState {
    return JSON.parse(JSON.stringify(this.core.state)) as StoreState;
  }

  cutDir(id: string): string {
    return this.core.cutDir(id);
  }

  record(id: string): CutRecord | undefined {
    return this.core.record(id);
  }

  /** The live cut: its record, directory and parsed manifest; null before the first activation. */
  live(): { record: CutRecord; dir: string; siteDir: string; manifest: Manifest } | null {
    const id = this.core.state.live;
    if (id === null) return null;
    const record = this.record(id)!;
    const dir = this.cutDir(id);
    const manifest = parseManifest(fs.readFileSync(path.join(dir, MANIFEST_ENTRY)));
    return { record, dir, siteDir: path.join(dir, SITE_DIR), manifest };
  }

  pending(): CutRecord | null {
    const { pending } = this.core.state;
    return pending === null ? null : (this.record(pending) ?? null);
  }

  /** A fresh staging directory holding the cut's four signed documents, byte for byte. */
  async beginStaging(verified: VerifiedCut): Promise<Staging> {
    this.assertOpen();
    const dir = path.join(this.stagingRoot, randomBytes(8).toString("hex"));
    const staging = new Staging(dir, verified);
    try {
      await fsp.mkdir(dir, { mode: 0o755 });
      await fsp.mkdir(path.join(dir, "prepcast"), { mode: 0o755 });
      await fsp.mkdir(path.join(dir, SITE_DIR), { mode: 0o755 });
      const docs: [string, Buffer][] = [
        ...(verified.signed.root !== undefined && verified.signed.rootSig !== undefined
          ? ([
              [ROOT_ENTRY, verified.signed.root],
              [ROOT_SIG_ENTRY, verified.signed.rootSig],
            ] as [string, Buffer][])
          : []),
        [KEYSET_ENTRY, verified.signed.keyset],
        [KEYSET_SIG_ENTRY, verified.signed.keysetSig],
        [MANIFEST_ENTRY, verified.signed.manifest],
        [MANIFEST_SIG_ENTRY, verified.signed.manifestSig],
      ];
      for (const [name, bytes] of docs) await fsp.writeFile(path.join(dir, name), bytes, { flag: "wx", mode: 0o644 });
      return staging;
    } catch (e) {
      await staging.abort().catch(() => undefined);
      throw toPrepcastError(e, dir);
    }
  }

  /** Moves a fully extracted and verified staging directory to cuts/<id> and records it; the trust state advances here. */
  async commit(staging: Staging): Promise<CutRecord> {
    this.assertOpen();
    const core = this.core;
    const v = staging.verified;
    const id = cutIdOf(v.manifest.sequence, v.manifestSha256);
    const target = this.cutDir(id);
    if (this.record(id) !== undefined || fs.existsSync(target)) {
      throw new PrepcastError("ALREADY_INSTALLED", `cut ${id} is already in ${this.cutsRoot}`, { where: target, hint: "nothing to do" });
    }
    try {
      await syncTree(staging.dir);
      await fsp.rename(staging.dir, target);
      staging.markCommitted();
      await fsyncDir(this.cutsRoot);
    } catch (e) {
      throw toPrepcastError(e, target);
    }
    await core.afterStep?.("committed", id);
    const record: CutRecord = {
      id,
      process: v.manifest.process,
      channel: v.manifest.channel,
      sequence: v.manifest.sequence,
      corte: v.manifest.corte,
      notBefore: v.manifest.notBefore,
      manifestSha256: v.manifestSha256,
      files: v.manifest.files.length,
      totalSize: v.manifest.totalSize,
      committedAt: core.now().toISOString(),
    };
    const before = core.state.trust.cuts[`${record.process}/${record.channel}`];
    core.state.cuts.push(record);
    core.state.trust = advanceTrustState(core.state.trust, v);
    if (v.manifest.retraction !== undefined) {
      // the OPLE's signed statement that the results go back in time, with its reason
      this.audit.append("cut.retraction", {
        id,
        sequence: record.sequence,
        corte: record.corte,
        previousSequence: before?.sequence ?? null,
        previousCorte: before?.corte ?? null,
        reason: v.manifest.retraction.reason,
      });
    }
    if (v.rootUpgrade !== undefined)
      this.audit.append("root.upgraded", {
        id,
        from: v.rootUpgrade.from,
        to: v.rootUpgrade.to,
        threshold: v.rootUpgrade.threshold,
        keys: v.rootUpgrade.keys,
        rootSha256: sha256Hex(v.signed.root!),
      });
    this.audit.append("cut.committed", {
      id,
      process: record.process,
      channel: record.channel,
      sequence: record.sequence,
      corte: record.corte,
      manifestSha256: record.manifestSha256,
      files: record.files,
      bytes: record.totalSize,
      ...(v.manifest.final ? { final: true, publishUntil: v.manifest.final.publishUntil } : {}),
    });
    await core.saveState();
    await core.afterStep?.("recorded", id);
    return record;
  }

  /** Records a committed cut as waiting for its notBefore (activation.ts). */
  async markPending(id: string): Promise<void> {
    await markCutPending(this.core, id);
  }

  /** Switches `current` to cuts/<id> atomically (new symlink + rename), then records it (activation.ts). */
  async activate(id: string): Promise<void> {
    this.assertOpen();
    await activateCut(this.core, id);
  }

  /** Deletes committed cuts beyond the newest `retain` besides the live and pending ones; returns the removed ids. */
  async retain(): Promise<string[]> {
    this.assertOpen();
    const state = this.core.state;
    const keep = new Set<string>();
    if (state.live) keep.add(state.live);
    if (state.pending) keep.add(state.pending);
    const others = state.cuts.filter((c) => !keep.has(c.id));
    const drop = others.slice(0, Math.max(0, others.length - this.retainCount));
    if (drop.length === 0) return [];
    const dropIds = new Set(drop.map((c) => c.id));
    state.cuts = state.cuts.filter((c) => !dropIds.has(c.id));
    await this.core.saveState(); // first forget them, then delete: a crash in between leaves orphans open() removes
    for (const c of drop) {
      await fsp.rm(this.cutDir(c.id), { recursive: true, force: true });
      this.audit.append("cut.removed", { id: c.id, sequence: c.sequence });
    }
    await this.core.saveState();
    return [...dropIds];
  }

  /** Writes a refusal to the audit log (the caller has already removed any staging). */
  recordRefusal(error: PrepcastError, context: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.audit.append("cut.refused", { code: error.code, message: error.message.slice(0, 2000), where: error.where ?? null, ...context });
  }

  private assertOpen(): void {
    if (this.closed) throw new PrepcastError("INTERNAL", `store ${this.root} is closed`);
  }

  /** Records the audit log's current end in state.json (after appends made outside the store's own steps). */
  async anchorAudit(): Promise<void> {
    if (!this.closed) await this.core.saveState();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.audit.close();
    this.lock.release();
  }
}
