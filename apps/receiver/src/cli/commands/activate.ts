import type { Command } from "commander";
import { activatePending, CutStore, reportCliSuccess, requireStateDir } from "@prepcast/protocol";
import { action } from "../program";

export function registerActivate(program: Command): void {
  program
    .command("activate")
    .description("make the staged (embargoed) cut live once its notBefore has passed")
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { root: string; json?: boolean }) => {
        requireStateDir(opts.root, "--root"); // activate changes a state directory; it never creates one
        const store = await CutStore.open(opts.root);
        try {
          const r = await activatePending(store);
          reportCliSuccess(opts.json === true, { activated: r?.id ?? null }, [
            r ? `activated cuts/${r.id} (#${r.sequence}, corte ${r.corte})` : "no staged cut is waiting",
          ]);
        } finally {
          store.close();
        }
      }),
    );
}
