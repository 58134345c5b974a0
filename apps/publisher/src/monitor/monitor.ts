import { EventEmitter } from "node:events";
import * as path from "node:path";
import type { AuditLog, PublisherAuditEvent } from "@prepcast/protocol";
import type { Logger } from "@prepcast/runtime";
import type { Registry } from "prom-client";
import { probeDifusor, type ProbeExpectation, type ProbeResult } from "./probe";
import { createMonitorMetrics, type MonitorMetrics } from "./metrics";
import { IncidentList, type Incident } from "./incidents";
import { NoticeSigner } from "./notice-signer";
import type { CutSource, MonitorConfig, MonitorLink, ProbeFn } from "./ports";
import { addEvidence, automaticSuspensionReason, dueForSuspension, isProbeOutage, ruleActive, stepProbe } from "./rule";
import { MonitorStateStore, type DifusorMonitorStatus, type Suspension } from "./state-store";
import { SuspensionDesk } from "./suspension";

export type { DifusorMonitorStatus, Suspension } from "./state-store";
export type { Incident } from "./incidents";
export type { CutSource, MonitorConfig, MonitorCut, MonitorLink, ProbeFn } from "./ports";

export interface MonitorDeps {
  config: MonitorConfig;
  repo: CutSource;
  audit: AuditLog<PublisherAuditEvent>;
  log: Logger;
  registry: Registry;
  identitySecretKey: Uint8Array;
  links: () => ReadonlyMap<string, MonitorLink>;
  now?: () => number;
  probe?: ProbeFn;
}

/**
 * The call's 45-minute rule. Probes every difusor's public URL every probeIntervalSeconds; a
 * difusor whose site has not served the latest public cut for suspendAfterPeriods consecutive
 * update periods is suspended: its link stops offering cuts, it gets a signed suspension notice
 * (its site shows the OPLE's text instead of results) and its link on the public list is
 * disabled. Reinstatement (operator) sends a reinstatement notice, lets the latest cut flow, and
 * re-enables the public link once a probe confirms the site serves it. Suspensions survive restarts
 * (STATE/monitor-state.json); every step goes to the audit log with its evidence.
 *
 * This class is the timer and the wiring; the pieces are: rule.ts (the rule itself, pure),
 * suspension.ts + notice-signer.ts (suspend, reinstate, signed notices), state-store.ts
 * (per-difusor state, monitor-state.json), metrics.ts, incidents.ts (the operator's list).
 * Events: "changed" (difusor id), "incident" (Incident).
 */
export class DifusorMonitor extends EventEmitter {
  private readonly store: MonitorStateStore;
  private readonly desk: SuspensionDesk;
  private readonly incidentList = new IncidentList();
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<ProbeResult | null>>();
  private stopped = false;
  /** Set while every probed site is unreachable at once (the OPLE's network is the likelier culprit). */
  private outageSince: string | null = null;
  private endNoted = false;
  readonly incidents: Incident[] = this.incidentList.items;
  private readonly metrics: MonitorMetrics;

  constructor(private readonly deps: MonitorDeps) {
    super();
    this.metrics = createMonitorMetrics(deps.registry);
    this.store = new MonitorStateStore(deps.config.state, deps.config.receiverEntries, deps.log);
    for (const entry of deps.config.receiverEntries) this.metrics.suspended.set({ receiver: entry.id }, this.store.get(entry.id)?.suspended ? 1 : 0);
    this.incidentList.seedFromAuditLog(path.join(deps.config.state, "audit.log"));
    const now = () => this.now();
    this.desk = new SuspensionDesk({
      store: this.store,
      signer: new NoticeSigner(deps.config, deps.identitySecretKey, now),
      metrics: this.metrics,
      audit: deps.audit,
      log: deps.log,
      notices: deps.config.notices,
      suspendAfterPeriods: deps.config.suspendAfterPeriods,
      periodMs: () => this.periodMs,
      link: (id) => deps.links().get(id),
      latestSequence: () => deps.repo.latest()?.ref.sequence ?? null,
      now,
      incident: (receiver, severity, kind, message) => this.incident(receiver, severity, kind, message),
      changed: (id) => this.emit("changed", id),
    });
  }

