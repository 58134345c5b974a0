/**
 * @prepcast/publisher as a library: the OPLE's service and the pieces a test, a tool or another
 * front end builds on. The `prep-publisher` CLI (bin/prep-publisher.js -> dist/cli/main.js) is
 * one such front end.
 */
export { PublisherService, AGENT_VERSION, type PublisherServiceOptions, type StatusReport } from "./service/publisher-service";
export {
  loadPublisherConfig,
  PublisherConfigSchema,
  PUBLISHER_ENV,
  DEFAULT_SUSPENSION_TEXT,
  type PublisherConfig,
  type ResolvedPublisherConfig,
  type LoadPublisherConfigOptions,
} from "./service/config";
// the transports receivers are dialled with: a registry a new transport plugs into
export { defaultTransports, transportRegistry, transportNamed, DEFAULT_WEBSOCKET_PATH, type PublisherTransport, type DialAddress } from "./service/transports";
export { CutRepository, HOT_CUT_DOCUMENTS, type PreparedCut, type PrepareOptions, type ManifestSummary } from "./service/cut-repository";
export { ReceiverLink, type LinkStatus, type LinkState, type ReceiverEntry, type SignedNotice } from "./service/receiver-link";

// the 45-minute rule and the monitor that applies it
export {
  DifusorMonitor,
  type MonitorDeps,
  type DifusorMonitorStatus,
  type Suspension,
  type Incident,
  type MonitorConfig,
  type MonitorCut,
  type MonitorLink,
  type CutSource,
} from "./monitor/monitor";
export * as monitorRule from "./monitor/rule";
export type { RunState, ProbeOutcome, ProbeStepInput } from "./monitor/rule";
export { probeDifusor, type ProbeExpectation, type ProbeResult, type ProbeVerdict } from "./monitor/probe";

// fan-out: what each difusor is sent, computed once and shared
export {
  DeltaPlanning,
  SharedPayloadSource,
  fullPayloadPlanner,
  defaultEncoders,
  zipDeltaEncoder,
  checkEncoders,
  type DeltaPlanningOptions,
  type OfferPlanner,
  type PayloadEncoder,
} from "./fanout";
