import * as fs from "node:fs";
import {
  CutStore,
  EventThrottle,
  peerText,
  readSecretKeyFile,
  stateDirLayout,
  toPrepcastError,
  type AuditLog,
  type ReceiverAuditEvent,
} from "@prepcast/protocol";
import { bindListener, createLogger, createMetricsRegistry, parseListen, sendJson, startAdminServer, type Logger } from "@prepcast/runtime";
import { ReceiverSession } from "@prepcast/session";
import {
  DEFAULT_WEBSOCKET_PATH,
  grpcTransport,
  PIN_SERVERNAME,
  websocketTransport,
  type FrameConnection,
  type FrameServer,
  type TransportFactory,
} from "@prepcast/transport";
import type { Registry } from "prom-client";
import type { ResolvedReceiverConfig } from "./config";
import { StoreBackend, type ActivationEvent, type PayloadApplier } from "./store-backend";
import { deltaAppliers, zipDeltaAppliers } from "./delta-applier";
import { statusPage } from "./status-page";
import { NoticeKeeper } from "./notices";
import { createReceiverMetrics, type ReceiverMetrics } from "./metrics";
import { SessionEventRecorder } from "./session-events";
import { bridgeSocketPath, startSite, type SiteHandle } from "./site";
import { NginxKeeper } from "./nginx";
import { agentStatus, type Incident, type LastTransfer } from "./agent-status";

export const AGENT_VERSION = "0.1.0";

export interface ReceiverAgentOptions {
  config: ResolvedReceiverConfig;
  log?: Logger;
  clock?: () => Date;
  /** Extra payload encodings (e.g. deltas from @prepcast/delta). */
  appliers?: Record<string, PayloadApplier>;
  /** Starts the public site server (default true); tests of the channel alone may turn it off. */
  site?: boolean;
  transports?: { grpc?: TransportFactory; websocket?: TransportFactory };
  /** Replaces the free-disk probe (tests). */
  freeDisk?: () => Promise<number>;
}

export type { Incident } from "./agent-status";

/**
 * The difusor's agent: the push endpoint (gRPC, optionally WebSocket) behind an address
 * allowlist, the cut store, the activation timer, the public site server and a local admin
 * listener with /livez, /readyz, /metrics and a status page.
 */
export class ReceiverAgent {
  readonly log: Logger;
  readonly registry: Registry;
  private readonly servers: FrameServer[] = [];
  private readonly endpoints: string[] = [];
  /** The unix-socket endpoint behind the site's port (push.websocket: true). */
  private bridge: FrameServer | null = null;
  private readonly sessions = new Set<ReceiverSession>();
  private readonly connections = new Set<FrameConnection>();
  private admin: Awaited<ReturnType<typeof startAdminServer>> | null = null;
  private site: SiteHandle | null = null;
  readonly incidents: Incident[] = [];
  /** Incidents an unauthenticated peer can cause (auth failures, refused addresses): their own small list, so a flood never pushes the real ones out. */
  readonly peerIncidents: Incident[] = [];
  private readonly authFailures = new EventThrottle(10, 60_000);
  private readonly rejections = new EventThrottle(10, 60_000);
  private throttleTimer: NodeJS.Timeout | null = null;
  private lastTransfer: LastTransfer | null = null;
  private noticeKeeper: NoticeKeeper | null = null;
  private nginx: NginxKeeper | null = null;
  private readonly metrics: ReceiverMetrics;

  private constructor(
    readonly config: ResolvedReceiverConfig,
    readonly store: CutStore,
    readonly backend: StoreBackend,
    private readonly opts: ReceiverAgentOptions,
    /** publisher clock minus ours, as measured at the last authentication (0 within a second) */
    private readonly skew: { ms: number } = { ms: 0 },
    private readonly decisionClock: () => Date = () => new Date(),
  ) {
    this.log = opts.log ?? createLogger({ name: "prep-receiver", level: config.log.level });
    this.registry = createMetricsRegistry("prepcast_receiver_");
    this.metrics = createReceiverMetrics(this.registry, () => this.site?.store);
  }

  get audit(): AuditLog<ReceiverAuditEvent> {
    return this.store.audit;
  }

