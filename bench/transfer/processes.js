// The benchmark's child processes: a CLI run for its JSON answer, a free port, an IPC message awaited.
"use strict";
const { spawnSync } = require("node:child_process");
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

module.exports = { cli, freeEphemeralPort, message };
