import { EventEmitter } from "node:events";
import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError, sha256Hex, writeFileAtomic, type AuditLog } from "@prepcast/protocol";
import { signNotice, type NoticeDoc, type NoticeKind } from "@prepcast/session";
import type { Logger } from "@prepcast/runtime";
import { Counter, Gauge, type Registry } from "prom-client";
import type { ResolvedPublisherConfig } from "../service/config";
import type { CutRepository, PreparedCut } from "../service/cut-repository";
import type { ReceiverLink, SignedNotice } from "../service/receiver-link";
import { probeDifusor, type ProbeExpectation, type ProbeOptions, type ProbeResult } from "./probe";

export interface Suspension {
  at: string;
  reason: string;
  manual: boolean;
  by: string;
  /** Probe results that justified it (first and last failures of the streak). */
  evidence: ProbeResult[];
}

/** Everything the operator sees about one difusor's public side. */
export interface DifusorMonitorStatus {
  publicUrl: string | null;
  probe: ProbeResult | null;
  /** Time the current run of failed probes began (null while the site serves the latest cut). */
  failingSince: string | null;
  /** Failed update periods so far in the current run (the rule suspends at suspendAfterPeriods). */
  failedPeriods: number;
  suspended: Suspension | null;
  /** Reinstated by the operator; the public list link waits for a successful probe. */
  reinstating: { at: string; reason: string; by: string } | null;
  /** Whether the public list of difusores links to this site. */
  linkEnabled: boolean;
  lastNotice: { kind: NoticeKind; issuedAt: string; sha256: string } | null;
}

interface PersistedReceiver {
  suspended: Suspension | null;
  reinstating: DifusorMonitorStatus["reinstating"];
  linkEnabled: boolean;
  /** The suspension/reinstatement notice in force, exact signed bytes (base64). */
  notice: { kind: NoticeKind; issuedAt: string; sha256: string; notice: string; signature: string } | null;
}

interface PersistedState {
  format: "prepcast/monitor-state@1";
  receivers: Record<string, PersistedReceiver>;
}

export interface Incident {
  at: string;
  receiver: string | null;
  severity: "info" | "warning" | "critical";
  kind: string;
  message: string;
}

export interface MonitorDeps {
  config: ResolvedPublisherConfig;
  repo: CutRepository;
  audit: AuditLog;
  log: Logger;
  registry: Registry;
  identitySecretKey: Uint8Array;
  links: () => ReadonlyMap<string, ReceiverLink>;
  now?: () => number;
  probe?: (publicUrl: string, expected: ProbeExpectation | null, opts: ProbeOptions) => Promise<ProbeResult>;
}

const MAX_EVIDENCE = 12;

/**
 * The call's 45-minute rule. Probes every difusor's public URL every probeIntervalSeconds; a
 * difusor whose site has not served the latest public cut for suspendAfterPeriods consecutive
 * update periods is suspended: its link stops offering cuts, it gets a signed suspension notice
 * (its site shows the OPLE's text instead of results) and its link on the public list is
 * disabled. Reinstatement (operator) sends a reinstatement notice, lets the latest cut flow, and
 * re-enables the public link once a probe confirms the site serves it. Suspensions survive restarts
 * (STATE/monitor-state.json); every step goes to the audit log with its evidence.
 */
export class DifusorMonitor extends EventEmitter {
  private readonly state = new Map<string, DifusorMonitorStatus>();
  private readonly streaks = new Map<string, ProbeResult[]>();
  private readonly notices = new Map<string, SignedNotice>();
  private readonly lastIssued = new Map<string, number>();
  private readonly stateFile: string;
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Map<string, Promise<ProbeResult | null>>();
  private stopped = false;
  /** Set while every probed site is unreachable at once (the OPLE's network is the likelier culprit). */
  private outageSince: string | null = null;
  readonly incidents: Incident[] = [];
  private readonly metrics: { probeOk: Gauge<"receiver">; servedSequence: Gauge<"receiver">; suspended: Gauge<"receiver">; probes: Counter<"receiver" | "verdict"> };

