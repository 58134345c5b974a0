// Serving benchmark (NOT part of npm test): wrk on loopback against the PREPcast site server
// (cluster workers, analytics on) and against nginx serving the same cut, with a mix of index.html,
// assets and data JSON, and a cut switch every 2 s during both runs. Then analytics ingestion
// throughput (direct batched inserts, and nginx's real access log through ingestNginxLog).
// The third server is "agent-managed nginx" (site.nginx): the same nginx with the include the agent
// writes (syncNginxSite: headers, cache rules, root on the live cut), reloaded at every cut switch
// as the agent does, and with analytics on the access log followed into SQLite (followNginxLog)
// by this process during the run; its ratio to plain nginx is measured in the same rounds.
//
//   npm run build   # or: (cd packages/protocol && npx tsc -p tsconfig.build.json) etc. for protocol, testkit, site
//   npx tsc -p bench/serve/tsconfig.json && node bench/out/serve/run.js [--duration 10] [--rounds 3] [--connections 64] [--threads 2]
//       [--workers 2,1] [--analytics on,off] [--no-analytics] [--raw]
//
// Every combination of --workers and --analytics is measured (nginx with the same worker count
// each time), rounds alternating between the two servers. Besides requests/s it reports the CPU
// time each server (all its processes and threads) and wrk spent per request: on a shared VM
// requests/s moves with the background load, CPU per request much less, and with wrk on the same
// cores the ratio is about (wrk + nginx CPU) / (wrk + PREPcast CPU).
//
// Needs wrk and nginx on PATH (Debian: apt-get install -y wrk nginx).
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyPair } from "@prepcast/protocol";
import { generateCut } from "@prepcast/testkit";
import { createAnalyticsStore, createSiteServer, followNginxLog, ingestNginxLog, prepareCompressedVariants, RawHit, syncNginxSite } from "@prepcast/site";
import { ANALYTICS_MODES, CONNECTIONS, DURATION, ROUNDS, THREADS, UA, WORKER_COUNTS } from "./options";
import { activate, install, walk } from "./cut-install";
import { childrenOf, isSiteWorker } from "./proc-stats";
import { runWrk, waitForPort, type RunResult } from "./wrk";