  static async start(opts: ReceiverAgentOptions): Promise<ReceiverAgent> {
    const c = opts.config;
    const store = await CutStore.open(c.root, { retain: c.retain, ...(opts.clock ? { now: opts.clock } : {}) });
    const skew = { ms: 0 };
    const base = opts.clock ?? (() => new Date());
    // Embargo and freshness never run ahead of the (authenticated) publisher's clock: a receiver
    // whose clock is fast would otherwise show an embargoed cut early. A slow clock only delays.
    const decisionClock = () => new Date(base().getTime() + Math.min(0, skew.ms));
    const backend = new StoreBackend(store, {
      clock: decisionClock,
      appliers: opts.appliers ?? (c.encodings.deltaZip ? { ...deltaAppliers(), ...zipDeltaAppliers() } : deltaAppliers()),
      ...(opts.freeDisk ? { freeDisk: opts.freeDisk } : {}),
    });
    const agent = new ReceiverAgent(c, store, backend, opts, skew, decisionClock);
    try {
      await agent.startAll();
    } catch (e) {
      await agent.stop().catch(() => undefined);
      throw e;
    }
    return agent;
  }

  private incident(kind: string, message: string, code?: string): void {
    const peer = kind === "auth_failed" || kind === "connection_rejected" || kind === "auth_failed_suppressed" || kind === "connection_rejected_suppressed";
    const list = peer ? this.peerIncidents : this.incidents;
    list.push({ at: new Date().toISOString(), kind, message: peerText(message, 300), ...(code ? { code } : {}) });
    if (list.length > (peer ? 20 : 200)) list.shift();
  }

  /** One line for the records a throttle held back (never lost: counted, in the audit log and the log). */
  private summarize(kind: "auth_failed" | "connection_rejected", suppressed: number): void {
    if (suppressed <= 0) return;
    this.incident(
      `${kind}_suppressed`,
      `${suppressed} more ${kind === "auth_failed" ? "authentication failures" : "refused connections"} in the last minute (not recorded one by one)`,
    );
    this.audit.append(`${kind}_suppressed`, { count: suppressed });
    this.log.warn({ count: suppressed }, `${suppressed} more ${kind} events in the last minute were counted, not recorded one by one`);
  }

  private async startAll(): Promise<void> {
    const c = this.config;
    const identity = readSecretKeyFile(c.identity.secretKey);
    this.throttleTimer = setInterval(() => {
      this.summarize("auth_failed", this.authFailures.drain());
      this.summarize("connection_rejected", this.rejections.drain());
    }, 60_000);
    this.throttleTimer.unref();
    this.noticeKeeper = new NoticeKeeper(c.root, this.audit, c.trust.channels);
    const live = this.store.live();
    if (live) this.metrics.liveSequence.set(live.record.sequence);
    this.backend.on("activated", (e: ActivationEvent) => this.onActivated(e));
    this.backend.on("error", (e: unknown) => {
      const err = toPrepcastError(e);
      this.incident("activation_failed", err.message, err.code);
      this.log.error({ code: err.code, err: err.message }, "scheduled activation failed");
    });
    // retention or compressed-variant preparation failed: the live cut is unaffected, retried next cut
    this.backend.on("warning", (e: unknown) => {
      const err = toPrepcastError(e);
      this.log.warn({ code: err.code, err: err.message }, "store housekeeping failed; the live cut is unaffected");
    });

    const tlsOpts = c.push.tls ? { cert: fs.readFileSync(c.push.tls.cert), key: fs.readFileSync(c.push.tls.key) } : undefined;
    const common = {
      ...(tlsOpts ? { tls: tlsOpts } : {}),
      allowlist: c.push.allowlist,
      maxFrameBytes: c.push.maxFrameBytes,
      onRejected: (info: { address: string; reason: string }) => this.onRejected(info),
    };
    const onConnection = (conn: FrameConnection) => this.onConnection(conn, identity);
    const grpc = this.opts.transports?.grpc ?? grpcTransport();
    const pushAddr = parseListen(c.push.listen, `${c.file}: push.listen`);
    this.servers.push(await bindListener(c.file, "push.listen", c.push.listen, () => grpc.listen({ ...pushAddr, ...common }, onConnection)));
    this.endpoints.push(`grpc ${c.push.listen}`);
    if (typeof c.push.websocket === "object") {
      // a listener of its own (TLS with the push certificate, allowlist on the TCP accept)
      const ws = this.opts.transports?.websocket ?? websocketTransport();
      const wsAddr = parseListen(c.push.websocket.listen, `${c.file}: push.websocket.listen`);
      this.servers.push(await bindListener(c.file, "push.websocket.listen", c.push.websocket.listen, () => ws.listen({ ...wsAddr, ...common }, onConnection)));
      this.endpoints.push(`websocket ${c.push.websocket.listen}`);
    } else if (c.push.websocket === true) {
      // on the site's HTTPS listener: the site's workers relay SNI-selected connections to this
      // unix socket (docs/architecture.md, "WebSocket push on the site's port")
      const ws = websocketTransport({ bridgeSocket: bridgeSocketPath(c.root) });
      this.bridge = await ws.listen({ host: "", port: 0, ...common }, onConnection);
      this.servers.push(this.bridge);
    }

    if (this.opts.site !== false) {
      this.site = await bindListener(c.file, "site.listen", c.site.listen, () => startSite(c, this.decisionClock, (info) => this.onRejected(info)));
      if (c.push.websocket === true) this.endpoints.push(`websocket ${this.site.url}${DEFAULT_WEBSOCKET_PATH} (SNI ${PIN_SERVERNAME})`);
    }
    if (c.site.nginx) {
      this.nginx = new NginxKeeper(c, c.site.nginx, this.decisionClock, this.log, (message, code) => this.incident("nginx", message, code));
      await this.nginx.start();
    }
    const adminAddr = parseListen(c.admin.listen, `${c.file}: admin.listen`);
    this.admin = await bindListener(c.file, "admin.listen", c.admin.listen, () =>
      startAdminServer({
        ...adminAddr,
        allowedHosts: c.admin.allowedHosts ?? [],
        log: this.log,
        registry: this.registry,
        ready: () => {
          const reasons: string[] = [];
          if (this.servers.length === 0) reasons.push("push endpoint not listening");
          return { ok: reasons.length === 0, reasons };
        },
        routes: [
          (_req, res, url) => {
            if (url.pathname === "/status.json") return (sendJson(res, 200, this.status()), true);
            if (url.pathname === "/" || url.pathname === "/status") {
              const body = Buffer.from(statusPage(this.status()));
              res.writeHead(200, {
                "content-type": "text/html; charset=utf-8",
                "content-length": body.length,
                "cache-control": "no-store",
                "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
              });
              res.end(body);
              return true;
            }
            return false;
          },
        ],
      }),
    );
    this.audit.append("agent_started", {
      receiver: c.id,
      push: this.endpoints,
      site: this.site?.url ?? null,
      live: live?.record.sequence ?? null,
      version: AGENT_VERSION,
    });
    this.log.info(
      { push: this.pushAddresses(), site: this.site?.url ?? null, admin: this.adminAddress, live: live?.record.sequence ?? null },
      "receiver agent started",
    );
  }

