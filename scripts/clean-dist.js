#!/usr/bin/env node
// Runs before every workspace's build (`prebuild`): removes the workspace's dist/ so that a file
// moved or deleted in src/ cannot survive as a stale dist/ file that Node still resolves (a stale
// dist/doctor/checks.js once shadowed dist/doctor/checks/index.js after a folder split).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const dist = path.resolve(process.cwd(), "dist");
if (path.basename(path.dirname(dist)) === "" || !fs.existsSync(path.join(process.cwd(), "package.json"))) {
  console.error(`clean-dist: run from a workspace directory (no package.json in ${process.cwd()})`);
  process.exit(2);
}
fs.rmSync(dist, { recursive: true, force: true });
