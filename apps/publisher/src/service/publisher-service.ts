import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  AuditLog,
  loadPublisherSigningMaterial,
  parseKeyset,
  readSecretKeyFile,
  toPrepcastError,
  PUBLISHER_KEY_FILES,
  requireKeysDirRoot,
  type PublisherAuditEvent,
} from "@prepcast/protocol";
import { bindListener, createLogger, createMetricsRegistry, parseListen, startAdminServer, type Logger, type AdminRoute } from "@prepcast/runtime";
import type { TransportFactory } from "@prepcast/transport";
import type { Registry } from "prom-client";
import type { ResolvedPublisherConfig } from "./config";
import { CutRepository, type PrepareOptions, type PreparedCut } from "./cut-repository";
import { createPublisherMetrics, type PublisherMetrics } from "./metrics";
import { ReceiptLog } from "./receipts";
import { ReceiverLink, type OfferPlanner } from "./receiver-link";
import { defaultTransports, transportNamed, transportRegistry, type PublisherTransport } from "./transports";
import { InboxWatcher } from "./inbox";
import { DeltaPlanning, defaultEncoders, zipDeltaEncoder, type PayloadEncoder } from "../fanout";
import { KeysetReloader, keysetOf } from "./keyset-reloader";
import { CutRetention } from "./retention";
import { DifusorMonitor } from "../monitor/monitor";
import { statusReport, type StatusReport } from "./status-report";
import { serviceApiRoutes } from "./admin-api";
import { wireMonitor } from "./monitor-wiring";

export type { StatusReport } from "./status-report";
import { PublicListWriter } from "../difusores/public-list-writer";
import { operatorRoutes, AdminAuth } from "../dashboard/routes";
import { Notifier } from "../notify/notifier";

export const AGENT_VERSION = "0.1.0";

export interface PublisherServiceOptions {
  config: ResolvedPublisherConfig;
  log?: Logger;
  /** Start the admin HTTP server (off for one-shot pushes). */
  admin?: boolean;
  /** Watch the inbox (off for one-shot pushes). */
  watchInbox?: boolean;
  /** The transports receivers are dialled with (default grpc and websocket); load the config with the same list. */
  transports?: readonly PublisherTransport[];
  planner?: (repo: CutRepository) => OfferPlanner;
  /** The payload encodings offered, in order of preference (default delta-zstd@1, full-zstd@1; `full` always last). Ignored with `planner`. */
  encoders?: readonly PayloadEncoder[];
  registry?: Registry;
  /** Probe public URLs and apply the 45-minute rule (default: with the admin server, i.e. `run`). */
  monitor?: boolean;
  /** Injectable clock for the monitor (tests). */
  now?: () => number;
}

/**
 * The OPLE's long-running service: holds the registry, the signing material and one link per
 * receiver; signs each new cut once (from the inbox, the admin API or `push`) and lets every link
 * deliver it. Everything it does is appended to STATE/audit.log.
 */
export class PublisherService extends EventEmitter {
  readonly log: Logger;
  readonly metrics: PublisherMetrics;
  readonly registry: Registry;
  private readonly links = new Map<string, ReceiverLink>();
  private admin: Awaited<ReturnType<typeof startAdminServer>> | null = null;
  private adminAuth: AdminAuth | null = null;
  private inbox: InboxWatcher | null = null;
  monitor!: DifusorMonitor;
  publicList!: PublicListWriter;
  notifier: Notifier | null = null;
  /** The keyset in use, reloaded from the keys directory before each cut (keyset-reloader.ts). */
  readonly keysets: KeysetReloader;
  /** Shared delta streams (open files of STATE/deltas); closed once every link has stopped. */
  private deltaPlanning: DeltaPlanning | null = null;
  /** Retention of prepared cuts after each delivery (retention.ts). */
  readonly retention: CutRetention;
  private readonly clock: () => number;

