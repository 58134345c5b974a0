#!/usr/bin/env node
// `npm run bench [-- NAME [ARGS...]]`: builds what the benchmarks need and runs one of them (or
// lists them). Each benchmark prints its own side-by-side comparison measured in one run;
// docs/benchmarks.md records the latest figures with the command that produced them.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const path = require("node:path");

const root = path.join(__dirname, "..");
const tsc = (project) => execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(root, project)], { stdio: "inherit" });
const BENCHES = {
  pack: {
    what: "pack, verify and install throughput and peak RSS on a 1 GB cut (issue 2)",
    prepare: () => tsc("bench/tsconfig.json"),
    script: "bench/out/pack.js",
  },
  transfer: { what: "bytes on the wire, time to all live, publisher CPU/RSS vs rsync and rsync -z, N = 1, 8, 32 (issue 4)", script: "bench/transfer/run.js" },
  offline: {
    what: "offline delta package (pack --base, the contingency path) bytes vs rsync -z for the same cut pair (issue 15)",
    script: "bench/offline/run.js",
  },
  serve: {
    what: "requests/s and p99 vs nginx (and agent-managed nginx, site.nginx) under wrk with analytics on, a cut switch during the run (issue 7, issue 15)",
    prepare: () => tsc("bench/serve/tsconfig.json"),
    script: "bench/out/serve/run.js",
  },
  zip: {
    what: "whether a PREP database zip rebuilds byte for byte from its entries (node:zlib vs pako), on the real 2019 package (issue 15)",
    script: "bench/zip/run.js",
  },
  transport: { what: "raw frame throughput of gRPC, WebSocket and memory transports", script: "packages/transport/bench/transport.js" },
};

const [name, ...args] = process.argv.slice(2);
if (!name || !BENCHES[name]) {
  console.log("usage: npm run bench -- NAME [ARGS...]\n");
  for (const [n, b] of Object.entries(BENCHES)) console.log(`  ${n.padEnd(10)} ${b.what}`);
  console.log("\nBenchmarks may read ../shared (reference generator, rsync baseline, real data) and say so when it is absent.");
  process.exit(name ? 2 : 0);
}
const b = BENCHES[name];
if (b.prepare) b.prepare();
const r = spawnSync(process.execPath, [path.join(root, b.script), ...args], { stdio: "inherit", cwd: root });
process.exit(r.status ?? 1);
