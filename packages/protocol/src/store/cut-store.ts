import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { AUDIT_GENESIS_HASH, AuditLog, readAuditLog } from "../audit-log";
import { PrepcastError, toPrepcastError } from "../errors";
import { parseManifest, type Manifest } from "../trust/manifest";
import { sha256Hex } from "../hash";
import { advanceTrustState, emptyTrustState, isEmbargoed, type TrustState, type VerifiedCut } from "../trust/trust";
import { KEYSET_ENTRY, KEYSET_SIG_ENTRY, MANIFEST_ENTRY, MANIFEST_SIG_ENTRY } from "../archive/format";
import { SITE_DIR } from "../archive/verified-file";
import { fsyncDir, syncTree, writeFileAtomic } from "./durable";
import { acquireStateLock, type StateLock } from "./state-lock";

// The receiver's state directory (docs/architecture.md). Invariants: `current` only ever points
// to a complete, verified directory under cuts/; every step that changes what is live is a
// single rename; state.json is written after the file system change it describes, and open()
// reconciles the two after a crash (leftover staging and temp links removed, unreferenced cut
// directories deleted, `current` adopted as live when the state lags behind, and a cut recorded
// but never switched live completed: see StoreStep).

export const STORE_STATE_FORMAT = "prepcast/receiver-state@1";
export const DEFAULT_RETAIN = 3;

/** One committed cut under cuts/. */
export interface CutRecord {
  id: string;
  process: string;
  channel: string;
  sequence: number;
  corte: string;
  notBefore: string;
  manifestSha256: string;
  files: number;
  totalSize: number;
  committedAt: string;
}

export interface StoreState {
  format: typeof STORE_STATE_FORMAT;
  trust: TrustState;
  /** id of the cut `current` points to */
  live: string | null;
  /** a committed cut waiting for its notBefore */
  pending: string | null;
  /** committed cuts, oldest first */
  cuts: CutRecord[];
  /**
   * The audit log's length and last hash when this state was written: an anchor outside the log,
   * so removing entries from its end is detected (verifyStoreAudit). Entries appended after it
   * (a crash before the next state write, or other writers) are allowed.
   */
  auditHead?: { entries: number; lastHash: string };
}

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

/** `000042-ab12cd34ef56`: sequence (6 digits, more when needed) and the manifest hash prefix. */
export function cutIdOf(sequence: number, manifestSha256: string): string {
  return `${String(sequence).padStart(6, "0")}-${manifestSha256.slice(0, 12)}`;
}

const CUT_ID = /^\d{6,16}-[0-9a-f]{12}$/;

function stateInvalid(message: string, where: string, hint: string): PrepcastError {
  return new PrepcastError("STATE_INVALID", message, { where, hint });
}

