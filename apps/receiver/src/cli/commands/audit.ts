import type { Command } from "commander";
import { reportCliSuccess, stateDirLayout, verifyStoreAudit } from "@prepcast/protocol";
import { action } from "../program";

export function registerAudit(program: Command): void {
  const audit = program.command("audit").description("audit log tools");
  audit
    .command("verify")
    .description(
      "check the hash chain of DIR/audit.log and its anchor in DIR/state.json (detects edited, reordered or truncated entries; read-only: works beside the running agent)",
    )
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--json", "print the result as JSON")
    .action(
      action((opts: { root: string; json?: boolean }) => {
        const log = stateDirLayout(opts.root).auditLog;
        const r = verifyStoreAudit(opts.root, "--root");
        reportCliSuccess(opts.json === true, { entries: r.entries, lastHash: r.lastHash, anchoredEntries: r.anchoredEntries }, [
          `audit log ${log}: ${r.entries} entries, chain intact, last hash ${r.lastHash}`,
          r.anchoredEntries === null
            ? "no anchor in state.json yet (nothing installed)"
            : `the first ${r.anchoredEntries} entries match the anchor in state.json (nothing cut from the end)`,
        ]);
      }),
    );
}
