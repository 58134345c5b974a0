import * as path from "node:path";
import type { Command } from "commander";
import { formatBytes, PrepcastError, reportCliSuccess } from "@prepcast/protocol";
import { formatDuration, renderTable } from "@prepcast/runtime";
import { action, positiveInteger } from "../program";
import { loadPublisherConfig, type ResolvedPublisherConfig } from "../../service/config";
import { PublisherService, type StatusReport } from "../../service/publisher-service";
import type { LinkStatus } from "../../service/receiver-link";
import { ProgressView } from "../progress-view";
import { adminRequest } from "../admin-client";

interface PushOptions {
  config: string;
  corte?: string;
  notBefore?: string;
  sequence?: number;
  retract?: string;
  final?: boolean;
  publishUntil?: string;
  timeout: number;
  json?: boolean;
}

/** What the cut is signed with, from the flags: the same whether the CLI publishes itself or asks the running service. */
function cutOptions(opts: PushOptions): { corte?: string; notBefore?: string; sequence?: number; retract?: string; final?: true; publishUntil?: string } {
  return {
    ...(opts.corte ? { corte: opts.corte } : {}),
    ...(opts.notBefore ? { notBefore: opts.notBefore } : {}),
    ...(opts.sequence ? { sequence: opts.sequence } : {}),
    ...(opts.retract !== undefined ? { retract: opts.retract } : {}),
    ...(opts.final === true ? { final: true as const } : {}),
    ...(opts.publishUntil !== undefined ? { publishUntil: opts.publishUntil } : {}),
  };
}

function summaryRows(report: StatusReport, sequence: number, started: number): Array<Array<string | number | null>> {
  return report.receivers.map((r: LinkStatus) => {
    const has = (r.live?.sequence ?? 0) >= sequence;
    const staged = !has && (r.staged?.sequence ?? 0) >= sequence;
    const state = r.suspended ? "suspended" : has ? "live" : staged ? "staged (embargo)" : r.lastError ? `failed: ${r.lastError.code}` : r.state;
    const receipt =
      r.lastReceipt && r.lastReceipt.sequence >= sequence ? `${r.lastReceipt.state} ${r.lastReceipt.activatedAt ?? r.lastReceipt.receivedAt}` : null;
    const d = r.lastDelivery && r.lastDelivery.sequence === sequence ? r.lastDelivery : null;
    return [
      r.id,
      d ? `${formatBytes(d.bytes)} ${d.encoding}${d.resumedFrom ? ` (resumed at ${formatBytes(d.resumedFrom)})` : ""}` : has || staged ? "0 B" : null,
      d ? formatDuration(d.durationMs) : has || staged ? formatDuration(Date.now() - started) : null,
      state,
      receipt,
    ];
  });
}

export function registerPush(program: Command): void {
  program
    .command("push")
    .description("sign a cut directory and push it to every registered receiver, with live progress and a summary")
    .argument("<CUT_DIR>", "directory holding the cut's site files")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .option("--corte <ISO>", "the cut's date and time as the OPLE states it (default: data/corte.json)")
    .option("--not-before <ISO>", "embargo: receivers stage the cut and show it from this time")
    .option("--sequence <N>", "sequence number (default: one above the latest)", positiveInteger)
    .option(
      "--retract <REASON>",
      "withdraw a wrong cut: sign this one as a retraction, so its corte may be earlier than the latest cut's (the reason goes into the signed manifest and both audit logs)",
    )
    .option(
      "--final",
      "sign this cut as the last one of the process: receivers stop staleness alarms and keep it online until the end of publication, which monitoring honours",
    )
    .option("--publish-until <ISO>", "with --final: the signed end of publication (default: publishUntil in the config, 2024-06-09T23:59:00-06:00)")
    .option("--timeout <SECONDS>", "give up waiting for receipts after this long", positiveInteger, 300)
    .option("--json", "print the result as JSON")
    .action(
      action(async (cutDir: string, opts: PushOptions) => {
        const config = loadPublisherConfig(opts.config);
        const viaService = await serviceRunning(config);
        if (viaService) return pushViaService(config, cutDir, opts);
        const started = Date.now();
        const svc = await PublisherService.start({ config, admin: false, watchInbox: false });
        const view = new ProgressView(svc.linkIds(), opts.json === true);
        svc.on("progress", (s: LinkStatus) => view.update(s));
        svc.on("state", (s: LinkStatus) => view.update(s));
        svc.on("receipt", () => undefined);
        try {
          const cut = await svc.publish(cutDir, cutOptions(opts));
          view.setTotal(cut.summary.totalSize, cut.ref.sequence);
          await svc.waitForDelivery(cut.ref.sequence, opts.timeout * 1000);
          view.stop();
          const report = svc.status();
          const rows = summaryRows(report, cut.ref.sequence, started);
          const okCount = report.receivers.filter((r) => (r.live?.sequence ?? 0) >= cut.ref.sequence || (r.staged?.sequence ?? 0) >= cut.ref.sequence).length;
          reportCliSuccess(
            opts.json === true,
            {
              sequence: cut.ref.sequence,
              manifestSha256: cut.ref.manifestSha256,
              final: cut.summary.final !== undefined,
              publishUntil: cut.summary.final?.publishUntil ?? null,
              delivered: okCount,
              receivers: report.receivers.length,
              table: rows,
            },
            [
              `cut ${cut.ref.sequence} (${cut.summary.corte}): ${cut.summary.fileCount} files, ${formatBytes(cut.summary.totalSize)}`,
              ...(cut.summary.final ? [`signed as the FINAL cut: online without staleness alarms until ${cut.summary.final.publishUntil}`] : []),
              "",
              renderTable(["receiver", "sent", "duration", "state", "receipt"], rows),
              `${okCount}/${report.receivers.length} receivers have cut ${cut.ref.sequence}`,
            ],
          );
          if (okCount < report.receivers.length) process.exitCode = 3;
        } finally {
          view.stop();
          await svc.stop();
        }
      }),
    );
}

