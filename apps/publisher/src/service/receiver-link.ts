import { EventEmitter } from "node:events";
import { PrepcastError, isErrorCode, toPrepcastError, type AuditLog, type PublisherAuditEvent } from "@prepcast/protocol";
import { PublisherSession, type CutRefInfo, type DeliveryResult, type Identity, type ReceiptDoc } from "@prepcast/session";
import type { FrameConnection, TransportFactory } from "@prepcast/transport";
import type { Logger } from "@prepcast/runtime";
import type { CutRepository, PreparedCut } from "./cut-repository";
import type { ReceiptLog } from "./receipts";
import type { PublisherMetrics } from "./metrics";
import type { SignedNotice } from "../monitor/notice-signer";
import { initialLinkStatus, type LinkState, type LinkStatus, type ReceiverEntry } from "./link-status";
import { fullPayloadPlanner, type OfferPlanner } from "../fanout/offer-planner";

export type { ReceiverEntry, LinkState, TransferProgress, LinkStatus } from "./link-status";

/** A notice signed for one receiver (signed by the monitor: monitor/notice-signer.ts). */
export type { SignedNotice };

export type { OfferPlanner };

export interface LinkDeps {
  publisherId: string;
  identity: Identity;
  /** Client factories by transport name (service/transports.ts). */
  transports: ReadonlyMap<string, TransportFactory>;
  repo: CutRepository;
  receipts: ReceiptLog;
  audit: AuditLog<PublisherAuditEvent>;
  log: Logger;
  metrics?: PublisherMetrics;
  planner?: OfferPlanner;
  /** Ping an idle session this often (default 20 s). */
  pingMs?: number;
  backoff?: { minMs: number; maxMs: number };
  timeouts?: { handshakeMs?: number; transferMs?: number };
}

const RETRYABLE_REFUSALS = new Set(["DISK_FULL", "IO_ERROR", "TIMEOUT", "UNAVAILABLE"]);

const sameRef = (a: CutRefInfo | null, b: CutRefInfo | null) => !!a && !!b && a.sequence === b.sequence && a.manifestSha256 === b.manifestSha256;

/**
 * Keeps one authenticated session open to one receiver, and whenever the latest cut is not what
 * the receiver has live (or staged), offers it. A dropped connection is redialled with backoff
 * and the transfer resumes where the receiver's verified prefix ends.
 */
export class ReceiverLink extends EventEmitter {
  private stopped = false;
  private wake: (() => void) | null = null;
  private session: PublisherSession | null = null;
  /** The last cut this receiver refused, so it is not offered again in a loop. */
  private refused: { manifestSha256: string; code: string; at: number } | null = null;
  private failures = 0;
  private readonly status_: LinkStatus;
  private loop: Promise<void> | null = null;
  /** The suspension or reinstatement notice in force: sent once on every new session and when it changes. */
  private stateNotice: SignedNotice | null = null;
  private stateNoticeSent = false;
  /** One-shot notices (tests) waiting for a session. */
  private readonly queuedNotices: SignedNotice[] = [];

  constructor(
    readonly entry: ReceiverEntry,
    private readonly deps: LinkDeps,
  ) {
    super();
    this.status_ = initialLinkStatus(entry);
  }

  status(): LinkStatus {
    return structuredClone(this.status_);
  }

  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  /** A new cut exists (or the operator asked to push again): look now instead of at the next ping. */
  poke(): void {
    this.refused = null;
    const w = this.wake;
    this.wake = null;
    if (w) w();
  }

  /** Sets the notice the receiver must hold (suspension or reinstatement); null clears it. */
  setStateNotice(notice: SignedNotice | null): void {
    this.stateNotice = notice;
    this.stateNoticeSent = false;
    this.poke();
  }

  /** Sends a one-shot notice (kind "test") on the current or next session. */
  queueNotice(notice: SignedNotice): void {
    this.queuedNotices.push(notice);
    this.poke();
  }

