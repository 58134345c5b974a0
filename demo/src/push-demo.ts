import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cluster, generateCut, waitFor } from "@prepcast/testkit";

// `npm run demo`: the main job on embedded defaults. A publisher and two receivers (one over
// gRPC, one over WebSocket) on loopback, set up with the real CLIs; a generated PREP cut is
// pushed every few seconds, stamped with the time it is pushed (so the sites are never stale).
// Open the printed URLs while it runs (the dashboard with the printed token); Ctrl-C stops everything.
//   PREPCAST_DEMO_CUTS=N       stop after N cuts (default: keep going until Ctrl-C; 4 without a TTY)
//   PREPCAST_DEMO_INTERVAL=S   seconds between cuts (default 5)

export interface PushDemoInfo {
  dir: string;
  cluster: Cluster;
  /** the operator token the dashboard's login page accepts */
  token: string;
}

export interface PushDemoOptions {
  cuts: number;
  intervalMs: number;
  dir?: string;
  out?: (line: string) => void;
  /** called once everything runs, before the first cut (tests look at the dashboard here) */
  onReady?: (info: PushDemoInfo) => Promise<void> | void;
  /** called after the last cut, before everything stops */
  beforeStop?: (info: PushDemoInfo) => Promise<void> | void;
  /** set to stop after the cut in progress */
  signal?: AbortSignal;
}

export async function runPushDemo(opts: PushDemoOptions): Promise<{ dir: string; receiptsSummary: string }> {
  const out = opts.out ?? ((s: string) => process.stdout.write(s + "\n"));
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-demo-"));
  out(`PREPcast demo in ${dir}`);
  out("setting up: prep-publisher init, prep-receiver init (x2), configs with pinned keys and TLS fingerprints, an operator token...");
  const cluster = await Cluster.create(
    [
      { id: "uv-xalapa", transport: "grpc" },
      { id: "diario-ws", transport: "websocket" },
    ],
    { dir, pingSeconds: 5, adminToken: true },
  );
  const info: PushDemoInfo = { dir, cluster, token: cluster.adminToken! };
  let receiptsSummary = "";
  try {
    for (const r of cluster.receivers) await cluster.startReceiver(r);
    await cluster.startPublisher();
    out("");
    out("open these while the demo runs:");
    out(`  operator dashboard (publisher):  ${cluster.adminUrl}/`);
    out(`      log in with the operator token ${info.token}`);
    out(`      (it is in ${path.join(cluster.pubDir, "admin.token")}, set as admin.tokenFile in ${cluster.pubConfig})`);
    for (const r of cluster.receivers) {
      out(`  ${r.id.padEnd(10)} public site:  http://127.0.0.1:${r.sitePort}/   cut info: http://127.0.0.1:${r.sitePort}/.well-known/prepcast.json`);
      out(`  ${r.id.padEnd(10)} agent status: http://127.0.0.1:${r.adminPort}/   (${r.transport})`);
    }
    out("");
    await opts.onReady?.(info);
    for (let k = 1; k <= opts.cuts && !opts.signal?.aborted; k++) {
      const started = Date.now();
      // today's time: a site showing a 2024 cut would say "Corte desactualizado"
      const cut = await generateCut({ outDir: path.join(dir, "cuts"), k, scale: "small", at: new Date() });
      const res = cluster.push(cut.dir);
      const j = res.json as { sequence: number; delivered: number; receivers: number; table: Array<Array<string | null>> };
      out(`corte ${k} (${cut.corte}): ${cut.files} files -> ${j.delivered}/${j.receivers} receivers live in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const row of j.table) out(`    ${row.map((c) => c ?? "-").join("  ")}`);
      if (k < opts.cuts) await waitFor("next cut", () => opts.signal?.aborted === true, opts.intervalMs, 100).catch(() => undefined);
    }
    const receipts = spawnSync(
      process.execPath,
      [path.join(__dirname, "../../apps/publisher/bin/prep-publisher.js"), "receipts", "--config", cluster.pubConfig],
      { encoding: "utf8" },
    );
    receiptsSummary = receipts.stdout;
    out("\nsigned receipts kept by the publisher:");
    out(receipts.stdout);
    await opts.beforeStop?.(info);
  } finally {
    out("\nstopping publisher and receivers...");
    await cluster.stop();
    out(`state kept in ${dir} (audit logs, receipts, cuts)`);
  }
  return { dir, receiptsSummary };
}

export async function main(): Promise<void> {
  const interactive = process.stdout.isTTY === true;
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  await runPushDemo({
    cuts: Number(process.env.PREPCAST_DEMO_CUTS ?? (interactive ? 9999 : 4)),
    intervalMs: Number(process.env.PREPCAST_DEMO_INTERVAL ?? 5) * 1000,
    signal: stop.signal,
  });
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
