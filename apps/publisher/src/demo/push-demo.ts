import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Cluster, generateCut, waitFor } from "@prepcast/testkit";

// `npm run demo`: the main job on embedded defaults. A publisher and two receivers (one over
// gRPC, one over WebSocket) on loopback, set up with the real CLIs; a generated PREP cut is
// pushed every few seconds. Open the printed URLs while it runs; Ctrl-C stops everything.
//   PREPCAST_DEMO_CUTS=N       stop after N cuts (default: keep going until Ctrl-C; 4 without a TTY)
//   PREPCAST_DEMO_INTERVAL=S   seconds between cuts (default 5)

export async function main(): Promise<void> {
  const interactive = process.stdout.isTTY === true;
  const maxCuts = Number(process.env.PREPCAST_DEMO_CUTS ?? (interactive ? 9999 : 4));
  const interval = Number(process.env.PREPCAST_DEMO_INTERVAL ?? 5) * 1000;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-demo-"));
  const out = (s: string) => process.stdout.write(s + "\n");
  out(`PREPcast demo in ${dir}`);
  out("setting up: prep-publisher init, prep-receiver init (x2), configs with pinned keys and TLS fingerprints...");
  const cluster = await Cluster.create(
    [
      { id: "uv-xalapa", transport: "grpc" },
      { id: "diario-ws", transport: "websocket" },
    ],
    { dir, pingSeconds: 5 },
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    out("\nstopping publisher and receivers...");
    await cluster.stop();
    out(`state kept in ${dir} (audit logs, receipts, cuts)`);
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(0)));
  process.once("SIGTERM", () => void stop().then(() => process.exit(0)));
  try {
    for (const r of cluster.receivers) await cluster.startReceiver(r);
    await cluster.startPublisher();
    out("");
    out("open these while the demo runs:");
    out(`  operator dashboard (publisher):  ${cluster.adminUrl}/   (status JSON: ${cluster.adminUrl}/api/status)`);
    for (const r of cluster.receivers) {
      out(`  ${r.id.padEnd(10)} public site:  http://127.0.0.1:${r.sitePort}/   cut info: http://127.0.0.1:${r.sitePort}/.well-known/prepcast.json`);
      out(`  ${r.id.padEnd(10)} agent status: http://127.0.0.1:${r.adminPort}/   (${r.transport})`);
    }
    out("");
    for (let k = 1; k <= maxCuts && !stopping; k++) {
      const started = Date.now();
      const cut = await generateCut({ outDir: path.join(dir, "cuts"), k, scale: "small" });
      const res = cluster.push(cut.dir);
      const j = res.json as { sequence: number; delivered: number; receivers: number; table: Array<Array<string | null>> };
      out(`corte ${k} (${cut.corte}): ${cut.files} files -> ${j.delivered}/${j.receivers} receivers live in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      for (const row of j.table) out(`    ${row.map((c) => c ?? "-").join("  ")}`);
      await waitFor("next cut", () => stopping || false, interval, 100).catch(() => undefined);
    }
    const receipts = spawnSync(process.execPath, [path.join(__dirname, "../../bin/prep-publisher.js"), "receipts", "--config", cluster.pubConfig], { encoding: "utf8" });
    out("\nsigned receipts kept by the publisher:");
    out(receipts.stdout);
  } finally {
    await stop();
  }
}

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`demo failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
