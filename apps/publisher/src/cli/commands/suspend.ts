import type { Command } from "commander";
import { reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { defaultOperator, operatorAction } from "./operator";

export function registerSuspend(program: Command): void {
  program
    .command("suspend")
    .description(
      "suspend a difusor by hand: no more results, signed suspension notice on its site, link disabled on the public list (asks the running service; audited)",
    )
    .argument("<DIFUSOR>", "receiver id")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .requiredOption("--reason <TEXT>", "why (recorded in the audit log)")
    .option("--by <NAME>", "operator name for the audit log", defaultOperator())
    .option("--json", "print the result as JSON")
    .action(
      action(async (id: string, opts: { config: string; reason: string; by: string; json?: boolean }) => {
        const r = await operatorAction(loadPublisherConfig(opts.config), id, "suspend", { reason: opts.reason, by: opts.by });
        reportCliSuccess(opts.json === true, { receiver: id, ...r }, [
          `${id} suspended at ${(r.suspension as { at: string }).at}: its site shows the OPLE's notice and its public link is disabled`,
        ]);
      }),
    );

  program
    .command("notice")
    .description("send a signed test notice to a difusor (shown on its local status page only; the public site does not change)")
    .argument("<DIFUSOR>", "receiver id")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .option("--text <TEXT>", "notice text", "Aviso de prueba del OPLE: no requiere ninguna acción.")
    .option("--by <NAME>", "operator name for the audit log", defaultOperator())
    .option("--json", "print the result as JSON")
    .action(
      action(async (id: string, opts: { config: string; text: string; by: string; json?: boolean }) => {
        const r = await operatorAction(loadPublisherConfig(opts.config), id, "notice", { text: opts.text, by: opts.by });
        reportCliSuccess(opts.json === true, { receiver: id, ...r }, [
          `test notice for ${id} signed at ${(r.notice as { issuedAt: string }).issuedAt}; it is delivered on the current or next session`,
        ]);
      }),
    );
}
