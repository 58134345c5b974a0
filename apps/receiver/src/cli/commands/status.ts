import type { Command } from "commander";
import { CutStore, formatBytes, reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show the live cut, the staged one and the previous cuts kept for revert")
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { root: string; json?: boolean }) => {
        const store = await CutStore.open(opts.root);
        try {
          const s = store.snapshot();
          const lines = [
            s.live ? `live: cuts/${s.live}` : "live: none (nothing installed yet)",
            ...(s.pending ? [`staged (embargoed): cuts/${s.pending} until ${store.pending()?.notBefore}`] : []),
            ...[...s.cuts].reverse().map((c) => `  ${c.id === s.live ? "*" : c.id === s.pending ? "+" : " "} #${c.sequence} ${c.process}/${c.channel} corte ${c.corte}  ${c.files} files ${formatBytes(c.totalSize)}  (${c.id})`),
          ];
          reportCliSuccess(opts.json === true, { live: s.live, pending: s.pending, cuts: s.cuts, trust: s.trust }, lines);
        } finally {
          store.close();
        }
      }),
    );
}
