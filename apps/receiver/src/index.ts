/**
 * @prepcast/receiver as a library: the difusor's agent and the pieces a test, a tool or another
 * front end builds on. The `prep-receiver` CLI (bin/prep-receiver.js -> dist/cli/main.js) is one
 * such front end.
 */
export { ReceiverAgent, AGENT_VERSION, type ReceiverAgentOptions, type Incident } from "./agent/receiver-agent";
export { loadReceiverConfig, ReceiverConfigSchema, RECEIVER_ENV, type ReceiverConfig, type ResolvedReceiverConfig } from "./agent/config";
export { bridgeSocketPath } from "./agent/site";
export { deltaAppliers, zipDeltaAppliers, installDeltaPackage } from "./agent/delta-applier";
// payload encodings: the registry a new encoding plugs into (docs/extending.md, "A payload encoding")
export { applyFull, type PayloadApplier } from "./agent/store-backend";

// prep-receiver doctor: the checks (one list, grouped by area) and the runner
export { CHECKS, runDoctor, type Check, type CheckResult, type CheckStatus, type DoctorContext, type DoctorOptions, type DoctorReport } from "./doctor/checks";
