import { createHash, randomBytes } from "node:crypto";
import { isErrorCode, peerText, PrepcastError, toPrepcastError, type ErrorCode, type SignedCut } from "@prepcast/protocol";
import { PROTOCOL_VERSION } from "@prepcast/proto";
import type { FrameConnection } from "@prepcast/transport";
import { type AuthParams, type Identity, sameKey, signAuth, verifyAuth } from "./auth";
import { FrameReader, sendErrorAndClose } from "./frame-reader";
import { FEATURE_OFFER_MANIFEST_ZSTD, offerManifestZstd } from "./manifest-zstd";
import { DEFAULT_CHUNK_SIZE, type PayloadSource, readPayloadChunk } from "./payload";
import { type ReceiptDoc, verifyReceipt } from "./receipt";
import { type CutRefInfo, DEFAULT_TIMEOUTS, type DoctorSummaryInfo, type SessionTimeouts, fromWireDoctor, fromWireRef, toWireRef } from "./types";

/** What the receiver told us in its hello, after authentication. */
export interface ReceiverHello {
  receiverId: string;
  live: CutRefInfo | null;
  staged: CutRefInfo | null;
  partial: CutRefInfo | null;
  partialOffset: number;
  freeDiskBytes: number;
  clockUnixMs: number;
  /** Receiver clock minus ours, measured at the hello (milliseconds). */
  clockSkewMs: number;
  agentVersion: string;
  keysetVersion: number;
  acceptedEncodings: string[];
  /** Hello.features: protocol features the receiver implements (e.g. offer-manifest-zstd@1). */
  features: string[];
  /** Hello.doctor: the receiver's last full preflight (null: none sent). */
  doctor: DoctorSummaryInfo | null;
}

/** One cut as the publisher offers it to one receiver. */
export interface OfferPlan {
  signed: SignedCut;
  cut: CutRefInfo;
  encoding: string;
  base: CutRefInfo | null;
  /** Stable for (cut, encoding, base): lets a receiver resume across sessions. */
  transferId: string;
  payload: PayloadSource;
  chunkSize?: number;
}

export interface DeliveryProgress {
  receiverId: string;
  sent: number;
  total: number;
  resumedFrom: number;
}

export type DeliveryResult =
  | { status: "delivered"; receipt: ReceiptDoc; receiptBytes: Buffer; receiptSignature: Buffer; bytesSent: number; resumedFrom: number; durationMs: number }
  | { status: "refused"; code: ErrorCode; message: string }
  | { status: "failed"; code: ErrorCode; message: string; bytesSent: number };

export interface PublisherSessionOptions {
  publisherId: string;
  identity: Identity;
  /** The receiver this connection was dialed for, with its registered identity key. */
  receiver: { id: string; publicKey: Uint8Array };
  clock?: () => Date;
  timeouts?: Partial<SessionTimeouts>;
}

export function transferIdFor(cut: CutRefInfo, encoding: string, base: CutRefInfo | null): string {
  return createHash("sha256")
    .update(`${cut.manifestSha256}\n${encoding}\n${base ? base.manifestSha256 : "-"}`)
    .digest("hex")
    .slice(0, 32);
}

/**
 * The publisher's side of one session. `open` reads the hello and runs mutual authentication;
 * `deliver` offers a cut, streams what the receiver lacks from its resume point, and returns the
 * verified receipt (or the receiver's typed refusal).
 */
export class PublisherSession {
  private readonly volunteered: Array<{ doc: ReceiptDoc; receiptBytes: Buffer; receiptSignature: Buffer }> = [];

  private constructor(
    private readonly conn: FrameConnection,
    private readonly reader: FrameReader,
    private readonly opts: PublisherSessionOptions,
    private readonly timeouts: SessionTimeouts,
    readonly hello: ReceiverHello,
  ) {}

