// The transfer benchmark's command line (run.js).
"use strict";
const path = require("node:path");

const { REPO } = require("../cuts");

function parseArgs(argv) {
  const a = {
    scale: "veracruz",
    pairs: [9, 41],
    receivers: [1, 8, 32],
    workers: 4,
    chunk: 0,
    actas: false,
    qroo: false,
    zipCodec: false,
    rsync: true,
    work: path.join(REPO, "bench", "out", "transfer"),
    fs: null,
    profile: null,
    nodeArgs: { publisher: [], receivers: [] },
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === "--scale") a.scale = v();
    else if (k === "--pairs") a.pairs = v().split(",").filter(Boolean).map(Number);
    else if (k === "--receivers") a.receivers = v().split(",").map(Number);
    else if (k === "--workers") a.workers = Number(v());
    else if (k === "--chunk") a.chunk = Number(v());
    else if (k === "--actas") a.actas = true;
    else if (k === "--qroo") a.qroo = true;
    else if (k === "--zip-codec") a.zipCodec = a.qroo = true;
    else if (k === "--no-rsync") a.rsync = false;
    else if (k === "--work") a.work = v();
    else if (k === "--fs") a.fs = v();
    else if (k === "--profile") a.profile = path.resolve(v());
    else if (k === "--publisher-node-args") a.nodeArgs.publisher = v().split(" ").filter(Boolean);
    else if (k === "--receiver-node-args") a.nodeArgs.receivers = v().split(" ").filter(Boolean);
    else {
      console.error(
        `unknown option ${k}\nusage: node bench/transfer/run.js [--scale veracruz] [--pairs 9,41] [--receivers 1,8,32] [--workers 4] [--chunk BYTES] [--actas] [--qroo] [--zip-codec] [--no-rsync] [--work DIR] [--fs loop|dir] [--profile DIR] [--publisher-node-args "ARGS"] [--receiver-node-args "ARGS"]`,
      );
      process.exit(2);
    }
  }
  return a;
}

module.exports = { parseArgs };
