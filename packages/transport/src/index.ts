// @prepcast/transport: moves prepcast.v1.Frame messages between publisher and receiver.
// The compliance suite lives in "./compliance" (not exported here: it loads jest).
export * from "./types";
export { Allowlist, parseCidr, parseIpAddress, normalizeAddress } from "./allowlist";
export {
  generateSelfSignedCertificate,
  subjectAltNames,
  certificateFingerprint,
  normalizeFingerprint,
  probePinnedCertificate,
  PIN_SERVERNAME,
  type SelfSignedCertificate,
  type PinnedTlsOptions,
} from "./tls";
export { memoryTransport, type MemoryTransportOptions } from "./memory";
export { grpcTransport, GRPC_SESSION_PATH, type GrpcTransportOptions } from "./grpc";
export { websocketTransport, type WebsocketTransportOptions } from "./websocket";
export { ConnectionGate, DEFAULT_PENDING_PER_ADDRESS, DEFAULT_PENDING_TOTAL, DEFAULT_HANDSHAKE_MS, type ConnectionGateOptions } from "./connection-gate";
export { BRIDGE_PREAMBLE, clientHelloServerName, createPushGateway, readBridgePreamble, type PushGateway, type PushGatewayOptions } from "./push-gateway";
