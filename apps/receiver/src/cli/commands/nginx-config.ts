import type { Command } from "commander";
import { PrepcastError, reportCliSuccess } from "@prepcast/protocol";
import { loadReceiverConfig } from "../../agent/config";
import { nginxControlOptions } from "../../agent/nginx";
import { action } from "../program";

/** `prep-receiver nginx-config --config FILE [--write]`: the include the agent keeps for site.nginx, for review or by hand. */
export function registerNginxConfig(program: Command): void {
  program
    .command("nginx-config")
    .description("print the nginx include the agent keeps for site.nginx (--write: write it and the files it serves, test and reload nginx, as the agent does)")
    .requiredOption("--config <FILE>", "receiver config (receiver.yaml) with site.nginx")
    .option("--write", "write the include and the public files, run the test command, reload nginx if the include changed")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; write?: boolean; json?: boolean }) => {
        const c = loadReceiverConfig(opts.config);
        if (!c.site.nginx)
          throw new PrepcastError("CONFIG_INVALID", `${opts.config} has no site.nginx section`, {
            where: "site.nginx",
            hint: "add site.nginx: { include: /var/lib/prepcast/nginx/site.conf } (docs/operations/nginx.md)",
          });
        const site = await import("@prepcast/site");
        const o = nginxControlOptions(c, c.site.nginx);
        if (opts.write === true) {
          const r = await site.syncNginxSite(o, Date.now(), true);
          reportCliSuccess(opts.json === true, { ...r }, [
            `${r.include}: ${r.changed ? `written${r.reloaded ? ", nginx reloaded" : ""}` : "unchanged (no reload)"}; mode ${r.mode}${r.cut ? `, cut ${r.cut}` : ""}; public files in ${o.publicDir}`,
          ]);
          return;
        }
        const state = site.nginxSiteState(o, Date.now());
        const text = site.renderNginxInclude(o, state);
        if (opts.json === true)
          reportCliSuccess(
            true,
            { include: o.include, publicDir: o.publicDir, accessLog: o.accessLog, mode: state.mode, cut: state.cut?.id ?? null, text },
            [],
          );
        else process.stdout.write(text);
      }),
    );
}