  private now(): number {
    return this.deps.now ? this.deps.now() : Date.now();
  }

  get periodMs(): number {
    const m = this.deps.config.monitor;
    return (m.periodSeconds ?? this.deps.config.updatePeriodMinutes * 60) * 1000;
  }

  /** Puts every link in the state the monitor remembers (suspended, notice in force); call before the links connect. */
  applyToLinks(): void {
    for (const [id, link] of this.deps.links()) {
      const s = this.store.get(id);
      if (s?.suspended) link.setSuspended(true);
      const n = this.store.notice(id);
      if (n) link.setStateNotice(n);
    }
  }

  /** Starts periodic probing. */
  start(): void {
    const tick = () => {
      if (this.stopped) return;
      void this.probeAll().finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, this.deps.config.monitor.probeIntervalSeconds * 1000);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.all([...this.inFlight.values()]);
  }

  status(id: string): DifusorMonitorStatus | null {
    const s = this.store.get(id);
    return s ? structuredClone(s) : null;
  }

  isSuspended(id: string): boolean {
    return !!this.store.get(id)?.suspended;
  }

  /** The latest cut citizens may already see (embargoed cuts are not expected yet). */
  expectation(): ProbeExpectation | null {
    const c = this.latestPublic();
    if (!c) return null;
    return {
      process: c.ref.process,
      channel: c.ref.channel,
      sequence: c.ref.sequence,
      manifestSha256: c.ref.manifestSha256,
      corte: c.summary.corte,
      files: c.manifest.files,
      ...(c.summary.final ? { final: { publishUntil: c.summary.final.publishUntil } } : {}),
    };
  }

  private latestPublic() {
    const now = this.now();
    const cuts = this.deps.repo.list().filter((c) => Date.parse(c.summary.notBefore) <= now);
    return cuts[cuts.length - 1];
  }

  /**
   * The end of publication: the OPLE's final cut is public and its signed publishUntil has passed.
   * Until then a difusor serving the final cut is up to date and the 45-minute rule applies as on
   * election night (the site must stay online); after it nothing is counted against anyone.
   */
  publication(): { finalSequence: number | null; publishUntil: string | null; ended: boolean } {
    const now = this.now();
    const c = this.latestPublic();
    if (!c?.summary.final) return { finalSequence: null, publishUntil: null, ended: false };
    return { finalSequence: c.ref.sequence, publishUntil: c.summary.final.publishUntil, ended: now > Date.parse(c.summary.final.publishUntil) };
  }

  /** Probes every difusor, at most 16 at a time (hundreds of difusores must not open hundreds of sockets at once). */
  async probeAll(): Promise<void> {
    const queue = this.deps.config.receiverEntries.map((e) => e.id);
    const worker = async () => {
      for (let id = queue.shift(); id !== undefined && !this.stopped; id = queue.shift()) await this.probeOne(id, false);
    };
    const ids = [...queue];
    await Promise.all(Array.from({ length: Math.min(16, queue.length) }, worker));
    if (this.stopped) return;
    this.checkOutage();
    this.evaluate(ids);
  }

  /** Probes one difusor now (also after a receipt, so a fixed site is confirmed quickly). */
  probeOne(id: string, evaluate = true): Promise<ProbeResult | null> {
    const running = this.inFlight.get(id);
    if (running) return running;
    const p = this.runProbe(id).finally(() => this.inFlight.delete(id));
    // a round (probeAll) evaluates once at its end, after the outage check
    if (evaluate) void p.then(() => this.evaluate([id]));
    this.inFlight.set(id, p);
    return p;
  }

