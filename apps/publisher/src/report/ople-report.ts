// The OPLE's own record of election night (`prep-publisher report`), built only from what the
// service recorded: the hash-chained audit log (STATE/audit.log: sessions, offers, deliveries,
// refusals, probe state changes, suspensions with their evidence, reinstatements, notices) and
// the receipts the difusores signed (STATE/receipts.jsonl, every signature checked again with the
// registry's keys). Per difusor: the connection and live-cut timeline, the probe results, the
// suspensions and reinstatements with their evidence, and the receipts.
import * as path from "node:path";
import { PrepcastError, readAuditEvidence, type AuditEntry, type PublisherAuditEvent } from "@prepcast/protocol";
import { isoMx, toEpochMs } from "@prepcast/runtime";
import type { ResolvedPublisherConfig } from "../service/config";
import { readReceipts } from "../service/receipts";
import {
  OPLE_REPORT_FORMAT,
  type DifusorRecord,
  type OpleReport,
  type OpleReportOptions,
  type ProbeEvidence,
  type SuspensionRecord,
  type TimelineEvent,
} from "./types";
import { GENERAL, PER_DIFUSOR, TITLES, detailOf, evidenceOf, int, str } from "./audit-entries";

export { OPLE_REPORT_FORMAT } from "./types";
export type { DifusorRecord, LiveCut, OpleReport, OpleReportOptions, ProbeEvidence, ReceiptRow, SuspensionRecord, TimelineEvent } from "./types";

function windowEnd(value: string, flag: string): number {
  try {
    return toEpochMs(value, flag);
  } catch (e) {
    throw new PrepcastError("TIME_INVALID", (e as Error).message, {
      where: flag,
      hint: "write it as ISO 8601, e.g. 2024-06-02T20:00-06:00 (a time without offset is read as UTC-6)",
    });
  }
}

