import { randomBytes, createHash } from "node:crypto";
import * as path from "node:path";
import { peerText, PrepcastError, toPrepcastError, verifySignedCut, type VerifiedCut } from "@prepcast/protocol";
import type { InstallResult, ReceiverSessionEvent, ReceiverSessionOptions } from "./receiver-types";
import { PROTOCOL_VERSION } from "@prepcast/proto";
import type { FrameConnection } from "@prepcast/transport";
import { type AuthParams, sameKey, signAuth, verifyAuth } from "./auth";
import { FrameReader, sendErrorAndClose } from "./frame-reader";
import { PartialPayload } from "./payload";
import { type ReceiptDoc, signReceipt } from "./receipt";
import { type NoticeDoc, verifyNotice } from "./notice";
import { SUPPORTED_FEATURES } from "./manifest-zstd";
import { offeredManifest } from "./offer-manifest";
import { type CutRefInfo, DEFAULT_TIMEOUTS, ENCODING_FULL, type SessionTimeouts, fromWireRef, sameCut, toWireDoctor, toWireRef } from "./types";

/** Bytes a PublisherAuth may carry before the peer is authenticated (id ≤ 64 chars + key + nonce + signature, with room). */
export const PRE_AUTH_MAX_BYTES = 1024;

export type { InstallRequest, InstallResult, ReceiverBackend, ReceiverSessionEvent, ReceiverSessionOptions } from "./receiver-types";

const MAX_CHUNK = 8 * 1024 * 1024;

/**
 * The receiver's side of one push session: says hello, authenticates the publisher (and itself),
 * verifies each offer with the same rules as the offline path before accepting any byte, stores
 * verified chunks resumably, installs, and signs a receipt.
 */
export class ReceiverSession {
  private readonly reader: FrameReader;
  private readonly timeouts: SessionTimeouts;
  private readonly clock: () => Date;
  private publisherId = "";

  constructor(
    private readonly conn: FrameConnection,
    private readonly opts: ReceiverSessionOptions,
  ) {
    this.reader = new FrameReader(conn);
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.clock = opts.clock ?? (() => new Date());
  }

  private emit(e: ReceiverSessionEvent): void {
    try {
      this.opts.onEvent?.(e);
    } catch {
      /* an observer must not break the session */
    }
  }

  /** Runs until the publisher closes the session or an unrecoverable error happens. */
  async run(): Promise<void> {
    try {
      await this.handshake();
    } catch (e) {
      const err = toPrepcastError(e, this.conn.remoteAddress);
      this.emit({ type: "auth_failed", code: err.code, message: err.message });
      await sendErrorAndClose(this.conn, err);
      return;
    }
    try {
      for (;;) {
        const frame = await this.reader.next(this.timeouts.idleMs, "offer");
        if (frame.body === "offer" && frame.offer) await this.handleOffer(frame.offer);
        else if (frame.body === "notice") await this.handleNotice(frame.notice);
        else throw new PrepcastError("PROTOCOL_ERROR", `unexpected ${frame.body} while idle`, { where: this.conn.remoteAddress });
      }
    } catch (e) {
      const err = toPrepcastError(e, this.conn.remoteAddress);
      if (err.code === "UNAVAILABLE") return; // publisher closed the session
      await sendErrorAndClose(this.conn, err);
    }
  }

