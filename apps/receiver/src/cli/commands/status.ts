import type { Command } from "commander";
import { formatBytes, inspectStore, reportCliSuccess } from "@prepcast/protocol";
import { action } from "../program";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show the live cut, the staged one and the previous cuts kept for revert (read-only: works beside the running agent)")
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { root: string; json?: boolean }) => {
        // no lock and no repair: the running agent owns the directory; this only reads it
        const v = inspectStore(opts.root, "--root");
        const live = v.live?.id ?? null;
        const pending = v.pending?.id ?? null;
        const lines = [
          live ? `live: cuts/${live}` : "live: none (nothing installed yet)",
          ...(v.pending ? [`staged (embargoed): cuts/${v.pending.id} until ${v.pending.notBefore}`] : []),
          ...[...v.state.cuts].reverse().map((c) => `  ${c.id === live ? "*" : c.id === pending ? "+" : " "} #${c.sequence} ${c.process}/${c.channel} corte ${c.corte}  ${c.files} files ${formatBytes(c.totalSize)}  (${c.id})`),
        ];
        reportCliSuccess(opts.json === true, { live, pending, cuts: v.state.cuts, trust: v.state.trust }, lines);
      }),
    );
}
