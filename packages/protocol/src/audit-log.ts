import type { LOG_AUDIT_EVENTS } from "./audit-events";
import * as fs from "node:fs";
import * as path from "node:path";
import { canonicalize } from "./trust/canonical-json";
import { PrepcastError, toPrepcastError } from "./errors";
import { formatIsoOffset } from "./time";
import { auditEntryHash, readWhole, scan, tampered, type AuditEntry } from "./audit-chain";

export {
  AUDIT_GENESIS_HASH,
  auditEntryHash,
  readAuditEvidence,
  readAuditLog,
  readAuditLogSettled,
  verifyAuditLog,
  type AuditEntry,
  type AuditEvidence,
  type AuditTamperReason,
  type VerifyAuditLogOptions,
} from "./audit-chain";

const EVENT_PATTERN = /^[a-z0-9][a-z0-9._-]{0,127}$/;

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