  private async handshake(): Promise<void> {
    const o = this.opts;
    const nonce = randomBytes(32);
    const snap = o.backend.snapshot();
    const partial = await PartialPayload.inspect(o.partialDir);
    const helloAt = this.clock().getTime();
    await this.conn.send({
      hello: {
        protocolVersion: PROTOCOL_VERSION,
        receiverId: o.receiverId,
        identityPublicKey: o.identity.publicKey,
        nonce,
        live: toWireRef(snap.live),
        staged: toWireRef(snap.staged),
        partial: partial ? toWireRef(partial.meta) : null,
        partialOffset: partial ? partial.offset : 0,
        freeDiskBytes: await o.backend.freeDiskBytes(),
        clockUnixMs: this.clock().getTime(),
        agentVersion: o.agentVersion,
        keysetVersion: snap.trust.keysetVersion,
        acceptedEncodings: o.encodings ?? [ENCODING_FULL],
        features: [...(o.features ?? SUPPORTED_FEATURES)],
        doctor: toWireDoctor(o.backend.doctorSummary?.() ?? null),
      },
    });
    const pa = await this.reader.expect("publisherAuth", this.timeouts.handshakeMs);
    // Before authentication a peer gets a small frame: an id, a key, a nonce, a signature.
    const authBytes = (pa.publisherId?.length ?? 0) + (pa.identityPublicKey?.length ?? 0) + (pa.nonce?.length ?? 0) + (pa.signature?.length ?? 0);
    if (authBytes > PRE_AUTH_MAX_BYTES) {
      throw new PrepcastError("MESSAGE_TOO_LARGE", `PublisherAuth of ${authBytes} bytes, over the ${PRE_AUTH_MAX_BYTES} allowed before authentication`, {
        hint: "an honest publisher sends an id of at most 64 characters, a 32-byte key and nonce and a 64-byte signature",
      });
    }
    if (pa.publisherId !== o.publisher.id || !sameKey(pa.identityPublicKey, o.publisher.publicKey)) {
      throw new PrepcastError(
        "AUTH_FAILED",
        `publisher "${peerText(pa.publisherId, 64)}" is not the pinned publisher "${o.publisher.id}" or presents another key`,
        {
          hint: "check publisher.id and publisher.identityPublicKey in the receiver config",
        },
      );
    }
    if (!pa.nonce || pa.nonce.length !== 32) throw new PrepcastError("AUTH_FAILED", "publisher nonce must be 32 bytes");
    const params: AuthParams = {
      publisherId: o.publisher.id,
      publisherKey: o.publisher.publicKey,
      publisherNonce: pa.nonce,
      receiverId: o.receiverId,
      receiverKey: o.identity.publicKey,
      receiverNonce: nonce,
    };
    verifyAuth("publisher", params, pa.signature ?? new Uint8Array(), this.conn.remoteAddress);
    await this.conn.send({ receiverAuth: { signature: signAuth("receiver", params, o.identity) } });
    this.publisherId = pa.publisherId;
    // The publisher read its clock between our hello and its PublisherAuth: a reading inside that
    // window is no skew (a slow network or a busy machine is not). Ours ahead: take the largest
    // offset the window allows, so a correction can only make an embargo later, never earlier.
    const theirs = Number(pa.clockUnixMs ?? 0);
    const authAt = this.clock().getTime();
    const offset = theirs < helloAt ? theirs - authAt : theirs > authAt ? theirs - authAt : 0;
    this.emit({ type: "authenticated", publisherId: pa.publisherId, publisherClockOffsetMs: theirs > 0 ? offset : null });
  }

  /** Verifies a notice (signature first) and hands it to the agent; a bad one is reported, the session goes on. */
  private async handleNotice(frame: import("@prepcast/proto").prepcast.v1.INotice | null | undefined): Promise<void> {
    const o = this.opts;
    let doc: NoticeDoc;
    try {
      doc = verifyNotice(
        Buffer.from(frame?.notice ?? []),
        Buffer.from(frame?.signature ?? []),
        { publisherKey: o.publisher.publicKey, publisherId: o.publisher.id, receiverId: o.receiverId, process: o.accept.process },
        "notice",
      );
    } catch (e) {
      const err = toPrepcastError(e, "notice");
      this.emit({ type: "notice_rejected", code: err.code, message: err.message });
      return;
    }
    try {
      await o.onNotice?.(doc, { notice: Buffer.from(frame?.notice ?? []), signature: Buffer.from(frame?.signature ?? []) });
      this.emit({ type: "notice", kind: doc.kind, issuedAt: doc.issuedAt });
    } catch (e) {
      const err = toPrepcastError(e, "notice");
      this.emit({ type: "notice_rejected", code: err.code, message: err.message });
    }
  }

  private async refuse(err: PrepcastError, sequence?: number): Promise<void> {
    this.emit({ type: "refused", code: err.code, message: err.message, ...(sequence !== undefined ? { sequence } : {}) });
    await this.conn.send({ offerReply: { accept: false, code: err.code, message: err.message } });
  }

