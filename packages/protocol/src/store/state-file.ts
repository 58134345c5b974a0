import { PrepcastError } from "../errors";
import { emptyTrustState, type TrustState } from "../trust/trust";
import { isPinnedRootRecord } from "../trust/root-update";

// state.json, the receiver's record of its cuts and trust state: its shape, its parser, its ids.

export const STORE_STATE_FORMAT = "prepcast/receiver-state@1";

/** One committed cut under cuts/. */
export interface CutRecord {
  id: string;
  process: string;
  channel: string;
  sequence: number;
  corte: string;
  notBefore: string;
  manifestSha256: string;
  files: number;
  totalSize: number;
  committedAt: string;
}

export interface StoreState {
  format: typeof STORE_STATE_FORMAT;
  trust: TrustState;
  /** id of the cut `current` points to */
  live: string | null;
  /** a committed cut waiting for its notBefore */
  pending: string | null;
  /** committed cuts, oldest first */
  cuts: CutRecord[];
  /**
   * The audit log's length and last hash when this state was written: an anchor outside the log,
   * so removing entries from its end is detected (verifyStoreAudit). Entries appended after it
   * (a crash before the next state write, or other writers) are allowed.
   */
  auditHead?: { entries: number; lastHash: string };
}

/** `000042-ab12cd34ef56`: sequence (6 digits, more when needed) and the manifest hash prefix. */
export function cutIdOf(sequence: number, manifestSha256: string): string {
  return `${String(sequence).padStart(6, "0")}-${manifestSha256.slice(0, 12)}`;
}

const CUT_ID = /^\d{6,16}-[0-9a-f]{12}$/;

export function stateInvalid(message: string, where: string, hint: string): PrepcastError {
  return new PrepcastError("STATE_INVALID", message, { where, hint });
}

export function parseState(bytes: Buffer, file: string): StoreState {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString("utf8"));
  } catch (e) {
    throw new PrepcastError("STATE_INVALID", `${file} is not valid JSON`, {
      where: file,
      cause: e,
      hint: "restore it from a backup; the cuts under cuts/ are intact",
    });
  }
  const s = v as StoreState;
  const ok =
    s !== null &&
    typeof s === "object" &&
    s.format === STORE_STATE_FORMAT &&
    typeof s.trust === "object" &&
    s.trust !== null &&
    Number.isInteger(s.trust.keysetVersion) &&
    typeof s.trust.cuts === "object" &&
    (s.trust.root === undefined || isPinnedRootRecord(s.trust.root)) &&
    (s.live === null || typeof s.live === "string") &&
    (s.pending === null || typeof s.pending === "string") &&
    Array.isArray(s.cuts) &&
    (s.auditHead === undefined || (Number.isInteger(s.auditHead.entries) && typeof s.auditHead.lastHash === "string")) &&
    s.cuts.every((c) => c && typeof c.id === "string" && CUT_ID.test(c.id) && Number.isInteger(c.sequence));
  if (!ok)
    throw stateInvalid(`${file} does not have the expected shape (${STORE_STATE_FORMAT})`, file, "restore it from a backup; the cuts under cuts/ are intact");
  return s;
}

export function emptyState(): StoreState {
  return { format: STORE_STATE_FORMAT, trust: emptyTrustState(), live: null, pending: null, cuts: [] };
}
