// Pack, verify and install throughput and peak RSS on a veracruz-scale cut with actas (~1 GB),
// side by side with GNU tar doing the unverified equivalent (tar -c / tar -x) on the same data.
// Each step runs in its own child process so its peak RSS (VmHWM) is its own.
//
//   npm run build && npx tsc -p bench/tsconfig.json && node bench/out/pack.js [--cut DIR] [--work DIR]
//
// Without --cut, the cut is generated once with @prepcast/cutgen into <work>/cut-0008.

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

function peakRssMiB(): number {
  const status = fs.readFileSync("/proc/self/status", "utf8");
  const m = /VmHWM:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

/** Child side: run one step and print its timing and peak RSS as JSON. */
async function child(step: string): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const protocol = require("@prepcast/protocol") as typeof import("@prepcast/protocol");
  const work = arg("--work")!;
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
  process.stdout.write(JSON.stringify({ seconds, peakRssMiB: peakRssMiB() } satisfies StepResult));
}

function runStep(step: string, cut: string, work: string): StepResult {
  const r = spawnSync(process.execPath, [__filename, "--child", step, "--cut", cut, "--work", work], { encoding: "utf8", maxBuffer: 1 << 20 });
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
  for (const p of ["keys", "receiver", "cut.prep", "tar-out", "baseline.tar"]) fs.rmSync(path.join(work, p), { recursive: true, force: true });
  protocol.initPublisherKeys(path.join(work, "keys"));

  const results: [string, StepResult, string, StepResult][] = [];
  settleDisk(work);
  const pack = runStep("pack", cut, work);
  settleDisk(work);
  const tarC = runBaseline("tar", ["-cf", path.join(work, "baseline.tar"), "-C", cut, "."], path.join(work, "baseline.tar"));
  results.push(["pack (hash + sign + tar + fsync)", pack, "tar -c + sync", tarC]);
  settleDisk(work);
  const verify = runStep("verify", cut, work);
  const sha = runBaseline("sha256sum", [path.join(work, "cut.prep")]);
  results.push(["verify (every hash, nothing written)", verify, "sha256sum of the package", sha]);
  settleDisk(work);
  const install = runStep("install", cut, work);
  settleDisk(work);
  fs.mkdirSync(path.join(work, "tar-out"));
  const tarX = runBaseline("tar", ["-xf", path.join(work, "baseline.tar"), "-C", path.join(work, "tar-out")], path.join(work, "tar-out"));
  results.push(["install (verify + extract + syncfs + switch)", install, "tar -x + sync (no verification)", tarX]);

  const mbps = (r: StepResult) => (bytes / 1e6 / r.seconds).toFixed(0);
  const pkgBytes = fs.statSync(path.join(work, "cut.prep")).size;
  const lines = [
    `cut: ${cut}`,
    `${files.length} files, ${(bytes / 1e6).toFixed(0)} MB of content, package ${(pkgBytes / 1e6).toFixed(0)} MB; node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"})`,
    "",
    "| step | PREPcast MB/s | PREPcast s | PREPcast peak RSS | baseline | baseline MB/s | baseline s | baseline peak RSS |",
    "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |",
    ...results.map(
      ([name, r, bname, b]) =>
        `| ${name} | ${mbps(r)} | ${r.seconds.toFixed(2)} | ${r.peakRssMiB.toFixed(0)} MiB | ${bname} | ${mbps(b)} | ${b.seconds.toFixed(2)} | ${Number.isNaN(b.peakRssMiB) ? "?" : `${b.peakRssMiB.toFixed(0)} MiB`} |`,
    ),
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