  private async flushNotices(session: PublisherSession): Promise<void> {
    const send = async (n: SignedNotice) => {
      await session.notice(n.notice, n.signature);
      this.deps.audit.append("notice_sent", { receiver: this.entry.id, kind: n.kind, issuedAt: n.issuedAt, sha256: n.sha256 });
      this.emit("notice-sent", { id: this.entry.id, kind: n.kind, issuedAt: n.issuedAt });
    };
    if (this.stateNotice && !this.stateNoticeSent) {
      await send(this.stateNotice);
      this.stateNoticeSent = true;
    }
    while (this.queuedNotices.length > 0) {
      await send(this.queuedNotices[0]!);
      this.queuedNotices.shift();
    }
  }

  setSuspended(suspended: boolean): void {
    this.status_.suspended = suspended;
    this.poke();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.poke();
    await this.session?.close();
    await this.loop;
    this.setState("stopped");
  }

  private setState(s: LinkState): void {
    if (this.status_.state !== s) {
      this.status_.state = s;
      this.emit("state", this.status());
    }
  }

  private fail(code: string, message: string): void {
    this.status_.lastError = { code, message, at: new Date().toISOString() };
    this.emit("error-event", { id: this.entry.id, code, message });
  }

  private async sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    const { minMs, maxMs } = this.deps.backoff ?? { minMs: 500, maxMs: 30_000 };
    while (!this.stopped) {
      try {
        await this.connectAndServe();
        this.failures = 0;
      } catch (e) {
        const err = toPrepcastError(e, this.status_.address);
        this.failures++;
        this.fail(err.code, err.message);
        this.deps.audit.append(err.code === "AUTH_FAILED" ? "auth_failed" : "session_failed", {
          receiver: this.entry.id,
          code: err.code,
          message: err.message,
          address: this.status_.address,
        });
        this.deps.log.warn({ receiver: this.entry.id, code: err.code, err: err.message }, "receiver session failed");
      } finally {
        // a session this link gives up on is closed, never left open (a no-op when it already ended)
        await this.session?.close();
        this.session = null;
        this.status_.connectedSince = null;
        this.deps.metrics?.connected.set({ receiver: this.entry.id }, 0);
        if (!this.stopped) this.setState("disconnected");
      }
      if (this.stopped) break;
      const delay = Math.min(maxMs, minMs * 2 ** Math.min(this.failures, 10)) * (0.75 + Math.random() * 0.5);
      await this.sleep(delay);
    }
  }

  private async connectAndServe(): Promise<void> {
    const e = this.entry;
    this.setState("connecting");
    const transport = this.deps.transports.get(e.transport);
    if (!transport)
      throw new PrepcastError("CONFIG_INVALID", `no transport "${e.transport}" is registered for receiver ${e.id}`, {
        where: `receivers.${e.id}.transport`,
        hint: `registered: ${[...this.deps.transports.keys()].join(", ")}`,
      });
    const conn: FrameConnection = await transport.connect({
      host: e.host,
      port: e.port,
      ...(e.tlsFingerprint ? { tls: { expectedFingerprint: e.tlsFingerprint } } : {}),
      ...(e.path ? { path: e.path } : {}),
      connectTimeoutMs: 10_000,
    });
    const session = await PublisherSession.open(conn, {
      publisherId: this.deps.publisherId,
      identity: this.deps.identity,
      receiver: { id: e.id, publicKey: e.publicKey },
      timeouts: this.deps.timeouts ?? {},
    });
    this.session = session;
    if (this.stopped) {
      await session.close();
      return;
    }
    const { live, staged, partial, ...rest } = session.hello;
    void partial;
    this.status_.hello = rest;
    this.status_.live = live ? { ...live, since: this.status_.live && sameRef(this.status_.live, live) ? this.status_.live.since : null } : null;
    this.status_.staged = staged;
    this.status_.connectedSince = new Date().toISOString();
    this.status_.lastError = null;
    this.failures = 0;
    this.deps.metrics?.connected.set({ receiver: e.id }, 1);
    this.deps.metrics?.clockSkew.set({ receiver: e.id }, session.hello.clockSkewMs / 1000);
    this.deps.audit.append("connected", {
      receiver: e.id,
      address: session.remoteAddress,
      transport: e.transport,
      live: live?.sequence ?? null,
      partial: session.hello.partial?.sequence ?? null,
      partialOffset: session.hello.partialOffset,
      clockSkewMs: session.hello.clockSkewMs,
      agentVersion: session.hello.agentVersion,
    });
    this.setState("connected");
    this.emit("hello", this.status());
    this.stateNoticeSent = false;

    while (!this.stopped) {
      await this.flushNotices(session);
      const target = this.deps.repo.latest();
      const has = (r: CutRefInfo | null) => !!target && sameRef(r, target.ref);
      if (target && !this.status_.suspended && !has(this.status_.live) && !has(this.status_.staged) && !this.stillRefused(target)) {
        const result = await this.deliver(session, target);
        // keep the code (SIGNATURE_INVALID for a bad receipt, the receiver's own code...): a plain Error would be recorded as INTERNAL
        if (result.status === "failed") throw new PrepcastError(isErrorCode(result.code) ? result.code : "PROTOCOL_ERROR", result.message);
        continue;
      }
      // Idle: wait for a new cut, a volunteered receipt, or the ping interval.
      const abort = new AbortController();
      this.wake = () => abort.abort();
      const r = await session.idle(this.deps.pingMs ?? 20_000, abort.signal);
      this.wake = null;
      if (abort.signal.aborted) {
        if (r) this.onIdleMessage(r);
        continue;
      }
      if (r === null) await session.ping();
      else this.onIdleMessage(r);
    }
    await session.close();
  }

  /**
   * A refusal sticks until a new cut or an operator's push, except for conditions the receiver's
   * operator can fix (disk full, I/O): those are retried every few ping periods.
   */
  private stillRefused(target: PreparedCut): boolean {
    const r = this.refused;
    if (!r || r.manifestSha256 !== target.ref.manifestSha256) return false;
    if (RETRYABLE_REFUSALS.has(r.code) && Date.now() - r.at > Math.max(5_000, 3 * (this.deps.pingMs ?? 20_000))) return false;
    return true;
  }

  private onIdleMessage(v: NonNullable<Awaited<ReturnType<PublisherSession["idle"]>>>): void {
    if ("receipt" in v) this.recordReceipt(v.receipt.doc, v.receipt.receiptBytes, v.receipt.receiptSignature);
  }

  private recordReceipt(doc: ReceiptDoc, bytes: Buffer, signature: Buffer): void {
    this.deps.receipts.append(this.entry.id, bytes, signature);
    this.status_.lastReceipt = doc;
    const ref: CutRefInfo = { process: doc.process, channel: doc.channel, sequence: doc.sequence, manifestSha256: doc.manifestSha256 };
    if (doc.state === "active") {
      this.status_.live = { ...ref, since: doc.activatedAt };
      if (sameRef(this.status_.staged, ref)) this.status_.staged = null;
      this.deps.metrics?.liveSequence.set({ receiver: this.entry.id }, doc.sequence);
    } else {
      this.status_.staged = ref;
    }
    this.deps.audit.append("receipt", {
      receiver: this.entry.id,
      sequence: doc.sequence,
      manifestSha256: doc.manifestSha256,
      state: doc.state,
      receivedAt: doc.receivedAt,
      activatedAt: doc.activatedAt,
    });
    this.emit("receipt", { id: this.entry.id, receipt: doc });
  }

  /** Delivers `target`; it and the receiver's live cut (the delta's base) are pinned meanwhile, so retention keeps both. */
  private async deliver(session: PublisherSession, target: PreparedCut): Promise<DeliveryResult> {
    // pinned before planning: the planner reads the base's payload to compute the delta
    const releases = [this.deps.repo.pin(target.ref.sequence), ...(this.status_.live ? [this.deps.repo.pin(this.status_.live.sequence)] : [])];
    let result: DeliveryResult | undefined;
    try {
      result = await this.deliverPinned(session, target);
      return result;
    } finally {
      for (const release of releases) release();
      // after the pins are released: retention may now remove the receiver's previous cut
      if (result) this.emit("settled", { id: this.entry.id, sequence: target.ref.sequence, status: result.status });
    }
  }

  private async deliverPinned(session: PublisherSession, target: PreparedCut): Promise<DeliveryResult> {
    const plan = await (this.deps.planner ?? fullPayloadPlanner(this.deps.repo))(target, {
      live: this.status_.live,
      acceptedEncodings: session.hello.acceptedEncodings,
    });
    this.setState("transferring");
    const startedAt = Date.now();
    this.status_.progress = { sequence: target.ref.sequence, sent: 0, total: plan.payload.size, resumedFrom: 0, startedAt, bytesPerSecond: 0 };
    this.deps.audit.append("offer", {
      receiver: this.entry.id,
      sequence: target.ref.sequence,
      manifestSha256: target.ref.manifestSha256,
      encoding: plan.encoding,
      base: plan.base?.sequence ?? null,
      payloadSize: plan.payload.size,
    });
    this.emit("progress", this.status());
    let lastEmit = 0;
    const result = await session.deliver(plan, (p) => {
      const secs = Math.max(0.001, (Date.now() - startedAt) / 1000);
      this.status_.progress = {
        sequence: target.ref.sequence,
        sent: p.sent,
        total: p.total,
        resumedFrom: p.resumedFrom,
        startedAt,
        bytesPerSecond: (p.sent - p.resumedFrom) / secs,
      };
      if (Date.now() - lastEmit > 200 || p.sent === p.total) {
        lastEmit = Date.now();
        this.emit("progress", this.status());
      }
    });
    for (const v of session.takeVolunteeredReceipts()) this.recordReceipt(v.doc, v.receiptBytes, v.receiptSignature);
    this.status_.progress = null;
    this.setState("connected");
    if (result.status === "delivered") {
      this.status_.bytesSent += result.bytesSent;
      this.status_.lastDelivery = {
        sequence: target.ref.sequence,
        encoding: plan.encoding,
        bytes: result.bytesSent,
        resumedFrom: result.resumedFrom,
        durationMs: result.durationMs,
        at: new Date().toISOString(),
      };
      this.deps.metrics?.bytesSent.inc({ receiver: this.entry.id }, result.bytesSent);
      this.deps.metrics?.transferSeconds.observe(result.durationMs / 1000);
      this.deps.audit.append("delivered", {
        receiver: this.entry.id,
        sequence: target.ref.sequence,
        bytes: result.bytesSent,
        resumedFrom: result.resumedFrom,
        durationMs: result.durationMs,
      });
      this.recordReceipt(result.receipt, result.receiptBytes, result.receiptSignature);
      this.emit("delivered", { id: this.entry.id, sequence: target.ref.sequence, result });
    } else if (result.status === "refused") {
      this.refused = { manifestSha256: target.ref.manifestSha256, code: result.code, at: Date.now() };
      this.status_.transferErrors++;
      this.fail(result.code, result.message);
      this.deps.metrics?.refusals.inc({ receiver: this.entry.id, code: result.code });
      this.deps.audit.append("refused", { receiver: this.entry.id, sequence: target.ref.sequence, code: result.code, message: result.message });
      this.emit("refused", { id: this.entry.id, sequence: target.ref.sequence, code: result.code, message: result.message });
    } else {
      this.status_.transferErrors++;
      this.status_.bytesSent += result.bytesSent;
      this.deps.metrics?.bytesSent.inc({ receiver: this.entry.id }, result.bytesSent);
      this.deps.audit.append("transfer_failed", {
        receiver: this.entry.id,
        sequence: target.ref.sequence,
        code: result.code,
        message: result.message,
        bytesSent: result.bytesSent,
      });
      this.emit("failed", { id: this.entry.id, sequence: target.ref.sequence, code: result.code, message: result.message });
    }
    return result;
  }
}
