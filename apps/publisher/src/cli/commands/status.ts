import type { Command } from "commander";
import { reportCliSuccess } from "@prepcast/protocol";
import { renderTable } from "@prepcast/runtime";
import { action } from "../program";
import { loadPublisherConfig } from "../../service/config";
import type { StatusReport } from "../../service/publisher-service";
import { adminRequest } from "../admin-client";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("every receiver's live sequence, lag, last receipt and errors (asks the running service)")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; json?: boolean }) => {
        const config = loadPublisherConfig(opts.config);
        const report = (await adminRequest(config, "GET", "/api/status")) as StatusReport;
        const rows = report.receivers.map((r) => [
          r.id,
          r.suspended ? "SUSPENDED" : r.state,
          r.keysetVersion !== null ? `${r.keysetVersion}${r.keysetVersion < report.keyset.version ? " (old)" : ""}` : null,
          r.live ? r.live.sequence : null,
          r.lagCuts,
          r.lagMinutes,
          r.lastReceipt ? `${r.lastReceipt.sequence} ${r.lastReceipt.state}` : null,
          r.hello ? `${(r.hello.clockSkewMs / 1000).toFixed(1)} s${r.clockSkewWarning ? " (!)" : ""}` : null,
          r.lastError ? r.lastError.code : null,
          r.monitor?.probe ? `${r.monitor.probe.verdict}${r.monitor.failedPeriods ? ` (${r.monitor.failedPeriods} failed periods)` : ""}` : null,
          r.monitor ? (r.monitor.linkEnabled ? "enabled" : "DISABLED") : null,
          r.hello?.doctor
            ? r.hello.doctor.failed
              ? `FAIL ${r.hello.doctor.failedChecks.join(",")}`
              : `ok${r.hello.doctor.warnings ? ` (${r.hello.doctor.warnings} warn)` : ""}`
            : null,
        ]);
        reportCliSuccess(opts.json === true, report as unknown as Record<string, unknown>, [
          `${report.publisher} ${report.process}/${report.channel}: latest cut ${report.latest ? `${report.latest.sequence} (${report.latest.corte})${report.latest.final ? ` FINAL, online until ${report.latest.publishUntil}` : ""}` : "none"}`,
          `keyset version ${report.keyset.version} (signing key ${report.keyset.signingKeyId.slice(0, 16)}…), expires ${report.keyset.expires}${report.keyset.expired ? " EXPIRED" : `, ${report.keyset.daysLeft} days left`}; ${report.keyset.root.keyIds ? `root version ${report.keyset.root.version}, ${report.keyset.root.threshold} of ${report.keyset.root.keyIds.length} root keys` : "single root key (root.pub)"}`,
          ...(report.keyset.warning ? [`WARNING: ${report.keyset.warning}`] : []),
          ...(report.keyset.reloadProblem
            ? [
                `WARNING: the keys directory does not load (${report.keyset.reloadProblem.code}: ${report.keyset.reloadProblem.message}); cuts are still signed with keyset version ${report.keyset.version}`,
              ]
            : []),
          ...(report.publication?.ended ? [`the publication ended at ${report.publication.publishUntil}: the 45-minute rule no longer applies`] : []),
          renderTable(
            [
              "receiver",
              "state",
              "keyset",
              "live",
              "lag cuts",
              "lag min",
              "last receipt",
              "clock skew",
              "last error",
              "public probe",
              "list link",
              "preflight",
            ],
            rows,
          ),
        ]);
      }),
    );
}