export function buildOpleReport(config: ResolvedPublisherConfig, opts: OpleReportOptions = {}): OpleReport {
  const clock = opts.clock ?? Date.now;
  const from = opts.from === undefined ? -Infinity : windowEnd(opts.from, "--from");
  const to = opts.to === undefined ? Infinity : windowEnd(opts.to, "--to");
  if (to < from)
    throw new PrepcastError("TIME_INVALID", `--to (${isoMx(to)}) is before --from (${isoMx(from)})`, {
      where: "--to",
      hint: "the window runs from --from to --to, e.g. --from 2024-06-02T20:00-06:00 --to 2024-06-09T23:59-06:00",
    });
  const now = clock();
  const inWindow = (t: number): boolean => t >= from && t <= to;
  const auditFile = path.join(config.state, "audit.log");
  const log = readAuditEvidence(auditFile);
  const entries = log.entries.filter((e) => Number.isFinite(Date.parse(e.time)));
  const ev = (e: AuditEntry): TimelineEvent => ({
    time: e.time,
    event: e.event,
    title: TITLES[e.event as PublisherAuditEvent] ?? e.event,
    detail: detailOf(e),
  });

  // the registry now, then anyone the log names who is no longer in it
  const records = new Map<string, DifusorRecord>();
  const blank = (
    id: string,
    registered: boolean,
    r?: { name?: string; organization?: string; publicUrl?: string; transport?: string; address?: string },
  ): DifusorRecord => ({
    id,
    name: r?.name ?? id,
    organization: r?.organization ?? null,
    publicUrl: r?.publicUrl ?? null,
    transport: r?.transport ?? null,
    address: r?.address ?? null,
    registered,
    summary: {
      sessions: 0,
      sessionFailures: 0,
      delivered: 0,
      refused: 0,
      transferFailed: 0,
      liveCuts: 0,
      lastLiveSequence: null,
      receipts: 0,
      invalidReceipts: 0,
      suspensions: 0,
      probeChanges: 0,
      probeTimeMs: {},
    },
    timeline: [],
    liveCuts: [],
    probes: [],
    suspensions: [],
    receipts: [],
  });
  for (const r of config.receivers)
    records.set(
      r.id,
      blank(r.id, true, {
        name: r.name,
        ...(r.organization ? { organization: r.organization } : {}),
        ...(r.publicUrl ? { publicUrl: r.publicUrl } : {}),
        transport: r.transport,
        address: r.address,
      }),
    );
  const recordOf = (id: string): DifusorRecord => {
    let r = records.get(id);
    if (!r) records.set(id, (r = blank(id, false)));
    return r;
  };

  const prepared = new Map<string, { time: string; corte: string | null }>();
  const cuts: OpleReport["cuts"] = [];
  const service: TimelineEvent[] = [];
  const general: TimelineEvent[] = [];
  const delivered = new Map<string, string>(); // receiver/sequence -> time
  const openSuspension = new Map<string, SuspensionRecord>();
  const verdict = new Map<string, { verdict: string | null; since: number }>(); // probe state per difusor
  const addTime = (id: string, v: string | null, start: number, end: number): void => {
    const a = Math.max(start, from);
    const b = Math.min(end, to, now);
    if (b <= a) return;
    const key = v ?? "sin verificar";
    const s = recordOf(id).summary.probeTimeMs;
    s[key] = (s[key] ?? 0) + (b - a);
  };
  const closeVerdicts = (t: number): void => {
    for (const [id, v] of verdict) {
      addTime(id, v.verdict, v.since, t);
      verdict.set(id, { verdict: null, since: t });
    }
  };

  for (const e of entries) {
    const t = Date.parse(e.time);
    const d = e.data;
    if (e.event === "cut_prepared") {
      if (typeof d.manifestSha256 === "string") prepared.set(d.manifestSha256, { time: e.time, corte: str(d.corte) });
      if (inWindow(t))
        cuts.push({
          time: e.time,
          sequence: Number(d.sequence),
          corte: str(d.corte),
          notBefore: str(d.notBefore),
          manifestSha256: String(d.manifestSha256 ?? ""),
          files: int(d.files),
          bytes: int(d.bytes),
          final: d.final === true,
          retraction: str(d.retraction),
        });
      continue;
    }
    if (e.event === "service_started" || e.event === "service_stopped") {
      // while the service is down nobody is probed: the time counts as "sin verificar"
      closeVerdicts(t);
      if (inWindow(t)) service.push(ev(e));
      continue;
    }
    if (GENERAL.has(e.event as PublisherAuditEvent)) {
      if (inWindow(t)) general.push(ev(e));
      continue;
    }
    const id = str(d.receiver);
    if (!PER_DIFUSOR.has(e.event as PublisherAuditEvent) || id === null) continue;
    const r = recordOf(id);
    if (e.event === "probe_state") {
      const at = Date.parse(str(d.at) ?? e.time);
      const prev = verdict.get(id) ?? { verdict: null, since: at };
      addTime(id, prev.verdict, prev.since, at);
      verdict.set(id, { verdict: str(d.to), since: at });
    }
    if (e.event === "delivered") delivered.set(`${id}/${d.sequence}`, e.time);
    if (e.event === "suspended") {
      const s: SuspensionRecord = {
        at: e.time,
        manual: d.manual === true,
        by: String(d.by ?? ""),
        reason: String(d.reason ?? ""),
        failingSince: str(d.failingSince),
        failedPeriods: int(d.failedPeriods),
        periodSeconds: int(d.periodSeconds),
        suspendAfterPeriods: int(d.suspendAfterPeriods),
        notice:
          typeof d.notice === "object" && d.notice !== null
            ? { issuedAt: String((d.notice as Record<string, unknown>).issuedAt ?? ""), sha256: String((d.notice as Record<string, unknown>).sha256 ?? "") }
            : null,
        evidence: Array.isArray(d.evidence) ? d.evidence.map(evidenceOf).filter((x): x is ProbeEvidence => x !== null) : [],
        reinstatement: null,
        linkRestoredAt: null,
        durationMs: null,
      };
      openSuspension.set(id, s);
      r.suspensions.push(s);
    }
    if (e.event === "reinstated") {
      const s = openSuspension.get(id);
      if (s) {
        s.reinstatement = {
          at: e.time,
          by: String(d.by ?? ""),
          reason: String(d.reason ?? ""),
          notice:
            typeof d.notice === "object" && d.notice !== null
              ? { issuedAt: String((d.notice as Record<string, unknown>).issuedAt ?? ""), sha256: String((d.notice as Record<string, unknown>).sha256 ?? "") }
              : null,
        };
        s.durationMs = t - Date.parse(s.at);
      }
    }
    if (e.event === "link_restored") {
      const s = openSuspension.get(id);
      if (s && s.reinstatement) {
        s.linkRestoredAt = e.time;
        openSuspension.delete(id);
      }
    }
    if (!inWindow(t)) continue;
    r.timeline.push(ev(e));
    if (e.event === "connected") r.summary.sessions++;
    if (e.event === "session_failed" || e.event === "auth_failed") r.summary.sessionFailures++;
    if (e.event === "delivered") r.summary.delivered++;
    if (e.event === "refused") r.summary.refused++;
    if (e.event === "transfer_failed") r.summary.transferFailed++;
    if (e.event === "probe_state") {
      r.summary.probeChanges++;
      const p = evidenceOf(d);
      if (p) r.probes.push({ ...p, at: str(d.at) ?? e.time });
    }
  }
  closeVerdicts(now);
  // a suspension is in the report when it overlaps the window
  for (const r of records.values()) {
    r.suspensions = r.suspensions.filter((s) => Date.parse(s.at) <= to && (s.reinstatement === null || Date.parse(s.reinstatement.at) >= from));
    r.summary.suspensions = r.suspensions.length;
  }

  // the receipts, every signature checked again with the registry's keys
  const keys = new Map(config.receiverEntries.map((r) => [r.id, r.publicKey]));
  for (const c of readReceipts(config.state, (id) => keys.get(id))) {
    const t = Date.parse(c.stored.storedAt);
    if (!inWindow(t)) continue;
    const r = recordOf(c.stored.receiverId);
    const doc = c.doc;
    r.receipts.push({
      storedAt: c.stored.storedAt,
      sequence: doc?.sequence ?? null,
      manifestSha256: doc?.manifestSha256 ?? null,
      state: doc?.state ?? null,
      receivedAt: doc?.receivedAt ?? null,
      activatedAt: doc?.activatedAt ?? null,
      valid: c.valid,
      problem: c.problem ?? null,
    });
    r.summary.receipts++;
    if (!c.valid) r.summary.invalidReceipts++;
    if (
      c.valid &&
      doc &&
      doc.state === "active" &&
      doc.activatedAt &&
      !r.liveCuts.some((l) => l.sequence === doc.sequence && l.manifestSha256 === doc.manifestSha256)
    ) {
      const p = prepared.get(doc.manifestSha256) ?? null;
      r.liveCuts.push({
        sequence: doc.sequence,
        manifestSha256: doc.manifestSha256,
        corte: p?.corte ?? null,
        preparedAt: p?.time ?? null,
        deliveredAt: delivered.get(`${r.id}/${doc.sequence}`) ?? null,
        receivedAt: doc.receivedAt,
        activatedAt: doc.activatedAt,
        lagMs: p ? Date.parse(doc.activatedAt) - Date.parse(p.time) : null,
        receiptValid: true,
      });
    }
  }
  for (const r of records.values()) {
    r.liveCuts.sort((a, b) => a.sequence - b.sequence);
    r.summary.liveCuts = r.liveCuts.length;
    r.summary.lastLiveSequence = r.liveCuts.at(-1)?.sequence ?? null;
  }

  return {
    format: OPLE_REPORT_FORMAT,
    generatedAt: isoMx(now),
    window: { from: Number.isFinite(from) ? isoMx(from) : null, to: Number.isFinite(to) ? isoMx(to) : null },
    publisher: { id: config.id, process: config.process, channel: config.channel, config: config.file, state: config.state },
    auditLog: { file: auditFile, found: log.found, verified: log.verified, entries: log.entries.length, problem: log.problem },
    receiptsFile: path.join(config.state, "receipts.jsonl"),
    service,
    cuts,
    general,
    difusores: [...records.values()].sort((a, b) => Number(b.registered) - Number(a.registered) || a.id.localeCompare(b.id)),
  };
}
