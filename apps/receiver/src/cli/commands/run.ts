import type { Command } from "commander";
import { runUntilSignal } from "@prepcast/runtime";
import { action } from "../program";
import { loadReceiverConfig } from "../../agent/config";
import { ReceiverAgent } from "../../agent/receiver-agent";

export function registerRun(program: Command): void {
  program
    .command("run")
    .description("run the agent: accept pushes from the pinned publisher, verify, install, serve the live cut")
    .requiredOption("--config <FILE>", "receiver config (YAML or JSON)")
    .action(
      action(async (opts: { config: string }) => {
        let agent: ReceiverAgent | null = null;
        await runUntilSignal(
          async () => (agent = await ReceiverAgent.start({ config: loadReceiverConfig(opts.config) })),
          () => {
            const a = agent!;
            process.stderr.write(
              `prep-receiver running: push ${a.pushEndpoints().join(", ")}, site ${a.siteUrl ?? "off"}, admin ${a.adminAddress ? `http://${a.adminAddress.host}:${a.adminAddress.port}/` : "off"}\n`,
            );
          },
        );
      }),
    );
}
