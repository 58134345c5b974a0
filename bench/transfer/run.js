#!/usr/bin/env node
// bench/transfer: PREPcast vs rsync and rsync -z pushing consecutive PREP cuts to N receivers on
// loopback, measured in one run and printed side by side.
//
//   node bench/transfer/run.js [--scale veracruz] [--pairs 9,41] [--receivers 1,8,32]
//                              [--workers 4] [--chunk BYTES] [--actas] [--qroo] [--no-rsync] [--work DIR]
//                              [--fs loop|dir] [--profile DIR]
//
// --pairs K,...   cut K-1 → K for each K (early and late in the night: 9 is 22:00, 41 is 06:00)
// --qroo          also replay the Quintana Roo 2019 PREP (../shared/data/qroo-2019) as cuts
// PREPcast side: one publisher process (its CPU and peak RSS are measured), receivers as real
// agents, several per worker process (the machine has 2 cores). Bytes on the wire are the TCP
// payload bytes (TLS records included) of the publisher's sockets, read from the kernel (`ss -tin`)
// before and after each push, both directions. rsync side: ../shared/bench/rsync-baseline.sh
// (rsync daemon on loopback), with and without -z. Needs `npm run build` first, and rsync.
// --fs loop (the default when run as root with mkfs.ext4): every receiver, the publisher's state
// and rsync's receivers live on a fresh journaled ext4 file system (a loop-mounted sparse image
// under --work), as on the difusores' Ubuntu servers. This VM's own disk is ext4 *without* a
// journal, where creating a file scans past every inode freed in the last minutes (ext4's
// recently_deleted check), so file creation cost depends on what was deleted before:
// docs/benchmarks.md, "Where the files land". --fs dir: plain directories under --work.
// --profile DIR: the publisher and receiver processes write V8 CPU profiles (.cpuprofile) there.
"use strict";
const { execFileSync, fork, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const { REPO, SHARED, ensureCut, stampCut } = require("../cuts");
const PUBLISHER_BIN = path.join(REPO, "apps/publisher/bin/prep-publisher.js");
const RECEIVER_BIN = path.join(REPO, "apps/receiver/bin/prep-receiver.js");
const { parseArgs } = require("./args");
const { log } = require("./log");
const { cli, freeEphemeralPort, message } = require("./processes");
const { prepareDataFs } = require("./data-fs");
const { socketBytes, bytesBetween } = require("./wire-bytes");

const args = parseArgs(process.argv.slice(2));
// one profile per process started (Node 20's --cpu-prof-name has no ${pid} placeholder: a fixed
// name would be overwritten by the next configuration's process)
let profiles = 0;
const execArgv = (role) => [
  ...args.nodeArgs[role],
  ...(args.profile ? ["--cpu-prof", `--cpu-prof-dir=${args.profile}`, `--cpu-prof-name=${role}-${String(++profiles).padStart(2, "0")}.cpuprofile`] : []),
];
const mb = (b) => (b / 1e6).toFixed(2);

class Bench {
  constructor(dataDir) {
    this.work = args.work;
    this.data = dataDir;
    fs.mkdirSync(this.work, { recursive: true });
    this.pubDir = path.join(this.work, "pub");
    this.receivers = [];
  }

  setupIdentities(max) {
    if (!fs.existsSync(path.join(this.pubDir, "publisher.yaml"))) cli(PUBLISHER_BIN, ["init", "--dir", this.pubDir, "--id", "ople", "--json"]);
    // configure() rewrites publisher.yaml for each run: it starts from the file init wrote, every time
    if (!fs.existsSync(path.join(this.pubDir, "publisher.template.yaml")))
      fs.copyFileSync(path.join(this.pubDir, "publisher.yaml"), path.join(this.pubDir, "publisher.template.yaml"));
    for (let i = this.receivers.length; i < max; i++) {
      const id = `r${String(i + 1).padStart(2, "0")}`;
      const dir = path.join(this.work, id);
      const infoFile = path.join(dir, "init.json");
      let info;
      if (fs.existsSync(infoFile)) info = JSON.parse(fs.readFileSync(infoFile, "utf8"));
      else {
        info = cli(RECEIVER_BIN, [
          "init",
          "--dir",
          dir,
          "--id",
          id,
          "--trust",
          "../pub/root.pub",
          "--publisher-key",
          "../pub/identity.pub",
          "--publisher-id",
          "ople",
          "--allow",
          "127.0.0.1/32",
          "--json",
        ]);
        fs.writeFileSync(infoFile, JSON.stringify(info));
        fs.copyFileSync(path.join(dir, "receiver.yaml"), path.join(dir, "receiver.template.yaml"));
      }
      this.receivers.push({ id, dir, info, config: path.join(dir, "receiver.yaml"), port: 0 });
    }
  }

  async configure(n) {
    const chosen = this.receivers.slice(0, n);
    // freePort() asks the kernel for an ephemeral port and releases it: with ~100 of them the
    // same number can come back twice, so every port of one run is distinct
    const taken = new Set();
    const freePort = async () => {
      for (;;) {
        const p = await freeEphemeralPort();
        if (!taken.has(p)) {
          taken.add(p);
          return p;
        }
      }
    };
    for (const r of chosen) {
      const root = path.join(this.data, r.id);
      fs.rmSync(root, { recursive: true, force: true });
      r.port = await freePort();
      const yaml = fs
        .readFileSync(path.join(r.dir, "receiver.template.yaml"), "utf8")
        .replace(/^root: .*$/m, `root: ${root}`)
        .replace(/listen: [0-9.]+:8730/, `listen: 127.0.0.1:${r.port}`)
        .replace(/listen: [0-9.]+:80\b/, `listen: 127.0.0.1:${await freePort()}`)
        .replace(/listen: 127\.0\.0\.1:8731/, `listen: 127.0.0.1:${await freePort()}`)
        .replace(/^log:.*$/m, "log: { level: warn }");
      fs.writeFileSync(r.config, yaml);
    }
    const pubState = path.join(this.data, "publisher-state");
    fs.rmSync(pubState, { recursive: true, force: true });
    let pub = fs
      .readFileSync(path.join(this.pubDir, "publisher.template.yaml"), "utf8")
      .replace(/^state: .*$/m, `state: ${pubState}`)
      .replace(/127\.0\.0\.1:8740/, `127.0.0.1:${await freePort()}`)
      .replace("receivers: []", "receivers:");
    for (const r of chosen)
      pub += `  - id: ${r.id}\n    name: Receptor ${r.id}\n    transport: grpc\n    address: 127.0.0.1:${r.port}\n    tlsFingerprint: ${r.info.tlsFingerprint}\n    identityPublicKey: ${r.info.identityPublicKey}\n`;
    const file = path.join(this.pubDir, "publisher.yaml");
    fs.writeFileSync(file, pub);
    return { chosen, pubConfig: file };
  }

  /** PREPcast: seed N receivers with `prev` from empty, then push `next`; both measured. */
  async prepcast(prev, next, n) {
    const children = [];
    try {
      return await this.prepcastRun(prev, next, n, children);
    } catch (e) {
      // leave nothing running (nor holding the data file system) before a retry or the exit
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r() : c.once("exit", r)))));
      throw e;
    }
  }

  async prepcastRun(prev, next, n, children) {
    const { chosen, pubConfig } = await this.configure(n);
    const workers = [];
    const per = Math.ceil(n / Math.min(n, args.workers));
    for (let i = 0; i < n; i += per) {
      const w = fork(
        path.join(__dirname, "receivers-proc.js"),
        chosen.slice(i, i + per).map((r) => r.config),
        { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: execArgv("receivers") },
      );
      workers.push(w);
      children.push(w);
      w.on("error", () => undefined); // IPC to a dying worker: the run fails through its exit instead
    }
    await Promise.all(workers.map((w) => message(w, (m) => m.ready)));
    const pub = fork(path.join(__dirname, "publisher-proc.js"), [pubConfig, ...(args.chunk ? [String(args.chunk)] : [])], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: execArgv("publisher"),
    });
    children.push(pub);
    pub.on("error", () => undefined);
    await message(pub, (m) => m.ready);
    const ports = new Set(chosen.map((r) => r.port));
    // let every link finish its handshake (TLS + mutual auth) before counting
    for (let t = 0; t < 200 && socketBytes(ports).size < n; t++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    const s0 = socketBytes(ports);
    pub.send({ cmd: "publish", dir: prev });
    const seed = await message(pub, (m) => m.sequence !== undefined);
    const s1 = socketBytes(ports);
    // the receivers' own CPU over the push (the `sync -f` child of each commit not included)
    const receiverCpu = () =>
      Promise.all(workers.map((w) => (w.send({ cmd: "cpu" }), message(w, (m) => m.cpuS !== undefined)))).then((r) => r.reduce((s, x) => s + x.cpuS, 0));
    const cpu0 = await receiverCpu();
    pub.send({ cmd: "publish", dir: next });
    const cut = await message(pub, (m) => m.sequence !== undefined);
    const s2 = socketBytes(ports);
    const receiverCpuS = (await receiverCpu()) - cpu0;
    const rss = await Promise.all(workers.map((w) => (w.send({ cmd: "rss" }), message(w, (m) => m.maxRssMB !== undefined))));
    pub.send({ cmd: "stop" });
    for (const w of workers) w.send({ cmd: "stop" });
    await Promise.all([pub, ...workers].map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.once("exit", r)))));
    return {
      seed,
      cut,
      seedBytes: bytesBetween(s0, s1),
      cutBytes: bytesBetween(s1, s2),
      receiverRss: Math.max(...rss.map((r) => r.maxRssMB)),
      agentsPerWorker: per,
      receiverCpuS,
    };
  }

  /** rsync-baseline.sh on a CUTS dir holding cut-(K-1) and cut-K. */
  rsync(cutsDir, k, n, flags) {
    const script = path.join(SHARED, "bench", "rsync-baseline.sh");
    // stdin must not be a socket (node's pipes are): rsync --daemon would think inetd started it
    // rsync's receivers live beside ours (TMPDIR for its mktemp), on the same file system: file
    // creation cost differs by an order of magnitude between directories of this VM's disk
    // (docs/benchmarks.md, "Where the files land"), so both sides must create theirs in one place.
    const tmp = path.join(this.data, "tmp");
    fs.mkdirSync(tmp, { recursive: true });
    const out = execFileSync("bash", [script, cutsDir, String(k), String(n), ...flags], {
      encoding: "utf8",
      maxBuffer: 1 << 24,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, TMPDIR: tmp },
    });
    const f = (name) => Number(new RegExp(`${name}=([0-9.]+)`).exec(out)?.[1] ?? NaN);
    return { sent: f("sent"), received: f("received"), wallS: f("wall_s"), cpuS: f("sender_cpu_s"), identical: /result=identical/.test(out) };
  }
}

