import type { LOG_AUDIT_EVENTS } from "./audit-events";
import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalize, parseCanonical } from "./trust/canonical-json";
import { PrepcastError, isPrepcastError, toPrepcastError } from "./errors";
import { sha256Hex } from "./hash";
import { formatIsoOffset, isoWithOffsetProblem } from "./time";

// Each line commits to the previous one, so editing, reordering, inserting or deleting a line
// breaks the chain at that line. Removing whole lines from the END cannot be seen from the file
// alone: callers that need that guarantee keep the last hash elsewhere (e.g. the receiver's
// state.json or a receipt) and pass it as `expectLastHash`.

export const AUDIT_GENESIS_HASH = "0".repeat(64);

export interface AuditEntry {
  seq: number;
  time: string;
  event: string;
  data: Record<string, unknown>;
  prev: string;
  hash: string;
}

export type AuditTamperReason = "not-canonical" | "bad-shape" | "seq-mismatch" | "prev-mismatch" | "hash-mismatch" | "torn-tail" | "last-hash-mismatch";

/** hash = sha256Hex(prev + "\n" + canonical JSON of the entry without its hash). */
export function auditEntryHash(entry: Omit<AuditEntry, "hash">): string {
  return sha256Hex(`${entry.prev}\n${canonicalize({ data: entry.data, event: entry.event, prev: entry.prev, seq: entry.seq, time: entry.time })}`);
}

function tampered(file: string, line: number, reason: AuditTamperReason, what: string, extra: Record<string, unknown> = {}): PrepcastError {
  const torn = reason === "torn-tail";
  return new PrepcastError("AUDIT_LOG_TAMPERED", `${file} line ${line}: ${what}`, {
    where: `${file}:${line}`,
    hint: torn
      ? "the last write was cut short (crash or full disk); the entries before it are intact. AuditLog.open(path, { recoverTornTail: true }) keeps the fragment inside a recovery entry and continues the chain"
      : "the log was modified after it was written; keep it as evidence, and start a new log with AuditLog.startNew (which moves this one aside)",
    details: { reason, line, ...extra },
  });
}

const EVENT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

function checkLine(file: string, lineNo: number, text: Buffer, prevHash: string, prevSeq: number): AuditEntry {
  let value: unknown;
  try {
    value = parseCanonical(text, `${file}:${lineNo}`);
  } catch (e) {
    throw tampered(file, lineNo, "not-canonical", `is not a canonical JSON entry (${(e as Error).message})`);
  }
  const v = value as Partial<AuditEntry> | null;
  const keys = v && typeof v === "object" && !Array.isArray(v) ? Object.keys(v).sort().join(",") : "";
  if (
    keys !== "data,event,hash,prev,seq,time" ||
    typeof v!.seq !== "number" ||
    typeof v!.event !== "string" ||
    typeof v!.prev !== "string" ||
    typeof v!.hash !== "string" ||
    isoWithOffsetProblem(v!.time) !== undefined ||
    typeof v!.data !== "object" ||
    v!.data === null ||
    Array.isArray(v!.data)
  ) {
    throw tampered(file, lineNo, "bad-shape", "does not have the fields data, event, hash, prev, seq, time with the right types");
  }
  const entry = v as AuditEntry;
  if (entry.seq !== prevSeq + 1)
    throw tampered(file, lineNo, "seq-mismatch", `has seq ${entry.seq}, expected ${prevSeq + 1} (a line was deleted, inserted or moved)`);
  if (entry.prev !== prevHash) throw tampered(file, lineNo, "prev-mismatch", "does not chain to the line before it (a line was deleted, inserted or moved)");
  if (auditEntryHash(entry) !== entry.hash) throw tampered(file, lineNo, "hash-mismatch", "its content does not match its hash (the line was edited)");
  return entry;
}

interface ScanResult {
  entries: AuditEntry[];
  lastHash: string;
  lastSeq: number;
  /** bytes of the complete, verified lines */
  intactLength: number;
  /** bytes after the last newline, if any */
  tornTail?: Buffer;
}

