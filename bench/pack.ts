// Pack, verify and install throughput and peak RSS on a veracruz-scale cut with actas (~1 GB),
// side by side with GNU tar doing the unverified equivalent (tar -c / tar -x) on the same data.
// Each step runs in its own child process so its peak RSS (VmHWM) is its own.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node bench/out/pack.js [--cut DIR] [--work DIR] [--rounds N] [--fs loop|dir] [--cpu-prof-dir DIR]
//
// Without --cut, the cut is generated once with @prepcast/cutgen into <work>/cut-0008.
// Everything the steps write (keys, package, receiver, tar's output) goes to a fresh journaled ext4
// (a loop-mounted sparse image under <work>, as root; `--fs dir` for a plain directory), as on a
// difusor's Ubuntu server: this VM's own disk is ext4 without a journal, where creating files soon
// after thousands were deleted costs 10-20x (docs/benchmarks.md, "Where the files land"), which
// made install and tar -x swap places from one run to the next. Install and `tar -x` + sync then
// run `--rounds` times (default 3), alternating which goes first, and the median ratio is reported.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

interface StepResult {
  seconds: number;
  peakRssMiB: number;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

// this process's own peak RSS (VmHWM), shared with bench/transfer
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { peakRssMB } = require(path.join(__dirname, "..", "transfer", "processes.js")) as { peakRssMB: () => number };

/** Child side: run one step and print its timing and peak RSS as JSON. */
async function child(step: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protocol = require("@prepcast/protocol") as typeof import("@prepcast/protocol");
  const work = arg("--out")!;
  const pkg = path.join(work, "cut.prep");
  const started = process.hrtime.bigint();
  if (step === "pack") {
    await protocol.packCut({
      cutDir: arg("--cut")!,
      keysDir: path.join(work, "keys"),
      process: "VER-2024",
      channel: "produccion",
      sequence: 1,
      corte: "2024-06-02T20:00:00-06:00",
      out: pkg,
    });
  } else if (step === "verify") {
    const root = protocol.readPublicKeyFile(path.join(work, "keys", "root.pub")).publicKey;
    await protocol.verifyPackage(pkg, { rootPublicKey: root });
  } else if (step === "install") {
    const root = protocol.readPublicKeyFile(path.join(work, "keys", "root.pub")).publicKey;
    const store = await protocol.CutStore.open(path.join(work, "receiver"));
    try {
      await protocol.installPackage(store, pkg, { rootPublicKey: root });
    } finally {
      store.close();
    }
  } else throw new Error(`unknown step ${step}`);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(JSON.stringify({ seconds, peakRssMiB: peakRssMB() } satisfies StepResult));
}

function runStep(step: string, cut: string, out: string): StepResult {
  const profile = arg("--cpu-prof-dir"); // a V8 CPU profile of every PREPcast step, written there
  const nodeArgs = profile ? ["--cpu-prof", "--cpu-prof-dir", path.resolve(profile)] : [];
  const r = spawnSync(process.execPath, [...nodeArgs, __filename, "--child", step, "--cut", cut, "--out", out], { encoding: "utf8", maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${step} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout) as StepResult;
}

/**
 * A shell command timed from outside, followed by `sync -f durable` so it pays for getting its
 * output to disk as PREPcast does (fsync of the package, syncfs of the extracted cut); peak RSS
 * from GNU time.
 */
function runBaseline(cmd: string, args: string[], durable?: string): StepResult {
  const started = process.hrtime.bigint();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", cmd, ...args], { encoding: "utf8" });
  if (r.error) throw new Error(`/usr/bin/time is needed for the baseline: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  if (durable !== undefined) execFileSync("sync", ["-f", durable]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const kb = Number(r.stderr.trim().split("\n").pop());
  return { seconds, peakRssMiB: kb / 1024 };
}

/** Flushes what earlier steps left dirty, so no step pays for another's writeback. */
function settleDisk(work: string): void {
  execFileSync("sync", ["-f", work]);
}

async function mainBench(): Promise<void> {
  const work = path.resolve(arg("--work") ?? path.join(os.tmpdir(), "prepcast-bench"));
  fs.mkdirSync(work, { recursive: true });
  let cut = arg("--cut");
  if (cut === undefined) {
    cut = path.join(work, "cut-0008"); // the 8th cut (21:45) is the first with about 1 GB of actas
    if (!fs.existsSync(path.join(cut, "index.html"))) {
      process.stdout.write(`generating a veracruz-scale cut with actas into ${cut} (once)...\n`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const testkit = require("@prepcast/cutgen") as typeof import("@prepcast/cutgen");
      await testkit.generateCut({ outDir: work, k: 8, scale: "veracruz", actas: true });
    }
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protocol = require("@prepcast/protocol") as typeof import("@prepcast/protocol");
  const files = await protocol.walkCutDir(cut);
  const bytes = files.reduce((s, f) => s + f.size, 0);
  const rounds = Math.max(1, Number(arg("--rounds") ?? 3));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { prepareDataFs } = require(path.join(__dirname, "..", "transfer", "data-fs.js")) as {
    prepareDataFs: (work: string, mode: string | undefined) => { dir: string; kind: string; cleanup: () => void };
  };
  const dataFs = prepareDataFs(work, arg("--fs"));
  const out = dataFs.dir;
  protocol.initPublisherKeys(path.join(out, "keys"));

  const results: [string, StepResult, string, StepResult][] = [];
  settleDisk(out);
  const pack = runStep("pack", cut, out);
  settleDisk(out);
  const tarC = runBaseline("tar", ["-cf", path.join(out, "baseline.tar"), "-C", cut, "."], path.join(out, "baseline.tar"));
  results.push(["pack (hash + sign + tar + fsync)", pack, "tar -c + sync", tarC]);
  settleDisk(out);
  const verify = runStep("verify", cut, out);
  const sha = runBaseline("sha256sum", [path.join(out, "cut.prep")]);
  results.push(["verify (every hash, nothing written)", verify, "sha256sum of the package", sha]);
  const runInstall = (): StepResult => {
    settleDisk(out);
    return runStep("install", cut, out);
  };
  const runTarX = (): StepResult => {
    settleDisk(out);
    fs.mkdirSync(path.join(out, "tar-out"));
    return runBaseline("tar", ["-xf", path.join(out, "baseline.tar"), "-C", path.join(out, "tar-out")], path.join(out, "tar-out"));
  };
  const installs: { install: StepResult; tarX: StepResult }[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const p of ["receiver", "tar-out"]) fs.rmSync(path.join(out, p), { recursive: true, force: true });
    if (round % 2 === 0) {
      const install = runInstall();
      installs.push({ install, tarX: runTarX() });
    } else {
      const tarX = runTarX();
      installs.push({ install: runInstall(), tarX });
    }
  }
  const pkgBytes = fs.statSync(path.join(out, "cut.prep")).size; // before the file system goes
  dataFs.cleanup();
  const byRatio = [...installs].sort((a, b) => b.tarX.seconds / b.install.seconds - a.tarX.seconds / a.install.seconds);
  const { install, tarX } = byRatio[Math.floor(byRatio.length / 2)]!;
  results.push(["install (verify + extract + syncfs + switch), median round", install, "tar -x + sync (no verification)", tarX]);

  const mbps = (r: StepResult) => (bytes / 1e6 / r.seconds).toFixed(0);
  const lines = [
    `cut: ${cut}; written to ${dataFs.kind}`,
    `${files.length} files, ${(bytes / 1e6).toFixed(0)} MB of content, package ${(pkgBytes / 1e6).toFixed(0)} MB; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})`,
    "",
    "| step | PREPcast MB/s | PREPcast s | PREPcast peak RSS | baseline | baseline MB/s | baseline s | baseline peak RSS |",
    "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ...results.map(
      ([name, r, bname, b]) =>
        `| ${name} | ${mbps(r)} | ${r.seconds.toFixed(2)} | ${r.peakRssMiB.toFixed(0)} MiB | ${bname} | ${mbps(b)} | ${b.seconds.toFixed(2)} | ${Number.isNaN(b.peakRssMiB) ? "?" : `${b.peakRssMiB.toFixed(0)} MiB`} |`,
    ),
    "",
    `install vs tar -x + sync by round (${rounds}, alternating which runs first; throughput ratio = tar's seconds / install's): ` +
      installs
        .map(
          (r, i) =>
            `${i % 2 === 0 ? "install first" : "tar first"} ${r.install.seconds.toFixed(2)} s vs ${r.tarX.seconds.toFixed(2)} s = ${(r.tarX.seconds / r.install.seconds).toFixed(2)}x`,
        )
        .join("; "),
    "",
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
    `targets: >= 150 MB/s for pack, verify and install; peak RSS < 150 MiB`,
    `pack ${Number(mbps(pack)) >= 150 ? "meets" : "MISSES"} the speed target, verify ${Number(mbps(verify)) >= 150 ? "meets" : "MISSES"} it, install ${Number(mbps(install)) >= 150 ? "meets" : "MISSES"} it; ` +
      `peak RSS ${Math.max(pack.peakRssMiB, verify.peakRssMiB, install.peakRssMiB) < 150 ? "meets" : "MISSES"} its target`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

const childStep = arg("--child");
(childStep !== undefined ? child(childStep) : mainBench()).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
