import { ENCODING_FULL, transferIdFor, type CutRefInfo, type OfferPlan } from "@prepcast/session";
import type { CutRepository, PreparedCut } from "../service/cut-repository";

/** Decides what to send a receiver given what it has (full payload here; deltas plug in: DeltaPlanning). */
export type OfferPlanner = (target: PreparedCut, hello: { live: CutRefInfo | null; acceptedEncodings: string[] }) => Promise<OfferPlan>;

/** Every receiver gets the cut's plain `full` payload (one open file shared by every link). */
export function fullPayloadPlanner(repo: CutRepository): OfferPlanner {
  return async (target) => ({
    signed: target.signed,
    cut: target.ref,
    encoding: ENCODING_FULL,
    base: null,
    transferId: transferIdFor(target.ref, ENCODING_FULL, null),
    payload: await repo.payload(target),
  });
}
