// Generates src/gen/prepcast.{js,d.ts} from prepcast/v1/*.proto with protobufjs-cli.
// Generated code is a build output (git-ignored), never hand-edited.
"use strict";
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const root = path.join(__dirname, "..");
const protoDir = path.join(root, "prepcast", "v1");
const protos = fs
  .readdirSync(protoDir)
  .filter((f) => f.endsWith(".proto"))
  .sort()
  .map((f) => path.join(protoDir, f));
const out = path.join(root, "src", "gen");
fs.mkdirSync(out, { recursive: true });
const bin = (name) => require.resolve(`protobufjs-cli/bin/${name}`);
execFileSync(
  process.execPath,
  [
    bin("pbjs"),
    "-t",
    "static-module",
    "-w",
    "commonjs",
    "--force-number",
    "--no-verify",
    "--no-delimited",
    "--no-convert",
    "-o",
    path.join(out, "prepcast.js"),
    ...protos,
  ],
  { stdio: "inherit" },
);
execFileSync(process.execPath, [bin("pbts"), "-o", path.join(out, "prepcast.d.ts"), path.join(out, "prepcast.js")], { stdio: "inherit" });
console.log(`generated ${path.relative(root, out)} from ${protos.length} proto file(s)`);