function row(cols) {
  return `| ${cols.join(" | ")} |`;
}

async function main() {
  const haveShared = fs.existsSync(path.join(SHARED, "bench", "rsync-baseline.sh"));
  const haveRsync = spawnSync("rsync", ["--version"]).status === 0;
  if (!["apps/publisher/dist/index.js", "apps/receiver/dist/index.js"].every((f) => fs.existsSync(path.join(REPO, f)))) {
    console.error("build first: npm run build (at the repository root)");
    process.exit(2);
  }
  const doRsync = args.rsync && haveShared && haveRsync;
  if (!doRsync)
    log(
      `rsync comparison skipped: ${!args.rsync ? "--no-rsync" : !haveShared ? `${SHARED}/bench/rsync-baseline.sh not present` : "rsync not installed (apt-get install -y rsync)"}`,
    );
  const dataFs = prepareDataFs(args.work, args.fs);
  const bench = new Bench(dataFs.dir);
  bench.setupIdentities(Math.max(...args.receivers));
  const results = [];
  // every row is also appended as it is measured, so a long run that is cut short keeps its rows
  const partial = path.join(args.work, "results.jsonl");
  const push = results.push.bind(results);
  results.push = (...rows) => {
    for (const r of rows) fs.appendFileSync(partial, JSON.stringify(r) + "\n");
    return push(...rows);
  };
  const series = [];
  for (const k of args.pairs)
    series.push({
      label: `${args.scale}${args.actas ? "+actas" : ""} ${k - 1}→${k}`,
      k,
      dir: path.join(args.work, `cuts-${args.scale}${args.actas ? "-actas" : ""}`),
    });
  for (const s of series) {
    s.prev = await ensureCut(s.dir, s.k - 1, args.scale, args.actas);
    s.next = await ensureCut(s.dir, s.k, args.scale, args.actas);
  }
  if (args.qroo) {
    const zipDir = path.join(SHARED, "data", "qroo-2019");
    const zip = fs.existsSync(zipDir) ? fs.readdirSync(zipDir).find((f) => f.endsWith(".zip")) : null;
    if (!zip) log(`Quintana Roo replay skipped: no zip in ${zipDir}`);
    else {
      const dir = path.join(args.work, args.zipCodec ? "cuts-qroo-pako" : "cuts-qroo");
      const { replayQroo2019 } = require(path.join(REPO, "packages/cutgen/dist"));
      if (!fs.existsSync(dir)) {
        await replayQroo2019({ zipPath: path.join(zipDir, zip), outDir: dir, cuts: 40 });
        // --zip-codec: each cut's zip written as the OPLE's tool would (pako 9/9), not by cutgen's node:zlib
        if (args.zipCodec) for (const c of fs.readdirSync(dir).filter((d) => d.startsWith("cut-"))) require("../zip/rezip").rezipCut(path.join(dir, c));
      }
      const cuts = fs
        .readdirSync(dir)
        .filter((d) => d.startsWith("cut-"))
        .sort();
      for (const i of [8, Math.min(cuts.length - 1, 36)]) {
        if (!cuts[i]) continue;
        const k = Number(cuts[i].slice(4));
        stampCut(path.join(dir, cuts[i - 1]), k - 1);
        stampCut(path.join(dir, cuts[i]), k);
        const label = `qroo-2019${args.zipCodec ? " (pako 9/9 zips)" : ""} ${cuts[i - 1]}→${cuts[i]}`;
        series.push({ label, k, dir, prev: path.join(dir, cuts[i - 1]), next: path.join(dir, cuts[i]), zipCodec: args.zipCodec });
      }
    }
  }
  for (const s of series) {
    for (const n of args.receivers) {
      // --zip-codec: PREPcast twice, with the default encodings and then offering delta-zip@1 first
      for (const zipCodec of s.zipCodec ? [false, true] : [false]) {
        if (zipCodec) process.env.PREPCAST_BENCH_ZIP_CODEC = "1";
        else delete process.env.PREPCAST_BENCH_ZIP_CODEC;
        log(`${s.label}: PREPcast${zipCodec ? " with delta-zip@1" : ""}, ${n} receiver(s)`);
        let p;
        for (let attempt = 1; ; attempt++) {
          try {
            p = await bench.prepcast(s.prev, s.next, n);
            break;
          } catch (e) {
            // a port taken between freePort() and listen (rsync's daemons pick random ports too)
            if (attempt >= 3) throw e;
            log(`${s.label}: PREPcast run failed (${e.message.split("\n")[0]}); again with fresh ports and state`);
          }
        }
        const enc = [...new Set(p.cut.offers.map((o) => o.encoding))].join(",");
        const payload = p.cut.offers[0]?.payloadSize ?? 0;
        results.push({
          series: s.label,
          n,
          system: "PREPcast",
          encoding: enc,
          payload,
          perCut: (p.cutBytes.sent + p.cutBytes.received) / n,
          perCutSent: p.cutBytes.sent / n,
          perCutRecv: p.cutBytes.received / n,
          fromEmpty: (p.seedBytes.sent + p.seedBytes.received) / n,
          timeS: p.cut.ms / 1000,
          cpuS: p.cut.cpuS,
          pubRss: p.cut.maxRssMB,
          recvRss: p.receiverRss,
          note: `prepare ${(p.cut.preparedMs / 1000).toFixed(2)} s; publisher done ${(p.cut.sentAllMs / 1000).toFixed(2)} s (${p.cut.sentCount}/${n} payloads sent); receiver CPU ${(p.receiverCpuS / n).toFixed(2)} s each; ${p.agentsPerWorker} agents/worker${p.cut.notLive.length ? `; NOT LIVE: ${p.cut.notLive.join(",")}` : ""}`,
          files: p.cut.files,
          bytes: p.cut.bytes,
        });
      }
      delete process.env.PREPCAST_BENCH_ZIP_CODEC;
      if (doRsync) {
        const empty = path.join(args.work, "rsync-empty");
        for (const flags of [[], ["-z"], ["-z", "--fsync"]]) {
          log(`${s.label}: rsync ${flags.join(" ")}, ${n} receiver(s)`);
          const r = bench.rsync(s.dir, s.k, n, flags);
          let fromEmpty = NaN;
          if (n === 1) {
            // first sync: the same script against an empty previous cut
            fs.rmSync(empty, { recursive: true, force: true });
            fs.mkdirSync(path.join(empty, "cut-0001"), { recursive: true });
            fs.symlinkSync(s.prev, path.join(empty, "cut-0002"));
            const e = bench.rsync(empty, 2, 1, flags);
            fromEmpty = e.sent + e.received;
          }
          results.push({
            series: s.label,
            n,
            system: `rsync${flags.length ? ` ${flags.join(" ")}` : ""}`,
            perCut: (r.sent + r.received) / n,
            perCutSent: r.sent / n,
            perCutRecv: r.received / n,
            fromEmpty,
            timeS: r.wallS,
            cpuS: r.cpuS,
            pubRss: NaN,
            recvRss: NaN,
            note: r.identical ? "" : "RESULT DIFFERS",
          });
        }
      }
    }
  }
  const header = [
    "cuts",
    "N",
    "system",
    "bytes/receiver/cut (sent+recv) MB",
    "from empty MB",
    "time to all live s",
    "sender CPU s",
    "publisher peak RSS MB",
    "receiver peak RSS MB",
    "notes",
  ];
  const lines = [row(header), row(header.map(() => "---"))];
  for (const r of results) {
    const z = results.find((x) => x.series === r.series && x.n === r.n && x.system === "rsync -z");
    const ratio = r.system === "PREPcast" && z ? ` (${(r.perCut / z.perCut).toFixed(2)}x rsync -z)` : "";
    const tRatio = r.system === "PREPcast" && z ? ` (${(r.timeS / z.timeS).toFixed(2)}x)` : "";
    const cRatio = r.system === "PREPcast" && z ? ` (${(r.cpuS / z.cpuS).toFixed(2)}x)` : "";
    // rsync does not fsync by default; PREPcast makes every cut durable before it goes live
    const zf = results.find((x) => x.series === r.series && x.n === r.n && x.system === "rsync -z --fsync");
    const durable = r.system === "PREPcast" && zf ? `time ${(r.timeS / zf.timeS).toFixed(2)}x rsync -z --fsync; ` : "";
    lines.push(
      row([
        r.series,
        r.n,
        r.system + (r.encoding ? ` ${r.encoding}` : ""),
        `${mb(r.perCut)} (${mb(r.perCutSent)}+${mb(r.perCutRecv)})${ratio}`,
        Number.isNaN(r.fromEmpty) ? "" : mb(r.fromEmpty),
        `${r.timeS.toFixed(2)}${tRatio}`,
        `${r.cpuS.toFixed(2)}${cRatio}`,
        Number.isNaN(r.pubRss) ? "" : r.pubRss.toFixed(0),
        Number.isNaN(r.recvRss) ? "" : r.recvRss.toFixed(0),
        r.system === "PREPcast" ? `${durable}cut ${r.files} files ${mb(r.bytes)} MB, payload ${mb(r.payload)} MB; ${r.note}` : r.note,
      ]),
    );
  }
  console.log(`\nbench/transfer — ${new Date().toISOString()} — node bench/transfer/run.js ${process.argv.slice(2).join(" ")} — receivers on ${dataFs.kind}`);
  console.log(lines.join("\n"));
  fs.writeFileSync(path.join(args.work, "results.json"), JSON.stringify(results, null, 2));
  dataFs.cleanup();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