function scan(file: string, content: Buffer, keepEntries: boolean): ScanResult {
  const entries: AuditEntry[] = [];
  let lastHash = AUDIT_GENESIS_HASH;
  let lastSeq = 0;
  let start = 0;
  let lineNo = 0;
  while (start < content.length) {
    const nl = content.indexOf(0x0a, start);
    lineNo++;
    if (nl === -1) {
      return { entries, lastHash, lastSeq, intactLength: start, tornTail: content.subarray(start) };
    }
    const entry = checkLine(file, lineNo, content.subarray(start, nl), lastHash, lastSeq);
    if (keepEntries) entries.push(entry);
    lastHash = entry.hash;
    lastSeq = entry.seq;
    start = nl + 1;
  }
  return { entries, lastHash, lastSeq, intactLength: start };
}

function readWhole(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw toPrepcastError(e, file);
  }
}

export interface VerifyAuditLogOptions {
  /** the hash of the last entry as recorded elsewhere: detects lines cut from the end */
  expectLastHash?: string;
}

/**
 * Verifies the whole chain. Throws AUDIT_LOG_TAMPERED with where = "<file>:<line>" and
 * details.reason. A final line without its newline is reported with reason "torn-tail" and
 * details.intactEntries: the chain before it is intact, but the log is not complete.
 */
export function verifyAuditLog(file: string, options: VerifyAuditLogOptions = {}): { ok: true; entries: number; lastHash: string } {
  const result = scan(file, readWhole(file), false);
  if (result.tornTail !== undefined) {
    throw tampered(
      file,
      result.lastSeq + 1,
      "torn-tail",
      `the last line is incomplete (${result.tornTail.length} bytes without a final newline); the ${result.lastSeq} entries before it are intact`,
      {
        intactEntries: result.lastSeq,
        lastHash: result.lastHash,
      },
    );
  }
  if (options.expectLastHash !== undefined && options.expectLastHash !== result.lastHash) {
    throw tampered(
      file,
      result.lastSeq,
      "last-hash-mismatch",
      `the log ends at entry ${result.lastSeq} whose hash differs from the recorded last hash (entries were removed from the end, or the log was replaced)`,
    );
  }
  return { ok: true, entries: result.lastSeq, lastHash: result.lastHash };
}

/** All entries, after verifying the chain (throws AUDIT_LOG_TAMPERED like verifyAuditLog). */
export function readAuditLog(file: string): AuditEntry[] {
  const result = scan(file, readWhole(file), true);
  if (result.tornTail !== undefined) {
    throw tampered(file, result.lastSeq + 1, "torn-tail", `the last line is incomplete; the ${result.lastSeq} entries before it are intact`, {
      intactEntries: result.lastSeq,
      lastHash: result.lastHash,
    });
  }
  return result.entries;
}

/** What a report reads from an audit log: the entries, and whether the chain verified. */
export interface AuditEvidence {
  file: string;
  found: boolean;
  verified: boolean;
  entries: AuditEntry[];
  /** Why it is not verified (missing, tampered), or null. */
  problem: string | null;
}

/**
 * The entries of an audit log for a report: verified when the chain holds (read again a few times
 * while a running service is still appending its last line); a damaged log is still evidence, so
 * its readable entries are returned with `verified: false` and the reason, never silently.
 */
export function readAuditEvidence(file: string): AuditEvidence {
  if (!fs.existsSync(file)) return { file, found: false, verified: false, entries: [], problem: `no existe la bitácora ${file}` };
  try {
    return { file, found: true, verified: true, entries: readAuditLogSettled(file), problem: null };
  } catch (e) {
    const entries: AuditEntry[] = [];
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
      try {
        const v = JSON.parse(line) as AuditEntry;
        if (typeof v.event === "string" && typeof v.time === "string")
          entries.push({ ...v, data: typeof v.data === "object" && v.data !== null ? v.data : {} });
      } catch {
        /* unreadable line: the chain check already counts it */
      }
    }
    return { file, found: true, verified: false, entries, problem: isPrepcastError(e) ? e.message : String(e) };
  }
}

