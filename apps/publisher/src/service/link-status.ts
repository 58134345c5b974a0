import type { CutRefInfo, ReceiptDoc, ReceiverHello } from "@prepcast/session";

export interface ReceiverEntry {
  id: string;
  name: string;
  /** A registered transport's name (service/transports.ts). */
  transport: string;
  /** The address as shown in status and reports (the transport's `display`). */
  address: string;
  host: string;
  port: number;
  /** WebSocket request path. */
  path?: string;
  tlsFingerprint?: string;
  publicKey: Uint8Array;
  publicUrl?: string;
  contact?: string;
  logo?: string;
}

export type LinkState = "connecting" | "connected" | "transferring" | "disconnected" | "stopped";

export interface TransferProgress {
  sequence: number;
  sent: number;
  total: number;
  resumedFrom: number;
  startedAt: number;
  bytesPerSecond: number;
}

export interface LinkStatus {
  id: string;
  name: string;
  state: LinkState;
  address: string;
  transport: string;
  connectedSince: string | null;
  live: (CutRefInfo & { since: string | null }) | null;
  staged: CutRefInfo | null;
  hello: Omit<ReceiverHello, "live" | "staged" | "partial"> | null;
  lastReceipt: ReceiptDoc | null;
  lastError: { code: string; message: string; at: string } | null;
  transferErrors: number;
  bytesSent: number;
  /** The last completed delivery: what one cut cost on the wire to this receiver. */
  lastDelivery: { sequence: number; encoding: string; bytes: number; resumedFrom: number; durationMs: number; at: string } | null;
  progress: TransferProgress | null;
  suspended: boolean;
}

/** A link's status before its first session. */
export function initialLinkStatus(entry: ReceiverEntry): LinkStatus {
  return {
    id: entry.id,
    name: entry.name,
    state: "disconnected",
    address: entry.address,
    transport: entry.transport,
    connectedSince: null,
    live: null,
    staged: null,
    hello: null,
    lastReceipt: null,
    lastError: null,
    transferErrors: 0,
    bytesSent: 0,
    lastDelivery: null,
    progress: null,
    suspended: false,
  };
}
