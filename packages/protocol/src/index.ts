// Cross-cutting: errors, hashing, time, site paths, untrusted input, the audit log, event-loop turns.
export * from "./errors";
export * from "./hash";
export * from "./time";
export * from "./paths";
export * from "./untrusted";
export * from "./audit-log";
export * from "./audit-events";
export * from "./event-loop";
// The trust core (src/trust/), the `.prep` archive (src/archive/), the receiver's cut store
// (src/store/) and CLI printing (src/cli/). Each folder by its index file: a stale dist/trust.js
// from the flat layout must not shadow dist/trust/.
export * from "./trust/index";
export * from "./archive/index";
export * from "./store/index";
export * from "./cli/index";