  private constructor(
    readonly config: ResolvedPublisherConfig,
    readonly repo: CutRepository,
    readonly audit: AuditLog<PublisherAuditEvent>,
    readonly receipts: ReceiptLog,
    opts: PublisherServiceOptions,
  ) {
    super();
    this.log = opts.log ?? createLogger({ name: "prep-publisher", level: config.log.level });
    this.registry = opts.registry ?? createMetricsRegistry("prepcast_publisher_");
    this.metrics = createPublisherMetrics(this.registry);
    this.clock = opts.now ?? Date.now;
    this.keysets = new KeysetReloader({ keysDir: config.keys, warnDays: config.keysetWarnDays, audit, log: this.log, now: this.clock, material: repo });
    this.retention = new CutRetention({
      retention: config.retention,
      cutsDir: path.join(config.state, "cuts"),
      receiptsFile: receipts.file,
      repo,
      links: () => this.links.entries(),
      deltaPlanning: () => this.deltaPlanning,
      audit,
      log: this.log,
      now: this.clock,
    });
  }

  static async start(opts: PublisherServiceOptions): Promise<PublisherService> {
    const c = opts.config;
    fs.mkdirSync(c.state, { recursive: true, mode: 0o750 });
    const signing = loadPublisherSigningMaterial(c.keys);
    const repo = await CutRepository.open(c.state, { process: c.process, channel: c.channel, signing, publishUntil: c.publishUntil });
    const audit = AuditLog.open<PublisherAuditEvent>(path.join(c.state, "audit.log"));
    const receipts = ReceiptLog.open(c.state);
    const svc = new PublisherService(c, repo, audit, receipts, opts);
    const identity = readSecretKeyFile(c.identity.secretKey);
    const registry = transportRegistry(opts.transports ?? defaultTransports());
    const transports = new Map<string, TransportFactory>();
    for (const entry of c.receiverEntries)
      if (!transports.has(entry.transport))
        transports.set(entry.transport, transportNamed(registry, entry.transport, `${c.file}: receivers ${entry.id}`).create());
    const keyset = parseKeyset(signing.keyset, path.join(c.keys, PUBLISHER_KEY_FILES.keyset));
    audit.append("service_started", {
      publisher: c.id,
      process: c.process,
      channel: c.channel,
      receivers: c.receiverEntries.map((r) => r.id),
      latest: repo.latest()?.ref.sequence ?? null,
      keysetVersion: keyset.version,
      signingKeyId: signing.signingKey.keyid,
    });
    const latest = repo.latest();
    // a keyset copied in while the service was stopped: recorded against the one the latest cut carries
    const before = latest ? keysetOf(latest.signed.keyset) : null;
    if (before && before.version !== keyset.version) svc.keysets.recordChange(before, keyset, signing);
    if (latest) svc.metrics.latestSequence.set(latest.ref.sequence);
    // Deltas by default: one stream per (cut, base), shared by every link; full after a failed delta.
    const deltaPlanning = opts.planner
      ? null
      : new DeltaPlanning(repo, {
          log: svc.log,
          encoders: opts.encoders ?? (c.encodings.deltaZip ? [zipDeltaEncoder(), ...defaultEncoders()] : defaultEncoders()),
        });
    svc.deltaPlanning = deltaPlanning;
    for (const entry of c.receiverEntries) {
      const link = new ReceiverLink(entry, {
        publisherId: c.id,
        identity: { publicKey: identity.publicKey, secretKey: identity.secretKey },
        transports,
        repo,
        receipts,
        audit,
        log: svc.log,
        metrics: svc.metrics,
        pingMs: c.pingSeconds * 1000,
        planner: opts.planner ? opts.planner(repo) : deltaPlanning!.forReceiver(entry.id),
      });
      if (deltaPlanning) link.on("failed", (p: { sequence: number; code: string }) => deltaPlanning.recordFailure(entry.id, p));
      // retention runs after each successful delivery, once its pins are released (the receiver's new live cut is known by then)
      link.on("settled", (p: { status: string }) => {
        if (p.status === "delivered") svc.retention.schedule();
      });
      for (const ev of ["state", "progress", "delivered", "refused", "failed", "receipt", "hello", "error-event", "notice-sent"])
        link.on(ev, (p) => svc.emit(ev, p));
      svc.links.set(entry.id, link);
      link.start();
    }
    // Synchronously after the links start (they are still dialing): suspended ones never get a cut.
    svc.monitor = new DifusorMonitor({
      config: c,
      repo,
      audit,
      log: svc.log,
      registry: svc.registry,
      identitySecretKey: identity.secretKey,
      links: () => svc.links,
      ...(opts.now ? { now: opts.now } : {}),
    });
    svc.monitor.applyToLinks();
    // notices to people (staff, operators) follow the audit log: suspensions, failing sites and pushes
    svc.notifier = new Notifier({ config: c, audit, log: svc.log, identity: { publicKey: identity.publicKey, secretKey: identity.secretKey } });
    svc.publicList = new PublicListWriter(svc);
    wireMonitor(svc, opts.monitor ?? !!opts.admin);
    try {
      if (opts.admin) await svc.startAdmin();
    } catch (e) {
      // e.g. admin.listen taken: stop the links and timers already running, so the process exits
      await svc.stop().catch(() => undefined);
      throw e;
    }
    if (opts.watchInbox && c.inbox) {
      svc.inbox = new InboxWatcher(
        c.inbox,
        async (item) => {
          try {
            const cut = item.kind === "dir" ? await svc.publish(item.path) : await svc.importPackage(item.path);
            return { ok: true, sequence: cut.ref.sequence };
          } catch (e) {
            const err = toPrepcastError(e, item.path);
            svc.audit.append("inbox_rejected", { path: item.path, code: err.code, message: err.message });
            svc.log.error({ path: item.path, code: err.code, err: err.message }, "inbox item rejected");
            return { ok: false, code: err.code, message: err.message };
          }
        },
        svc.log,
      );
      await svc.inbox.start();
    }
    svc.log.info({ receivers: svc.links.size, latest: latest?.ref.sequence ?? null, admin: svc.admin?.address ?? null }, "publisher started");
    return svc;
  }

