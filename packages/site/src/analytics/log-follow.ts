// `prep-receiver ingest-logs --follow FILE`: nginx's access log read live into the analytics store,
// every complete line stored exactly once across rotations and restarts.
//
// The position (the file's dev+inode, the byte offset just after the last complete line stored,
// and a SHA-256 of the bytes before that offset) is written in the same SQLite transaction as the
// hits of those lines: a crash (kill -9) at any instant leaves either both or neither, so a restart
// resumes exactly where the stored hits end.
//  - a line without its newline yet (nginx half-way through a write) is not consumed: it is read
//    again, whole, at the next poll;
//  - rename rotation (logrotate's default: FILE -> FILE.1, nginx -s reopen): when FILE names
//    another inode, the old file is read until it has stopped growing for `rotateGraceMs` (nginx
//    writes to it until it reopens), then the new FILE from offset 0;
//  - copytruncate: FILE shrinks below the offset (or the bytes before the offset change): the rest
//    of the old content is read from the copy FILE.1 (recognised by the bytes before the offset),
//    then FILE from 0;
//  - restart: resume at the stored offset in FILE, or in FILE.1 if the stored inode was rotated
//    there meanwhile (then FILE from 0).
// Memory is bounded by one chunk (64 KiB) and its batch of hits, whatever the size of the log.
import { createHash } from "node:crypto";
import { promises as fsp, type BigIntStats } from "node:fs";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { toPrepcastError } from "@prepcast/protocol";
import type { AnalyticsStore } from "./store";
import type { RawHit } from "./hit";
import { parseCombinedLine } from "./nginx-log";

const POSITION_SCHEMA = `CREATE TABLE IF NOT EXISTS log_follow (path TEXT PRIMARY KEY, dev TEXT NOT NULL, ino TEXT NOT NULL, offset INTEGER NOT NULL, tail TEXT NOT NULL, at INTEGER NOT NULL)`;
/** Bytes before the offset whose hash recognises the same content again (copytruncate, restarts). */
const TAIL_BYTES = 64;
const NEWLINE = 0x0a;

export interface FollowOptions {
  /** Stops following (SIGTERM): the current chunk is committed first. */
  signal: AbortSignal;
  /** How often the file is checked for new lines when idle (default 200 ms). */
  pollMs?: number;
  /** After FILE names a new file, the old one is read until idle this long (default 2000 ms). */
  rotateGraceMs?: number;
  /** Bytes read per step (default 64 KiB); a longer line is skipped as malformed. */
  chunkBytes?: number;
  /** Rotations, truncations, lines skipped, lines that could not be found again. */
  onEvent?: (event: FollowEvent) => void;
}

export type FollowEvent =
  | { kind: "start"; file: string; dev: string; ino: string; offset: number; resumed: boolean }
  | { kind: "rotated"; file: string; from: string; to: string }
  | { kind: "truncated"; file: string; copy: string | undefined; offset: number }
  | { kind: "lost"; file: string; message: string }
  | { kind: "malformed"; file: string; offset: number; message: string }
  | { kind: "waiting"; file: string };

export interface FollowStats {
  file: string;
  lines: number;
  hits: number;
  errorCount: number;
  rotations: number;
  truncations: number;
}

interface Position {
  dev: string;
  ino: string;
  offset: number;
  tail: string;
}

interface Reader extends Position {
  fh: fsp.FileHandle;
  name: string;
}

const idOf = (st: BigIntStats): { dev: string; ino: string } => ({ dev: String(st.dev), ino: String(st.ino) });
const sameFile = (a: { dev: string; ino: string }, b: { dev: string; ino: string }): boolean => a.dev === b.dev && a.ino === b.ino;
const hashTail = (bytes: Buffer): string => createHash("sha256").update(bytes).digest("hex");

