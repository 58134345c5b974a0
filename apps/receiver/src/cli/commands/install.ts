import type { Command } from "commander";
import { CutStore, installPackage, reportCliSuccess } from "@prepcast/protocol";
import { action, positiveIntegerOrZero } from "../program";
import { loadTrust, type TrustOptions } from "./trust";
import { isDeltaPackage } from "@prepcast/delta";
import { installDeltaPackage } from "../../agent/delta-applier";

export function registerInstall(program: Command): void {
  program
    .command("install")
    .description(
      "verify a .prep package (or a delta package from `pack --base`, whose base cut is installed), extract it to staging and switch DIR/current to it atomically",
    )
    .argument("<FILE.prep>", "package to install")
    .requiredOption("--trust <ROOT.pub>", "the OPLE's root: root.pub, or root.json of a root set (root.sig beside it)")
    .requiredOption("--root <DIR>", "receiver state directory (created if missing)")
    .option("--retain <N>", "previous cuts to keep for instant revert", positiveIntegerOrZero, 3)
    .option("--process <ID>", "accept only this electoral process")
    .option("--channel <CHANNEL>", "accept only this channel (produccion or simulacro)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (file: string, opts: TrustOptions & { root: string; retain: number; json?: boolean }) => {
        const trust = loadTrust(opts);
        const store = await CutStore.open(opts.root, { retain: opts.retain });
        try {
          const install = (await isDeltaPackage(file)) ? installDeltaPackage : installPackage;
          const r = await install(store, file, { rootPublicKey: trust.rootPublicKey, accept: trust.accept, source: file });
          const c = r.record;
          reportCliSuccess(
            opts.json === true,
            {
              status: r.status,
              id: c.id,
              process: c.process,
              channel: c.channel,
              sequence: c.sequence,
              corte: c.corte,
              notBefore: c.notBefore,
              files: r.files,
              bytes: r.bytes,
              removed: r.removed,
            },
            r.status === "activated"
              ? [
                  `installed ${c.process}/${c.channel} #${c.sequence} (corte ${c.corte}): ${opts.root}/current -> cuts/${c.id}`,
                  `${r.files} files, ${r.bytes} bytes verified`,
                  ...(r.removed.length ? [`removed old cuts: ${r.removed.join(", ")}`] : []),
                ]
              : [
                  `staged ${c.process}/${c.channel} #${c.sequence} (corte ${c.corte}) as cuts/${c.id}; it is embargoed until ${c.notBefore}`,
                  `the live site is unchanged; run \`prep-receiver activate --root ${opts.root}\` after that time (the agent does it by itself)`,
                ],
          );
        } finally {
          store.close();
        }
      }),
    );
}
