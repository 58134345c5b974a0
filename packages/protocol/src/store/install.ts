import type { Readable } from "node:stream";
import { toPrepcastError } from "../errors";
import { readPackage } from "../archive/reader";
import { isEmbargoed, type VerifySignedCutOptions } from "../trust/trust";
import { activateOrStage } from "./activation";
import type { CutStore, Staging } from "./cut-store";
import type { CutRecord } from "./state-file";

export interface InstallOptions extends Omit<VerifySignedCutOptions, "state"> {
  /** shown in the audit log for refusals (e.g. the package path) */
  source?: string;
}

export interface InstallResult {
  status: "activated" | "staged";
  record: CutRecord;
  files: number;
  bytes: number;
  /** ids deleted by retention */
  removed: string[];
}

/**
 * The offline install path: verify the signed documents against the store's trust state, stream
 * every file into a fresh staging directory, commit it under cuts/, and switch `current` to it,
 * unless its notBefore lies ahead: then it stays committed as pending until activatePending().
 * On any error the staging directory is removed, the live cut is untouched, and the refusal is
 * written to the audit log with its code.
 */
export async function installPackage(store: CutStore, source: Readable | string, options: InstallOptions): Promise<InstallResult> {
  let staging: Staging | undefined;
  const now = options.now ?? new Date();
  try {
    const result = await readPackage(source, {
      ...options,
      now,
      state: store.trustState(),
      extractInto: async (verified) => {
        staging = await store.beginStaging(verified);
        return staging.dir;
      },
    });
    const record = await store.commit(staging!);
    const { status, removed } = await activateOrStage(store, record, isEmbargoed(result.verified.manifest, now));
    return { status, record, files: result.files, bytes: result.bytes, removed };
  } catch (e) {
    const err = toPrepcastError(e, typeof source === "string" ? source : undefined);
    await staging?.abort().catch(() => undefined);
    try {
      store.recordRefusal(err, { source: options.source ?? (typeof source === "string" ? source : "stream") });
      await store.anchorAudit();
    } catch {
      /* the refusal itself matters more than its log line */
    }
    throw err;
  }
}
