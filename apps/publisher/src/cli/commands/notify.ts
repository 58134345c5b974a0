import type { Command } from "commander";
import { PrepcastError, readSecretKeyFile, reportCliSuccess } from "@prepcast/protocol";
import { createLogger } from "@prepcast/runtime";
import { action } from "../program";
import { Notifier } from "../../notify/notifier";
import { notification } from "../../notify/rules";
import { loadPublisherConfig } from "../../service/config";

export function registerNotify(program: Command): void {
  const notify = program
    .command("notify")
    .description("notices to people (the difusores' technical staff and the OPLE's operators) by email and signed webhooks");
  notify
    .command("test")
    .description(
      "send a test notice through every configured channel now (email to the operators, or to a difusor's staff with --receiver; every webhook) and report each target; exit 1 if one failed",
    )
    .requiredOption("--config <FILE>", "publisher config (YAML)")
    .option("--receiver <ID>", "address the test to this difusor's technical staff (copy to the operators)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; receiver?: string; json?: boolean }) => {
        const config = loadPublisherConfig(opts.config);
        if (opts.receiver !== undefined && !config.receivers.some((r) => r.id === opts.receiver)) {
          throw new PrepcastError("NOT_FOUND", `${opts.receiver} is not in the registry of ${opts.config}`, {
            where: "--receiver",
            hint: "`prep-publisher receivers list` shows the registered ids",
          });
        }
        const identity = readSecretKeyFile(config.identity.secretKey);
        const notifier = new Notifier({
          config: { ...config, notifications: { ...config.notifications, attempts: 1 } },
          audit: null,
          log: createLogger({ name: "prep-publisher", level: "error", destination: 2 }),
          identity,
        });
        if (!notifier.enabled) {
          throw new PrepcastError("CONFIG_INVALID", `${opts.config} configures no notification channel`, {
            where: "notifications",
            hint: "set notifications.email (the OPLE's SMTP relay) and/or notifications.webhooks (docs/operations/notifications.md)",
          });
        }
        const results = await notifier.deliver(notification("test", opts.receiver ?? null, {}, null));
        await notifier.stop(0);
        const failed = results.filter((r) => !r.ok);
        if (results.length === 0)
          throw new PrepcastError("CONFIG_INVALID", "nobody to notify: no operators, no staff for this difusor and no webhooks", {
            where: "notifications.operators",
            hint: "add the OPLE's operators' addresses to notifications.operators",
          });
        const lines = results.map((r) => `  ${r.ok ? "ok    " : "FAILED"} ${r.channel} ${r.target}${r.ok ? "" : `: ${r.code}: ${r.message}`}`);
        if (failed.length > 0) {
          throw new PrepcastError("UNAVAILABLE", `${failed.length} of ${results.length} notification target(s) failed:\n${lines.join("\n")}`, {
            hint: "check the relay's host, port, security and credentials, and that the webhook answers 2xx",
            details: { results },
          });
        }
        reportCliSuccess(opts.json === true, { results }, [`test notice delivered to ${results.length} target(s):`, ...lines]);
      }),
    );
}
