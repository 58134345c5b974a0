import type { Command } from "commander";
import { PrepcastError } from "@prepcast/protocol";
import { action, positiveInteger } from "../program";
import { CHECKS, runDoctor, type CheckStatus } from "../../doctor/checks";
import { REQUIREMENTS } from "../../doctor/requirements";
import { summaryOf, writeDoctorSummary } from "../../doctor/summary";

const MARK: Record<CheckStatus, string> = { pass: "ok  ", warn: "WARN", fail: "FAIL", skip: "skip" };
const list = (v: string, prev: string[] = []) => [
  ...prev,
  ...v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean),
];

export function registerDoctor(program: Command): void {
  program
    .command("doctor")
    .description(
      "preflight: check this server against the OPLE's call (cores, memory, SSD, Ubuntu, Docker, NTP, ports 80/443) and against what the agent needs (config, ports, TLS certificates, key modes, free space, the OPLE reachable); exit 1 when a requirement fails",
    )
    .requiredOption("--config <FILE>", "receiver config (YAML or JSON), as for run")
    .option("--user <NAME>", "the service user the secret keys must belong to (default: the owner of the state directory)")
    .option("--ople <URL>", "also check that this URL of the OPLE answers (e.g. https://prep.oplever.org.mx/)")
    .option("--timeout <MS>", `time limit of the OPLE probe and of timedatectl/chronyc (default ${REQUIREMENTS.timeoutMs.value})`, positiveInteger)
    .option("--only <IDS>", `run only these checks (comma-separated: ${CHECKS.map((c) => c.id).join(", ")})`, list)
    .option("--skip <IDS>", "leave these checks out (comma-separated)", list)
    .option("--json", "print the report as JSON")
    .action(
      action(async (opts: { config: string; user?: string; ople?: string; timeout?: number; only?: string[]; skip?: string[]; json?: boolean }) => {
        if (opts.ople !== undefined) {
          let u: URL;
          try {
            u = new URL(opts.ople);
          } catch {
            throw new PrepcastError("CONFIG_INVALID", `--ople ${JSON.stringify(opts.ople)} is not a URL`, {
              where: "--ople",
              hint: "e.g. --ople https://prep.oplever.org.mx/",
            });
          }
          if (u.protocol !== "https:" && u.protocol !== "http:")
            throw new PrepcastError("CONFIG_INVALID", `--ople must be an http(s) URL, not ${u.protocol}`, {
              where: "--ople",
              hint: "e.g. --ople https://prep.oplever.org.mx/",
            });
        }
        const report = await runDoctor(
          {
            configFile: opts.config,
            ...(opts.user !== undefined ? { user: opts.user } : {}),
            ...(opts.ople !== undefined ? { ople: opts.ople } : {}),
            ...(opts.timeout !== undefined ? { timeoutMs: opts.timeout } : {}),
          },
          { ...(opts.only ? { only: opts.only } : {}), ...(opts.skip ? { skip: opts.skip } : {}) },
        );
        // a full run is this server's preflight: kept in ROOT/doctor.json for the agent's hello
        const full = !opts.only?.length && !opts.skip?.length;
        const kept = full
          ? await writeDoctorSummary(report.root, summaryOf(report))
          : { file: null, problem: "not a full run (--only/--skip): the last summary is kept" };
        const failed = report.checks.filter((c) => c.status === "fail");
        const message = failed.length ? `${failed.length} requirement${failed.length === 1 ? "" : "s"} not met: ${failed.map((c) => c.id).join(", ")}` : null;
        if (opts.json === true) {
          process.stdout.write(
            `${JSON.stringify(failed.length ? { ok: false, code: "PREFLIGHT_FAILED", message, ...report, summaryFile: kept.file } : { ok: true, ...report, summaryFile: kept.file })}\n`,
          );
        } else {
          const lines = [`prep-receiver doctor: ${report.config} on ${report.host}, ${report.checkedAt}`];
          for (const c of report.checks) {
            const indent = (t: string) => t.replace(/\n\s*/g, "\n        ");
            lines.push(`${MARK[c.status]}  ${c.id.padEnd(14)} ${c.title}`, `      ${indent(c.detail)}`);
            if (c.fix) lines.push(`      fix: ${indent(c.fix)}`);
          }
          const s = report.summary;
          lines.push("", `${s.pass} passed, ${s.warn} warnings, ${s.fail} failed, ${s.skip} skipped`);
          lines.push(kept.file ? `summary kept in ${kept.file}: the agent sends it to the OPLE in its next session` : `summary not kept: ${kept.problem}`);
          process.stdout.write(lines.map((l) => `${l}\n`).join(""));
          if (message) process.stderr.write(`error [PREFLIGHT_FAILED]: ${message}\nhint: do what each FAIL line's fix says, then run doctor again\n`);
        }
        if (failed.length) process.exitCode = 1;
      }),
    );
}
