import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { MANIFEST_ENTRY } from "../archive/format";
import { pointCurrentAt, settleCut, unsettledCut } from "./activation";
import { CURRENT_TMP_PREFIX, STATE_TMP_PREFIX, cutIdOfLiveTarget, liveTargetOf } from "./layout";
import { parseState, stateInvalid, type CutRecord } from "./state-file";
import type { StoreCore } from "./store-core";

/**
 * What CutStore.open does before anything else: brings a state directory a crash left at any
 * durable step (StoreStep) back to "the old cut live" or "the new cut live (or pending)".
 */
export async function recoverStore(core: StoreCore): Promise<void> {
  const { layout, audit } = core;
  // 1. leftovers of interrupted installs and switches
  for (const name of await fsp.readdir(layout.staging)) await fsp.rm(path.join(layout.staging, name), { recursive: true, force: true });
  for (const name of await fsp.readdir(layout.root)) {
    if (name.startsWith(CURRENT_TMP_PREFIX) || name.startsWith(STATE_TMP_PREFIX)) await fsp.rm(path.join(layout.root, name), { force: true });
  }
  // 2. state.json
  let haveState = true;
  try {
    core.state = parseState(await fsp.readFile(layout.state), layout.state);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    haveState = false;
  }
  const state = core.state;
  let currentTarget: string | null = null;
  try {
    const st = await fsp.lstat(layout.current);
    if (!st.isSymbolicLink())
      throw stateInvalid(`${layout.current} is not a symbolic link`, layout.current, "move it aside; `current` is managed by prep-receiver");
    currentTarget = await fsp.readlink(layout.current);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  if (!haveState && currentTarget !== null) {
    throw stateInvalid(
      `${layout.state} is missing but ${layout.current} exists`,
      layout.state,
      "restore state.json from a backup, or move the directory aside and reinstall the latest cut",
    );
  }
  // 3. cut directories the state does not know: committed by a crashed install, never live
  const known = new Set(state.cuts.map((c) => c.id));
  for (const name of await fsp.readdir(layout.cuts)) {
    if (!known.has(name)) {
      await fsp.rm(path.join(layout.cuts, name), { recursive: true, force: true });
      audit.append("store.orphan-removed", { id: name });
    }
  }
  // 4. records whose directory vanished
  const present: CutRecord[] = [];
  for (const c of state.cuts) {
    if (fs.existsSync(path.join(layout.cuts, c.id, MANIFEST_ENTRY))) present.push(c);
    else if (c.id === state.live || (currentTarget !== null && currentTarget === liveTargetOf(c.id))) {
      throw stateInvalid(
        `the live cut ${c.id} is missing from ${layout.cuts}`,
        path.join(layout.cuts, c.id),
        "reinstall the latest cut into a fresh --root directory",
      );
    } else audit.append("store.record-dropped", { id: c.id });
  }
  let changed = present.length !== state.cuts.length;
  state.cuts = present;
  // state written before the cut order was checked has no corte per stream: take the recorded cut's
  for (const seen of Object.values(state.trust.cuts)) {
    if (seen.corte !== undefined) continue;
    const rec = present.find((c) => c.manifestSha256 === seen.manifestSha256);
    if (rec) {
      seen.corte = rec.corte;
      changed = true;
    }
  }
  if (state.pending !== null && !present.some((c) => c.id === state.pending)) {
    state.pending = null;
    changed = true;
  }
  // 5. `current` decides what is live: it is switched before state.json is written
  if (currentTarget !== null) {
    const id = cutIdOfLiveTarget(currentTarget);
    if (id === undefined || !present.some((c) => c.id === id)) {
      throw stateInvalid(
        `${layout.current} points to ${currentTarget}, which is not a committed cut`,
        layout.current,
        "repoint it to a directory under cuts/ or reinstall the latest cut",
      );
    }
    if (state.live !== id) {
      audit.append("store.recovered", { live: id, stateSaid: state.live });
      state.live = id;
      if (state.pending === id) state.pending = null;
      changed = true;
    }
  } else if (state.live !== null) {
    await pointCurrentAt(core, state.live);
    audit.append("store.recovered", { live: state.live, currentWas: null });
  }
  if (changed || !haveState || audit.entries !== state.auditHead?.entries) await core.saveState();
  // 6. a cut recorded (trust state advanced) but neither live nor pending: the install stopped
  //    between commit and activation. Finish it, as the install would have.
  const unsettled = unsettledCut(core);
  if (unsettled !== null) await settleCut(core, unsettled, "recovery", core.now());
}
