// Re-zips a cut's database zip as the OPLE's site most likely wrote it (PHP's ZipArchive, libzip:
// stock zlib at level 9, memLevel 9; measured in docs/benchmarks.md, "The real data's zip"), with
// pinned pako in place of stock zlib: same entries, same order, same names, same DOS time. The
// replay's own zips (cutgen's replayQroo2019) are written with node:zlib, which no zip-aware
// codec can rebuild; this is what `bench/transfer/run.js --zip-codec` measures against.
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const zlib = require("node:zlib");
const REPO = path.resolve(__dirname, "..", "..");
const { parseZip, pakoDeflateRaw, inflateBounded } = require(path.join(REPO, "packages/delta/dist"));

function rezip(buf, where) {
  const layout = parseZip(buf, where);
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const e of layout.entries) {
    const data = buf.subarray(e.dataStart, e.dataStart + e.compressedSize);
    const plain = e.method === 0 ? data : inflateBounded(data, e.size, e.name, where);
    const body = pakoDeflateRaw(plain, 9, 9);
    const name = buf.subarray(e.localOffset + 30, e.localOffset + 30 + buf.readUInt16LE(e.localOffset + 26));
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(8, 8);
    buf.copy(local, 10, e.localOffset + 10, e.localOffset + 14); // DOS time and date
    local.writeUInt32LE(zlib.crc32(plain), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(plain.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x033f, 4);
    local.copy(central, 6, 4, 30);
    central.writeUInt32LE(0x81a40000, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(layout.entries.length, 8);
  end.writeUInt16LE(layout.entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Rewrites every `*.zip` under `cutDir` in place (keeping its mtime); returns how many. */
function rezipCut(cutDir) {
  let n = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.zip$/i.test(e.name)) {
        const st = fs.statSync(p);
        fs.writeFileSync(p, rezip(fs.readFileSync(p), p));
        fs.utimesSync(p, st.atime, st.mtime);
        n++;
      }
    }
  };
  walk(cutDir);
  return n;
}

module.exports = { rezip, rezipCut };
