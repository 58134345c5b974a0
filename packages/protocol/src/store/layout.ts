import * as path from "node:path";

// The receiver's state directory (docs/architecture.md, "Receiver state directory"): the name of
// every entry in it, in one place, so the store, the agent, the site and the report agree.
//
//   current -> cuts/<id>   the live cut (a relative symlink, replaced atomically: symlink + rename)
//   cuts/<id>/             committed cuts (prepcast/ signed documents, site/ published files)
//   staging/<random>/      one fresh directory per install, removed on any error
//   state.json             trust state and cut records (temp + fsync + rename)
//   audit.log              hash-chained JSON lines
//   partial/               resumable payload of a cut being received
//   lock                   the one writer's lock file
//   push.sock              unix socket of the WebSocket push relayed by the site

/** The names of a state directory's entries. */
export const STATE_DIR_ENTRIES = {
  current: "current",
  cuts: "cuts",
  staging: "staging",
  state: "state.json",
  auditLog: "audit.log",
  partial: "partial",
  lock: "lock",
  pushSocket: "push.sock",
} as const;

/** What a switch of `current` interrupted by a crash leaves behind (`current.tmp-<random>`). */
export const CURRENT_TMP_PREFIX = `${STATE_DIR_ENTRIES.current}.tmp-`;
/** What a write of state.json interrupted by a crash leaves behind (writeFileAtomic's temp file). */
export const STATE_TMP_PREFIX = `${STATE_DIR_ENTRIES.state}.tmp-`;

/** The paths of a state directory's entries under `root` (as given: resolve it first for absolute paths). */
export interface StateDirLayout {
  root: string;
  current: string;
  cuts: string;
  staging: string;
  state: string;
  auditLog: string;
  partial: string;
  lock: string;
  pushSocket: string;
}

export function stateDirLayout(root: string): StateDirLayout {
  const at = (name: string) => path.join(root, name);
  const e = STATE_DIR_ENTRIES;
  return {
    root,
    current: at(e.current),
    cuts: at(e.cuts),
    staging: at(e.staging),
    state: at(e.state),
    auditLog: at(e.auditLog),
    partial: at(e.partial),
    lock: at(e.lock),
    pushSocket: at(e.pushSocket),
  };
}

/** The target `current` holds for the cut `id`: `cuts/<id>`, relative so the directory can move. */
export function liveTargetOf(id: string): string {
  return `${STATE_DIR_ENTRIES.cuts}/${id}`;
}

/** The cut id a `current` target names; undefined when it is not `cuts/<id>`. */
export function cutIdOfLiveTarget(target: string): string | undefined {
  return /^cuts\/(.+)$/.exec(target)?.[1];
}