  /** A peer dropped by the allowlist (on the push port, or by a site worker for the push on the site's port). */
  private onRejected(info: { address: string; reason: string }): void {
    this.metrics.rejected.inc();
    const t = this.rejections.take();
    this.summarize("connection_rejected", t.summary);
    if (!t.record) return;
    this.audit.append("connection_rejected", { address: peerText(info.address, 64), reason: info.reason });
    this.log.warn({ address: peerText(info.address, 64), reason: info.reason }, "connection dropped by the allowlist");
  }

  /** The TCP listeners of the push (gRPC, and the WebSocket's own listener when it has one). */
  pushAddresses(): Array<{ host: string; port: number }> {
    return this.servers.filter((s) => s !== this.bridge).map((s) => s.address);
  }

  /** Where the push is served, for people: "grpc 0.0.0.0:8730", "websocket https://…/prepcast/v1/push (SNI …)". */
  pushEndpoints(): string[] {
    return [...this.endpoints];
  }

  get adminAddress(): { host: string; port: number } | null {
    return this.admin?.address ?? null;
  }

  get siteUrl(): string | null {
    return this.site?.url ?? null;
  }

  private onConnection(conn: FrameConnection, identity: { publicKey: Uint8Array; secretKey: Uint8Array }): void {
    const c = this.config;
    this.connections.add(conn);
    const events = new SessionEventRecorder(
      {
        audit: this.audit,
        log: this.log,
        metrics: this.metrics,
        incident: (kind, message, code) => this.incident(kind, message, code),
        recordAuthFailure: () => {
          const t = this.authFailures.take();
          this.summarize("auth_failed", t.summary);
          return t.record;
        },
        publisherClock: (offsetMs) => this.onPublisherClock(offsetMs),
        transferred: (t) => {
          this.lastTransfer = t;
        },
      },
      () => ({ address: conn.remoteAddress, transport: conn.transport }),
    );
    const session = new ReceiverSession(conn, {
      receiverId: c.id,
      identity,
      publisher: { id: c.publisher.id, publicKey: c.publisherPublicKey },
      rootPublicKey: c.rootPublicKey,
      accept: { process: c.trust.process, channels: c.trust.channels },
      backend: this.backend,
      partialDir: stateDirLayout(c.root).partial,
      encodings: this.backend.encodings(),
      agentVersion: AGENT_VERSION,
      ...(this.opts.clock ? { clock: this.opts.clock } : {}),
      onNotice: async (doc, signed) => {
        const r = await this.noticeKeeper!.apply(doc, signed);
        if (r === "applied") void this.nginx?.sync("notice");
        if (r === "applied")
          this.log.warn(
            { kind: doc.kind, channel: doc.channel, issuedAt: doc.issuedAt },
            doc.kind === "suspension" ? "the OPLE suspended this difusor: the notice replaces the results" : `notice applied: ${doc.kind}`,
          );
      },
      onEvent: (e) => events.record(e),
    });
    this.sessions.add(session);
    void session.run().finally(() => {
      this.sessions.delete(session);
      this.connections.delete(conn);
      if (events.authenticated) this.metrics.connected.dec();
    });
  }