function parseState(bytes: Buffer, file: string): StoreState {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new PrepcastError("STATE_INVALID", `${file} is not valid JSON`, { where: file, cause: e, hint: "restore it from a backup; the cuts under cuts/ are intact" });
  }
  const s = v as StoreState;
  const ok =
    s !== null &&
    typeof s === "object" &&
    s.format === STORE_STATE_FORMAT &&
    typeof s.trust === "object" &&
    s.trust !== null &&
    Number.isInteger(s.trust.keysetVersion) &&
    typeof s.trust.cuts === "object" &&
    (s.live === null || typeof s.live === "string") &&
    (s.pending === null || typeof s.pending === "string") &&
    Array.isArray(s.cuts) &&
    (s.auditHead === undefined || (Number.isInteger(s.auditHead.entries) && typeof s.auditHead.lastHash === "string")) &&
    s.cuts.every((c) => c && typeof c.id === "string" && CUT_ID.test(c.id) && Number.isInteger(c.sequence));
  if (!ok) throw stateInvalid(`${file} does not have the expected shape (${STORE_STATE_FORMAT})`, file, "restore it from a backup; the cuts under cuts/ are intact");
  return s;
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
  private closed = false;

  private constructor(
    readonly root: string,
    private state: StoreState,
    readonly audit: AuditLog,
    readonly retainCount: number,
    private readonly now: () => Date,
    private readonly lock: StateLock,
    private readonly afterStep: CutStoreOptions["afterStep"],
  ) {
    this.stagingRoot = path.join(root, "staging");
    this.cutsRoot = path.join(root, "cuts");
    this.statePath = path.join(root, "state.json");
    this.currentPath = path.join(root, "current");
    this.auditPath = path.join(root, "audit.log");
  }

  /** Opens (creating if needed) a receiver state directory, taking its lock and repairing what a crash left behind. */
  static async open(root: string, options: CutStoreOptions = {}): Promise<CutStore> {
    const retain = options.retain ?? DEFAULT_RETAIN;
    if (!Number.isInteger(retain) || retain < 0 || retain > 1000) {
      throw new PrepcastError("CONFIG_INVALID", `retain ${retain} is not an integer between 0 and 1000`, { where: "--retain" });
    }
    const now = options.now ?? (() => new Date());
    const abs = path.resolve(root);
    try {
      await fsp.mkdir(path.join(abs, "cuts"), { recursive: true, mode: 0o755 });
      await fsp.mkdir(path.join(abs, "staging"), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw toPrepcastError(e, abs);
    }
    const lock = await acquireStateLock(abs);
    let audit: AuditLog | undefined;
    try {
      audit = AuditLog.open(path.join(abs, "audit.log"));
      const store = new CutStore(abs, emptyState(), audit, retain, now, lock, options.afterStep);
      await store.recover();
      return store;
    } catch (e) {
      audit?.close();
      lock.release();
      throw toPrepcastError(e, abs);
    }
  }

  private async recover(): Promise<void> {
    // 1. leftovers of interrupted installs and switches
    for (const name of await fsp.readdir(this.stagingRoot)) await fsp.rm(path.join(this.stagingRoot, name), { recursive: true, force: true });
    for (const name of await fsp.readdir(this.root)) {
      if (name.startsWith("current.tmp-") || name.startsWith("state.json.tmp-")) await fsp.rm(path.join(this.root, name), { force: true });
    }
    // 2. state.json
    let haveState = true;
    try {
      this.state = parseState(await fsp.readFile(this.statePath), this.statePath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      haveState = false;
    }
    let currentTarget: string | null = null;
    try {
      const st = await fsp.lstat(this.currentPath);
      if (!st.isSymbolicLink()) throw stateInvalid(`${this.currentPath} is not a symbolic link`, this.currentPath, "move it aside; `current` is managed by prep-receiver");
      currentTarget = await fsp.readlink(this.currentPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (!haveState && currentTarget !== null) {
      throw stateInvalid(`${this.statePath} is missing but ${this.currentPath} exists`, this.statePath, "restore state.json from a backup, or move the directory aside and reinstall the latest cut");
    }
    // 3. cut directories the state does not know: committed by a crashed install, never live
    const known = new Set(this.state.cuts.map((c) => c.id));
    for (const name of await fsp.readdir(this.cutsRoot)) {
      if (!known.has(name)) {
        await fsp.rm(path.join(this.cutsRoot, name), { recursive: true, force: true });
        this.audit.append("store.orphan-removed", { id: name });
      }
    }
    // 4. records whose directory vanished
    const present: CutRecord[] = [];
    for (const c of this.state.cuts) {
      if (fs.existsSync(path.join(this.cutsRoot, c.id, "prepcast", "manifest.json"))) present.push(c);
      else if (c.id === this.state.live || (currentTarget !== null && currentTarget === `cuts/${c.id}`)) {
        throw stateInvalid(`the live cut ${c.id} is missing from ${this.cutsRoot}`, path.join(this.cutsRoot, c.id), "reinstall the latest cut into a fresh --root directory");
      } else this.audit.append("store.record-dropped", { id: c.id });
    }
    let changed = present.length !== this.state.cuts.length;
    this.state.cuts = present;
    // state written before the cut order was checked has no corte per stream: take the recorded cut's
    for (const seen of Object.values(this.state.trust.cuts)) {
      if (seen.corte !== undefined) continue;
      const rec = present.find((c) => c.manifestSha256 === seen.manifestSha256);
      if (rec) {
        seen.corte = rec.corte;
        changed = true;
      }
    }
    if (this.state.pending !== null && !present.some((c) => c.id === this.state.pending)) {
      this.state.pending = null;
      changed = true;
    }
    // 5. `current` decides what is live: it is switched before state.json is written
    if (currentTarget !== null) {
      const m = /^cuts\/(.+)$/.exec(currentTarget);
      const id = m?.[1];
      if (id === undefined || !present.some((c) => c.id === id)) {
        throw stateInvalid(`${this.currentPath} points to ${currentTarget}, which is not a committed cut`, this.currentPath, "repoint it to a directory under cuts/ or reinstall the latest cut");
      }
      if (this.state.live !== id) {
        this.audit.append("store.recovered", { live: id, stateSaid: this.state.live });
        this.state.live = id;
        if (this.state.pending === id) this.state.pending = null;
        changed = true;
      }
    } else if (this.state.live !== null) {
      await this.pointCurrentAt(this.state.live);
      this.audit.append("store.recovered", { live: this.state.live, currentWas: null });
    }
    if (changed || !haveState || this.audit.entries !== this.state.auditHead?.entries) await this.saveState();
    // 6. a cut recorded (trust state advanced) but neither live nor pending: the install stopped
    //    between commit and activation. Finish it, as the install would have.
    const unsettled = this.unsettled();
    if (unsettled !== null) await this.settle(unsettled, "recovery");
  }

  /**
   * The most recently committed cut when it is neither live nor pending: an install that stopped
   * between its commit (the trust state names the cut) and its activation (a crash, or a failed
   * switch). Every other committed cut is live, pending, or older than one that was.
   */
  unsettled(): CutRecord | null {
    const last = this.state.cuts.at(-1);
    if (last === undefined || last.id === this.state.live || last.id === this.state.pending) return null;
    const trusted = this.state.trust.cuts[`${last.process}/${last.channel}`];
    if (trusted?.sequence !== last.sequence || trusted.manifestSha256 !== last.manifestSha256) return null;
    return last;
  }

  /**
   * Completes the install of the unsettled cut `record`: switches `current` to it, or records it as
   * pending while its notBefore lies ahead. Its directory was verified file by file and synced
   * before the commit; the signed manifest is checked against the record once more here.
   */
  async settle(record: CutRecord, reason: "recovery" | "re-offer", now: Date = this.now()): Promise<"activated" | "pending"> {
    this.assertOpen();
    if (this.unsettled()?.id !== record.id) throw new PrepcastError("STATE_INVALID", `cut ${record.id} is not waiting for its activation`, { where: this.cutDir(record.id) });
    const manifestFile = path.join(this.cutDir(record.id), MANIFEST_ENTRY);
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(manifestFile);
    } catch (e) {
      throw toPrepcastError(e, manifestFile);
    }
    if (sha256Hex(bytes) !== record.manifestSha256) {
      throw stateInvalid(`${manifestFile} is not the manifest recorded for cut ${record.id}`, manifestFile, "the state directory was altered; move it aside and reinstall the latest cut");
    }
    const embargoed = isEmbargoed(record, now);
    this.audit.append("store.completed", { id: record.id, sequence: record.sequence, reason, as: embargoed ? "pending" : "live" });
    if (embargoed) await this.markPending(record.id);
    else await this.activate(record.id);
    return embargoed ? "pending" : "activated";
  }

  /** A copy of the trust state (what verifySignedCut must check against). */
  trustState(): TrustState {
    return JSON.parse(JSON.stringify(this.state.trust)) as TrustState;
  }

  snapshot(): StoreState {
    return JSON.parse(JSON.stringify(this.state)) as StoreState;
  }

  cutDir(id: string): string {
    return path.join(this.cutsRoot, id);
  }

  record(id: string): CutRecord | undefined {
    return this.state.cuts.find((c) => c.id === id);
  }

  /** The live cut: its record, directory and parsed manifest; null before the first activation. */
  live(): { record: CutRecord; dir: string; siteDir: string; manifest: Manifest } | null {
    const id = this.state.live;
    if (id === null) return null;
    const record = this.record(id)!;
    const dir = this.cutDir(id);
    const manifest = parseManifest(fs.readFileSync(path.join(dir, MANIFEST_ENTRY)));
    return { record, dir, siteDir: path.join(dir, SITE_DIR), manifest };
  }

  pending(): CutRecord | null {
    return this.state.pending === null ? null : (this.record(this.state.pending) ?? null);
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
    await this.afterStep?.("committed", id);
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
      committedAt: this.now().toISOString(),
    };
    const before = this.state.trust.cuts[`${record.process}/${record.channel}`];
    this.state.cuts.push(record);
    this.state.trust = advanceTrustState(this.state.trust, v);
    if (v.manifest.retraction !== undefined) {
      // the OPLE's signed statement that the results go back in time, with its reason
      this.audit.append("cut.retraction", { id, sequence: record.sequence, corte: record.corte, previousSequence: before?.sequence ?? null, previousCorte: before?.corte ?? null, reason: v.manifest.retraction.reason });
    }
    this.audit.append("cut.committed", { id, process: record.process, channel: record.channel, sequence: record.sequence, corte: record.corte, manifestSha256: record.manifestSha256, files: record.files, bytes: record.totalSize, ...(v.manifest.final ? { final: true, publishUntil: v.manifest.final.publishUntil } : {}) });
    await this.saveState();
    await this.afterStep?.("recorded", id);
    return record;
  }

  /** Records a committed cut as waiting for its notBefore. */
  async markPending(id: string): Promise<void> {
    this.assertKnown(id);
    this.state.pending = id;
    this.audit.append("cut.staged", { id, notBefore: this.record(id)!.notBefore });
    await this.saveState();
    await this.afterStep?.("pending", id);
  }

  /** Switches `current` to cuts/<id> atomically (new symlink + rename), then records it. */
  async activate(id: string): Promise<void> {
    this.assertOpen();
    this.assertKnown(id);
    const previous = this.state.live;
    await this.pointCurrentAt(id);
    await this.afterStep?.("switched", id);
    this.state.live = id;
    if (this.state.pending !== null) {
      const pending = this.record(this.state.pending);
      // a pending cut older than what is now live can never be shown
      if (this.state.pending === id || (pending && pending.sequence <= this.record(id)!.sequence)) this.state.pending = null;
    }
    const r = this.record(id)!;
    this.audit.append("cut.activated", { id, sequence: r.sequence, corte: r.corte, manifestSha256: r.manifestSha256, previous });
    await this.saveState();
    await this.afterStep?.("activated", id);
  }

  private async pointCurrentAt(id: string): Promise<void> {
    const tmp = path.join(this.root, `current.tmp-${randomBytes(6).toString("hex")}`);
    try {
      await fsp.symlink(`cuts/${id}`, tmp);
      await fsp.rename(tmp, this.currentPath);
      await fsyncDir(this.root);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw toPrepcastError(e, this.currentPath);
    }
  }

  /** Deletes committed cuts beyond the newest `retain` besides the live and pending ones; returns the removed ids. */
  async retain(): Promise<string[]> {
    this.assertOpen();
    const keep = new Set<string>();
    if (this.state.live) keep.add(this.state.live);
    if (this.state.pending) keep.add(this.state.pending);
    const others = this.state.cuts.filter((c) => !keep.has(c.id));
    const drop = others.slice(0, Math.max(0, others.length - this.retainCount));
    if (drop.length === 0) return [];
    const dropIds = new Set(drop.map((c) => c.id));
    this.state.cuts = this.state.cuts.filter((c) => !dropIds.has(c.id));
    await this.saveState(); // first forget them, then delete: a crash in between leaves orphans open() removes
    for (const c of drop) {
      await fsp.rm(this.cutDir(c.id), { recursive: true, force: true });
      this.audit.append("cut.removed", { id: c.id, sequence: c.sequence });
    }
    await this.saveState();
    return [...dropIds];
  }

  /** Writes a refusal to the audit log (the caller has already removed any staging). */
  recordRefusal(error: PrepcastError, context: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.audit.append("cut.refused", { code: error.code, message: error.message.slice(0, 2000), where: error.where ?? null, ...context });
  }

  private assertKnown(id: string): void {
    if (this.record(id) === undefined) throw new PrepcastError("STATE_INVALID", `cut ${id} is not committed in ${this.cutsRoot}`, { where: id });
  }

  private assertOpen(): void {
    if (this.closed) throw new PrepcastError("INTERNAL", `store ${this.root} is closed`);
  }

  /** Records the audit log's current end in state.json (after appends made outside the store's own steps). */
  async anchorAudit(): Promise<void> {
    if (!this.closed) await this.saveState();
  }

  private async saveState(): Promise<void> {
    this.state.auditHead = { entries: this.audit.entries, lastHash: this.audit.lastHash };
    await writeFileAtomic(this.statePath, JSON.stringify(this.state, null, 2) + "\n");
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.audit.close();
    this.lock.release();
  }
}

function emptyState(): StoreState {
  return { format: STORE_STATE_FORMAT, trust: emptyTrustState(), live: null, pending: null, cuts: [] };
}

/** What a read-only command sees of a state directory, without its lock (beside a running agent). */
export interface StoreView {
  root: string;
  state: StoreState;
  /** the cut `current` points to (what is served), null before the first activation */
  live: CutRecord | null;
  pending: CutRecord | null;
}

function stateDirProblem(root: string, flag: string, why: string): PrepcastError {
  return new PrepcastError("STATE_INVALID", `${flag} ${root}: ${why}`, {
    where: flag,
    hint: "give the agent's state directory: `root:` in receiver.yaml (e.g. /var/lib/prepcast), or the --root of your installs",
  });
}

/**
 * The state directory must exist and be one: empty (nothing installed yet) or holding
 * state.json, cuts/, current or audit.log. Never created here (a typo must not become a new,
 * empty state directory).
 */
export function requireStateDir(root: string, flag: string): string {
  const abs = path.resolve(root);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw stateDirProblem(root, flag, "no such directory");
    throw toPrepcastError(e, abs);
  }
  if (!st.isDirectory()) throw stateDirProblem(root, flag, "not a directory");
  if (!["state.json", "cuts", "current", "audit.log"].some((n) => fs.existsSync(path.join(abs, n))) && fs.readdirSync(abs).length > 0) {
    throw stateDirProblem(root, flag, "not a receiver state directory (it has no state.json, cuts/, current or audit.log)");
  }
  return abs;
}

