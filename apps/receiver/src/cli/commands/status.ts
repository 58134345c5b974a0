import type { Command } from "commander";
import { DEFAULT_KEYSET_WARN_DAYS, formatBytes, inspectStore, keysetExpiry, liveKeyset, reportCliSuccess } from "@prepcast/protocol";
import { action, positiveInteger } from "../program";

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show the live cut, the staged one and the previous cuts kept for revert (read-only: works beside the running agent)")
    .requiredOption("--root <DIR>", "receiver state directory")
    .option("--keyset-warn-days <N>", "warn when the live cut's keyset expires within N days", positiveInteger, DEFAULT_KEYSET_WARN_DAYS)
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { root: string; keysetWarnDays: number; json?: boolean }) => {
        // no lock and no repair: the running agent owns the directory; this only reads it
        const v = inspectStore(opts.root, "--root");
        const live = v.live?.id ?? null;
        const pending = v.pending?.id ?? null;
        const liveKs = liveKeyset(v);
        const keyset = liveKs
          ? { accepted: v.state.trust.keysetVersion, live: keysetExpiry(liveKs, new Date(), opts.keysetWarnDays) }
          : { accepted: v.state.trust.keysetVersion, live: null };
        const lines = [
          live ? `live: cuts/${live}` : "live: none (nothing installed yet)",
          ...(v.pending ? [`staged (embargoed): cuts/${v.pending.id} until ${v.pending.notBefore}`] : []),
          ...[...v.state.cuts]
            .reverse()
            .map(
              (c) =>
                `  ${c.id === live ? "*" : c.id === pending ? "+" : " "} #${c.sequence} ${c.process}/${c.channel} corte ${c.corte}  ${c.files} files ${formatBytes(c.totalSize)}  (${c.id})`,
            ),
          `keyset: highest version accepted ${keyset.accepted || "none"}${keyset.live ? `; the live cut's (version ${keyset.live.version}) expires ${keyset.live.expires}${keyset.live.expired ? " EXPIRED" : ` (${keyset.live.daysLeft} days left)`}` : ""}`,
          ...(v.state.trust.root ? [`root: version ${v.state.trust.root.version}, brought by a cut (root rotation) and pinned from then on`] : []),
          ...(keyset.live?.warning
            ? [
                `WARNING: ${keyset.live.warning.replace(/; the OPLE must.*$|: renew it.*$/, "")}: tell the OPLE, which renews it with its root key; the next cut brings it`,
              ]
            : []),
        ];
        reportCliSuccess(opts.json === true, { live, pending, cuts: v.state.cuts, trust: v.state.trust, keyset }, lines);
      }),
    );
}
