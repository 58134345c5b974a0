/**
 * Fan-out: what each difusor is sent for the latest cut, computed once and shared by every link.
 * - offer-planner.ts: the OfferPlanner a ReceiverLink asks (plain `full` payload by default);
 * - delta-planning.ts: DeltaPlanning, the default planner: per receiver the cheapest payload it can
 *   use (delta from its live cut, full-zstd, full), each stream computed once per (cut, base);
 * - encoders.ts: the registry of payload encodings DeltaPlanning offers (PayloadEncoder; a new
 *   encoding plugs in here and, on the receiver, as a PayloadApplier);
 * - shared-payload-source.ts: one stream read by many sessions, each chunk read and hashed once.
 * The links themselves (one session per difusor, redial, resume) are service/receiver-link.ts.
 */
export { DeltaPlanning, type DeltaPlanningOptions } from "./delta-planning";
export { defaultEncoders, zipDeltaEncoder, checkEncoders, type PayloadEncoder } from "./encoders";
export { SharedPayloadSource } from "./shared-payload-source";
export { fullPayloadPlanner, type OfferPlanner } from "./offer-planner";