  constructor(private readonly deps: MonitorDeps) {
    super();
    this.stateFile = path.join(deps.config.state, "monitor-state.json");
    const registers = [deps.registry];
    this.metrics = {
      probeOk: new Gauge({ name: "prepcast_publisher_probe_ok", help: "1 when the difusor's public site served the latest cut at the last probe", labelNames: ["receiver"], registers }),
      servedSequence: new Gauge({ name: "prepcast_publisher_probe_served_sequence", help: "Sequence the public site served at the last probe", labelNames: ["receiver"], registers }),
      suspended: new Gauge({ name: "prepcast_publisher_receiver_suspended", help: "1 while the difusor is suspended (45-minute rule or operator)", labelNames: ["receiver"], registers }),
      probes: new Counter({ name: "prepcast_publisher_probes_total", help: "Public-URL probes by verdict", labelNames: ["receiver", "verdict"], registers }),
    };
    const persisted = this.load();
    for (const entry of deps.config.receiverEntries) {
      const p = persisted.receivers[entry.id];
      this.state.set(entry.id, {
        publicUrl: entry.publicUrl ?? null,
        probe: null,
        failingSince: null,
        failedPeriods: 0,
        suspended: p?.suspended ?? null,
        reinstating: p?.reinstating ?? null,
        linkEnabled: p?.linkEnabled ?? true,
        lastNotice: p?.notice ? { kind: p.notice.kind, issuedAt: p.notice.issuedAt, sha256: p.notice.sha256 } : null,
      });
      if (p?.notice) {
        this.notices.set(entry.id, { kind: p.notice.kind, issuedAt: p.notice.issuedAt, sha256: p.notice.sha256, notice: Buffer.from(p.notice.notice, "base64"), signature: Buffer.from(p.notice.signature, "base64") });
      }
      this.metrics.suspended.set({ receiver: entry.id }, p?.suspended ? 1 : 0);
    }
    this.seedIncidents();
  }

