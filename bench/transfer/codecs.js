#!/usr/bin/env node
// How the delta codec was chosen: bytes and CPU time of candidate encodings of cut K from cut K-1.
//   node bench/transfer/codecs.js PREV_CUT_DIR NEXT_CUT_DIR
// z() returns the compressed size. Candidates: per file (zstd with the old version as dictionary, zstd alone, brotli, gzip), and
// grouped (changed files concatenated in ~N KiB groups, the old versions as one dictionary).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");
const zstd = require(path.join(__dirname, "..", "..", "node_modules", "zstd-napi", "binding.js"));

const [prevDir, nextDir] = process.argv.slice(2);
if (!prevDir || !nextDir) {
  console.error("usage: node bench/transfer/codecs.js PREV_CUT_DIR NEXT_CUT_DIR");
  process.exit(2);
}
function walk(d, base = d, out = new Map()) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p, base, out);
    else out.set(path.relative(base, p).split(path.sep).join("/"), p);
  }
  return out;
}
const sha = (b) => crypto.createHash("sha256").update(b).digest("hex");
const prev = walk(prevDir);
const next = walk(nextDir);
const held = new Set([...prev.values()].map((p) => sha(fs.readFileSync(p))));
const files = [...next.keys()].sort().map((p) => ({ p, data: fs.readFileSync(next.get(p)), old: prev.has(p) ? fs.readFileSync(prev.get(p)) : null }));
const changed = files.filter((f) => !held.has(sha(f.data)));
const cctx = new zstd.CCtx();
const z = (src, dict, level) => {
  const dst = Buffer.allocUnsafe(zstd.compressBound(src.length));
  return dict && dict.length ? cctx.compressUsingDict(dst, src, Buffer.concat([Buffer.from("PCDZDICT"), dict]), level) : cctx.compress(dst, src, level);
};
const total = files.reduce((s, f) => s + f.data.length, 0);
const zip = changed.filter((f) => f.p.endsWith(".zip")).reduce((s, f) => s + f.data.length, 0);
console.log(
  `${files.length} files, ${(total / 1e6).toFixed(2)} MB; ${changed.length} changed or new (${(changed.reduce((s, f) => s + f.data.length, 0) / 1e6).toFixed(2)} MB, of which zip ${(zip / 1e6).toFixed(2)} MB stored as is)`,
);
const rows = [];
const time = (label, fn) => {
  const t = process.cpuUsage();
  const bytes = fn();
  const c = process.cpuUsage(t);
  rows.push({ label, bytes, cpuMs: Math.round((c.user + c.system) / 1000) });
};
for (const level of [3, 12, 19])
  time(`per file, zstd -${level} with old version as dictionary`, () => changed.reduce((s, f) => s + Math.min(z(f.data, f.old, level), f.data.length), 0));
time("per file, zstd -12 alone", () => changed.reduce((s, f) => s + Math.min(z(f.data, null, 12), f.data.length), 0));
time("per file, brotli q9", () =>
  changed.reduce((s, f) => s + Math.min(zlib.brotliCompressSync(f.data, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 9 } }).length, f.data.length), 0),
);
time("per file, gzip -6", () => changed.reduce((s, f) => s + Math.min(zlib.gzipSync(f.data).length, f.data.length), 0));
for (const level of [6, 12, 15]) {
  for (const group of [256 << 10, 1 << 20, 4 << 20]) {
    time(`groups of ${group >> 10} KiB, zstd -${level}, old versions as dictionary`, () => {
      let out = 0;
      for (let i = 0; i < changed.length;) {
        const ns = [];
        const os = [];
        let size = 0;
        while (i < changed.length && size < group) {
          ns.push(changed[i].data);
          if (changed[i].old) os.push(changed[i].old);
          size += changed[i].data.length;
          i++;
        }
        const n = Buffer.concat(ns);
        out += Math.min(z(n, Buffer.concat(os), level), n.length);
      }
      return out;
    });
  }
}
time("groups of 1024 KiB, zstd -12, no dictionary (full-zstd@1 of the changed files)", () => {
  let out = 0;
  for (let i = 0; i < changed.length;) {
    const ns = [];
    let size = 0;
    while (i < changed.length && size < 1 << 20) {
      ns.push(changed[i].data);
      size += changed[i].data.length;
      i++;
    }
    const n = Buffer.concat(ns);
    out += Math.min(z(n, null, 12), n.length);
  }
  return out;
});
console.log("| candidate | bytes | CPU ms |\n| --- | --- | --- |");
for (const r of rows) console.log(`| ${r.label} | ${r.bytes.toLocaleString("en")} | ${r.cpuMs} |`);
