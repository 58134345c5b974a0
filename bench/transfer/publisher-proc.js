// The publisher under test, alone in its own process so its CPU and peak RSS are its own.
// Driven over IPC by run.js: {cmd: "publish", dir} → waits until every receiver has it live.
"use strict";
const path = require("node:path");
const REPO = path.resolve(__dirname, "..", "..");
// the publisher as a library (its package entry point, apps/publisher/dist/index.js)
const { PublisherService, DeltaPlanning, loadPublisherConfig, defaultEncoders, zipDeltaEncoder } = require(path.join(REPO, "apps/publisher"));
const { createLogger } = require(path.join(REPO, "packages/runtime/dist"));
const { peakRssMB, startMemTrace } = require("./processes");

const [configFile, chunkArg] = process.argv.slice(2);
const chunkSize = chunkArg ? Number(chunkArg) : undefined;

(async () => {
  const config = loadPublisherConfig(configFile, {});
  const log = createLogger({ name: "bench-publisher", level: process.env.PREPCAST_LOG_LEVEL ?? "warn" });
  let planning = null;
  let next = 0;
  // Same planner as the default, with the chunk size under test.
  const planner = (repo) => {
    // PREPCAST_BENCH_ZIP_CODEC (run.js --zip-codec): delta-zip@1 offered first, to receivers that list it
    const encoders = process.env.PREPCAST_BENCH_ZIP_CODEC ? { encoders: [zipDeltaEncoder(), ...defaultEncoders()] } : {};
    planning ??= new DeltaPlanning(repo, { log, ...encoders });
    const id = config.receiverEntries[next++].id;
    const plan = planning.forReceiver(id);
    return async (target, hello) => ({ ...(await plan(target, hello)), ...(chunkSize ? { chunkSize } : {}) });
  };
  const svc = await PublisherService.start({ config, log, planner });
  svc.on("failed", (p) => planning?.recordFailure(p.id, p));
  const delivered = [];
  // when the publisher had handed each receiver the last byte of each cut's payload
  const sentAll = new Map();
  svc.on("progress", (st) => {
    const p = st.progress;
    if (p && p.total > 0 && p.sent >= p.total) sentAll.set(`${st.id}#${p.sequence}`, process.hrtime.bigint());
  });
  svc.on("delivered", (d) => delivered.push({ id: d.id, sequence: d.sequence, bytesSent: d.result.bytesSent, durationMs: d.result.durationMs }));
  startMemTrace("publisher");
  process.send({ ready: true });
  process.on("message", async (m) => {
    if (m.cmd === "publish") {
      delivered.length = 0;
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      const cut = await svc.publish(m.dir);
      const preparedMs = Number(process.hrtime.bigint() - t0) / 1e6;
      await svc.waitForDelivery(cut.ref.sequence, m.timeoutMs ?? 600_000);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const sentTimes = [...sentAll.entries()].filter(([k]) => k.endsWith(`#${cut.ref.sequence}`)).map(([, t]) => Number(t - t0) / 1e6);
      const cpu = process.cpuUsage(cpu0);
      const st = svc.status();
      const notLive = st.receivers.filter((r) => (r.live?.sequence ?? 0) < cut.ref.sequence).map((r) => r.id);
      const offers = require("node:fs")
        .readFileSync(path.join(config.state, "audit.log"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((r) => r.event === "offer" && r.data.sequence === cut.ref.sequence)
        .map((r) => r.data);
      process.send({
        sequence: cut.ref.sequence,
        files: cut.manifest.files.length,
        bytes: cut.manifest.totalSize,
        ms,
        preparedMs,
        sentAllMs: sentTimes.length ? Math.max(...sentTimes) : NaN,
        sentCount: sentTimes.length,
        cpuS: (cpu.user + cpu.system) / 1e6,
        maxRssMB: peakRssMB(),
        notLive,
        offers,
        delivered: [...delivered],
      });
    } else if (m.cmd === "stop") {
      await svc.stop();
      await planning?.close();
      process.exit(0);
    }
  });
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