  get adminAddress(): { host: string; port: number } | null {
    return this.admin?.address ?? null;
  }

  /** The keyset the next cut is signed with, its expiry warning and a failed reload. */
  keysetStatus(): StatusReport["keyset"] {
    return this.keysets.status();
  }

  /** Signs a cut directory and lets every link offer it. */
  async publish(cutDir: string, opts: PrepareOptions = {}): Promise<PreparedCut> {
    const started = Date.now();
    this.keysets.reload();
    const previous = this.repo.latest();
    let cut: PreparedCut;
    try {
      cut = await this.repo.prepare(cutDir, opts);
    } catch (e) {
      this.recordRefusal(e, path.resolve(cutDir));
      throw e;
    }
    this.announce(cut, previous, { source: path.resolve(cutDir), prepareMs: Date.now() - started });
    return cut;
  }

  async importPackage(file: string): Promise<PreparedCut> {
    const rootPub = requireKeysDirRoot(this.config.keys);
    const previous = this.repo.latest();
    let cut: PreparedCut;
    try {
      cut = await this.repo.importPackage(file, { rootPublicKey: rootPub });
    } catch (e) {
      this.recordRefusal(e, path.resolve(file));
      throw e;
    }
    this.announce(cut, previous, { source: path.resolve(file) });
    return cut;
  }

  /** A cut the publisher would not sign or offer (e.g. CORTE_ROLLBACK) is in its audit log with its code. */
  private recordRefusal(e: unknown, source: string): void {
    const err = toPrepcastError(e, source);
    try {
      this.audit.append("cut_refused", { source, code: err.code, message: err.message.slice(0, 2000), where: err.where ?? null });
    } catch {
      /* the refusal itself matters more than its log line */
    }
  }

