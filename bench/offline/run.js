#!/usr/bin/env node
// bench/offline: the offline delta package (`prep-publisher pack --base`, the contingency path)
// against rsync -z for the same base → target pair, measured in one run: the bytes a difusor
// copies (the package file) vs the bytes rsync -z moves both ways to bring cut K-1 to cut K.
//
//   npm run bench -- offline [--scale small|veracruz] [--pair K] [--work DIR]
//
// Packages are written by the same code as `prep-publisher pack` / `pack --base`: each full
// `.prep`, the delta package in the current format (@2, manifest zstd-compressed), the old @1
// layout (manifest uncompressed) for comparison, and @2 with the manifest at zstd level 19.
// Each delta package is installed on a receiver holding cut K-1 and checked byte for byte.
// rsync side: ../shared/bench/rsync-baseline.sh (rsync daemon on loopback), with and without -z.
"use strict";
const { execFileSync, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const { REPO, SHARED, cutInstant, ensureCut } = require("../cuts");

function parseArgs(argv) {
  const a = { scale: "veracruz", pair: 9, work: path.join(REPO, "bench", "out", "offline") };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === "--scale") a.scale = v();
    else if (k === "--pair") a.pair = Number(v());
    else if (k === "--work") a.work = path.resolve(v());
    else {
      console.error(`unknown option ${k}\nusage: node bench/offline/run.js [--scale small|veracruz] [--pair K] [--work DIR]`);
      process.exit(2);
    }
  }
  if (a.scale === "national") {
    console.error("--scale national is not supported here (veracruz at most)");
    process.exit(2);
  }
  return a;
}

const args = parseArgs(process.argv.slice(2));
const log = (...m) => console.error(`[${new Date().toISOString().slice(11, 19)}]`, ...m);

/** The size of the i-th entry of a package (short ustar names, as pack writes the signed documents). */
function entrySize(file, index) {
  const fd = fs.openSync(file, "r");
  try {
    let at = 0;
    for (let i = 0; ; i++) {
      const h = Buffer.alloc(512);
      fs.readSync(fd, h, 0, 512, at);
      const size = parseInt(h.subarray(124, 136).toString("latin1").replace(/[\0 ]/g, ""), 8);
      if (i === index) return size;
      at += 512 + Math.ceil(size / 512) * 512;
    }
  } finally {
    fs.closeSync(fd);
  }
}

function rsync(cutsDir, k, flags) {
  const tmp = path.join(args.work, "tmp");
  fs.mkdirSync(tmp, { recursive: true });
  const out = execFileSync("bash", [path.join(SHARED, "bench", "rsync-baseline.sh"), cutsDir, String(k), "1", ...flags], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, TMPDIR: tmp },
  });
  const f = (name) => Number(new RegExp(`${name}=([0-9.]+)`).exec(out)?.[1] ?? NaN);
  return { bytes: f("sent") + f("received"), sent: f("sent"), received: f("received"), identical: /result=identical/.test(out) };
}

