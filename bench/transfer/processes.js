// The benchmark's child processes: a CLI run for its JSON answer, a free port, an IPC message awaited.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

function cli(bin, argv) {
  const r = spawnSync(process.execPath, [bin, ...argv], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${path.basename(bin)} ${argv.join(" ")} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

async function freeEphemeralPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function message(proc, pred = () => true) {
  return new Promise((resolve, reject) => {
    const onMsg = (m) => {
      if (!pred(m)) return;
      proc.off("message", onMsg);
      proc.off("exit", onExit);
      resolve(m);
    };
    const onExit = (code) => reject(new Error(`${proc.spawnfile} exited ${code}`));
    proc.on("message", onMsg);
    proc.once("exit", onExit);
  });
}

/**
 * This process's own peak RSS in MB: VmHWM, which starts afresh with the program. Not
 * `process.resourceUsage().maxRSS`: getrusage's maxrss survives fork and exec, so a child forked
 * from a large parent (run.js after generating cuts) reports the parent's RSS at the fork as its
 * own peak (a child of a 341 MB parent: maxRSS 304 MB, VmHWM 41 MB).
 */
function peakRssMB() {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"));
  if (!m) throw new Error("no VmHWM in /proc/self/status: the benchmark measures memory on Linux only");
  return Number(m[1]) / 1024;
}

/**
 * PREPCAST_BENCH_MEM_TRACE=PREFIX: this process writes PREFIX.<label>.<pid>, one line every 100 ms:
 * ms since start, RSS, V8 heap total, heap used, external, array buffers (MB). Shows where a peak
 * happens and what it is made of.
 */
function startMemTrace(label) {
  const prefix = process.env.PREPCAST_BENCH_MEM_TRACE;
  if (!prefix) return;
  const out = fs.openSync(`${prefix}.${label}.${process.pid}`, "w");
  const t0 = Date.now();
  const mb = (n) => (n / 1048576).toFixed(1);
  fs.writeSync(out, "ms rss heapTotal heapUsed external arrayBuffers\n");
  setInterval(() => {
    const m = process.memoryUsage();
    fs.writeSync(out, `${Date.now() - t0} ${mb(m.rss)} ${mb(m.heapTotal)} ${mb(m.heapUsed)} ${mb(m.external)} ${mb(m.arrayBuffers)}\n`);
  }, 100).unref();
}

module.exports = { cli, freeEphemeralPort, message, peakRssMB, startMemTrace };
