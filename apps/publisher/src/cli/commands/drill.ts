import * as fs from "node:fs";
import * as path from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { PrepcastError, reportCliSuccess, writeFileAtomic } from "@prepcast/protocol";
import { renderTable } from "@prepcast/runtime";
import { SCALES, type Scale } from "@prepcast/cutgen";
import { action, positiveInteger } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { drillReportMarkdown, runDrill } from "../../drill/drill";
import { adminRequest } from "../admin-client";

function seconds(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(n > 0) || n > 86400) throw new InvalidArgumentError("must be a number of seconds above 0");
  return n;
}

export function registerDrill(program: Command): void {
  program
    .command("drill")
    .description(
      "run a timed drill (simulacro): N generated cuts pushed at an interval to the chosen difusores, and a report of who received what, when, and failures",
    )
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON); the drill uses STATE/simulacro")
    .requiredOption("--cuts <N>", "number of cuts", positiveInteger)
    .requiredOption("--interval <SECONDS>", "time between cuts", seconds)
    .option("--receivers <IDS>", "comma-separated difusores (default: all)")
    .option("--scale <SCALE>", `size of the generated cuts (${Object.keys(SCALES).join(", ")})`, "small")
    .option("--settle <SECONDS>", "wait this long after the last cut for late receipts", seconds)
    .option("--report <FILE>", "write the report (.json or .md)")
    .option("--json", "print the report as JSON")
    .action(
      action(
        async (opts: {
          config: string;
          cuts: number;
          interval: number;
          receivers?: string;
          scale: string;
          settle?: number;
          report?: string;
          json?: boolean;
        }) => {
          if (!Object.prototype.hasOwnProperty.call(SCALES, opts.scale))
            throw new InvalidArgumentError(`--scale must be one of ${Object.keys(SCALES).join(", ")}`);
          const config = loadPublisherConfig(opts.config);
          if (
            config.channel === "simulacro" &&
            (await adminRequest(config, "GET", "/livez").then(
              () => true,
              () => false,
            ))
          ) {
            // one writer per state directory: the drill would append to the running service's audit log
            throw new PrepcastError("STATE_CONFLICT", `a prep-publisher service with this simulacro config is running (admin ${config.admin.listen})`, {
              hint: "stop it, or run the drill with the production config (drills then use STATE/simulacro)",
            });
          }
          const report = await runDrill({
            config,
            cuts: opts.cuts,
            intervalSeconds: opts.interval,
            ...(opts.receivers
              ? {
                  receivers: opts.receivers
                    .split(",")
                    .map((s) => s.trim())
                    .filter(Boolean),
                }
              : {}),
            scale: opts.scale as Scale,
            ...(opts.settle ? { settleSeconds: opts.settle } : {}),
            onEvent: opts.json ? undefined : (line) => process.stderr.write(`${line}\n`),
          });
          if (opts.report) {
            const body = opts.report.endsWith(".md") ? drillReportMarkdown(report) : JSON.stringify(report, null, 2) + "\n";
            fs.mkdirSync(path.dirname(path.resolve(opts.report)), { recursive: true });
            await writeFileAtomic(opts.report, body, 0o644);
          }
          reportCliSuccess(opts.json === true, report as unknown as Record<string, unknown>, [
            `drill: ${report.cuts.length} cuts on channel simulacro, ${report.ok ? "every difusor received every cut" : "SOME DIFUSORES MISSED CUTS"}`,
            renderTable(
              ["difusor", "received", "failures", "last failure"],
              report.receivers.map((r) => [r.id, `${r.received}/${r.expected}`, r.failures.length, r.failures[r.failures.length - 1]?.code ?? null]),
            ),
            ...(opts.report ? [`report written to ${opts.report}`] : []),
          ]);
          if (!report.ok) process.exitCode = 1;
        },
      ),
    );
}