  /** Records the publisher's clock; a changed offset re-arms the embargo timer on the corrected clock. */
  private onPublisherClock(offsetMs: number | null): void {
    if (offsetMs === null) return;
    const ms = Math.abs(offsetMs) < 1000 ? 0 : offsetMs; // round trips and jitter are not skew
    if (ms === this.skew.ms) return;
    this.skew.ms = ms;
    this.backend.armPending();
    if (ms !== 0) {
      this.incident(
        "clock_skew",
        `this machine's clock differs from the publisher's by ${(-ms / 1000).toFixed(1)} s; embargo and freshness use the publisher's time when ours is ahead (check NTP)`,
      );
      this.audit.append("clock_skew", { clockSkewMs: -ms });
      this.log.warn({ clockSkewMs: -ms }, "clock skew against the publisher");
    }
  }

  private onActivated(e: ActivationEvent): void {
    this.metrics.activated.inc();
    this.metrics.liveSequence.set(e.record.sequence);
    this.audit.append("activated", {
      sequence: e.record.sequence,
      corte: e.record.corte,
      manifestSha256: e.record.manifestSha256,
      notBefore: e.record.notBefore,
      receivedAt: e.receivedAt?.toISOString() ?? null,
      activatedAt: e.activatedAt.toISOString(),
      late: e.late,
    });
    this.log.info({ sequence: e.record.sequence, corte: e.record.corte }, "cut live");
    void this.nginx?.sync("activated");
    if (e.late)
      this.incident("late_activation", `cut ${e.record.sequence} went live at ${e.activatedAt.toISOString()}, after its notBefore ${e.record.notBefore}`);
    // An embargoed cut went live on its own timer: tell every connected publisher, signed.
    // (An install that activates at once answers with its own receipt: a second one here would
    // arrive where the publisher expects the reply to its next offer.)
    if (e.fromTimer && e.verified && e.receivedAt && Date.parse(e.record.notBefore) <= e.activatedAt.getTime()) {
      for (const s of this.sessions) void s.sendReceipt(e.verified, "active", e.receivedAt, e.activatedAt).catch(() => undefined);
    }
  }

  status(): Record<string, unknown> {
    return agentStatus({
      config: this.config,
      version: AGENT_VERSION,
      store: this.store,
      clock: this.opts.clock,
      skewMs: this.skew.ms,
      lastTransfer: this.lastTransfer,
      connectedPublishers: this.sessions.size,
      incidents: this.incidents,
      peerIncidents: this.peerIncidents,
      siteUrl: this.site?.url ?? null,
      notice: this.noticeKeeper?.status() ?? null,
      nginx: this.nginx,
    });
  }

  async stop(): Promise<void> {
    if (this.throttleTimer) clearInterval(this.throttleTimer);
    await this.backend.stop();
    await Promise.all(this.servers.map((s) => s.close().catch(() => undefined)));
    await Promise.all([...this.connections].map((c) => c.close().catch(() => undefined)));
    await this.site?.close().catch(() => undefined);
    await this.nginx?.stop().catch(() => undefined);
    await this.admin?.close().catch(() => undefined);
    try {
      this.summarize("auth_failed", this.authFailures.drain());
      this.summarize("connection_rejected", this.rejections.drain());
      this.audit.append("agent_stopped", { receiver: this.config.id });
    } catch {
      /* store already closed */
    }
    this.store.close();
  }
}
