import { randomBytes } from "node:crypto";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { PrepcastError, toPrepcastError } from "../errors";
import { sha256Hex } from "../hash";
import { isEmbargoed } from "../trust/trust";
import { MANIFEST_ENTRY } from "../archive/format";
import { fsyncDir } from "../durable";
import { CURRENT_TMP_PREFIX, liveTargetOf } from "./layout";
import type { CutStore } from "./cut-store";
import type { CutRecord } from "./state-file";
import { stateInvalid } from "./state-file";
import type { StoreCore } from "./store-core";

// Activation: how a committed cut becomes live. `current` is switched by a single rename, then
// state.json records it; a cut whose notBefore lies ahead waits as pending; an install that stopped
// between its commit and its activation is settled (by open() after a crash, or by a re-offer).
// CutStore's activate, markPending, settle and unsettled, and the install paths, all come here.

/** Points `current` at cuts/<id>: a new symlink renamed over the old one, then the directory fsynced. */
export async function pointCurrentAt(core: StoreCore, id: string): Promise<void> {
  const tmp = path.join(core.layout.root, `${CURRENT_TMP_PREFIX}${randomBytes(6).toString("hex")}`);
  try {
    await fsp.symlink(liveTargetOf(id), tmp);
    await fsp.rename(tmp, core.layout.current);
    await fsyncDir(core.layout.root);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw toPrepcastError(e, core.layout.current);
  }
}

/** Switches `current` to cuts/<id> atomically, then records it (steps `switched`, `activated`). */
export async function activateCut(core: StoreCore, id: string): Promise<void> {
  core.assertKnown(id);
  const previous = core.state.live;
  await pointCurrentAt(core, id);
  await core.afterStep?.("switched", id);
  core.state.live = id;
  if (core.state.pending !== null) {
    const pending = core.record(core.state.pending);
    // a pending cut older than what is now live can never be shown
    if (core.state.pending === id || (pending && pending.sequence <= core.record(id)!.sequence)) core.state.pending = null;
  }
  const r = core.record(id)!;
  core.audit.append("cut.activated", { id, sequence: r.sequence, corte: r.corte, manifestSha256: r.manifestSha256, previous });
  await core.saveState();
  await core.afterStep?.("activated", id);
}

/** Records a committed cut as waiting for its notBefore (step `pending`). */
export async function markCutPending(core: StoreCore, id: string): Promise<void> {
  core.assertKnown(id);
  core.state.pending = id;
  core.audit.append("cut.staged", { id, notBefore: core.record(id)!.notBefore });
  await core.saveState();
  await core.afterStep?.("pending", id);
}

/**
 * The most recently committed cut when it is neither live nor pending: an install that stopped
 * between its commit (the trust state names the cut) and its activation (a crash, or a failed
 * switch). Every other committed cut is live, pending, or older than one that was.
 */
export function unsettledCut(core: StoreCore): CutRecord | null {
  const last = core.state.cuts.at(-1);
  if (last === undefined || last.id === core.state.live || last.id === core.state.pending) return null;
  const trusted = core.state.trust.cuts[`${last.process}/${last.channel}`];
  if (trusted?.sequence !== last.sequence || trusted.manifestSha256 !== last.manifestSha256) return null;
  return last;
}

/**
 * Completes the install of the unsettled cut `record`: switches `current` to it, or records it as
 * pending while its notBefore lies ahead. Its directory was verified file by file and synced
 * before the commit; the signed manifest is checked against the record once more here.
 */
export async function settleCut(core: StoreCore, record: CutRecord, reason: "recovery" | "re-offer", now: Date): Promise<"activated" | "pending"> {
  if (unsettledCut(core)?.id !== record.id)
    throw new PrepcastError("STATE_INVALID", `cut ${record.id} is not waiting for its activation`, { where: core.cutDir(record.id) });
  const manifestFile = path.join(core.cutDir(record.id), MANIFEST_ENTRY);
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(manifestFile);
  } catch (e) {
    throw toPrepcastError(e, manifestFile);
  }
  if (sha256Hex(bytes) !== record.manifestSha256) {
    throw stateInvalid(
      `${manifestFile} is not the manifest recorded for cut ${record.id}`,
      manifestFile,
      "the state directory was altered; move it aside and reinstall the latest cut",
    );
  }
  const embargoed = isEmbargoed(record, now);
  core.audit.append("store.completed", { id: record.id, sequence: record.sequence, reason, as: embargoed ? "pending" : "live" });
  if (embargoed) await markCutPending(core, record.id);
  else await activateCut(core, record.id);
  return embargoed ? "pending" : "activated";
}

/**
 * The end of an install, after its commit: the cut goes live, or waits as pending while its
 * notBefore lies ahead (`embargoed`); then retention deletes the cuts beyond the kept ones.
 */
export async function activateOrStage(store: CutStore, record: CutRecord, embargoed: boolean): Promise<{ status: "activated" | "staged"; removed: string[] }> {
  if (embargoed) await store.markPending(record.id);
  else await store.activate(record.id);
  return { status: embargoed ? "staged" : "activated", removed: await store.retain() };
}

/** Activates the pending cut once its notBefore has passed; EMBARGOED before that, null when none is pending. */
export async function activatePending(store: CutStore, now: Date = new Date()): Promise<CutRecord | null> {
  const pending = store.pending();
  if (pending === null) return null;
  if (isEmbargoed(pending, now)) {
    throw new PrepcastError("EMBARGOED", `cut ${pending.id} may not be shown before ${pending.notBefore}`, {
      where: pending.id,
      hint: `run this again after ${pending.notBefore}; the live cut stays until then`,
      details: { notBefore: pending.notBefore },
    });
  }
  await store.activate(pending.id);
  await store.retain();
  return pending;
}
