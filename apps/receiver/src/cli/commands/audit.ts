import * as path from "node:path";
import type { Command } from "commander";
import { reportCliSuccess, verifyAuditLog } from "@prepcast/protocol";
import { action } from "../program";

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("audit log tools");
  audit
    .command("verify")
    .description("check the hash chain of DIR/audit.log (detects edited, reordered or truncated entries)")
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--json", "print the result as JSON")
    .action(
      action((opts: { root: string; json?: boolean }) => {
        const log = path.join(opts.root, "audit.log");
        const r = verifyAuditLog(log);
        reportCliSuccess(opts.json === true, { entries: r.entries, lastHash: r.lastHash }, [`audit log ${log}: ${r.entries} entries, chain intact, last hash ${r.lastHash}`]);
      }),
    );
}
