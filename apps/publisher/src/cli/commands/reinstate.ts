import type { Command } from "commander";
import { reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { defaultOperator, operatorAction } from "./operator";

export function registerReinstate(program: Command): void {
  program
    .command("reinstate")
    .description(
      "lift a difusor's suspension once its fault is fixed: reinstatement notice, latest cut pushed, public link back after the probe confirms (asks the running service; audited)",
    )
    .argument("<DIFUSOR>", "receiver id")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .requiredOption("--reason <TEXT>", "what was fixed (recorded in the audit log)")
    .option("--by <NAME>", "operator name for the audit log", defaultOperator())
    .option("--json", "print the result as JSON")
    .action(
      action(async (id: string, opts: { config: string; reason: string; by: string; json?: boolean }) => {
        const r = await operatorAction(loadPublisherConfig(opts.config), id, "reinstate", { reason: opts.reason, by: opts.by });
        reportCliSuccess(opts.json === true, { receiver: id, ...r }, [
          `${id} reinstated; reinstatement notice signed at ${(r.notice as { issuedAt: string }).issuedAt}`,
          `the latest cut (${String(r.latest ?? "none")}) is being pushed; the public list links to it again once the probe confirms it`,
        ]);
      }),
    );
}
