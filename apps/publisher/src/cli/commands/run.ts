import type { Command } from "commander";
import { runUntilSignal } from "@prepcast/runtime";
import { action } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { PublisherService } from "../../service/publisher-service";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the publisher service: watch the inbox, keep a session to every receiver, push each new cut")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .action(
      action(async (opts: { config: string }) => {
        await runUntilSignal(
          async () => PublisherService.start({ config: loadPublisherConfig(opts.config), admin: true, watchInbox: true }),
          () => process.stderr.write(`prep-publisher running (config ${opts.config}); Ctrl-C to stop\n`),
        );
      }),
    );
}