  private async handleOffer(offer: NonNullable<import("@prepcast/proto").prepcast.v1.IOffer>): Promise<void> {
    const o = this.opts;
    await o.backend.settled?.();
    const now = this.clock();
    const snap = o.backend.snapshot();
    let verified: VerifiedCut;
    try {
      // Verify the signed documents before anything else about the offer is believed (bounded
      // decompression of the manifest is the only work done on its bytes before that).
      verified = verifySignedCut(
        {
          keyset: Buffer.from(offer.keyset ?? []),
          keysetSig: Buffer.from(offer.keysetSig ?? []),
          manifest: offeredManifest(offer, o.features),
          manifestSig: Buffer.from(offer.manifestSig ?? []),
          ...(offer.root && offer.root.length > 0 ? { root: Buffer.from(offer.root), rootSig: Buffer.from(offer.rootSig ?? []) } : {}),
        },
        { rootPublicKey: o.rootPublicKey, state: snap.trust, now, accept: o.accept, allowSameSequence: true },
      );
    } catch (e) {
      await this.refuse(toPrepcastError(e, "offer"));
      return;
    }
    const m = verified.manifest;
    const ref: CutRefInfo = { process: m.process, channel: m.channel, sequence: m.sequence, manifestSha256: verified.manifestSha256 };
    const payloadSize = Number(offer.payloadSize ?? 0);
    const encoding = offer.encoding ?? "";
    const chunkSize = Number(offer.chunkSize ?? 0);
    this.emit({ type: "offer", sequence: m.sequence, manifestSha256: verified.manifestSha256, encoding, payloadSize });

    // Already have it (live, or staged for its embargo): nothing to transfer, receipt again.
    if (sameCut(ref, snap.live) || sameCut(ref, snap.staged)) {
      await this.conn.send({ offerReply: { accept: true, resumeOffset: payloadSize } });
      await this.reader.expect("payloadEnd", this.timeouts.transferMs);
      const live = sameCut(ref, snap.live);
      await this.sendReceipt(verified, live ? "active" : "staged", snap.liveReceivedAt ?? now, live ? (snap.liveActivatedAt ?? now) : null);
      return;
    }
    const cur = snap.trust.cuts[`${m.process}/${m.channel}`];
    if (cur && cur.sequence === m.sequence && cur.manifestSha256 === verified.manifestSha256 && o.backend.complete) {
      // Committed but never switched live (the switch failed): finish the install, then answer
      // like for a cut we already have. Never ALREADY_INSTALLED for a cut that is not live.
      let done: InstallResult | null;
      try {
        done = await o.backend.complete(ref);
      } catch (e) {
        const err = toPrepcastError(e, "install");
        this.emit({ type: "transfer_failed", code: err.code, message: err.message, sequence: m.sequence, offset: 0 });
        await this.conn.send({ error: { code: err.code, message: err.message, retryable: err.code === "DISK_FULL" || err.code === "IO_ERROR" } });
        return;
      }
      if (done) {
        const receivedAt = (done.state === "active" ? o.backend.snapshot().liveReceivedAt : null) ?? this.clock();
        await this.conn.send({ offerReply: { accept: true, resumeOffset: payloadSize } });
        await this.reader.expect("payloadEnd", this.timeouts.transferMs);
        this.emit({
          type: "installed",
          sequence: m.sequence,
          manifestSha256: verified.manifestSha256,
          state: done.state,
          activatedAt: done.activatedAt,
          receivedAt,
          corte: m.corte,
        });
        await this.sendReceipt(verified, done.state, receivedAt, done.activatedAt);
        return;
      }
    }
    if (cur && cur.sequence === m.sequence) {
      await this.refuse(
        new PrepcastError(
          cur.manifestSha256 === verified.manifestSha256 ? "ALREADY_INSTALLED" : "REPLAY",
          `sequence ${m.sequence} is already installed${cur.manifestSha256 === verified.manifestSha256 ? "" : " with other content"}`,
        ),
        m.sequence,
      );
      return;
    }
    const encodings = o.encodings ?? [ENCODING_FULL];
    if (!encodings.includes(encoding)) {
      await this.refuse(
        new PrepcastError("PROTOCOL_ERROR", `payload encoding "${encoding}" is not one this receiver accepts (${encodings.join(", ")})`),
        m.sequence,
      );
      return;
    }
    const limit = Math.min(
      o.maxPayloadBytes ?? Number.MAX_SAFE_INTEGER,
      encoding === ENCODING_FULL ? m.totalSize : m.totalSize + 1024 * m.files.length + (1 << 20),
    );
    if (encoding === ENCODING_FULL ? payloadSize !== m.totalSize : payloadSize > limit) {
      await this.refuse(
        new PrepcastError("TOO_LARGE", `offered payload of ${payloadSize} bytes does not fit the manifest (${m.totalSize} bytes of files)`),
        m.sequence,
      );
      return;
    }
    if (chunkSize < 1024 || chunkSize > MAX_CHUNK) {
      await this.refuse(new PrepcastError("PROTOCOL_ERROR", `chunk size ${chunkSize} outside 1 KiB..8 MiB`), m.sequence);
      return;
    }
    const payloadSha = Buffer.from(offer.payloadSha256 ?? []);
    const transferId = offer.transferId ?? "";
    if (payloadSha.length !== 32 || !/^[0-9a-f]{16,64}$/.test(transferId)) {
      await this.refuse(new PrepcastError("PROTOCOL_ERROR", "offer lacks a payload hash or a transfer id"), m.sequence);
      return;
    }
    const free = await o.backend.freeDiskBytes();
    if (free < payloadSize + m.totalSize) {
      await this.refuse(
        new PrepcastError("DISK_FULL", `needs ${payloadSize + m.totalSize} bytes free, has ${free}`, {
          hint: "free disk space on the receiver; the live site is untouched",
        }),
        m.sequence,
      );
      return;
    }

    const partial = await PartialPayload.open(path.join(o.partialDir), {
      transferId,
      process: m.process,
      channel: m.channel,
      sequence: m.sequence,
      manifestSha256: verified.manifestSha256,
      encoding,
      payloadSize,
      payloadSha256: payloadSha.toString("hex"),
      chunkSize,
    });
    const resumeOffset = partial.verifiedOffset;
    const started = Date.now();
    this.emit({ type: "transfer_started", sequence: m.sequence, resumeOffset, payloadSize });
    await this.conn.send({ offerReply: { accept: true, resumeOffset } });
    try {
      for (;;) {
        const f = await this.reader.next(this.timeouts.transferMs, "chunk");
        if (f.body === "payloadEnd") break;
        if (f.body !== "chunk" || !f.chunk) throw new PrepcastError("PROTOCOL_ERROR", `expected chunk, got ${f.body}`);
        const data = f.chunk.data ?? new Uint8Array();
        const digest = createHash("sha256").update(data).digest();
        if (!f.chunk.sha256 || Buffer.compare(digest, Buffer.from(f.chunk.sha256)) !== 0) {
          throw new PrepcastError("HASH_MISMATCH", `chunk at offset ${Number(f.chunk.offset)} does not match its SHA-256`, {
            hint: "the transfer resumes from the last verified chunk",
          });
        }
        partial.append(Number(f.chunk.offset ?? 0), data);
      }
      if (!partial.complete) {
        throw new PrepcastError("TRUNCATED", `payload ended at ${partial.verifiedOffset} of ${payloadSize} bytes`);
      }
    } catch (e) {
      const err = toPrepcastError(e, "payload");
      const offset = partial.verifiedOffset;
      // On a full disk the partial payload goes first: the live site and the logs need the room.
      if (err.code === "DISK_FULL") await partial.discard().catch(() => undefined);
      else partial.close();
      this.emit({ type: "transfer_failed", code: err.code, message: err.message, sequence: m.sequence, offset });
      throw err;
    }
    const receivedAt = this.clock();
    this.emit({ type: "received", sequence: m.sequence, bytes: payloadSize - resumeOffset, durationMs: Date.now() - started });
    let result: InstallResult;
    try {
      const payloadPath = await partial.finish();
      result = await o.backend.install({ verified, encoding, base: fromWireRef(offer.base), payloadPath, receivedAt });
    } catch (e) {
      const err = toPrepcastError(e, "install");
      this.emit({ type: "transfer_failed", code: err.code, message: err.message, sequence: m.sequence, offset: payloadSize });
      await partial.discard().catch(() => undefined);
      // The session stays usable: the publisher learns why and may retry.
      await this.conn.send({ error: { code: err.code, message: err.message, retryable: err.code === "DISK_FULL" || err.code === "IO_ERROR" } });
      return;
    }
    await partial.discard();
    this.emit({
      type: "installed",
      sequence: m.sequence,
      manifestSha256: verified.manifestSha256,
      state: result.state,
      activatedAt: result.activatedAt,
      receivedAt,
      corte: m.corte,
    });
    await this.sendReceipt(verified, result.state, receivedAt, result.activatedAt);
  }

  /** Signs and sends a receipt; the agent also calls it when an embargoed cut goes live. */
  async sendReceipt(verified: VerifiedCut, state: "active" | "staged", receivedAt: Date, activatedAt: Date | null): Promise<void> {
    // Nothing is volunteered to a peer that has not finished proving who it is.
    if (!this.publisherId) return;
    const m = verified.manifest;
    const doc: ReceiptDoc = {
      format: "prepcast/receipt@1",
      receiverId: this.opts.receiverId,
      publisherId: this.publisherId || this.opts.publisher.id,
      process: m.process,
      channel: m.channel,
      sequence: m.sequence,
      manifestSha256: verified.manifestSha256,
      state,
      receivedAt: receivedAt.toISOString(),
      activatedAt: activatedAt ? activatedAt.toISOString() : null,
      notBefore: m.notBefore,
    };
    const { receipt, signature } = signReceipt(doc, this.opts.identity.secretKey);
    await this.conn.send({ receipt: { receipt, signature } });
    this.emit({ type: "receipt_sent", sequence: m.sequence, state });
  }
}
