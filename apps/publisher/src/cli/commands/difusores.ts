import type { Command } from "commander";
import { reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { writePublicList } from "../../difusores/public-list";
import { offlineListInput, serviceListInput } from "../../difusores/list-sources";

export function registerDifusores(program: Command): void {
  program
    .command("difusores")
    .description(
      'write the OPLE\'s "Difusores oficiales" page (index.html, difusores.json, logos/) from the registry; link states come from the running service, or from its saved state',
    )
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .requiredOption("--out <DIR>", "output directory (for the OPLE's web site)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; out: string; json?: boolean }) => {
        const config = loadPublisherConfig(opts.config);
        const input = (await serviceListInput(config)) ?? (await offlineListInput(config));
        const r = await writePublicList(opts.out, input, { strictLogos: true });
        const disabled = input.difusores.filter((d) => !d.linkEnabled).map((d) => d.id);
        reportCliSuccess(opts.json === true, { ...r, difusores: input.difusores.length, disabled }, [
          `${input.difusores.length} difusores written to ${r.html} and ${r.json}`,
          disabled.length > 0 ? `link disabled (suspended or awaiting confirmation): ${disabled.join(", ")}` : "every link enabled",
        ]);
      }),
    );
}
