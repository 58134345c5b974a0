import type { Command } from "commander";
import { reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { writeOpleReport } from "../../report/render";

export function registerReport(program: Command): void {
  program
    .command("report")
    .description(
      "write the OPLE's record of the night (HTML + PDF + CSV + JSON): per difusor the connection and live-cut timeline, probe results, suspensions and reinstatements with their evidence, receipts; from the audit log and the signed receipts",
    )
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON): its state directory holds audit.log and receipts.jsonl")
    .requiredOption("--out <DIR>", "output directory (created): informe.html, informe.pdf, informe.json, *.csv")
    .option("--from <ISO>", "window start, e.g. 2024-06-02T20:00-06:00 (default: the start of the audit log)")
    .option("--to <ISO>", "window end, e.g. 2024-06-09T23:59-06:00 (default: now)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; out: string; from?: string; to?: string; json?: boolean }) => {
        const config = loadPublisherConfig(opts.config);
        const f = await writeOpleReport(config, {
          out: opts.out,
          ...(opts.from !== undefined ? { from: opts.from } : {}),
          ...(opts.to !== undefined ? { to: opts.to } : {}),
        });
        const r = f.report;
        const suspensions = r.difusores.reduce((a, d) => a + d.suspensions.length, 0);
        const receipts = r.difusores.reduce((a, d) => a + d.receipts.length, 0);
        const invalid = r.difusores.reduce((a, d) => a + d.summary.invalidReceipts, 0);
        reportCliSuccess(
          opts.json === true,
          {
            html: f.html,
            pdf: f.pdf,
            json: f.json,
            csv: f.csv,
            window: r.window,
            auditLogVerified: r.auditLog.verified,
            auditLogProblem: r.auditLog.problem,
            difusores: r.difusores.length,
            cuts: r.cuts.length,
            receipts,
            invalidReceipts: invalid,
            suspensions,
          },
          [
            `record of the night: ${f.html} and ${f.pdf}`,
            `${r.difusores.length} difusor(es), ${r.cuts.length} cut(s) signed, ${receipts} receipt(s) (${invalid} invalid), ${suspensions} suspension(s); audit log ${r.auditLog.verified ? "verified" : `NOT verified (${r.auditLog.problem})`}`,
          ],
        );
        // a report over a damaged log or with receipts that do not verify is written, and says so in its exit code
        if (!r.auditLog.verified || invalid > 0) process.exitCode = 1;
      }),
    );
}