async function main() {
  const protocol = require(path.join(REPO, "packages/protocol/dist"));
  const delta = require(path.join(REPO, "packages/delta/dist"));
  const receiver = require(path.join(REPO, "apps/receiver/dist"));
  const cutgen = require(path.join(REPO, "packages/cutgen/dist"));
  const k = args.pair;
  const cuts = path.join(args.work, `cuts-${args.scale}`);
  fs.mkdirSync(cuts, { recursive: true });
  const base = await ensureCut(cuts, k - 1, args.scale);
  const target = await ensureCut(cuts, k, args.scale);
  const out = path.join(args.work, "packages");
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const keys = path.join(out, "keys");
  protocol.initPublisherKeys(keys);
  const rootPublicKey = protocol.readPublicKeyFile(path.join(keys, "root.pub")).publicKey;
  const full = {};
  for (const [seq, dir] of [
    [k - 1, base],
    [k, target],
  ]) {
    const t0 = process.hrtime.bigint();
    const r = await protocol.packCut({
      cutDir: dir,
      keysDir: keys,
      process: "VER-2024",
      channel: "produccion",
      sequence: seq,
      corte: cutInstant(seq).toISOString(),
      out: path.join(out, `cut${seq}.prep`),
    });
    full[seq] = {
      bytes: r.packageBytes,
      manifestJson: entrySize(path.join(out, `cut${seq}.prep`), 2),
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      files: r.manifest.files.length,
    };
  }

  const variants = [
    { name: "delta package @2 (manifest zstd level 1, the default)", opts: {} },
    { name: "delta package @1 (manifest uncompressed, before)", opts: { format: 1 } },
    { name: "delta package @2, manifest zstd level 19", opts: { manifestLevel: 19 } },
  ];
  const rows = [];
  for (const v of variants) {
    const file = path.join(out, `delta-${rows.length}.prep`);
    const t0 = process.hrtime.bigint();
    const r = await delta.buildDeltaPackage({
      target: path.join(out, `cut${k}.prep`),
      base: path.join(out, `cut${k - 1}.prep`),
      rootPublicKey,
      out: file,
      workDir: out,
      ...v.opts,
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // install it on a receiver holding cut K-1, and check the result byte for byte
    const root = path.join(out, `recv-${rows.length}`);
    const store = await protocol.CutStore.open(root, {});
    let installS;
    try {
      await protocol.installPackage(store, path.join(out, `cut${k - 1}.prep`), { rootPublicKey });
      const t1 = process.hrtime.bigint();
      await receiver.installDeltaPackage(store, file, { rootPublicKey });
      installS = Number(process.hrtime.bigint() - t1) / 1e9;
      const diff = (await cutgen.compareTrees(target, store.live().siteDir)).differences;
      if (diff.length) throw new Error(`${v.name}: installed tree differs from cut ${k}: ${JSON.stringify(diff.slice(0, 3))}`);
    } finally {
      store.close();
    }
    rows.push({ name: v.name, bytes: r.packageBytes, manifest: r.manifestBytes, stream: r.stats.size, seconds, installS });
    fs.rmSync(root, { recursive: true, force: true });
  }

  const haveRsync = fs.existsSync(path.join(SHARED, "bench", "rsync-baseline.sh")) && spawnSync("rsync", ["--version"]).status === 0;
  const rz = haveRsync ? rsync(cuts, k, ["-z"]) : null;
  const rplain = haveRsync ? rsync(cuts, k, []) : null;
  if (!haveRsync) log("rsync comparison skipped: rsync or ../shared/bench/rsync-baseline.sh missing");
  fs.rmSync(path.join(args.work, "tmp"), { recursive: true, force: true });

  const mb = (b) => (b / 1e6).toFixed(3);
  const ratio = (b) => (rz ? `${(b / rz.bytes).toFixed(2)}x` : "");
  const lines = [
    `${args.scale} cut ${k - 1} → ${k}: ${full[k].files} files; full .prep ${mb(full[k].bytes)} MB, its manifest.json ${mb(full[k].manifestJson)} MB; node ${process.version}`,
    "",
    "| what the difusor copies | MB | vs rsync -z | manifest entry MB | delta.bin MB | pack --base s | install s |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) => `| ${r.name} | ${mb(r.bytes)} | ${ratio(r.bytes)} | ${mb(r.manifest)} | ${mb(r.stream)} | ${r.seconds.toFixed(2)} | ${r.installS.toFixed(2)} |`,
    ),
    `| full .prep of cut ${k} | ${mb(full[k].bytes)} | ${ratio(full[k].bytes)} | ${mb(full[k].manifestJson)} |  | ${full[k].seconds.toFixed(2)} |  |`,
    ...(rz
      ? [
          `| rsync -z (sent + received) | ${mb(rz.bytes)} | 1.00x |  |  |  |  |`,
          `| rsync (sent + received) | ${mb(rplain.bytes)} | ${ratio(rplain.bytes)} |  |  |  |  |`,
        ]
      : []),
    "",
    ...(rz && (!rz.identical || !rplain.identical) ? ["RESULT DIFFERS: rsync's tree is not the cut"] : []),
    `target: the offline delta package at most 0.6x rsync -z: ${rz ? (rows[0].bytes / rz.bytes <= 0.6 ? "met" : "MISSED") : "not measured"}`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exitCode = 1;
});