async function statOrUndefined(file: string): Promise<BigIntStats | undefined> {
  try {
    return await fsp.stat(file, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw toPrepcastError(e, file);
  }
}

/** The hash of the TAIL_BYTES before `offset` (of fewer at the start of the file). */
async function tailAt(fh: fsp.FileHandle, offset: number): Promise<string | undefined> {
  const start = Math.max(0, offset - TAIL_BYTES);
  const buf = Buffer.alloc(offset - start);
  const { bytesRead } = await fh.read(buf, 0, buf.length, start);
  return bytesRead === buf.length ? hashTail(buf) : undefined;
}

/** Follows `file` until `signal` aborts; resolves with what was stored. */
export async function followNginxLog(store: AnalyticsStore, fileArg: string, opts: FollowOptions): Promise<FollowStats> {
  const file = resolve(fileArg);
  const copyName = `${file}.1`;
  const pollMs = opts.pollMs ?? 200;
  const grace = opts.rotateGraceMs ?? 2000;
  const chunkBytes = opts.chunkBytes ?? 64 * 1024;
  const emit = opts.onEvent ?? (() => undefined);
  const { signal } = opts;
  const stats: FollowStats = { file, lines: 0, hits: 0, errorCount: 0, rotations: 0, truncations: 0 };
  store.db.exec(POSITION_SCHEMA);
  const load = store.db.prepare<[string], Position>("SELECT dev, ino, offset, tail FROM log_follow WHERE path = ?");
  const save = store.db.prepare(
    "INSERT INTO log_follow (path, dev, ino, offset, tail, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(path) DO UPDATE SET dev = excluded.dev, ino = excluded.ino, offset = excluded.offset, tail = excluded.tail, at = excluded.at",
  );
  // the hits of the lines and the position after them: one transaction
  const commit = store.db.transaction((hits: RawHit[], pos: Position) => {
    stats.hits += store.insertHits(hits);
    save.run(file, pos.dev, pos.ino, pos.offset, pos.tail, Date.now());
  });
  const readers: Reader[] = [];
  const open = async (name: string, offset: number, tail?: string): Promise<Reader | undefined> => {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(name, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw toPrepcastError(e, name);
    }
    const r: Reader = { fh, name, ...idOf(await fh.stat({ bigint: true })), offset, tail: tail ?? hashTail(Buffer.alloc(0)) };
    readers.push(r);
    return r;
  };
  const close = async (r: Reader): Promise<void> => {
    readers.splice(readers.indexOf(r), 1);
    await r.fh.close();
  };

  /** Reads and stores every complete line after r.offset; returns the bytes consumed. */
  const drain = async (r: Reader): Promise<number> => {
    const buf = Buffer.alloc(chunkBytes);
    let consumed = 0;
    for (;;) {
      const { bytesRead } = await r.fh.read(buf, 0, chunkBytes, r.offset);
      const last = buf.lastIndexOf(NEWLINE, bytesRead - 1);
      if (bytesRead === 0 || last < 0) {
        if (bytesRead < chunkBytes) return consumed; // a partial line: wait for its newline
        // a line longer than a chunk: skipped once its newline arrives
        const skipped = await skipLongLine(r, buf);
        if (skipped === 0) return consumed;
        consumed += skipped;
        continue;
      }
      const hits: RawHit[] = [];
      let start = 0;
      while (start <= last) {
        const nl = buf.indexOf(NEWLINE, start);
        const line = buf.toString("utf8", start, nl > start && buf[nl - 1] === 0x0d ? nl - 1 : nl);
        stats.lines++;
        if (line.trim() !== "") {
          const hit = parseCombinedLine(line);
          if (typeof hit === "string") {
            stats.errorCount++;
            emit({ kind: "malformed", file: r.name, offset: r.offset + start, message: `${r.name} at byte ${r.offset + start}: ${hit}` });
          } else hits.push(hit);
        }
        start = nl + 1;
      }
      const offset = r.offset + last + 1;
      const tail = hashTail(buf.subarray(Math.max(0, last + 1 - TAIL_BYTES), last + 1));
      const full = last + 1 >= TAIL_BYTES || r.offset === 0 ? tail : await tailAt(r.fh, offset);
      commit(hits, { dev: r.dev, ino: r.ino, offset, tail: full ?? tail });
      r.offset = offset;
      r.tail = full ?? tail;
      consumed += last + 1;
      if (signal.aborted) return consumed;
    }
  };
  const skipLongLine = async (r: Reader, buf: Buffer): Promise<number> => {
    for (let at = r.offset + buf.length; ; at += buf.length) {
      const { bytesRead } = await r.fh.read(buf, 0, buf.length, at);
      const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
      if (nl >= 0) {
        const offset = at + nl + 1;
        stats.lines++;
        stats.errorCount++;
        emit({
          kind: "malformed",
          file: r.name,
          offset: r.offset,
          message: `${r.name} at byte ${r.offset}: a line of ${offset - r.offset} bytes, longer than ${buf.length}; skipped`,
        });
        const tail = (await tailAt(r.fh, offset))!;
        commit([], { dev: r.dev, ino: r.ino, offset, tail });
        const n = offset - r.offset;
        r.offset = offset;
        r.tail = tail;
        return n;
      }
      if (bytesRead < buf.length) return 0;
    }
  };
  /** Does `name` hold the content the position describes up to its offset? */
  const holds = async (r: Reader, pos: Position): Promise<boolean> => (await r.fh.stat()).size >= pos.offset && (await tailAt(r.fh, pos.offset)) === pos.tail;
  /** After a copytruncate: the lines between the position and the truncation, from the copy FILE.1. */
  const finishCopy = async (pos: Position, truncatedAt: string): Promise<void> => {
    const copy = await open(copyName, pos.offset, pos.tail);
    if (copy && (await holds(copy, pos))) {
      emit({ kind: "truncated", file, copy: copyName, offset: pos.offset });
      await drain(copy);
    } else
      emit({
        kind: "lost",
        file,
        message: `${truncatedAt} was truncated (copytruncate) and ${copyName} does not hold its content up to byte ${pos.offset}: lines written after that offset and before the truncation are not counted`,
      });
    if (copy) await close(copy);
  };
  const startAtZero = async (): Promise<Reader | undefined> => {
    const r = await open(file, 0);
    if (r) commit([], r);
    return r;
  };

  try {
    // where to start: the stored position, in FILE or in FILE.1
    let cur: Reader | undefined;
    const stored = load.get(file);
    while (!cur && !signal.aborted) {
      if (stored) {
        const now = await open(file, stored.offset, stored.tail);
        if (now && sameFile(now, stored)) {
          if (await holds(now, stored)) cur = now;
          else {
            await close(now);
            stats.truncations++;
            await finishCopy(stored, file);
            cur = await startAtZero();
          }
        } else {
          if (now) await close(now);
          const old = await open(copyName, stored.offset, stored.tail);
          if (old && sameFile(old, stored) && (await holds(old, stored)))
            cur = old; // rotated while stopped: finish it first
          else {
            if (old) await close(old);
            emit({
              kind: "lost",
              file,
              message: `the file followed before (inode ${stored.ino}, ${stored.offset} bytes read) is neither ${file} nor ${copyName} any more: lines written to it after that are not counted`,
            });
            cur = await startAtZero();
          }
        }
      } else cur = await startAtZero();
      if (cur) emit({ kind: "start", file: cur.name, dev: cur.dev, ino: cur.ino, offset: cur.offset, resumed: stored !== undefined && cur.offset > 0 });
      else {
        emit({ kind: "waiting", file });
        await sleep(pollMs, undefined, { signal }).catch(() => undefined);
      }
    }
    let rotatingIdleSince: number | undefined;
    while (cur && !signal.aborted) {
      if (cur.offset > 0 && !(await holds(cur, cur))) {
        // copytruncate: the file shrank or its bytes before the offset changed
        stats.truncations++;
        const pos: Position = { ...cur };
        await close(cur);
        await finishCopy(pos, file);
        cur = await startAtZero();
        continue;
      }
      const consumed = await drain(cur);
      const named = await statOrUndefined(file);
      if (named && !sameFile(idOf(named), cur)) {
        // FILE is a new file: finish the old one once nginx has stopped writing to it
        if (consumed > 0 || rotatingIdleSince === undefined) rotatingIdleSince = Date.now();
        else if (Date.now() - rotatingIdleSince >= grace) {
          const next = await open(file, 0);
          if (next) {
            emit({ kind: "rotated", file, from: `${cur.dev}:${cur.ino}`, to: `${next.dev}:${next.ino}` });
            stats.rotations++;
            commit([], next);
            await close(cur);
            cur = next;
            rotatingIdleSince = undefined;
            continue;
          }
        }
      } else rotatingIdleSince = undefined;
      if (consumed === 0) await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
  } finally {
    for (const r of [...readers]) await close(r);
  }
  return stats;
}