  /** After a restart the operator still sees the recent incidents: rebuilt from the audit log's tail (display only). */
  private seedIncidents(): void {
    const file = path.join(this.deps.config.state, "audit.log");
    let text: string;
    try {
      const fd = fs.openSync(file, "r");
      try {
        const size = fs.fstatSync(fd).size;
        const len = Math.min(size, 512 * 1024);
        const buf = Buffer.alloc(len);
        fs.readSync(fd, buf, 0, len, size - len);
        text = buf.toString("utf8");
        if (len < size) text = text.slice(text.indexOf("\n") + 1);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return;
    }
    for (const line of text.split("\n")) {
      let e: { time?: string; event?: string; data?: Record<string, unknown> };
      try {
        e = JSON.parse(line) as typeof e;
      } catch {
        continue;
      }
      const d = e.data ?? {};
      const receiver = typeof d.receiver === "string" ? d.receiver : null;
      const at = e.time ?? new Date(0).toISOString();
      const add = (severity: Incident["severity"], kind: string, message: string) => this.incidents.push({ at, receiver, severity, kind, message });
      if (e.event === "suspended") add("critical", "suspended", `${d.manual ? "suspendido por el operador" : "suspendido por la regla de 45 minutos"}: ${String(d.reason)}`);
      else if (e.event === "reinstated") add("info", "reinstated", `reinstalado por ${String(d.by)}: ${String(d.reason)}`);
      else if (e.event === "link_restored") add("info", "link_restored", "enlace restablecido en la lista pública");
      else if (e.event === "probe_state" && d.to !== "ok") add("warning", "probe_failed", `${String(d.code)}: ${String(d.message)}`);
      else if (e.event === "refused") add("warning", "refused", `corte ${String(d.sequence)} rechazado: ${String(d.code)} ${String(d.message)}`);
      else if (e.event === "transfer_failed") add("warning", "transfer_failed", `transferencia del corte ${String(d.sequence)} fallida: ${String(d.code)} ${String(d.message)}`);
    }
    this.incidents.splice(0, Math.max(0, this.incidents.length - 200));
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
      const s = this.state.get(id);
      if (s?.suspended) link.setSuspended(true);
      const n = this.notices.get(id);
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
    const s = this.state.get(id);
    return s ? structuredClone(s) : null;
  }

  isSuspended(id: string): boolean {
    return !!this.state.get(id)?.suspended;
  }

  /** The latest cut citizens may already see (embargoed cuts are not expected yet). */
  expectation(): ProbeExpectation | null {
    const now = this.now();
    const cuts = this.deps.repo.list().filter((c) => Date.parse(c.summary.notBefore) <= now);
    const c: PreparedCut | undefined = cuts[cuts.length - 1];
    if (!c) return null;
    return { process: c.ref.process, channel: c.ref.channel, sequence: c.ref.sequence, manifestSha256: c.ref.manifestSha256, corte: c.summary.corte, files: c.manifest.files, ...(c.summary.final ? { final: { publishUntil: c.summary.final.publishUntil } } : {}) };
  }

  /**
   * The end of publication: the OPLE's final cut is public and its signed publishUntil has passed.
   * Until then a difusor serving the final cut is up to date and the 45-minute rule applies as on
   * election night (the site must stay online); after it nothing is counted against anyone.
   */
  publication(): { finalSequence: number | null; publishUntil: string | null; ended: boolean } {
    const now = this.now();
    const cuts = this.deps.repo.list().filter((c) => Date.parse(c.summary.notBefore) <= now);
    const c = cuts[cuts.length - 1];
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
    const s = this.state.get(id);
    if (!s || !s.publicUrl || this.stopped) return null;
    const m = this.deps.config.monitor;
    const probe = this.deps.probe ?? probeDifusor;
    let r: ProbeResult;
    try {
      r = await probe(s.publicUrl, this.expectation(), { timeoutMs: m.probeTimeoutSeconds * 1000, maxFileBytes: m.maxProbeFileBytes, now: () => this.now() });
    } catch (e) {
      r = { url: s.publicUrl, at: new Date(this.now()).toISOString(), durationMs: 0, verdict: "down", code: "PROBE_ERROR", message: (e as Error).message, httpStatus: null, served: null, expected: null, file: null };
    }
    if (this.stopped) return r;
    this.record(id, r);
    return r;
  }

  private record(id: string, r: ProbeResult): void {
    const s = this.state.get(id)!;
    const prev = s.probe;
    s.probe = r;
    this.metrics.probes.inc({ receiver: id, verdict: r.verdict });
    this.metrics.probeOk.set({ receiver: id }, r.verdict === "ok" ? 1 : 0);
    if (r.served?.sequence != null) this.metrics.servedSequence.set({ receiver: id }, r.served.sequence);
    const changed = !prev || prev.verdict !== r.verdict || prev.code !== r.code;
    if (changed) {
      this.deps.audit.append("probe_state", { receiver: id, from: prev ? prev.verdict : null, to: r.verdict, code: r.code, message: r.message, url: r.url, served: r.served?.sequence ?? null, expected: r.expected?.sequence ?? null, file: r.file?.path ?? null, at: r.at });
      if (r.verdict !== "ok") this.incident(id, s.suspended ? "info" : "warning", "probe_failed", `${r.code}: ${r.message}`);
      else if (prev && prev.verdict !== "ok") this.incident(id, "info", "probe_ok", r.message);
    }
    const now = this.now();
    if (r.verdict === "ok") {
      s.failingSince = null;
      s.failedPeriods = 0;
      this.streaks.delete(id);
      if (!s.suspended && !s.linkEnabled) {
        s.linkEnabled = true;
        const reinstating = s.reinstating;
        s.reinstating = null;
        this.deps.audit.append("link_restored", { receiver: id, reinstatedAt: reinstating?.at ?? null, probe: r });
        this.incident(id, "info", "link_restored", `el sitio sirve el corte ${r.served?.sequence ?? "?"}: enlace restablecido en la lista pública`);
        this.persist();
      }
    } else if (!s.suspended && r.expected && this.awaitingPush(id, s, r.expected.sequence)) {
      // just reinstated and the latest cut is still on its way: the window starts once it has it
      s.failingSince = null;
      s.failedPeriods = 0;
    } else if (!s.suspended && r.expected && this.publicationEnded()) {
      // after the signed end of publication a failing site is recorded, never counted towards the rule
      s.failingSince = null;
      s.failedPeriods = 0;
      this.streaks.delete(id);
    } else if (!s.suspended && r.expected) {
      // a failure only counts once there is a public cut to serve
      if (!s.failingSince) s.failingSince = r.at;
      const streak = this.streaks.get(id) ?? [];
      streak.push(r);
      if (streak.length > MAX_EVIDENCE) streak.splice(1, 1);
      this.streaks.set(id, streak);
      s.failedPeriods = Math.floor((now - Date.parse(s.failingSince)) / this.periodMs);
    }
    if (changed || r.verdict !== "ok") this.emit("changed", id);
  }

  /**
   * Applies the rule to the difusores whose failing run is long enough. Not while the probe itself
   * looks broken: when every probed site (3 or more) is unreachable at once, the likelier cause is
   * the OPLE's own network, and suspending everyone on election night would be the worst outcome.
   */
  private evaluate(ids: string[]): void {
    if (!this.deps.config.monitor.autoSuspend || this.outageSince || this.publicationEnded()) return;
    const now = this.now();
    const limit = this.deps.config.suspendAfterPeriods;
    for (const id of ids) {
      const s = this.state.get(id);
      if (!s || s.suspended || !s.failingSince || s.failedPeriods < limit || !s.probe) continue;
      const minutes = Math.round((now - Date.parse(s.failingSince)) / 60_000);
      void this.suspend(id, {
        reason: `el sitio público no sirvió el corte más reciente durante ${s.failedPeriods} periodos de actualización consecutivos (desde ${s.failingSince}, ${minutes} min); última verificación: ${s.probe.code} ${s.probe.message}`,
        manual: false,
        by: "regla de 45 minutos",
      }).catch((e) => this.deps.log.error({ receiver: id, err: (e as Error).message }, "automatic suspension failed"));
    }
  }

  /** After a full round: is every probed site unreachable at once (3 or more)? Then pause the rule. */
  private checkOutage(): void {
    const probed = [...this.state.entries()].filter(([, s]) => s.publicUrl && s.probe && !s.suspended);
    const allDown = probed.length >= 3 && probed.every(([, s]) => s.probe!.verdict === "down");
    if (allDown && !this.outageSince) {
      this.outageSince = new Date(this.now()).toISOString();
      this.deps.audit.append("probe_outage", { since: this.outageSince, difusores: probed.length, codes: [...new Set(probed.map(([, s]) => s.probe!.code))] });
      this.deps.log.error({ difusores: probed.length }, "every difusor's public site is unreachable at once: the 45-minute rule is paused (check the OPLE's own network)");
      this.incident(null, "critical", "probe_outage", `ningún sitio de difusor responde a la verificación (${probed.length}): probable falla de la red del OPLE; la regla de 45 minutos queda en pausa`);
    } else if (!allDown && this.outageSince) {
      this.deps.audit.append("probe_outage_over", { since: this.outageSince });
      this.incident(null, "info", "probe_outage_over", "la verificación vuelve a alcanzar a los difusores; la regla de 45 minutos se reanuda");
      this.outageSince = null;
      // runs that spanned the outage start again: the outage is not the difusores' fault
      for (const s of this.state.values()) {
        s.failingSince = null;
        s.failedPeriods = 0;
      }
      this.streaks.clear();
    }
  }

  private publicationEnded(): boolean {
    const p = this.publication();
    if (p.ended && !this.endNoted) {
      this.endNoted = true;
      this.deps.audit.append("publication_ended", { finalSequence: p.finalSequence, publishUntil: p.publishUntil });
      this.incident(null, "info", "publication_ended", `concluyó el periodo de publicación (corte final ${p.finalSequence}, hasta ${p.publishUntil}): la regla de 45 minutos ya no se aplica`);
    }
    return p.ended;
  }

  private endNoted = false;

  private awaitingPush(id: string, s: DifusorMonitorStatus, sequence: number): boolean {
    if (!s.reinstating) return false;
    const link = this.deps.links().get(id)?.status();
    return !!link && link.state !== "disconnected" && (link.live?.sequence ?? 0) < sequence;
  }

  private incident(receiver: string | null, severity: Incident["severity"], kind: string, message: string): void {
    this.incidents.push({ at: new Date(this.now()).toISOString(), receiver, severity, kind, message });
    if (this.incidents.length > 500) this.incidents.shift();
    this.emit("incident", this.incidents[this.incidents.length - 1]);
  }

  /** Records an incident seen elsewhere (transfer failures, refusals) in the operator's list. */
  noteIncident(receiver: string | null, severity: Incident["severity"], kind: string, message: string): void {
    this.incident(receiver, severity, kind, message);
  }

  private requireReceiver(id: string): DifusorMonitorStatus {
    const s = this.state.get(id);
    if (!s) throw new PrepcastError("NOT_FOUND", `no difusor "${id}" in the registry`, { hint: `registered: ${[...this.state.keys()].join(", ") || "none"}` });
    return s;
  }

  private signFor(id: string, kind: NoticeKind, text: string): SignedNotice {
    const c = this.deps.config;
    // strictly increasing per receiver, so the receiver's replay guard always accepts the next one
    const last = this.state.get(id)?.lastNotice;
    const floor = Math.max(this.lastIssued.get(id) ?? 0, last ? Date.parse(last.issuedAt) : 0);
    const t = Math.max(this.now(), floor + 1);
    this.lastIssued.set(id, t);
    const doc: NoticeDoc = { format: "prepcast/notice@1", kind, publisherId: c.id, receiverId: id, process: c.process, channel: c.channel, issuedAt: new Date(t).toISOString(), text };
    const { notice, signature } = signNotice(doc, this.deps.identitySecretKey);
    return { kind, issuedAt: doc.issuedAt, sha256: sha256Hex(notice), notice, signature };
  }

  /** Suspends a difusor (rule or operator): stop results, signed notice, public link disabled. */
  async suspend(id: string, opts: { reason: string; manual: boolean; by: string }): Promise<Suspension> {
    const s = this.requireReceiver(id);
    if (s.suspended) throw new PrepcastError("STATE_CONFLICT", `difusor "${id}" is already suspended (since ${s.suspended.at})`, { hint: "reinstate it first" });
    if (!opts.reason.trim()) throw new PrepcastError("CONFIG_INVALID", "a suspension needs a reason", { hint: '--reason "..."' });
    const link = this.deps.links().get(id);
    const evidence = [...(this.streaks.get(id) ?? []), ...(s.probe && !(this.streaks.get(id) ?? []).includes(s.probe) ? [s.probe] : [])].slice(-MAX_EVIDENCE);
    const suspension: Suspension = { at: new Date(this.now()).toISOString(), reason: opts.reason, manual: opts.manual, by: opts.by, evidence };
    s.suspended = suspension;
    s.reinstating = null;
    s.linkEnabled = false;
    link?.setSuspended(true);
    const notice = this.signFor(id, "suspension", this.deps.config.notices.suspensionText);
    this.setNotice(id, notice);
    link?.setStateNotice(notice);
    this.persist();
    this.metrics.suspended.set({ receiver: id }, 1);
    this.deps.audit.append("suspended", {
      receiver: id,
      manual: opts.manual,
      by: opts.by,
      reason: opts.reason,
      failingSince: s.failingSince,
      failedPeriods: s.failedPeriods,
      periodSeconds: this.periodMs / 1000,
      suspendAfterPeriods: this.deps.config.suspendAfterPeriods,
      notice: { issuedAt: notice.issuedAt, sha256: notice.sha256 },
      evidence,
    });
    this.deps.log.warn({ receiver: id, manual: opts.manual, reason: opts.reason }, "difusor suspended");
    this.incident(id, "critical", "suspended", `${opts.manual ? "suspendido por el operador" : "suspendido por la regla de 45 minutos"}: ${opts.reason}`);
    this.streaks.delete(id);
    this.emit("changed", id);
    return structuredClone(suspension);
  }

  /** Lifts a suspension: reinstatement notice, latest cut pushed; the public link returns after a good probe. */
  async reinstate(id: string, opts: { reason: string; by: string }): Promise<{ notice: { issuedAt: string; sha256: string } }> {
    const s = this.requireReceiver(id);
    if (!s.suspended) throw new PrepcastError("STATE_CONFLICT", `difusor "${id}" is not suspended`, { hint: "prep-publisher status shows who is" });
    if (!opts.reason.trim()) throw new PrepcastError("CONFIG_INVALID", "a reinstatement needs a reason (what was fixed)", { hint: '--reason "..."' });
    const link = this.deps.links().get(id);
    const was = s.suspended;
    const notice = this.signFor(id, "reinstatement", this.deps.config.notices.reinstatementText);
    s.suspended = null;
    s.reinstating = { at: new Date(this.now()).toISOString(), reason: opts.reason, by: opts.by };
    s.failingSince = null;
    s.failedPeriods = 0;
    this.streaks.delete(id);
    this.setNotice(id, notice);
    // the notice goes first on the session, then the link offers the latest cut
    link?.setStateNotice(notice);
    link?.setSuspended(false);
    this.persist();
    this.metrics.suspended.set({ receiver: id }, 0);
    this.deps.audit.append("reinstated", { receiver: id, by: opts.by, reason: opts.reason, suspendedAt: was.at, suspendedReason: was.reason, notice: { issuedAt: notice.issuedAt, sha256: notice.sha256 }, latest: this.deps.repo.latest()?.ref.sequence ?? null });
    this.deps.log.info({ receiver: id, reason: opts.reason }, "difusor reinstated; public link returns after a good probe");
    this.incident(id, "info", "reinstated", `reinstalado por ${opts.by}: ${opts.reason}; el enlace vuelve cuando la verificación confirme el corte`);
    this.emit("changed", id);
    return { notice: { issuedAt: notice.issuedAt, sha256: notice.sha256 } };
  }

  /** Sends a test notice (recorded by the agent, shown on its local status page only). */
  sendTestNotice(id: string, text: string, by: string): { issuedAt: string; sha256: string } {
    this.requireReceiver(id);
    const notice = this.signFor(id, "test", text.trim() || "Aviso de prueba del OPLE: no requiere ninguna acción.");
    this.deps.links().get(id)?.queueNotice(notice);
    this.deps.audit.append("test_notice", { receiver: id, by, issuedAt: notice.issuedAt, sha256: notice.sha256 });
    this.incident(id, "info", "test_notice", `aviso de prueba enviado por ${by}`);
    this.emit("changed", id);
    return { issuedAt: notice.issuedAt, sha256: notice.sha256 };
  }

  private setNotice(id: string, n: SignedNotice): void {
    this.notices.set(id, n);
    this.state.get(id)!.lastNotice = { kind: n.kind, issuedAt: n.issuedAt, sha256: n.sha256 };
  }

  private load(): PersistedState {
    try {
      const v = JSON.parse(fs.readFileSync(this.stateFile, "utf8")) as PersistedState;
      if (v.format === "prepcast/monitor-state@1" && v.receivers && typeof v.receivers === "object") return v;
      throw new Error("unknown format");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return { format: "prepcast/monitor-state@1", receivers: {} };
      // a damaged state file must not silently reinstate anyone: refuse to start
      throw new PrepcastError("STATE_INVALID", `${this.stateFile} cannot be read: ${(e as Error).message}`, { where: this.stateFile, hint: "restore it from backup; the audit log records every suspension and reinstatement" });
    }
  }

  private persist(): void {
    const out: PersistedState = { format: "prepcast/monitor-state@1", receivers: {} };
    for (const [id, s] of this.state) {
      const n = this.notices.get(id);
      out.receivers[id] = {
        suspended: s.suspended,
        reinstating: s.reinstating,
        linkEnabled: s.linkEnabled,
        notice: n ? { kind: n.kind, issuedAt: n.issuedAt, sha256: n.sha256, notice: n.notice.toString("base64"), signature: Buffer.from(n.signature).toString("base64") } : null,
      };
    }
    // chained, so a later state never lands before an earlier one
    const data = JSON.stringify(out, null, 2) + "\n";
    this.persisting = this.persisting.then(() => writeFileAtomic(this.stateFile, data, 0o640)).catch((e) => this.deps.log.error({ err: (e as Error).message }, "monitor state not saved"));
  }

  private persisting: Promise<void> = Promise.resolve();

  /** Resolves when every state change so far is on disk. */
  flushed(): Promise<void> {
    return this.persisting;
  }
}
