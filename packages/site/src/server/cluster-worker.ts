// Entry point of a cluster worker: serves the site and ships its hits to the primary over IPC in
// batches; only the primary touches SQLite, so serving never waits on the database.
import { installLastResort } from "@prepcast/protocol";
import { createBatchingSink } from "../analytics/batching";
import { encodeHits } from "../analytics/ipc";
import type { RawHit } from "../analytics/hit";
import { createSiteHandler } from "./handler";
import { createHttpListener, serveSite } from "./listener";
import type { WorkerConfig } from "./site-server";

async function main(): Promise<void> {
  // A worker that hits a bug logs it and exits; the primary starts a new one.
  installLastResort("site worker");
  const config = JSON.parse(process.env.PREPCAST_SITE_WORKER ?? "{}") as WorkerConfig;
  // Batches not yet written to the IPC pipe are bounded: if the primary stops reading, hits are
  // dropped and counted (reported at the next flush) instead of growing this worker's memory.
  let inFlight = 0;
  let droppedInIpc = 0;
  const sink = config.analytics
    ? createBatchingSink(
        (hits: RawHit[]) => {
          if (!process.connected) return;
          if (inFlight >= 64) {
            droppedInIpc += hits.length;
            return;
          }
          inFlight++;
          process.send!({ type: "prepcast-hits", batch: encodeHits(hits) }, undefined, {}, () => {
            inFlight--;
          });
        },
        { maxBatch: 500, intervalMs: 100 },
      )
    : undefined;
  const handler = createSiteHandler({
    root: config.root,
    frameAncestors: config.frameAncestors,
    staleAfterSeconds: config.staleAfterSeconds,
    trustProxy: config.trustProxy,
    prepareVariants: false,
    ...(sink ? { analytics: sink } : {}),
  });
  const server = createHttpListener(handler.handle, config.tls);
  const serving = await serveSite(server, config.listen, config.push, {
    onRejected: (info) => process.connected && process.send!({ type: "prepcast-push-rejected", ...info }),
    onError: (message) => process.connected && process.send!({ type: "prepcast-push-error", message }),
  });
  const addr = serving.address;
  process.on("message", (msg: { type?: string }) => {
    if (msg?.type === "prepcast-flush") {
      sink?.flush();
      process.send!({ type: "prepcast-flushed", dropped: droppedInIpc + (sink?.dropped ?? 0) });
    }
  });
  process.on("disconnect", () => {
    sink?.close();
    serving.stopListening();
    setTimeout(() => process.exit(0), 2000).unref();
  });
  process.send!({ type: "prepcast-ready", port: addr.port, host: addr.host });
}

main().catch((e: NodeJS.ErrnoException) => {
  // The primary reports it (with the address and the config field); say it once, with its code.
  if (process.connected) process.send!({ type: "prepcast-start-failed", code: e.code, message: e.message }, undefined, {}, () => process.exit(1));
  else {
    process.stderr.write(`site worker failed to start: ${String(e)}\n`);
    process.exit(1);
  }
});
