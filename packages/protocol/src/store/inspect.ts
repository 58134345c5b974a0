import * as fs from "node:fs";
import * as path from "node:path";
import { AUDIT_GENESIS_HASH, readAuditLogSettled } from "../audit-log";
import { PrepcastError, toPrepcastError } from "../errors";
import { parseKeyset, type Keyset } from "../trust/keyset";
import { STATE_DIR_ENTRIES, cutIdOfLiveTarget, stateDirLayout } from "./layout";
import { emptyState, parseState, type CutRecord, type StoreState } from "./state-file";

// Reading a state directory without its lock, for the read-only commands (status, audit verify,
// report) beside a running agent.

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
  const e = STATE_DIR_ENTRIES;
  if (![e.state, e.cuts, e.current, e.auditLog].some((n) => fs.existsSync(path.join(abs, n))) && fs.readdirSync(abs).length > 0) {
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
  const layout = stateDirLayout(requireStateDir(root, flag));
  const statePath = layout.state;
  let state: StoreState;
  try {
    state = parseState(fs.readFileSync(statePath), statePath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw toPrepcastError(e, statePath);
    state = emptyState();
  }
  let liveId = state.live;
  try {
    const id = cutIdOfLiveTarget(fs.readlinkSync(layout.current));
    if (id !== undefined && state.cuts.some((c) => c.id === id)) liveId = id;
  } catch {
    /* no `current` yet: the state says what is live (nothing) */
  }
  const record = (id: string | null) => (id === null ? null : (state.cuts.find((c) => c.id === id) ?? null));
  const pending = state.pending === liveId ? null : record(state.pending);
  return { root: layout.root, state, live: record(liveId), pending };
}

/**
 * The keyset the live cut was installed with (ROOT/cuts/ID/prepcast/keyset.json, verified at
 * install), or null before the first activation. Its expiry is what status and doctor warn about.
 */
export function liveKeyset(view: StoreView): Keyset | null {
  if (!view.live) return null;
  const file = path.join(stateDirLayout(view.root).cuts, view.live.id, "prepcast", "keyset.json");
  try {
    return parseKeyset(fs.readFileSync(file), file);
  } catch (e) {
    throw toPrepcastError(e, file);
  }
}

/**
 * Verifies DIR/audit.log: the whole hash chain (edits, reordering, torn lines) and, against the
 * anchor in DIR/state.json, that no entry was cut from its end. Read-only; needs no lock, so it
 * runs beside the agent: state.json is read before the log (the log only grows, so the anchor
 * read first is never ahead of it), and a last line still being appended is read again.
 */
export function verifyStoreAudit(root: string, flag = "--root"): { entries: number; lastHash: string; anchoredEntries: number | null } {
  const layout = stateDirLayout(requireStateDir(root, flag));
  const log = layout.auditLog;
  let head: StoreState["auditHead"];
  const statePath = layout.state;
  if (fs.existsSync(statePath)) head = parseState(fs.readFileSync(statePath), statePath).auditHead;
  if (!fs.existsSync(log)) {
    throw new PrepcastError(
      head ? "AUDIT_LOG_TAMPERED" : "STATE_INVALID",
      `${log} is missing${head ? ` but state.json recorded ${head.entries} entries` : ""}`,
      {
        where: log,
        hint: head
          ? "the audit log was removed; restore it from your backups and keep the state directory as evidence"
          : "the agent creates it at its first start; check the --root",
        details: { reason: "missing" },
      },
    );
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
        {
          where: `${log}:${Math.min(entries.length, head.entries)}`,
          hint: "keep this copy as evidence and compare it with your backups; the chain no longer proves what happened",
          details: { reason: "truncated", recorded: head.entries, found: entries.length },
        },
      );
    }
  }
  const last = entries.at(-1);
  return { entries: entries.length, lastHash: last?.hash ?? AUDIT_GENESIS_HASH, anchoredEntries: head?.entries ?? null };
}