async function main(): Promise<void> {
  for (const tool of ["wrk", "nginx"]) {
    if (spawnSync("which", [tool]).status !== 0) {
      console.error(`${tool} not found: apt-get install -y wrk nginx`);
      process.exit(2);
    }
  }
  const work = mkdtempSync(join(tmpdir(), "prepcast-bench-serve-"));
  const root = join(work, "state");
  try {
    const keys = { root: generateKeyPair(), signing: generateKeyPair() };
    const g1 = await generateCut({ outDir: join(work, "gen"), k: 1, scale: "small" });
    const g2 = await generateCut({ outDir: join(work, "gen"), k: 2, scale: "small" });
    const ids = [install(root, g1.dir, 1, g1.corte, keys), install(root, g2.dir, 2, g2.corte, keys)];
    for (const id of ids) await prepareCompressedVariants({ root, cutDir: join(root, "cuts", id) });
    activate(root, ids[0]!);
    const all = walk(g1.dir).filter((p) => walk(g2.dir).includes(p));
    const pick = (re: RegExp, n: number): string[] =>
      all
        .filter((p) => re.test(p))
        .sort()
        .slice(0, n);
    // ~20% pages, ~30% assets (CSS, a small image, a font), ~50% data JSON
    const mix = [
      ...Array(4).fill("index.html"),
      ...pick(/^assets\/css\//, 3),
      ...pick(/^assets\/img\//, 2),
      ...pick(/^assets\/fonts\/.*woff2$/, 1),
      "data/corte.json",
      "data/GUB/entidad.json",
      ...pick(/^data\/GUB\/distritos\//, 2),
      ...pick(/^data\/GUB\/secciones\//, 6),
    ];
    const script = join(work, "mix.lua");
    writeFileSync(
      script,
      readFileSync(join(__dirname, "..", "..", "serve", "mix.lua"), "utf8").replace(
        "--PATHS--",
        mix.map((p) => `"/${p.split("/").map(encodeURIComponent).join("/")}"`).join(", "),
      ),
    );
    const bytesOfMix = mix.reduce((a, p) => a + statSync(join(g1.dir, p)).size, 0) / mix.length;

    // For each configuration, alternate PREPcast and nginx runs (ROUNDS each) and report medians:
    // on a shared machine background load moves both, and interleaving keeps the comparison fair.
    const ngx = join(work, "nginx");
    mkdirSync(join(ngx, "logs"), { recursive: true });
    const nport = 20000 + Math.floor(Math.random() * 20000);
    const nginxConf = (workers: number): string => `user root;
worker_processes ${workers};
pid ${ngx}/nginx.pid;
error_log ${ngx}/logs/error.log warn;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log ${ngx}/logs/access.log combined buffer=64k flush=1s;
  sendfile on; tcp_nopush on; keepalive_requests 1000000; etag on;
  server { listen 127.0.0.1:${nport}; root ${root}/current/site; location / { index index.html; } }
}
`;
    const mport = nport + 1;
    const managedConf = join(ngx, "managed.conf");
    const managedOpts = {
      root,
      publicDir: join(ngx, "public"),
      accessLog: join(ngx, "logs", "managed.access.log"),
      include: join(ngx, "prepcast.conf"),
      test: [] as string[],
      reload: [] as string[],
    };
    const managedReload = ["nginx", "-p", ngx, "-c", managedConf, "-s", "reload"];
    type Ours = RunResult & { recorded: number };
    interface ConfigResult {
      workers: number;
      analytics: boolean;
      ours: Ours[];
      nginx: RunResult[];
      managed: Ours[];
    }
    const results: ConfigResult[] = [];
    let dbCount = 0;
    for (const analytics of ANALYTICS_MODES) {
      for (const workers of WORKER_COUNTS) {
        const cfg: ConfigResult = { workers, analytics, ours: [], nginx: [], managed: [] };
        results.push(cfg);
        writeFileSync(join(ngx, "nginx.conf"), nginxConf(workers));
        writeFileSync(
          managedConf,
          nginxConf(workers)
            .replace(/server \{.*\}\n/, `server { listen 127.0.0.1:${mport}; include ${managedOpts.include}; }\n`)
            .replace(/pid \S+;/, `pid ${ngx}/managed.pid;`),
        );
        for (let round = 0; round < ROUNDS; round++) {
          const db = join(root, `analytics-${dbCount++}.sqlite`);
          const site = await createSiteServer({
            root,
            listen: "127.0.0.1:0",
            workers,
            ...(analytics ? { analytics: db } : {}),
            log: { info() {}, warn() {}, error: (o, m) => console.error(m, o) },
          });
          await waitForPort(`${site.url}/`);
          const before = site.store ? site.store.count() : 0;
          // workers: 1 serves from this process; otherwise this process is the cluster primary (the SQLite writer).
          const r = await runWrk(`${site.url}/`, script, root, ids, childrenOf(process.pid).filter(isSiteWorker), true);
          await site.flushAnalytics();
          await new Promise((res) => setTimeout(res, 300));
          await site.flushAnalytics();
          cfg.ours.push({ ...r, recorded: site.store ? site.store.count() - before : 0 });
          await site.close();
          const nginx: ChildProcess = spawn("nginx", ["-p", ngx, "-c", join(ngx, "nginx.conf"), "-g", "daemon off;"], { stdio: "inherit" });
          await waitForPort(`http://127.0.0.1:${nport}/`);
          cfg.nginx.push(await runWrk(`http://127.0.0.1:${nport}/`, script, root, ids, [nginx.pid!, ...childrenOf(nginx.pid!)], false));
          nginx.kill("SIGQUIT");
          await new Promise((res) => nginx.on("exit", res));
          // agent-managed nginx: the include for the live cut, rewritten and reloaded at every switch
          activate(root, ids[0]!);
          rmSync(managedOpts.accessLog, { force: true }); // each round's follower counts this round's lines
          await syncNginxSite(managedOpts, Date.now(), true);
          const managed: ChildProcess = spawn("nginx", ["-p", ngx, "-c", managedConf, "-g", "daemon off;"], { stdio: "inherit" });
          await waitForPort(`http://127.0.0.1:${mport}/`);
          const follow = analytics ? { store: createAnalyticsStore(join(root, `analytics-${dbCount++}.sqlite`)), abort: new AbortController() } : undefined;
          const following = follow ? followNginxLog(follow.store, managedOpts.accessLog, { signal: follow.abort.signal, pollMs: 100 }) : undefined;
          const m = await runWrk(`http://127.0.0.1:${mport}/`, script, root, ids, [], analytics, {
            master: managed.pid!,
            onSwitch: () => void syncNginxSite({ ...managedOpts, reload: managedReload }, Date.now()).catch((e) => console.error(e)),
          });
          await new Promise((res) => setTimeout(res, 1500)); // nginx flushes its log buffer every second
          follow?.abort.abort();
          const followed = await following;
          follow?.store.close();
          managed.kill("SIGQUIT");
          await new Promise((res) => managed.on("exit", res));
          cfg.managed.push({ ...m, recorded: followed?.hits ?? 0 });
          const o = cfg.ours[round]!;
          const n = cfg.nginx[round]!;
          if (o.socketErrors + o.non2xx > 0 || process.argv.includes("--raw")) console.error(o.raw);
          console.error(
            `${workers} worker(s), analytics ${analytics ? "on" : "off"}, round ${round + 1}/${ROUNDS}: PREPcast ${o.rps.toFixed(0)} req/s (${((o.serverCpu / o.requests) * 1e6).toFixed(1)} µs CPU/req), nginx ${n.rps.toFixed(0)} req/s (${((n.serverCpu / n.requests) * 1e6).toFixed(1)} µs CPU/req), agent-managed nginx ${cfg.managed[round]!.rps.toFixed(0)} req/s (${((cfg.managed[round]!.serverCpu / cfg.managed[round]!.requests) * 1e6).toFixed(1)} µs CPU/req); load ${loadavg()[0]!.toFixed(1)}`,
          );
        }
      }
    }
    const median = <T>(runs: T[], key: (r: T) => number): T => [...runs].sort((a, b) => key(a) - key(b))[Math.floor(runs.length / 2)]!;
    const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const usPerReq = (r: RunResult, cpu: number): number => (cpu / Math.max(1, r.requests)) * 1e6;

    // analytics ingestion: sustained batched inserts (what the primary does with the workers' batches)
    const ingestDb = createAnalyticsStore(join(work, "ingest.sqlite"));
    const N = 500_000;
    const t0 = Date.parse("2024-06-02T20:00:00-06:00");
    const batch: RawHit[] = [];
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      batch.push({
        time: t0 + i * 2,
        ip: `10.0.${((i * 7919) % 25_000) >> 8}.${((i * 7919) % 25_000) & 255}`,
        ua: UA,
        method: "GET",
        path: mix[i % mix.length]!,
        status: 200,
        bytes: 1000,
        referrer: "",
        dest: "",
        html: i % 5 === 0,
      });
      if (batch.length === 1000) {
        ingestDb.insertHits(batch);
        batch.length = 0;
      }
    }
    ingestDb.insertHits(batch);
    const insertSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const logStart = process.hrtime.bigint();
    const ingested = await ingestNginxLog(ingestDb, join(ngx, "logs", "access.log"));
    const logSeconds = Number(process.hrtime.bigint() - logStart) / 1e9;
    ingestDb.close();

    console.log(
      `\nServing bench (median of ${ROUNDS} alternating rounds per configuration; load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(
          " ",
        )}): ${cpus().length} cores, wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION}s, mix of ${mix.length} paths (mean ${bytesOfMix.toFixed(0)} B), cut switch every 2 s; nginx with the same worker count`,
    );
    const header = [
      "workers",
      "analytics",
      "PREPcast req/s",
      "nginx req/s",
      "ratio",
      "p50 / p99 PREPcast",
      "p50 / p99 nginx",
      "CPU µs/req PREPcast",
      "CPU µs/req nginx",
      "wrk µs/req",
      "errors",
      "switches",
      "hits recorded / requests",
      "peak RSS PREPcast / nginx",
      "agent-managed nginx req/s",
      "managed / nginx",
      "CPU µs/req managed",
      "errors managed",
      "hits followed / requests managed",
    ];
    const table: string[][] = [];
    const summary: Record<string, unknown>[] = [];
    for (const c of results) {
      const ours = median(c.ours, (r) => r.rps);
      const theirs = median(c.nginx, (r) => r.rps);
      const managed = median(c.managed, (r) => r.rps);
      const cpuOurs = medianOf(c.ours.map((r) => usPerReq(r, r.serverCpu)));
      const cpuTheirs = medianOf(c.nginx.map((r) => usPerReq(r, r.serverCpu)));
      const cpuWrk = medianOf([...c.ours, ...c.nginx].map((r) => usPerReq(r, r.wrkCpu)));
      const errors = c.ours.reduce((a, r) => a + r.socketErrors + r.non2xx, 0);
      const errorsNginx = c.nginx.reduce((a, r) => a + r.socketErrors + r.non2xx, 0);
      const requests = c.ours.reduce((a, r) => a + r.requests, 0);
      const recorded = c.ours.reduce((a, r) => a + r.recorded, 0);
      const peakOurs = Math.max(...c.ours.map((r) => r.peakRssMiB));
      const peakTheirs = Math.max(...c.nginx.map((r) => r.peakRssMiB));
      table.push([
        String(c.workers),
        c.analytics ? "on" : "off",
        `${ours.rps.toFixed(0)} (${c.ours.map((r) => r.rps.toFixed(0)).join(", ")})`,
        `${theirs.rps.toFixed(0)} (${c.nginx.map((r) => r.rps.toFixed(0)).join(", ")})`,
        `${(ours.rps / theirs.rps).toFixed(2)}x`,
        `${ours.p50ms.toFixed(2)} / ${ours.p99ms.toFixed(1)} ms`,
        `${theirs.p50ms.toFixed(2)} / ${theirs.p99ms.toFixed(1)} ms`,
        cpuOurs.toFixed(1),
        cpuTheirs.toFixed(1),
        cpuWrk.toFixed(1),
        `${errors} / ${errorsNginx}`,
        `${c.ours.reduce((a, r) => a + r.switches, 0)} / ${c.nginx.reduce((a, r) => a + r.switches, 0)}`,
        c.analytics ? `${recorded} / ${requests}` : "off",
        `${peakOurs.toFixed(0)} / ${peakTheirs.toFixed(0)} MiB`,
        `${managed.rps.toFixed(0)} (${c.managed.map((r) => r.rps.toFixed(0)).join(", ")})`,
        `${(managed.rps / theirs.rps).toFixed(2)}x`,
        medianOf(c.managed.map((r) => usPerReq(r, r.serverCpu))).toFixed(1),
        String(c.managed.reduce((a, r) => a + r.socketErrors + r.non2xx, 0)),
        c.analytics ? `${c.managed.reduce((a, r) => a + r.recorded, 0)} / ${c.managed.reduce((a, r) => a + r.requests, 0)}` : "off",
      ]);
      summary.push({
        workers: c.workers,
        analytics: c.analytics,
        ours: { ...ours, raw: undefined },
        nginx: { ...theirs, raw: undefined },
        ratio: ours.rps / theirs.rps,
        managed: { ...managed, raw: undefined },
        managedRatio: managed.rps / theirs.rps,
        cpuUsPerRequest: { ours: cpuOurs, nginx: cpuTheirs, wrk: cpuWrk },
        rounds: { ours: c.ours.map((r) => r.rps), nginx: c.nginx.map((r) => r.rps) },
        errors,
        recorded,
        requests,
      });
    }
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const line = (cells: string[]): string => `| ${cells.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
    console.log(line(header));
    console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
    for (const r of table) console.log(line(r));
    console.log(
      "errors = socket errors + non-2xx responses over all rounds (PREPcast / nginx); CPU = user + system time of every server process and thread (for PREPcast including this bench process, which is the cluster primary or, with 1 worker, the server itself)",
    );
    console.log(
      `analytics: batched inserts ${(N / insertSeconds).toFixed(0)} hits/s (${N} hits from 25,000 visitors in ${insertSeconds.toFixed(2)} s); nginx log ingestion ${(ingested.hits / logSeconds).toFixed(0)} lines/s (${ingested.hits} lines, ${ingested.errorCount} malformed)`,
    );
    writeFileSync(
      join(__dirname, "..", "serve-results.json"),
      JSON.stringify(
        {
          cores: cpus().length,
          duration: DURATION,
          connections: CONNECTIONS,
          threads: THREADS,
          mix,
          configs: summary,
          insertHitsPerSecond: N / insertSeconds,
          logLinesPerSecond: ingested.hits / logSeconds,
          hash: createHash("sha256").update(mix.join()).digest("hex").slice(0, 8),
        },
        null,
        2,
      ),
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