async function serviceRunning(config: ResolvedPublisherConfig): Promise<boolean> {
  try {
    await adminRequest(config, "GET", "/livez");
    return true;
  } catch {
    return false;
  }
}

async function pushViaService(config: ResolvedPublisherConfig, cutDir: string, opts: PushOptions): Promise<void> {
  const started = Date.now();
  const res = (await adminRequest(config, "POST", "/api/push", {
    dir: path.resolve(cutDir),
    ...cutOptions(opts),
  })) as {
    ok: boolean;
    sequence?: number;
    final?: boolean;
    publishUntil?: string | null;
    code?: string;
    message?: string;
    where?: string;
    hint?: string;
  };
  if (!res.ok || !res.sequence) {
    throw new PrepcastError((res.code as "INTERNAL") ?? "INTERNAL", res.message ?? "the running service refused the cut", {
      ...(res.where !== undefined ? { where: res.where } : {}),
      ...(res.hint !== undefined ? { hint: res.hint } : {}),
    });
  }
  const sequence = res.sequence;
  const deadline = Date.now() + opts.timeout * 1000;
  let report: StatusReport;
  let lastLine = 0;
  for (;;) {
    report = (await adminRequest(config, "GET", "/api/status")) as StatusReport;
    const done = report.receivers.every((r) => (r.live?.sequence ?? 0) >= sequence || (r.staged?.sequence ?? 0) >= sequence || r.suspended);
    if (done || Date.now() > deadline) break;
    // asked often (a small cut is live in well under a second), told at most every 2 s
    if (opts.json !== true && Date.now() - lastLine >= 2000) {
      lastLine = Date.now();
      process.stderr.write(
        report.receivers.map((r) => `${r.id}: ${r.progress ? `${Math.round((100 * r.progress.sent) / Math.max(1, r.progress.total))}%` : r.state}`).join("  ") +
          "\n",
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const rows = summaryRows(report, sequence, started);
  const okCount = report.receivers.filter((r) => (r.live?.sequence ?? 0) >= sequence || (r.staged?.sequence ?? 0) >= sequence).length;
  reportCliSuccess(
    opts.json === true,
    {
      sequence,
      final: res.final === true,
      publishUntil: res.publishUntil ?? null,
      delivered: okCount,
      receivers: report.receivers.length,
      table: rows,
      via: "service",
    },
    [
      `cut ${sequence} handed to the running service`,
      ...(res.final === true ? [`signed as the FINAL cut: online without staleness alarms until ${res.publishUntil}`] : []),
      renderTable(["receiver", "sent", "duration", "state", "receipt"], rows),
      `${okCount}/${report.receivers.length} receivers have cut ${sequence}`,
    ],
  );
  if (okCount < report.receivers.length) process.exitCode = 3;
}