  static async open(conn: FrameConnection, opts: PublisherSessionOptions): Promise<PublisherSession> {
    const timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    const clock = opts.clock ?? (() => new Date());
    const reader = new FrameReader(conn);
    try {
      const h = await reader.expect("hello", timeouts.handshakeMs);
      if (h.protocolVersion !== PROTOCOL_VERSION) {
        throw new PrepcastError("PROTOCOL_ERROR", `receiver speaks protocol version ${h.protocolVersion}, this publisher ${PROTOCOL_VERSION}`, {
          hint: "upgrade the older side",
        });
      }
      if (h.receiverId !== opts.receiver.id || !sameKey(h.identityPublicKey, opts.receiver.publicKey)) {
        throw new PrepcastError(
          "AUTH_FAILED",
          `peer at ${conn.remoteAddress} claims to be "${peerText(h.receiverId, 64)}" but "${opts.receiver.id}" with its registered key was expected`,
          {
            hint: "check the receiver's address and identity key in the registry",
          },
        );
      }
      if (!h.nonce || h.nonce.length !== 32) throw new PrepcastError("AUTH_FAILED", "receiver nonce must be 32 bytes");
      const nonce = randomBytes(32);
      const params: AuthParams = {
        publisherId: opts.publisherId,
        publisherKey: opts.identity.publicKey,
        publisherNonce: nonce,
        receiverId: opts.receiver.id,
        receiverKey: opts.receiver.publicKey,
        receiverNonce: h.nonce,
      };
      await conn.send({
        publisherAuth: {
          publisherId: opts.publisherId,
          identityPublicKey: opts.identity.publicKey,
          nonce,
          signature: signAuth("publisher", params, opts.identity),
          clockUnixMs: clock().getTime(),
        },
      });
      const ra = await reader.expect("receiverAuth", timeouts.handshakeMs);
      verifyAuth("receiver", params, ra.signature ?? new Uint8Array(), conn.remoteAddress);
      const clockUnixMs = Number(h.clockUnixMs ?? 0);
      const hello: ReceiverHello = {
        receiverId: h.receiverId ?? "",
        live: fromWireRef(h.live),
        staged: fromWireRef(h.staged),
        partial: fromWireRef(h.partial),
        partialOffset: Number(h.partialOffset ?? 0),
        freeDiskBytes: Number(h.freeDiskBytes ?? 0),
        clockUnixMs,
        clockSkewMs: clockUnixMs - clock().getTime(),
        agentVersion: peerText(h.agentVersion ?? "", 64),
        keysetVersion: Number(h.keysetVersion ?? 0),
        acceptedEncodings: h.acceptedEncodings ?? [],
        features: h.features ?? [],
        doctor: fromWireDoctor(h.doctor),
      };
      return new PublisherSession(conn, reader, opts, timeouts, hello);
    } catch (e) {
      const err = toPrepcastError(e, conn.remoteAddress);
      await sendErrorAndClose(conn, err);
      throw err;
    }
  }

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }

  async deliver(plan: OfferPlan, onProgress?: (p: DeliveryProgress) => void): Promise<DeliveryResult> {
    const chunkSize = plan.chunkSize ?? DEFAULT_CHUNK_SIZE;
    const started = Date.now();
    let bytesSent = 0;
    try {
      // A receiver that predates the compressed manifest gets the exact bytes as before.
      const manifest = this.hello.features.includes(FEATURE_OFFER_MANIFEST_ZSTD)
        ? { manifestZstd: offerManifestZstd(plan.signed.manifest), manifestSize: plan.signed.manifest.length }
        : { manifest: plan.signed.manifest };
      await this.conn.send({
        offer: {
          transferId: plan.transferId,
          keyset: plan.signed.keyset,
          keysetSig: plan.signed.keysetSig,
          ...(plan.signed.root !== undefined && plan.signed.rootSig !== undefined ? { root: plan.signed.root, rootSig: plan.signed.rootSig } : {}),
          ...manifest,
          manifestSig: plan.signed.manifestSig,
          encoding: plan.encoding,
          base: toWireRef(plan.base),
          payloadSize: plan.payload.size,
          payloadSha256: plan.payload.sha256,
          chunkSize,
        },
      });
      const reply = await this.expectSkippingVolunteered("offerReply", this.timeouts.transferMs, null);
      // the receiver's words: bounded before the publisher's incidents, audit and dashboard show them
      if (!reply.accept)
        return { status: "refused", code: isErrorCode(reply.code) ? reply.code : "PROTOCOL_ERROR", message: peerText(reply.message || "refused", 300) };
      const resumedFrom = Number(reply.resumeOffset ?? 0);
      if (resumedFrom > plan.payload.size || (resumedFrom % chunkSize !== 0 && resumedFrom !== plan.payload.size)) {
        throw new PrepcastError("PROTOCOL_ERROR", `receiver asked to resume at ${resumedFrom}, not a chunk boundary within ${plan.payload.size}`);
      }
      const total = plan.payload.size;
      for (let offset = resumedFrom; offset < total; offset += chunkSize) {
        const early = this.reader.peekError();
        if (early) throw early;
        const { data, sha256 } = await readPayloadChunk(plan.payload, offset, chunkSize);
        await this.conn.send({ chunk: { offset, data, sha256 } });
        bytesSent += data.length;
        onProgress?.({ receiverId: this.opts.receiver.id, sent: offset + data.length, total, resumedFrom });
      }
      await this.conn.send({ payloadEnd: {} });
      // Rebuilding and verifying a large cut takes a while: allow for it.
      const r = await this.expectSkippingVolunteered("receipt", this.timeouts.transferMs + Math.ceil(total / (20 * 1024 * 1024)) * 1000, plan.cut);
      const receiptBytes = Buffer.from(r.receipt ?? []);
      const receiptSignature = Buffer.from(r.signature ?? []);
      const doc = verifyReceipt(receiptBytes, receiptSignature, this.opts.receiver.publicKey, `receipt from ${this.opts.receiver.id}`);
      if (doc.manifestSha256 !== plan.cut.manifestSha256 || doc.sequence !== plan.cut.sequence || doc.receiverId !== this.opts.receiver.id) {
        throw new PrepcastError("PROTOCOL_ERROR", `receipt names sequence ${doc.sequence} / ${doc.manifestSha256.slice(0, 12)}, not the offered cut`);
      }
      return { status: "delivered", receipt: doc, receiptBytes, receiptSignature, bytesSent, resumedFrom, durationMs: Date.now() - started };
    } catch (e) {
      const err = toPrepcastError(e, this.conn.remoteAddress);
      // A failure found here (a receipt that does not verify, a stall, a bad resume offset) ends the
      // session with one Error frame (docs/protocol.md §7.6, §8.8). One the receiver reported is its
      // call: an install Error leaves the session open (§11), a fatal one came with its ending.
      const fromPeer = err.details !== undefined && "remoteCode" in err.details;
      if (!fromPeer && err.code !== "UNAVAILABLE") await sendErrorAndClose(this.conn, err);
      return { status: "failed", code: err.code, message: err.message, bytesSent };
    }
  }

  /**
   * Waits for `body`, setting aside receipts the receiver volunteers meanwhile (an embargoed cut
   * going live on its own timer can race an offer): those are verified and kept for
   * takeVolunteeredReceipts() instead of failing the transfer.
   */
  private async expectSkippingVolunteered<K extends "offerReply" | "receipt">(
    body: K,
    timeoutMs: number,
    offered: CutRefInfo | null,
  ): Promise<NonNullable<import("./frame-reader").Frame[K]>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const f = await this.reader.next(Math.max(1, deadline - Date.now()), body);
      if (f.body === "receipt" && f.receipt) {
        const receiptBytes = Buffer.from(f.receipt.receipt ?? []);
        const receiptSignature = Buffer.from(f.receipt.signature ?? []);
        const doc = verifyReceipt(receiptBytes, receiptSignature, this.opts.receiver.publicKey, `receipt from ${this.opts.receiver.id}`);
        const forOffered = offered !== null && doc.sequence === offered.sequence && doc.manifestSha256 === offered.manifestSha256;
        if (body === "receipt" && forOffered) return f.receipt as NonNullable<import("./frame-reader").Frame[K]>;
        this.volunteered.push({ doc, receiptBytes, receiptSignature });
        continue;
      }
      if (f.body !== body) throw new PrepcastError("PROTOCOL_ERROR", `expected ${body}, got ${f.body ?? "an empty frame"}`, { where: this.conn.remoteAddress });
      return f[body] as NonNullable<import("./frame-reader").Frame[K]>;
    }
  }

  /** Receipts the receiver sent on its own during the last transfer (see expectSkippingVolunteered). */
  takeVolunteeredReceipts(): Array<{ doc: ReceiptDoc; receiptBytes: Buffer; receiptSignature: Buffer }> {
    return this.volunteered.splice(0);
  }

  /**
   * Waits up to `ms` for something the receiver volunteers while no transfer runs: a later
   * receipt (an embargoed cut went live) or a status. Null on timeout; throws when the session ended.
   */
  async idle(
    ms: number,
    signal?: AbortSignal,
  ): Promise<{ receipt: { doc: ReceiptDoc; receiptBytes: Buffer; receiptSignature: Buffer } } | { status: CutRefInfo | null } | null> {
    let f;
    try {
      f = signal ? await this.reader.next(ms, "anything", signal) : await this.reader.next(ms, "anything");
      if (f === null) return null;
    } catch (e) {
      if (e instanceof PrepcastError && e.code === "TIMEOUT") return null;
      throw e;
    }
    if (f.body === "receipt" && f.receipt) {
      const receiptBytes = Buffer.from(f.receipt.receipt ?? []);
      const receiptSignature = Buffer.from(f.receipt.signature ?? []);
      return {
        receipt: {
          doc: verifyReceipt(receiptBytes, receiptSignature, this.opts.receiver.publicKey, `receipt from ${this.opts.receiver.id}`),
          receiptBytes,
          receiptSignature,
        },
      };
    }
    if (f.body === "status") return { status: fromWireRef(f.status?.live) };
    throw new PrepcastError("PROTOCOL_ERROR", `unexpected ${f.body} from an idle receiver`, { where: this.conn.remoteAddress });
  }

  /** Keeps an idle session's frames moving (transport idle timeouts) and proves the peer is there. */
  async ping(): Promise<void> {
    await this.conn.send({ ping: { unixMs: Date.now() } });
  }

  /** Sends a signed notice (e.g. suspension) to the receiver. */
  async notice(notice: Uint8Array, signature: Uint8Array): Promise<void> {
    await this.conn.send({ notice: { notice, signature } });
  }

  get closed(): Promise<void> {
    return this.conn.closed;
  }

  async close(): Promise<void> {
    await this.conn.close().catch(() => undefined);
  }
}
