// A few receiver agents in one process (the machine has 2 cores; 32 processes would measure the
// scheduler). Each agent is the real one: gRPC + TLS endpoint, verify, rebuild, atomic switch.
"use strict";
const path = require("node:path");
const REPO = path.resolve(__dirname, "..", "..");
// the receiver as a library (its package entry point, apps/receiver/dist/index.js)
const { ReceiverAgent, loadReceiverConfig, deltaAppliers, zipDeltaAppliers } = require(path.join(REPO, "apps/receiver"));
const { createLogger } = require(path.join(REPO, "packages/runtime/dist"));
const { peakRssMB, startMemTrace } = require("./processes");

(async () => {
  const log = createLogger({ name: "bench-receiver", level: process.env.PREPCAST_LOG_LEVEL ?? "warn" });
  const agents = [];
  // PREPCAST_BENCH_ZIP_CODEC (run.js --zip-codec): the agents also accept delta-zip@1
  const appliers = process.env.PREPCAST_BENCH_ZIP_CODEC ? { appliers: { ...deltaAppliers(), ...zipDeltaAppliers() } } : {};
  for (const file of process.argv.slice(2)) agents.push(await ReceiverAgent.start({ config: loadReceiverConfig(file, {}), site: false, log, ...appliers }));
  startMemTrace("receivers");
  process.send({ ready: true });
  process.on("message", async (m) => {
    if (m.cmd === "rss") process.send({ maxRssMB: peakRssMB(), agents: agents.length });
    if (m.cmd === "cpu") {
      const u = process.cpuUsage();
      process.send({ cpuS: (u.user + u.system) / 1e6 });
    }
    if (m.cmd === "stop") {
      for (const a of agents) await a.stop().catch(() => undefined);
      process.exit(0);
    }
  });
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
