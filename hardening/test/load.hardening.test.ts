// Long suite: load. (1) One publisher process feeding 100 receivers (8 real receiver processes,
// the rest ReceiverAgent instances in this process, all over gRPC+TLS on 127.0.0.1) several
// consecutive veracruz-scale cuts: all converge; time until all are live, the publisher's CPU and
// peak memory. (2) A receiver under public HTTP load (wrk) while embargoed cuts arrive: serving
// stays up (no errors, no 5xx) and each activation happens on time.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Cluster, compareTrees, generateCut, waitFor } from "@prepcast/testkit";
import { auditEvents, liveState, procStats, pushInBackground } from "./support/faults";
import { startAgentRig, type AgentRig } from "./support/rig";

jest.setTimeout(1_800_000);

const RECEIVERS = Number(process.env.PREPCAST_LOAD_RECEIVERS ?? 100);
const PROCESSES = Math.min(RECEIVERS, Number(process.env.PREPCAST_LOAD_PROCESSES ?? 8));
const CUTS = Number(process.env.PREPCAST_LOAD_CUTS ?? 3);

describe("load", () => {
  test(`load: ${RECEIVERS} receivers (${PROCESSES} real processes) fed ${CUTS} consecutive veracruz-scale cuts all converge`, async () => {
    const cluster = await Cluster.create(
      Array.from({ length: PROCESSES }, (_, i) => ({
        id: `proc-${String(i + 1).padStart(2, "0")}`,
        transport: i % 4 === 3 ? ("websocket" as const) : ("grpc" as const),
      })),
    );
    const agents: AgentRig[] = [];
    try {
      for (const r of cluster.receivers) fs.writeFileSync(r.config, fs.readFileSync(r.config, "utf8").replace("retain: 3", "retain: 1"));
      // the processes first: their ports were picked free, and the agents below bind ephemeral ones
      for (const r of cluster.receivers) await cluster.startReceiver(r);
      for (let i = PROCESSES; i < RECEIVERS; i++) {
        agents.push(
          await startAgentRig({
            id: `inproc-${String(i + 1).padStart(3, "0")}`,
            site: false,
            retain: 1,
            rootPublicKeyFile: path.join(cluster.pubDir, "root.pub"),
            publisherIdentityFile: path.join(cluster.pubDir, "identity.pub"),
          }),
        );
      }
      let pub = fs.readFileSync(cluster.pubConfig, "utf8");
      for (const a of agents) {
        const id = (JSON.parse(fs.readFileSync(a.configFile, "utf8")) as { id: string }).id;
        pub += `  - id: ${id}\n    name: Receptor ${id}\n    transport: grpc\n    address: 127.0.0.1:${a.pushPort}\n    tlsFingerprint: ${a.tlsFingerprint}\n    identityPublicKey: ${Buffer.from(a.receiverIdentity.publicKey).toString("base64")}\n`;
      }
      fs.writeFileSync(cluster.pubConfig, pub);
      await cluster.startPublisher();
      for (const r of cluster.receivers) expect({ id: r.id, exit: r.proc?.exitCode ?? null }).toEqual({ id: r.id, exit: null });
      const pid = cluster.publisher!.pid!;
      let peakRss = 0;
      const sampler = setInterval(() => {
        const s = procStats(pid);
        if (s) peakRss = Math.max(peakRss, s.rssMb);
      }, 250);
      const cutsDir = path.join(cluster.dir, "cuts");
      const rows: Array<{ sequence: number; mb: number; files: number; allLiveSeconds: number; publisherCpuSeconds: number; publisherRssMb: number }> = [];
      try {
        for (let k = 1; k <= CUTS; k++) {
          const cut = await generateCut({ outDir: cutsDir, k, scale: "veracruz" });
          const files = fs.readdirSync(cut.dir, { recursive: true }).length;
          const mb = Number(spawnSync("du", ["-sm", cut.dir], { encoding: "utf8" }).stdout.split("\t")[0]);
          const cpu0 = procStats(pid)!.cpuSeconds;
          const t0 = Date.now();
          const push = pushInBackground(cluster, cut.dir, 1200);
          await waitFor(
            `cut ${k} live on all ${RECEIVERS}`,
            () => cluster.receivers.every((r) => liveState(r).sequence === k) && agents.every((a) => a.agent.status().live?.sequence === k),
            1_200_000,
            250,
          );
          const allLiveSeconds = (Date.now() - t0) / 1000;
          const cpu = procStats(pid)!.cpuSeconds - cpu0;
          // the CLI returns once every receipt is in; a receipt still travelling is not a reason to wait long
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([push.done, new Promise((r) => (timer = setTimeout(r, 120_000)))]).finally(() => clearTimeout(timer));
          if (push.proc.exitCode === null) push.proc.kill("SIGKILL");
          rows.push({
            sequence: k,
            mb,
            files,
            allLiveSeconds,
            publisherCpuSeconds: Math.round(cpu * 10) / 10,
            publisherRssMb: Math.round(procStats(pid)!.rssMb),
          });
          // spot checks: byte for byte on a real process and on an in-process agent
          expect((await compareTrees(cut.dir, path.join(cluster.receivers[0]!.dir, "data", "current", "site"))).equal).toBe(true);
          expect(
            (await compareTrees(cut.dir, path.join(agents.at(-1)?.root ?? path.join(cluster.receivers.at(-1)!.dir, "data"), "current", "site"))).equal,
          ).toBe(true);
        }
      } finally {
        clearInterval(sampler);
      }
      const hwm = procStats(pid)?.hwmMb ?? peakRss;
      console.log(
        `load: ${RECEIVERS} receivers (${PROCESSES} processes, ${RECEIVERS - PROCESSES} in-process agents), per cut ${JSON.stringify(rows)}, publisher peak RSS ${Math.round(Math.max(hwm, peakRss))} MiB`,
      );
      expect(rows.length).toBe(CUTS);
    } finally {
      await cluster.stop();
      await Promise.all(agents.map((a) => a.close()));
      cluster.cleanup();
    }
  });

  const wrkMissing = spawnSync("wrk", ["--version"]).error !== undefined;
  if (wrkMissing) console.warn("wrk load test skipped: wrk is not installed (apt-get install -y wrk)");
  (wrkMissing ? test.skip : test)(
    "receiver under public load (wrk) while embargoed cuts arrive: serving stays up, no errors or 5xx, activation on time",
    async () => {
      const cluster = await Cluster.create([{ id: "busy", transport: "grpc" }]);
      try {
        const r = cluster.receivers[0]!;
        await cluster.startReceiver(r);
        await cluster.startPublisher();
        const cutsDir = path.join(cluster.dir, "cuts");
        const first = (await generateCut({ outDir: cutsDir, k: 1, scale: "small" })).dir;
        expect(cluster.push(first).json).toMatchObject({ ok: true });
        const seconds = Number(process.env.PREPCAST_WRK_SECONDS ?? 60);
        const wrk = (url: string) =>
          new Promise<string>((resolve) => {
            const p = spawn("wrk", ["-t2", "-c64", `-d${seconds}s`, "--latency", url], { stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            p.stdout!.on("data", (d) => (out += d));
            p.stderr!.on("data", (d) => (out += d));
            p.once("exit", () => resolve(out));
          });
        const base = `http://127.0.0.1:${r.sitePort}`;
        const loads = [wrk(`${base}/`), wrk(`${base}/data/corte.json`)];
        const activations: Array<{ sequence: number; lateMs: number }> = [];
        const t0 = Date.now();
        for (let k = 2; Date.now() - t0 < (seconds - 20) * 1000; k++) {
          const dir = (await generateCut({ outDir: cutsDir, k, scale: "small" })).dir;
          const notBefore = new Date(Math.ceil((Date.now() + 10_000) / 1000) * 1000);
          const push = pushInBackground(cluster, dir, 120, ["--not-before", notBefore.toISOString()]);
          await waitFor(`cut ${k} live`, () => liveState(r).sequence === k, 90_000, 50);
          await push.done;
          const act = await waitFor(
            `cut ${k} activation in the audit`,
            () => auditEvents(r).find((e) => e.event === "activated" && e.data.sequence === k),
            10_000,
            20,
          );
          activations.push({ sequence: k, lateMs: Date.parse(act.data.activatedAt) - notBefore.getTime() });
        }
        const [home, data] = await Promise.all(loads);
        const parse = (out: string) => ({
          requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
          non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
          socketErrors: /Socket errors: (.*)/.exec(out)?.[1] ?? "none",
          rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
          p99: /99%\s+(\S+)/.exec(out)?.[1] ?? "?",
        });
        const h = parse(home);
        const d = parse(data);
        console.log(`wrk: / ${JSON.stringify(h)}; /data/corte.json ${JSON.stringify(d)}; cuts activated under load ${JSON.stringify(activations)}`);
        expect(h.requests).toBeGreaterThan(0);
        expect(d.requests).toBeGreaterThan(0);
        expect(h.non2xx).toBe(0);
        expect(d.non2xx).toBe(0);
        expect(h.socketErrors).toBe("none");
        expect(d.socketErrors).toBe("none");
        const events = auditEvents(r);
        expect(events.filter((e) => e.event === "activated").length).toBeGreaterThanOrEqual(activations.length + 1);
        // on time: never before notBefore, within the timer's resolution after it (a loaded 2-core box)
        expect(activations.length).toBeGreaterThanOrEqual(2);
        for (const a of activations) {
          expect(a.lateMs).toBeGreaterThanOrEqual(0);
          expect(a.lateMs).toBeLessThan(3000);
        }
      } finally {
        await cluster.stop();
        cluster.cleanup();
      }
    },
  );
});