  private announce(cut: PreparedCut, previous: PreparedCut | null, extra: Record<string, unknown>): void {
    this.metrics.cutsPrepared.inc();
    this.metrics.latestSequence.set(cut.ref.sequence);
    const retraction = cut.summary.retraction;
    if (retraction !== undefined) {
      // the OPLE's explicit override of the cut order, with its reason; the receivers log it too
      this.audit.append("cut_retraction", {
        sequence: cut.ref.sequence,
        corte: cut.summary.corte,
        previousSequence: previous?.ref.sequence ?? null,
        previousCorte: previous?.summary.corte ?? null,
        reason: retraction.reason,
      });
    }
    this.audit.append("cut_prepared", {
      sequence: cut.ref.sequence,
      manifestSha256: cut.ref.manifestSha256,
      corte: cut.summary.corte,
      notBefore: cut.summary.notBefore,
      files: cut.summary.fileCount,
      bytes: cut.summary.totalSize,
      ...(retraction ? { retraction: retraction.reason } : {}),
      ...(cut.summary.final ? { final: true, publishUntil: cut.summary.final.publishUntil } : {}),
      ...extra,
    });
    this.log.info({ sequence: cut.ref.sequence, corte: cut.summary.corte, files: cut.summary.fileCount }, "cut prepared");
    this.emit("cut", cut);
    for (const link of this.links.values()) link.poke();
  }

  link(id: string): ReceiverLink | undefined {
    return this.links.get(id);
  }

  linkIds(): string[] {
    return [...this.links.keys()];
  }

  status(): StatusReport {
    return statusReport({
      config: this.config,
      repo: this.repo,
      monitor: this.monitor,
      links: this.links.values(),
      keyset: () => this.keysetStatus(),
      keysetVersionOf: (cut) => this.keysetVersionOf(cut),
    });
  }

  private readonly cutKeysetVersions = new Map<string, number>();
  private keysetVersionOf(cut: PreparedCut): number {
    let v = this.cutKeysetVersions.get(cut.id);
    if (v === undefined) {
      v = keysetOf(cut.signed.keyset).version;
      this.cutKeysetVersions.set(cut.id, v);
    }
    return v;
  }

  /** Resolves when every receiver has `sequence` live or staged, or the deadline passes. */
  async waitForDelivery(sequence: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const done = () =>
      [...this.links.values()].every((l) => {
        const s = l.status();
        return (s.live?.sequence ?? 0) >= sequence || (s.staged?.sequence ?? 0) >= sequence || s.suspended;
      });
    while (!done() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const events = ["receipt", "refused", "failed", "state"];
        const finish = () => {
          clearTimeout(t);
          for (const ev of events) this.off(ev, finish);
          resolve();
        };
        const t = setTimeout(finish, Math.min(1000, Math.max(1, deadline - Date.now())));
        for (const ev of events) this.on(ev, finish);
      });
    }
  }

  private async startAdmin(): Promise<void> {
    const { host, port } = parseListen(this.config.admin.listen, `${this.config.file}: admin.listen`);
    const auth = AdminAuth.fromConfig(this.config, { host, port });
    const routes: AdminRoute[] = [...serviceApiRoutes(this, auth), ...operatorRoutes(this, auth)];
    this.adminAuth = auth;
    this.admin = await bindListener(this.config.file, "admin.listen", this.config.admin.listen, () =>
      startAdminServer({
        host,
        port,
        allowedHosts: this.config.admin.allowedHosts ?? [],
        log: this.log,
        registry: this.registry,
        ready: () => ({ ok: true, reasons: [] }),
        routes,
      }),
    );
  }

  async stop(): Promise<void> {
    await this.retention.stop();
    await this.monitor.stop();
    await this.publicList.close();
    await this.monitor.flushed();
    await this.inbox?.stop();
    await Promise.all([...this.links.values()].map((l) => l.stop()));
    await this.deltaPlanning?.close();
    await this.repo.close();
    await this.admin?.close();
    this.adminAuth?.close();
    await this.notifier?.stop();
    this.audit.append("service_stopped", { publisher: this.config.id });
    this.audit.close();
    this.receipts.close();
  }
}
