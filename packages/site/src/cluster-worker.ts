// Entry point of a cluster worker: serves the site and ships its hits to the primary over IPC in
// batches; only the primary touches SQLite, so serving never waits on the database.
import { createBatchingSink, encodeHits } from "./analytics";
import { createHttpListener, createSiteHandler, listenOn, RawHit } from "./server";
import type { WorkerConfig } from "./site-server";

async function main(): Promise<void> {
  const config = JSON.parse(process.env.PREPCAST_SITE_WORKER ?? "{}") as WorkerConfig;
  const sink = config.analytics
    ? createBatchingSink((hits: RawHit[]) => {
        if (process.connected) process.send!({ type: "prepcast-hits", batch: encodeHits(hits) });
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
      process.send!({ type: "prepcast-flushed" });
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
