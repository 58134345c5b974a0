import type { Command } from "commander";
import { reportCliSuccess } from "@prepcast/protocol";
import { renderTable } from "@prepcast/runtime";
import { action, positiveInteger } from "../program";
import { loadPublisherConfig } from "../../service/config";
import { readReceipts } from "../../service/receipts";

export function registerReceipts(program: Command): void {
  program
    .command("receipts")
    .description("who has cut N live, and since when, with every receipt signature checked")
    .requiredOption("--config <FILE>", "publisher config (YAML or JSON)")
    .option("--sequence <N>", "only this cut", positiveInteger)
    .option("--json", "print the result as JSON")
    .action(
      action(async (opts: { config: string; sequence?: number; json?: boolean }) => {
        const config = loadPublisherConfig(opts.config);
        const keys = new Map(config.receiverEntries.map((r) => [r.id, r.publicKey]));
        const all = readReceipts(config.state, (id) => keys.get(id)).filter((r) => opts.sequence === undefined || r.doc?.sequence === opts.sequence);
        // per receiver and sequence: the earliest "active" receipt says since when it is live
        const best = new Map<string, (typeof all)[number]>();
        for (const r of all) {
          const key = `${r.stored.receiverId}/${r.doc?.sequence ?? "?"}`;
          const prev = best.get(key);
          const rank = (x: typeof r) => (x.valid ? (x.doc?.state === "active" ? 2 : 1) : 0);
          if (!prev || rank(r) > rank(prev)) best.set(key, r);
        }
        const list = [...best.values()].sort(
          (a, b) => (a.doc?.sequence ?? 0) - (b.doc?.sequence ?? 0) || a.stored.receiverId.localeCompare(b.stored.receiverId),
        );
        const invalid = all.filter((r) => !r.valid);
        reportCliSuccess(
          opts.json === true,
          {
            receipts: list.map((r) => ({ receiver: r.stored.receiverId, valid: r.valid, problem: r.problem ?? null, ...(r.doc ?? {}) })),
            invalid: invalid.length,
          },
          [
            renderTable(
              ["receiver", "sequence", "state", "live since", "received", "signature"],
              list.map((r) => [
                r.stored.receiverId,
                r.doc?.sequence ?? null,
                r.doc?.state ?? null,
                r.doc?.activatedAt ?? null,
                r.doc?.receivedAt ?? null,
                r.valid ? "valid" : `INVALID: ${r.problem}`,
              ]),
            ),
            `${new Set(list.filter((r) => r.valid && r.doc?.state === "active").map((r) => r.stored.receiverId)).size} of ${config.receiverEntries.length} receiver(s) have ${opts.sequence !== undefined ? `cut ${opts.sequence}` : "a cut"} live (${list.length} receipt(s) shown); ${invalid.length} invalid receipt(s)`,
          ],
        );
        if (invalid.length > 0) process.exitCode = 1;
      }),
    );
}