  private async runProbe(id: string): Promise<ProbeResult | null> {
    const s = this.store.get(id);
    if (!s || !s.publicUrl || this.stopped) return null;
    const m = this.deps.config.monitor;
    const probe = this.deps.probe ?? probeDifusor;
    let r: ProbeResult;
    try {
      r = await probe(s.publicUrl, this.expectation(), { timeoutMs: m.probeTimeoutSeconds * 1000, maxFileBytes: m.maxProbeFileBytes, now: () => this.now() });
    } catch (e) {
      r = {
        url: s.publicUrl,
        at: new Date(this.now()).toISOString(),
        durationMs: 0,
        verdict: "down",
        code: "PROBE_ERROR",
        message: (e as Error).message,
        httpStatus: null,
        served: null,
        expected: null,
        file: null,
      };
    }
    if (this.stopped) return r;
    this.record(id, r);
    return r;
  }

  private record(id: string, r: ProbeResult): void {
    const s = this.store.get(id)!;
    const prev = s.probe;
    s.probe = r;
    this.metrics.probes.inc({ receiver: id, verdict: r.verdict });
    this.metrics.probeOk.set({ receiver: id }, r.verdict === "ok" ? 1 : 0);
    if (r.served?.sequence != null) this.metrics.servedSequence.set({ receiver: id }, r.served.sequence);
    const changed = !prev || prev.verdict !== r.verdict || prev.code !== r.code;
    if (changed) {
      this.deps.audit.append("probe_state", {
        receiver: id,
        from: prev ? prev.verdict : null,
        to: r.verdict,
        code: r.code,
        message: r.message,
        url: r.url,
        served: r.served?.sequence ?? null,
        expected: r.expected?.sequence ?? null,
        file: r.file?.path ?? null,
        at: r.at,
      });
      if (r.verdict !== "ok") this.incident(id, s.suspended ? "info" : "warning", "probe_failed", `${r.code}: ${r.message}`);
      else if (prev && prev.verdict !== "ok") this.incident(id, "info", "probe_ok", r.message);
    }
    const expected = r.expected;
    const step = stepProbe({
      run: s,
      suspended: !!s.suspended,
      verdict: r.verdict,
      probeAt: r.at,
      expected: !!expected,
      now: this.now(),
      periodMs: this.periodMs,
      awaitingPush: () => !!expected && this.awaitingPush(id, s, expected.sequence),
      publicationEnded: () => this.publicationEnded(),
    });
    s.failingSince = step.run.failingSince;
    s.failedPeriods = step.run.failedPeriods;
    if (step.outcome === "served" || step.outcome === "publication-ended") this.store.clearEvidence(id);
    if (step.outcome === "failing") this.store.setEvidence(id, addEvidence(this.store.evidence(id) ?? [], r));
    if (step.outcome === "served" && !s.suspended && !s.linkEnabled) {
      s.linkEnabled = true;
      const reinstating = s.reinstating;
      s.reinstating = null;
      this.deps.audit.append("link_restored", { receiver: id, reinstatedAt: reinstating?.at ?? null, probe: r });
      this.incident(id, "info", "link_restored", `el sitio sirve el corte ${r.served?.sequence ?? "?"}: enlace restablecido en la lista pública`);
      this.store.save();
    }
    if (changed || r.verdict !== "ok") this.emit("changed", id);
  }

  /**
   * Applies the rule to the difusores whose failing run is long enough. Not while the probe itself
   * looks broken: when every probed site (3 or more) is unreachable at once, the likelier cause is
   * the OPLE's own network, and suspending everyone on election night would be the worst outcome.
   */
  private evaluate(ids: string[]): void {
    if (!ruleActive({ autoSuspend: this.deps.config.monitor.autoSuspend, outage: !!this.outageSince, publicationEnded: () => this.publicationEnded() })) return;
    const now = this.now();
    const limit = this.deps.config.suspendAfterPeriods;
    for (const id of ids) {
      const s = this.store.get(id);
      if (!s || !dueForSuspension({ run: s, suspended: !!s.suspended, probed: !!s.probe, suspendAfterPeriods: limit })) continue;
      void this.suspend(id, {
        reason: automaticSuspensionReason({ failingSince: s.failingSince!, failedPeriods: s.failedPeriods }, s.probe!, now),
        manual: false,
        by: "regla de 45 minutos",
      }).catch((e) => this.deps.log.error({ receiver: id, err: (e as Error).message }, "automatic suspension failed"));
    }
  }

