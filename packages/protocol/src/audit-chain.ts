// The audit log's hash chain: the entry hash, the check of each line, and verifying and reading a
// whole log (reports read it through readAuditEvidence). The writer, AuditLog, is in audit-log.ts.
import * as fs from "node:fs";
import { canonicalize, parseCanonical } from "./trust/canonical-json";
import { PrepcastError, isPrepcastError, toPrepcastError } from "./errors";
import { sha256Hex } from "./hash";
import { isoWithOffsetProblem } from "./time";

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

export function tampered(file: string, line: number, reason: AuditTamperReason, what: string, extra: Record<string, unknown> = {}): PrepcastError {
  const torn = reason === "torn-tail";
  return new PrepcastError("AUDIT_LOG_TAMPERED", `${file} line ${line}: ${what}`, {
    where: `${file}:${line}`,
    hint: torn
      ? "the last write was cut short (crash or full disk); the entries before it are intact. AuditLog.open(path, { recoverTornTail: true }) keeps the fragment inside a recovery entry and continues the chain"
      : "the log was modified after it was written; keep it as evidence, and start a new log with AuditLog.startNew (which moves this one aside)",
    details: { reason, line, ...extra },
  });
}

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

export interface ScanResult {
  entries: AuditEntry[];
  lastHash: string;
  lastSeq: number;
  /** bytes of the complete, verified lines */
  intactLength: number;
  /** bytes after the last newline, if any */
  tornTail?: Buffer;
}

export function scan(file: string, content: Buffer, keepEntries: boolean): ScanResult {
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

export function readWhole(file: string): Buffer {
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
