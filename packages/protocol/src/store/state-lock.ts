// One writer per state directory. Node has no flock(), so the lock is a file naming its holder
// precisely enough to tell a live holder from a dead one wherever the directory is mounted:
//   {"pid":6,"start":"84213","pidns":"pid:[4026532571]","boot":"<boot id>"}
// - another boot (the machine restarted): stale;
// - the same PID namespace: alive only if that PID runs with the same start time and is not us
//   (a restarted container reuses PIDs: the dead agent was PID 6, the new one may be PID 6 too);
// - another PID namespace (a second container on the same volume, or a container restarted after
//   SIGKILL): its PIDs cannot be checked from here, so the holder refreshes the file's mtime every
//   HEARTBEAT_MS and a lock not refreshed for STALE_MS is stale. A newcomer waits that long at most.
import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError, toPrepcastError } from "../errors";

/** Locks this process holds: a lock naming our PID is ours only if it is in here. */
const heldHere = new Set<string>();

export const LOCK_HEARTBEAT_MS = 2000;
export const LOCK_STALE_MS = 8000;

interface LockRecord {
  pid: number;
  start: string | null;
  pidns: string | null;
  boot: string | null;
}

function readOr(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return null;
  }
}

function nsOf(link: string): string | null {
  try {
    return fs.readlinkSync(link);
  } catch {
    return null;
  }
}

/** Start time of a process in clock ticks since boot (/proc/PID/stat field 22), null when it does not exist. */
function startTimeOf(pid: number): string | null {
  const stat = readOr(`/proc/${pid}/stat`);
  if (stat === null) return null;
  // the command name (field 2) may hold spaces and parentheses: fields resume after the last ')'
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
}

function ourRecord(): LockRecord {
  return { pid: process.pid, start: startTimeOf(process.pid), pidns: nsOf("/proc/self/ns/pid"), boot: readOr("/proc/sys/kernel/random/boot_id") };
}

function parseRecord(text: string): LockRecord | null {
  if (/^\d+$/.test(text)) return { pid: Number(text), start: null, pidns: null, boot: null }; // before this format
  try {
    const r = JSON.parse(text) as Partial<LockRecord>;
    if (!Number.isInteger(r.pid) || (r.pid as number) <= 0) return null;
    return { pid: r.pid as number, start: r.start ?? null, pidns: r.pidns ?? null, boot: r.boot ?? null };
  } catch {
    return null;
  }
}

type Verdict = { state: "stale"; why: string } | { state: "alive"; holder: string } | { state: "elsewhere"; holder: string; ageMs: number };

function judge(lock: string, record: LockRecord | null, mtimeMs: number, me: LockRecord, now: number, staleMs: number): Verdict {
  if (record === null) return { state: "stale", why: "unreadable lock file" };
  if (record.boot && me.boot && record.boot !== me.boot) return { state: "stale", why: "left before a reboot" };
  const holder = `process ${record.pid}`;
  if (record.pidns && me.pidns && record.pidns !== me.pidns) {
    const ageMs = now - mtimeMs;
    return ageMs > staleMs
      ? { state: "stale", why: `not refreshed for ${Math.round(ageMs / 1000)} s` }
      : { state: "elsewhere", holder: `${holder} of another container or PID namespace`, ageMs };
  }
  if (record.pid === me.pid)
    return heldHere.has(lock) ? { state: "alive", holder: `${holder} (this process)` } : { state: "stale", why: "left by an earlier process with our PID" };
  let exists = false;
  try {
    process.kill(record.pid, 0);
    exists = true;
  } catch (err) {
    exists = (err as NodeJS.ErrnoException).code === "EPERM";
  }
  if (!exists) return { state: "stale", why: `${holder} is gone` };
  if (record.start !== null) {
    const start = startTimeOf(record.pid);
    if (start !== null && start !== record.start) return { state: "stale", why: `PID ${record.pid} now belongs to another process` };
  }
  return { state: "alive", holder };
}

export interface StateLock {
  readonly path: string;
  release(): void;
}

/**
 * Takes DIR/lock, waiting up to `waitMs` for a holder in another PID namespace whose heartbeat may
 * still be fresh; STATE_INVALID when the directory is in use.
 */
export async function acquireStateLock(
  root: string,
  options: { waitMs?: number; staleMs?: number; heartbeatMs?: number; what?: string } = {},
): Promise<StateLock> {
  const lock = path.join(root, "lock");
  const me = ourRecord();
  const staleMs = options.staleMs ?? LOCK_STALE_MS;
  const deadline = Date.now() + (options.waitMs ?? staleMs + LOCK_HEARTBEAT_MS);
  for (;;) {
    const tmp = path.join(root, `.lock.${process.pid}.${Date.now()}.tmp`);
    try {
      fs.writeFileSync(tmp, `${JSON.stringify(me)}\n`, { flag: "wx", mode: 0o644 });
      fs.linkSync(tmp, lock); // atomic: fails with EEXIST while someone holds it
      fs.rmSync(tmp, { force: true });
      return heldLock(lock, options.heartbeatMs ?? LOCK_HEARTBEAT_MS);
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw toPrepcastError(e, lock);
    }
    let verdict: Verdict;
    let judgedIno: number;
    try {
      const st = fs.statSync(lock);
      judgedIno = st.ino;
      verdict = judge(lock, parseRecord(fs.readFileSync(lock, "utf8").trim()), st.mtimeMs, me, Date.now(), staleMs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // released meanwhile
      throw toPrepcastError(e, lock);
    }
    if (verdict.state === "stale") {
      // Set the judged file aside by rename, then check it is the one judged: when two newcomers
      // race, the slower one may have moved the faster one's fresh lock, and puts it back.
      const aside = path.join(root, `.lock.stale.${process.pid}.${Date.now()}`);
      try {
        fs.renameSync(lock, aside);
        if (fs.statSync(aside).ino !== judgedIno) {
          try {
            fs.linkSync(aside, lock);
          } catch {
            /* a third process took it meanwhile: it holds it */
          }
        }
        fs.rmSync(aside, { force: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw toPrepcastError(e, lock);
      }
      continue;
    }
    if (verdict.state === "alive" || Date.now() >= deadline) {
      throw new PrepcastError(
        "STATE_INVALID",
        `${root} is in use by ${verdict.holder}${verdict.state === "elsewhere" ? ` (its lock was refreshed ${Math.round(verdict.ageMs / 1000)} s ago)` : ""}`,
        {
          where: lock,
          hint: `one ${options.what ?? "prep-receiver"} at a time writes a state directory: stop the other one (to install a .prep by hand, stop the agent first: docs/operations/contingency.md); read-only commands such as status, audit verify and report need no lock`,
        },
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function heldLock(lock: string, heartbeatMs: number): StateLock {
  // the heartbeat other PID namespaces judge us by; unref'd: it never keeps a process alive
  const timer = setInterval(() => {
    try {
      const t = new Date();
      fs.utimesSync(lock, t, t);
    } catch {
      /* the directory went away: nothing to refresh */
    }
  }, heartbeatMs);
  timer.unref();
  heldHere.add(lock);
  let released = false;
  return {
    path: lock,
    release(): void {
      if (released) return;
      released = true;
      heldHere.delete(lock);
      clearInterval(timer);
      try {
        fs.rmSync(lock, { force: true });
      } catch {
        /* nothing useful to do */
      }
    },
  };
}
