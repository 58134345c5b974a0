// What a receiver session needs from the agent and tells it: the backend it installs through, the
// events it emits, its options. Kept apart from the state machine (receiver-session.ts).
import type { ErrorCode, RootOfTrust, TrustState, VerifiedCut } from "@prepcast/protocol";
import type { Identity } from "./auth";
import type { NoticeDoc } from "./notice";
import type { CutRefInfo, DoctorSummaryInfo, SessionTimeouts } from "./types";

export interface InstallRequest {
  verified: VerifiedCut;
  encoding: string;
  base: CutRefInfo | null;
  payloadPath: string;
  receivedAt: Date;
}

export interface InstallResult {
  state: "active" | "staged";
  activatedAt: Date | null;
}

/** What the receiver session needs from the agent: its state, and a way to install a payload. */
export interface ReceiverBackend {
  snapshot(): { live: CutRefInfo | null; staged: CutRefInfo | null; trust: TrustState; liveReceivedAt?: Date | null; liveActivatedAt?: Date | null };
  freeDiskBytes(): Promise<number>;
  /** The last full `prep-receiver doctor` run on this server, sent in the hello (null: none). */
  doctorSummary?(): DoctorSummaryInfo | null;
  /**
   * Resolves once no install is in flight. An offer is answered only then: while another session's
   * install sits between commit and activation the trust state already names the cut but it is
   * neither live nor staged, and the offer would be wrongly refused as ALREADY_INSTALLED.
   */
  settled?(): Promise<void>;
  /**
   * The offered cut is the one the trust state names for its stream but it is neither live nor
   * staged: its install stopped after the commit (the switch failed). Finish it (switch `current`
   * now, or stage it for its notBefore) and say how; null when the store holds no such cut.
   */
  complete?(cut: CutRefInfo): Promise<InstallResult | null>;
  /** Rebuilds the cut from the payload, verifies every file against the manifest, stages it and activates it (now or at notBefore). */
  install(req: InstallRequest): Promise<InstallResult>;
}

export type ReceiverSessionEvent =
  /** publisherClockOffsetMs: the publisher's clock minus ours, beyond the hello→auth round trip (null when it did not say). */
  | { type: "authenticated"; publisherId: string; publisherClockOffsetMs: number | null }
  | { type: "auth_failed"; code: ErrorCode; message: string }
  | { type: "offer"; sequence: number; manifestSha256: string; encoding: string; payloadSize: number }
  | { type: "refused"; code: ErrorCode; message: string; sequence?: number }
  | { type: "transfer_started"; sequence: number; resumeOffset: number; payloadSize: number }
  | { type: "transfer_failed"; code: ErrorCode; message: string; sequence: number; offset: number }
  | { type: "received"; sequence: number; bytes: number; durationMs: number }
  | { type: "installed"; sequence: number; manifestSha256: string; state: "active" | "staged"; activatedAt: Date | null; receivedAt: Date; corte: string }
  | { type: "receipt_sent"; sequence: number; state: "active" | "staged" }
  | { type: "notice"; kind: NoticeDoc["kind"]; issuedAt: string }
  | { type: "notice_rejected"; code: ErrorCode; message: string };

export interface ReceiverSessionOptions {
  receiverId: string;
  identity: Identity;
  publisher: { id: string; publicKey: Uint8Array };
  rootPublicKey: RootOfTrust;
  accept: { process: string; channels: Array<"produccion" | "simulacro"> };
  backend: ReceiverBackend;
  /** Where resumable payloads are kept (one subdirectory per transfer is not needed: one at a time). */
  partialDir: string;
  encodings?: string[];
  /** Protocol features advertised in the hello (default SUPPORTED_FEATURES; [] acts as a receiver that predates them). */
  features?: readonly string[];
  agentVersion: string;
  clock?: () => Date;
  timeouts?: Partial<SessionTimeouts>;
  onEvent?: (e: ReceiverSessionEvent) => void;
  /** Upper bound on a payload, whatever the manifest says (protects the disk). */
  maxPayloadBytes?: number;
  /** Applies a verified notice (signature, receiver, publisher and process already checked); throw to reject it. */
  onNotice?: (doc: NoticeDoc, signed: { notice: Buffer; signature: Buffer }) => Promise<void> | void;
}
