// Entry point of a cluster worker: serves the site and ships its hits to the primary over IPC in
// batches; only the primary touches SQLite, so serving never waits on the database.
import { installLastResort } from "@prepcast/protocol";
import { createBatchingSink, encodeHits } from "./analytics";
import { createHttpListener, createSiteHandler, listenOn, RawHit } from "./server";
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
    ? createBatchingSink((hits: RawHit[]) => {
        if (!process.connected) return;
        if (inFlight >= 64) {
          droppedInIpc += hits.length;
          return;
        }
        inFlight++;
        process.send!({ type: "prepcast-hits", batch: encodeHits(hits) }, undefined, {}, () => {
          inFlight--;
        });
      }, { maxBatch: 500, intervalMs: 100 })
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
  const addr = await listenOn(server, config.listen);
  process.on("message", (msg: { type?: string }) => {
    if (msg?.type === "prepcast-flush") {
      sink?.flush();
      process.send!({ type: "prepcast-flushed", dropped: droppedInIpc + (sink?.dropped ?? 0) });
    }
  });
  process.on("disconnect", () => {
    sink?.close();
    server.close();
    setTimeout(() => process.exit(0), 2000).unref();
  });
  process.send!({ type: "prepcast-ready", port: addr.port, host: addr.host });
}

main().catch((e) => {
  process.stderr.write(`site worker failed to start: ${String(e)}\n`);
  process.exit(1);
});
