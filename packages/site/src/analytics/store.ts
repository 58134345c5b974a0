// Analytics store: every request as a row in SQLite (WAL, one writer, batched transactions).
// Privacy: the visitor is sha256(daily salt + IP + User-Agent); the salt is random per UTC-6 day,
// kept in the database, so visitors can be counted within a day but raw IPs are never stored.
import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { PrepcastError } from "@prepcast/protocol";
import { HIT_LIMITS, RawHit } from "./hit";
import { classifyUserAgent, isPageview, UaClass } from "./classify";
import { mxDay } from "../time";

export const SESSION_IDLE_MS = 30 * 60_000;
/** Default disk budget of the analytics database (its file plus WAL). */
export const DEFAULT_ANALYTICS_MAX_BYTES = 1024 * 1024 * 1024;
/** Open sessions kept in memory (least recently seen dropped first; a dropped visitor who comes back starts a new session). */
export const MAX_OPEN_SESSIONS = 100_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS hits (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  visitor TEXT NOT NULL,
  session INTEGER NOT NULL,
  method TEXT NOT NULL,
  path TEXT NOT NULL,
  status INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  referrer TEXT NOT NULL,
  ua_class TEXT NOT NULL,
  is_bot INTEGER NOT NULL,
  is_pageview INTEGER NOT NULL,
  duration_ms INTEGER
);
CREATE INDEX IF NOT EXISTS hits_time ON hits (time);
CREATE INDEX IF NOT EXISTS hits_beacon ON hits (session) WHERE method = 'BEACON';
CREATE TABLE IF NOT EXISTS ingested (sha256 TEXT PRIMARY KEY, file TEXT NOT NULL, at INTEGER NOT NULL, lines INTEGER NOT NULL);
`;

export interface AnalyticsStore {
  readonly path: string;
  readonly db: Database.Database;
  /** Inserts a batch in one transaction; returns the number of rows written (0 once the disk budget is used up). */
  insertHits(hits: readonly RawHit[]): number;
  count(): number;
  /** Hits not written because the disk budget was reached (kept in the database, survives restarts). */
  droppedHits(): number;
  /** Adds hits dropped upstream (a worker or a sink that could not keep up) to the counter. */
  noteDropped(n: number): void;
  /** Bytes used by the database (file + WAL) and the budget. */
  usage(): { bytes: number; maxBytes: number };
  /** Open sessions held in memory (bounded by MAX_OPEN_SESSIONS). */
  openSessions(): number;
  close(): void;
}

export interface AnalyticsStoreOptions {
  /** Disk budget (file + WAL); past it hits are counted as dropped, not written. Default 1 GiB. */
  maxBytes?: number;
  /** Open sessions kept in memory (default MAX_OPEN_SESSIONS). */
  maxOpenSessions?: number;
  /** Wall clock for deleting past days' salts (default Date.now). */
  now?: () => number;
}

/**
 * The analytics database for reading only (the memoria técnica, stats beside the running agent):
 * a read-only connection, no schema change, no salt written; SQLite's WAL lets it read a
 * consistent snapshot while the agent keeps inserting.
 */
export function openAnalyticsReadOnly(dbPath: string): AnalyticsStore {
  let db: Database.Database;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new PrepcastError("IO_ERROR", `cannot open the analytics database ${dbPath}: ${(e as Error).message}`, {
      where: dbPath,
      cause: e,
      hint: "check the path and permissions (run as the service user)",
    });
  }
  return {
    path: dbPath,
    db,
    insertHits() {
      throw new PrepcastError("INTERNAL", `${dbPath} is open read-only`);
    },
    count: () => (db.prepare("SELECT COUNT(*) AS n FROM hits").get() as { n: number }).n,
    droppedHits() {
      try {
        return Number((db.prepare("SELECT value FROM meta WHERE key = 'dropped_hits'").get() as { value?: string } | undefined)?.value ?? 0) || 0;
      } catch {
        return 0; // a database from before the counter
      }
    },
    noteDropped() {
      throw new PrepcastError("INTERNAL", `${dbPath} is open read-only`);
    },
    usage() {
      const size = (f: string) => {
        try {
          return statSync(f).size;
        } catch {
          return 0;
        }
      };
      return { bytes: size(dbPath) + size(`${dbPath}-wal`), maxBytes: DEFAULT_ANALYTICS_MAX_BYTES };
    },
    openSessions: () => 0,
    close: () => db.close(),
  };
}

export function createAnalyticsStore(dbPath: string, storeOpts: AnalyticsStoreOptions = {}): AnalyticsStore {
  const maxBytes = storeOpts.maxBytes ?? DEFAULT_ANALYTICS_MAX_BYTES;
  const maxOpen = storeOpts.maxOpenSessions ?? MAX_OPEN_SESSIONS;
  let db: Database.Database;
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
    db = new Database(dbPath);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("cache_size = -65536");
    db.pragma("temp_store = MEMORY");
    db.exec(SCHEMA);
  } catch (e) {
    throw new PrepcastError("IO_ERROR", `cannot open the analytics database ${dbPath}: ${(e as Error).message}`, {
      where: dbPath,
      cause: e,
      hint: "check the path and permissions; the site keeps serving without analytics",
    });
  }
  const INSERT = "INSERT INTO hits (time, visitor, session, method, path, status, bytes, referrer, ua_class, is_bot, is_pageview, duration_ms) VALUES ";
  const ROW = "(?,?,?,?,?,?,?,?,?,?,?,?)";
  const insert = db.prepare(INSERT + ROW);
  // Rows go in groups of ROWS_PER_INSERT per statement: one step per group instead of per row.
  const ROWS_PER_INSERT = 32;
  const insertGroup = db.prepare(INSERT + Array(ROWS_PER_INSERT).fill(ROW).join(","));
  const getSalt = db.prepare<[string], { salt: Buffer }>("SELECT salt FROM salts WHERE day = ?");
  const putSalt = db.prepare("INSERT OR IGNORE INTO salts (day, salt) VALUES (?, ?)");
  const salts = new Map<string, Buffer>();
  // A day's salt is deleted once a later day has begun: the stored visitor hashes of a past day
  // can then no longer be matched back to an address and browser by trying them all.
  const deleteOldSalts = db.prepare("DELETE FROM salts WHERE day < ?");
  let newestSaltDay = mxDay((storeOpts.now ?? Date.now)());
  deleteOldSalts.run(newestSaltDay);
  const saltFor = (day: string): Buffer => {
    let s = salts.get(day);
    if (s) return s;
    if (day > newestSaltDay) {
      newestSaltDay = day;
      deleteOldSalts.run(day);
      for (const d of salts.keys()) if (d < day) salts.delete(d);
    }
    putSalt.run(day, randomBytes(32));
    s = getSalt.get(day)!.salt;
    if (day >= newestSaltDay) salts.set(day, s);
    else db.prepare("DELETE FROM salts WHERE day = ?").run(day); // a past day (log ingestion): used for this batch only
    return s;
  };
  const getMeta = db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?");
  const putMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
  let dropped = Number(getMeta.get("dropped_hits")?.value ?? 0) || 0;
  const pageSize = Number(db.pragma("page_size", { simple: true })) || 4096;
  const pageCount = db.prepare("PRAGMA page_count").pluck();
  const walPath = `${dbPath}-wal`;
  // The budget covers the file and its WAL: the WAL is kept to a quarter of it (checkpointed and
  // truncated at that size), the rows get the rest. page_count already includes what the WAL holds.
  const walReserve = Math.min(16 * 1024 * 1024, Math.floor(maxBytes / 4));
  db.pragma(`journal_size_limit = ${walReserve}`);
  db.pragma(`wal_autocheckpoint = ${Math.max(16, Math.floor(walReserve / 2 / pageSize))}`);
  const dataBytes = (): number => Number(pageCount.get()) * pageSize;
  const walBytes = (): number => {
    try {
      return statSync(walPath).size;
    } catch {
      return 0;
    }
  };
  // Open sessions: visitor -> (session, last hit). Rebuilt from the last 30 minutes on open so a
  // restart does not split sessions.
  // Insertion order = least recently seen first: a hit moves its visitor to the end, and past
  // maxOpen the first entries go (an LRU), so memory is bounded whatever the number of visitors.
  const open = new Map<string, { session: number; last: number }>();
  const touch = (visitor: string, s: { session: number; last: number }): void => {
    open.delete(visitor);
    open.set(visitor, s);
    if (open.size > maxOpen) open.delete(open.keys().next().value!);
  };
  let nextSession = ((db.prepare("SELECT MAX(session) AS m FROM hits").get() as { m: number | null }).m ?? 0) + 1;
  const maxTime = (db.prepare("SELECT MAX(time) AS t FROM hits").get() as { t: number | null }).t;
  if (maxTime !== null) {
    const rows = db.prepare("SELECT visitor, session, MAX(time) AS last FROM hits WHERE time >= ? GROUP BY visitor").all(maxTime - SESSION_IDLE_MS) as {
      visitor: string;
      session: number;
      last: number;
    }[];
    for (const r of rows) touch(r.visitor, { session: r.session, last: r.last });
  }
  let sincePrune = 0;
  // Both caches only avoid recomputation (visitors and UA strings repeat); bounded by clearing.
  // Visitors are cached per day as ip → ua → hash: no key string is built per hit.
  const visitorCache = new Map<string, Map<string, string>>();
  let visitorCacheDay = "";
  let visitorCacheSize = 0;
  const uaCache = new Map<string, UaClass>();
  let dayCacheStart = -Infinity;
  let dayCache = "";
  const visitorOf = (h: RawHit): string => {
    if (h.time < dayCacheStart || h.time >= dayCacheStart + 3600_000) {
      dayCacheStart = Math.floor(h.time / 3600_000) * 3600_000; // UTC-6 days start on whole UTC hours
      dayCache = mxDay(h.time);
    }
    if (dayCache !== visitorCacheDay || visitorCacheSize >= 100_000) {
      visitorCache.clear();
      visitorCacheDay = dayCache;
      visitorCacheSize = 0;
    }
    let byUa = visitorCache.get(h.ip);
    if (byUa === undefined) {
      byUa = new Map();
      visitorCache.set(h.ip, byUa);
    }
    let v = byUa.get(h.ua);
    if (v === undefined) {
      v = createHash("sha256").update(saltFor(dayCache)).update(h.ip).update("\0").update(h.ua).digest("hex").slice(0, 32);
      byUa.set(h.ua, v);
      visitorCacheSize++;
    }
    return v;
  };
  const uaClassOf = (ua: string): UaClass => {
    let c = uaCache.get(ua);
    if (c === undefined) {
      c = classifyUserAgent(ua);
      if (uaCache.size >= 10_000) uaCache.clear();
      uaCache.set(ua, c);
    }
    return c;
  };

  const insertMany = db.transaction((hits: readonly RawHit[]) => {
    const params: unknown[] = [];
    for (const h of hits) {
      const visitor = visitorOf(h);
      const uaClass = uaClassOf(h.ua);
      let s = open.get(visitor);
      const beacon = h.method === "BEACON";
      if (beacon) {
        // A beacon belongs to the session in which the page was shown, even after a long read.
        if (!s || h.time - (h.durationMs ?? 0) - s.last > SESSION_IDLE_MS) {
          s = { session: nextSession++, last: h.time };
        }
      } else if (!s || h.time - s.last > SESSION_IDLE_MS) {
        s = { session: nextSession++, last: h.time };
      } else if (h.time > s.last) {
        s.last = h.time;
      }
      touch(visitor, s);
      params.push(
        h.time,
        visitor,
        s.session,
        h.method.slice(0, HIT_LIMITS.method),
        h.path.slice(0, HIT_LIMITS.path),
        h.status,
        h.bytes,
        h.referrer.slice(0, HIT_LIMITS.referrer),
        uaClass,
        uaClass === "bot" ? 1 : 0,
        isPageview(h) ? 1 : 0,
        h.durationMs ?? null,
      );
      if (params.length === ROWS_PER_INSERT * 12) {
        insertGroup.run(params);
        params.length = 0;
      }
    }
    for (let k = 0; k < params.length; k += 12) insert.run(params.slice(k, k + 12));
    sincePrune += hits.length;
    if (sincePrune > 50_000) {
      sincePrune = 0;
      const newest = hits[hits.length - 1]?.time ?? 0;
      for (const [v, st] of open) if (newest - st.last > SESSION_IDLE_MS) open.delete(v);
    }
  });

  return {
    path: dbPath,
    db,
    insertHits(hits) {
      if (hits.length === 0) return 0;
      // The disk budget: checked before each batch (a batch is at most a few hundred KB).
      if (dataBytes() >= maxBytes - walReserve) {
        dropped += hits.length;
        try {
          putMeta.run("dropped_hits", String(dropped));
        } catch {
          /* the counter is also in memory */
        }
        return 0;
      }
      try {
        insertMany(hits);
      } catch (e) {
        throw new PrepcastError(
          (e as NodeJS.ErrnoException).code === "SQLITE_FULL" ? "DISK_FULL" : "IO_ERROR",
          `cannot write ${hits.length} hits to ${dbPath}: ${(e as Error).message}`,
          { where: dbPath, cause: e },
        );
      }
      return hits.length;
    },
    count() {
      return (db.prepare("SELECT COUNT(*) AS n FROM hits").get() as { n: number }).n;
    },
    droppedHits() {
      return dropped;
    },
    noteDropped(n) {
      if (!(n > 0)) return;
      dropped += n;
      try {
        putMeta.run("dropped_hits", String(dropped));
      } catch {
        /* the counter is also in memory */
      }
    },
    usage() {
      return { bytes: Math.max(dataBytes(), 0) + walBytes(), maxBytes };
    },
    openSessions() {
      return open.size;
    },
    close() {
      if (db.open) db.close();
    },
  };
}
