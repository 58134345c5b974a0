#!/usr/bin/env node
// `npm run bench -- zip [--zip FILE]`: can a PREP database zip be rebuilt byte for byte from its
// entries? (issue 15, "the real data's zip"). For every deflated entry it inflates the data
// (bounded by the declared size), re-deflates it with every zlib level × memLevel (default and
// filtered strategies) in two implementations, and reports which settings give the original bytes:
//   - Node's own zlib (node:zlib: Chromium's fork of zlib, with its own match finder);
//   - pako, a pure-JavaScript port of stock zlib (the same bytes on every machine and Node build).
// Then it reassembles the whole zip from its headers and the re-deflated data and compares the
// SHA-256, and prints what a zip-aware codec would send beyond the entries' contents (the
// "skeleton": headers, central directory, end record) against the zip's size.
// Default input: the real Quintana Roo 2019 package in ../shared (skipped, saying so, when absent).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");
const { createHash } = require("node:crypto");
const pako = require("pako");

const args = process.argv.slice(2);
const at = args.indexOf("--zip");
const DEFAULT = path.join(__dirname, "../../../shared/data/qroo-2019/20190603_0547_PREP_DIP_QROO.zip");
const file = at >= 0 ? args[at + 1] : DEFAULT;
if (!file || !fs.existsSync(file)) {
  console.log(`zip bench skipped: ${file ?? "(no --zip value)"} is absent (the default is the real Quintana Roo 2019 package in ../shared)`);
  process.exit(0);
}
const raw = fs.readFileSync(file);
const sha = (b) => createHash("sha256").update(b).digest("hex");

/** Local entries in file order: [{name, method, flags, dataStart, compressedSize, size}] (stops at the central directory). */
function entries(buf) {
  const out = [];
  let off = 0;
  while (off + 30 <= buf.length && buf.readUInt32LE(off) === 0x04034b50) {
    const flags = buf.readUInt16LE(off + 6),
      method = buf.readUInt16LE(off + 8);
    const compressedSize = buf.readUInt32LE(off + 18),
      size = buf.readUInt32LE(off + 22);
    const nl = buf.readUInt16LE(off + 26),
      el = buf.readUInt16LE(off + 28);
    if (flags & 0x08) throw new Error(`${file}: entry at ${off} has a data descriptor (sizes after the data); not handled by this bench`);
    const dataStart = off + 30 + nl + el;
    if (dataStart + compressedSize > buf.length) throw new Error(`${file}: entry at ${off} runs past the end`);
    out.push({ name: buf.subarray(off + 30, off + 30 + nl).toString("latin1"), method, flags, dataStart, compressedSize, size });
    off = dataStart + compressedSize;
  }
  return out;
}

const deflaters = {
  "node:zlib": (body, o) => zlib.deflateRawSync(body, { level: o.level, memLevel: o.memLevel, strategy: o.strategy, windowBits: 15 }),
  pako: (body, o) => Buffer.from(pako.deflateRaw(body, { level: o.level, memLevel: o.memLevel, strategy: o.strategy, windowBits: 15 })),
};

const list = entries(raw);
const rebuilt = Buffer.from(raw);
let dataBytes = 0;
const rows = [];
const allRebuilt = {};
for (const name of Object.keys(deflaters)) allRebuilt[name] = true;
for (const e of list) {
  const data = raw.subarray(e.dataStart, e.dataStart + e.compressedSize);
  dataBytes += e.compressedSize;
  if (e.method === 0) {
    rows.push({ entry: e.name, bytes: `${e.compressedSize} stored`, ...Object.fromEntries(Object.keys(deflaters).map((n) => [n, "stored: copied"])) });
    continue;
  }
  if (e.method !== 8) throw new Error(`${file}: ${e.name} uses method ${e.method}, not deflate`);
  const body = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, e.size) });
  const row = { entry: e.name, bytes: `${e.compressedSize} of ${body.length}` };
  for (const [name, deflate] of Object.entries(deflaters)) {
    const hits = [];
    for (const strategy of [zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FILTERED])
      for (let level = 1; level <= 9; level++)
        for (let memLevel = 1; memLevel <= 9; memLevel++)
          if (deflate(body, { level, memLevel, strategy }).equals(data)) hits.push({ level, memLevel, strategy });
    if (hits.length === 0) {
      allRebuilt[name] = false;
      row[name] = "no setting rebuilds it";
      continue;
    }
    const best = hits.find((h) => h.level === 9 && h.memLevel === 9) ?? hits[hits.length - 1];
    const t0 = process.hrtime.bigint();
    const again = deflate(body, best);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (name === "pako") again.copy(rebuilt, e.dataStart);
    row[name] = `${hits.length} settings, e.g. level ${best.level} memLevel ${best.memLevel}${best.strategy ? " filtered" : ""} (${ms.toFixed(0)} ms)`;
  }
  rows.push(row);
}

console.log(`${file}: ${raw.length} bytes, ${list.length} entries (sha256 ${sha(raw).slice(0, 16)}…)`);
console.table(rows);
for (const [name, ok] of Object.entries(allRebuilt)) console.log(`${name.padEnd(10)} every entry rebuilt byte for byte: ${ok ? "yes" : "no"}`);
if (allRebuilt.pako) {
  // every data range of `rebuilt` was overwritten with pako's output above
  console.log(`whole zip reassembled from its headers and pako's data: sha256 ${sha(rebuilt) === sha(raw) ? "identical" : "DIFFERS"}`);
}
const skeleton = raw.length - dataBytes;
console.log(
  `skeleton (headers, central directory, end record): ${skeleton} B = ${((100 * skeleton) / raw.length).toFixed(2)} % of the zip; the rest is the entries' deflated data`,
);