/** readAuditLog, read again a few times (50 ms apart) while a running writer is still writing the last line (a torn tail). */
export function readAuditLogSettled(file: string): AuditEntry[] {
  for (let attempt = 0; ; attempt++) {
    try {
      return readAuditLog(file);
    } catch (e) {
      if (!(isPrepcastError(e, "AUDIT_LOG_TAMPERED") && e.details?.reason === "torn-tail") || attempt >= 5) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

export interface AuditLogOptions {
  /** fsync after every append (default true): an entry reported written survives a power cut */
  fsync?: boolean;
  /** after a crash mid-write: keep the torn fragment inside an "audit.torn-tail-recovered" entry and continue */
  recoverTornTail?: boolean;
  /** clock, for tests */
  now?: () => Date;
}

// One shared writer per file inside this process, so two AuditLog objects on the same path
// extend one chain instead of forking it.
interface SharedWriter {
  fd: number;
  size: number;
  lastHash: string;
  lastSeq: number;
  refs: number;
}
const writers = new Map<string, SharedWriter>();

function tailState(file: string): { lastHash: string; lastSeq: number; size: number } {
  const content = readWhole(file);
  const result = scan(file, content, false);
  if (result.tornTail !== undefined) {
    throw tampered(file, result.lastSeq + 1, "torn-tail", `the last line is incomplete; the ${result.lastSeq} entries before it are intact`, {
      intactEntries: result.lastSeq,
      lastHash: result.lastHash,
    });
  }
  return { lastHash: result.lastHash, lastSeq: result.lastSeq, size: content.length };
}

/**
 * Audit data is operational, not signed: rather than refuse an event (and lose it) because a
 * value falls outside canonical JSON, undefined members are dropped, Dates become ISO strings,
 * and numbers that are not safe integers (rates, fractions) and bigints are recorded as decimal
 * strings. Functions and symbols are still refused.
 */
export function toAuditData(value: unknown, depth = 0): unknown {
  if (depth > 32)
    throw new PrepcastError("NOT_CANONICAL", "audit data nests deeper than 32 levels (a cycle?)", { hint: "log a summary instead of the whole object" });
  if (typeof value === "number") return Number.isSafeInteger(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? formatIsoOffset(value, 0) : "Invalid Date";
  if (Array.isArray(value)) return value.map((v) => (v === undefined ? null : toAuditData(v, depth + 1)));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toAuditData(v, depth + 1);
    return out;
  }
  return value;
}

/**
 * `E`: the events this log may record (ReceiverAuditEvent, PublisherAuditEvent: audit-events.ts);
 * the default accepts any name, for tools that only read or verify.
 */
export class AuditLog<E extends string = string> {
  private closed = false;
  private readonly listeners = new Set<(entry: AuditEntry) => void>();

  private constructor(
    readonly path: string,
    private readonly key: string,
    private readonly writer: SharedWriter,
    private readonly options: Required<Pick<AuditLogOptions, "fsync">> & { now: () => Date },
  ) {}

  /**
   * Opens (creating if needed) a log for appending after verifying its whole chain. Refuses
   * (AUDIT_LOG_TAMPERED) a damaged log; a torn final line is repaired only with recoverTornTail.
   */
  static open<E extends string = string>(file: string, options: AuditLogOptions = {}): AuditLog<E> {
    const opts = { fsync: options.fsync ?? true, now: options.now ?? (() => new Date()) };
    let fd: number;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o640);
    } catch (e) {
      throw toPrepcastError(e, file);
    }
    const key = fs.realpathSync(file);
    const existing = writers.get(key);
    if (existing) {
      fs.closeSync(fd);
      existing.refs++;
      return new AuditLog<E>(file, key, existing, opts);
    }
    let torn: Buffer | undefined;
    let state: { lastHash: string; lastSeq: number; size: number };
    try {
      const content = readWhole(file);
      const result = scan(file, content, false);
      if (result.tornTail !== undefined) {
        if (options.recoverTornTail !== true) {
          throw tampered(file, result.lastSeq + 1, "torn-tail", `the last line is incomplete; the ${result.lastSeq} entries before it are intact`, {
            intactEntries: result.lastSeq,
            lastHash: result.lastHash,
          });
        }
        torn = Buffer.from(result.tornTail);
        fs.ftruncateSync(fd, result.intactLength);
        fs.fsyncSync(fd);
      }
      state = { lastHash: result.lastHash, lastSeq: result.lastSeq, size: result.intactLength };
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    const writer: SharedWriter = { fd, ...state, refs: 1 };
    writers.set(key, writer);
    const log = new AuditLog<E>(file, key, writer, opts);
    if (torn !== undefined) log.appendLogEvent("audit.torn-tail-recovered", { bytes: torn.length, fragmentBase64: torn.toString("base64") });
    return log;
  }

  /**
   * Moves an existing (e.g. tampered) log aside to `<file>.broken-<time>` and starts a new chain
   * whose first entry names the old file, so the break itself is on record.
   */
  static startNew<E extends string = string>(file: string, reason: string, options: AuditLogOptions = {}): AuditLog<E> {
    let movedTo: string | null = null;
    if (fs.existsSync(file)) {
      movedTo = `${file}.broken-${formatIsoOffset(new Date(), 0).replace(/[:.]/g, "")}`;
      fs.renameSync(file, movedTo);
    }
    const log = AuditLog.open<E>(file, options);
    log.appendLogEvent("audit.log-restarted", { reason, previousLog: movedTo });
    return log;
  }

  /** Appends one entry (write + fsync before returning). `event` is a dotted lower-case name like "cut.installed"; `data` goes through toAuditData. */
  /** The log's own events (LOG_AUDIT_EVENTS), whatever `E` is. */
  private appendLogEvent(event: keyof typeof LOG_AUDIT_EVENTS, data: Record<string, unknown>): AuditEntry {
    return this.appendAny(event, data);
  }

  append(event: E, data: Record<string, unknown>): AuditEntry {
    return this.appendAny(event, data);
  }

  private appendAny(event: string, data: Record<string, unknown>): AuditEntry {
    if (this.closed) throw new PrepcastError("INTERNAL", `audit log ${this.path} is closed`);
    if (!EVENT_PATTERN.test(event)) throw new PrepcastError("INTERNAL", `audit event name ${JSON.stringify(event)} must match ${EVENT_PATTERN}`);
    const w = this.writer;
    // Another process may have appended since: re-read and verify before extending the chain.
    const size = fs.fstatSync(w.fd).size;
    if (size !== w.size) Object.assign(w, tailState(this.path));
    const partial = {
      seq: w.lastSeq + 1,
      time: formatIsoOffset(this.options.now(), 0),
      event,
      data: toAuditData(data) as Record<string, unknown>,
      prev: w.lastHash,
    };
    const entry: AuditEntry = { ...partial, hash: auditEntryHash(partial) };
    const line = Buffer.from(
      `${canonicalize({ data: entry.data, event: entry.event, hash: entry.hash, prev: entry.prev, seq: entry.seq, time: entry.time })}\n`,
      "utf8",
    );
    try {
      let off = 0;
      while (off < line.length) off += fs.writeSync(w.fd, line, off, line.length - off);
      if (this.options.fsync) fs.fsyncSync(w.fd);
    } catch (e) {
      // Never leave half a line behind: it would make every later entry unverifiable.
      try {
        fs.ftruncateSync(w.fd, w.size);
      } catch {
        /* the original error matters more */
      }
      throw toPrepcastError(e, this.path);
    }
    w.size += line.length;
    w.lastHash = entry.hash;
    w.lastSeq = entry.seq;
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        /* a listener never stops the log */
      }
    }
    return entry;
  }

  /**
   * Calls `listener` with each entry appended through this handle, once it is on disk (e.g. the
   * publisher's notifier). Returns the unsubscribe function. A listener's error is swallowed.
   */
  onAppend(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get lastHash(): string {
    return this.writer.lastHash;
  }

  get entries(): number {
    return this.writer.lastSeq;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (--this.writer.refs === 0) {
      writers.delete(this.key);
      fs.closeSync(this.writer.fd);
    }
  }
}