/**
 * Reads a state directory without taking its lock or changing anything, for the read-only
 * commands (status, audit verify, report) beside a running agent. Consistent: state.json is only
 * ever replaced whole (temp file + rename), it is read before `current`, and a cut is recorded in
 * state.json before `current` can point to it; so the cut `current` names is always one the state
 * read knows. `current` decides what is live (it is switched first), as in open().
 */
export function inspectStore(root: string, flag = "--root"): StoreView {
  const abs = requireStateDir(root, flag);
  const statePath = path.join(abs, "state.json");
  let state: StoreState;
  try {
    state = parseState(fs.readFileSync(statePath), statePath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw toPrepcastError(e, statePath);
    state = emptyState();
  }
  let liveId = state.live;
  try {
    const m = /^cuts\/(.+)$/.exec(fs.readlinkSync(path.join(abs, "current")));
    if (m && state.cuts.some((c) => c.id === m[1])) liveId = m[1]!;
  } catch {
    /* no `current` yet: the state says what is live (nothing) */
  }
  const record = (id: string | null) => (id === null ? null : (state.cuts.find((c) => c.id === id) ?? null));
  const pending = state.pending === liveId ? null : record(state.pending);
  return { root: abs, state, live: record(liveId), pending };
}

/** Sleeps synchronously (a retry in a synchronous read path). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** readAuditLog, read again a few times while its last line is still being written by the agent. */
function readAuditLogSettled(log: string): ReturnType<typeof readAuditLog> {
  for (let attempt = 0; ; attempt++) {
    try {
      return readAuditLog(log);
    } catch (e) {
      const torn = e instanceof PrepcastError && e.code === "AUDIT_LOG_TAMPERED" && e.details?.reason === "torn-tail";
      if (!torn || attempt >= 5) throw e;
      pause(50);
    }
  }
}

/**
 * Verifies DIR/audit.log: the whole hash chain (edits, reordering, torn lines) and, against the
 * anchor in DIR/state.json, that no entry was cut from its end. Read-only; needs no lock, so it
 * runs beside the agent: state.json is read before the log (the log only grows, so the anchor
 * read first is never ahead of it), and a last line still being appended is read again.
 */
export function verifyStoreAudit(root: string, flag = "--root"): { entries: number; lastHash: string; anchoredEntries: number | null } {
  const abs = requireStateDir(root, flag);
  const log = path.join(abs, "audit.log");
  let head: StoreState["auditHead"];
  const statePath = path.join(abs, "state.json");
  if (fs.existsSync(statePath)) head = parseState(fs.readFileSync(statePath), statePath).auditHead;
  if (!fs.existsSync(log)) {
    throw new PrepcastError(head ? "AUDIT_LOG_TAMPERED" : "STATE_INVALID", `${log} is missing${head ? ` but state.json recorded ${head.entries} entries` : ""}`, {
      where: log,
      hint: head ? "the audit log was removed; restore it from your backups and keep the state directory as evidence" : "the agent creates it at its first start; check the --root",
      details: { reason: "missing" },
    });
  }
  const entries = readAuditLogSettled(log);
  if (head !== undefined && head.entries > 0) {
    const at = entries[head.entries - 1];
    if (at === undefined || at.hash !== head.lastHash) {
      throw new PrepcastError(
        "AUDIT_LOG_TAMPERED",
        at === undefined
          ? `${log} has ${entries.length} entries, but state.json recorded ${head.entries}: entries were removed from its end`
          : `entry ${head.entries} of ${log} is not the one state.json recorded: the log was replaced or rewritten`,
        { where: `${log}:${Math.min(entries.length, head.entries)}`, hint: "keep this copy as evidence and compare it with your backups; the chain no longer proves what happened", details: { reason: "truncated", recorded: head.entries, found: entries.length } },
      );
    }
  }
  const last = entries.at(-1);
  return { entries: entries.length, lastHash: last?.hash ?? AUDIT_GENESIS_HASH, anchoredEntries: head?.entries ?? null };
}