  /** After a full round: is every probed site unreachable at once (3 or more)? Then pause the rule. */
  private checkOutage(): void {
    const probed = [...this.store.entries()].filter(([, s]) => s.publicUrl && s.probe && !s.suspended);
    const allDown = isProbeOutage(probed.map(([, s]) => s.probe!.verdict));
    if (allDown && !this.outageSince) {
      this.outageSince = new Date(this.now()).toISOString();
      this.deps.audit.append("probe_outage", { since: this.outageSince, difusores: probed.length, codes: [...new Set(probed.map(([, s]) => s.probe!.code))] });
      this.deps.log.error(
        { difusores: probed.length },
        "every difusor's public site is unreachable at once: the 45-minute rule is paused (check the OPLE's own network)",
      );
      this.incident(
        null,
        "critical",
        "probe_outage",
        `ningún sitio de difusor responde a la verificación (${probed.length}): probable falla de la red del OPLE; la regla de 45 minutos queda en pausa`,
      );
    } else if (!allDown && this.outageSince) {
      this.deps.audit.append("probe_outage_over", { since: this.outageSince });
      this.incident(null, "info", "probe_outage_over", "la verificación vuelve a alcanzar a los difusores; la regla de 45 minutos se reanuda");
      this.outageSince = null;
      // runs that spanned the outage start again: the outage is not the difusores' fault
      for (const s of this.store.values()) {
        s.failingSince = null;
        s.failedPeriods = 0;
      }
      this.store.clearEvidence();
    }
  }

  private publicationEnded(): boolean {
    const p = this.publication();
    if (p.ended && !this.endNoted) {
      this.endNoted = true;
      this.deps.audit.append("publication_ended", { finalSequence: p.finalSequence, publishUntil: p.publishUntil });
      this.incident(
        null,
        "info",
        "publication_ended",
        `concluyó el periodo de publicación (corte final ${p.finalSequence}, hasta ${p.publishUntil}): la regla de 45 minutos ya no se aplica`,
      );
    }
    return p.ended;
  }

  private awaitingPush(id: string, s: DifusorMonitorStatus, sequence: number): boolean {
    if (!s.reinstating) return false;
    const link = this.deps.links().get(id)?.status();
    return !!link && link.state !== "disconnected" && (link.live?.sequence ?? 0) < sequence;
  }

  private incident(receiver: string | null, severity: Incident["severity"], kind: string, message: string): void {
    this.emit("incident", this.incidentList.add(new Date(this.now()).toISOString(), receiver, severity, kind, message));
  }

  /** Records an incident seen elsewhere (transfer failures, refusals) in the operator's list. */
  noteIncident(receiver: string | null, severity: Incident["severity"], kind: string, message: string): void {
    this.incident(receiver, severity, kind, message);
  }

  /** Suspends a difusor (rule or operator): stop results, signed notice, public link disabled. */
  suspend(id: string, opts: { reason: string; manual: boolean; by: string }): Promise<Suspension> {
    return this.desk.suspend(id, opts);
  }

  /** Lifts a suspension: reinstatement notice, latest cut pushed; the public link returns after a good probe. */
  reinstate(id: string, opts: { reason: string; by: string }): Promise<{ notice: { issuedAt: string; sha256: string } }> {
    return this.desk.reinstate(id, opts);
  }

  /** Sends a test notice (recorded by the agent, shown on its local status page only). */
  sendTestNotice(id: string, text: string, by: string): { issuedAt: string; sha256: string } {
    return this.desk.sendTestNotice(id, text, by);
  }

  /** Resolves when every state change so far is on disk. */
  flushed(): Promise<void> {
    return this.store.flushed();
  }
}
