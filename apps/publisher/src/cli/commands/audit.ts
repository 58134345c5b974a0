import type { Command } from "commander";
import { reportCliSuccess, verifyAuditLog } from "@prepcast/protocol";
import { action } from "../program";

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("audit log tools");
  audit
    .command("verify")
    .description("check the hash chain of an audit log (detects edited, reordered or truncated entries)")
    .requiredOption("--log <PATH>", "audit log file")
    .option("--json", "print the result as JSON")
    .action(
      action((opts: { log: string; json?: boolean }) => {
        const r = verifyAuditLog(opts.log);
        reportCliSuccess(opts.json === true, { entries: r.entries, lastHash: r.lastHash }, [
          `audit log ${opts.log}: ${r.entries} entries, chain intact, last hash ${r.lastHash}`,
        ]);
      }),
    );
}
