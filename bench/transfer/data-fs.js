// Where the benchmark's receivers, publisher state and rsync receivers live (--fs loop|dir).
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const { log } = require("./log");

/**
 * Where receivers, the publisher's state and rsync's receivers are created: a fresh journaled
 * ext4 (loop-mounted sparse image) or a plain directory. Returns the directory and a cleanup.
 */
function prepareDataFs(work, mode) {
  const dir = path.join(work, "fs");
  const canLoop = process.getuid?.() === 0 && ["mkfs.ext4", "mount", "umount", "losetup"].every((c) => spawnSync("sh", ["-c", `command -v ${c}`]).status === 0);
  const chosen = mode ?? (canLoop ? "loop" : "dir");
  spawnSync("umount", [dir], { stdio: "ignore" }); // a previous run killed before its cleanup
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  if (chosen === "dir") {
    log(`data file system: plain directory ${dir}${mode ? "" : " (no loop mount: not root, or mkfs.ext4/losetup missing)"}`);
    return { dir, kind: "dir", cleanup: () => undefined };
  }
  if (chosen !== "loop") throw new Error(`--fs ${chosen}: expected loop or dir`);
  if (!canLoop) throw new Error("--fs loop needs root and mkfs.ext4, mount, losetup");
  const image = path.join(work, "fs.img");
  fs.rmSync(image, { force: true });
  execFileSync("truncate", ["-s", "64G", image]);
  execFileSync("mkfs.ext4", ["-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", image]);
  execFileSync("mount", ["-o", "loop,discard", image, dir]);
  let done = false;
  const cleanup = () => {
    if (done) return;
    done = true;
    // children may still be closing their files: retry, then detach lazily
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = spawnSync("umount", [dir], { stdio: "ignore" }).status === 0;
      if (!ok) spawnSync("sleep", ["0.25"]);
    }
    if (!ok) spawnSync("umount", ["-l", dir], { stdio: "ignore" });
    fs.rmSync(image, { force: true });
  };
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM"])
    process.once(sig, () => {
      cleanup();
      process.exit(130);
    });
  log(`data file system: fresh journaled ext4 on ${image} (sparse), mounted at ${dir}`);
  return { dir, kind: "ext4 (journaled, loop)", cleanup };
}

module.exports = { prepareDataFs };
