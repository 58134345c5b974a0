import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readAuditLog } from "@prepcast/protocol";
import { generateCut, listFiles } from "@prepcast/testkit";

// `npm run demo:offline`: the contingency path a difusor follows when the push channel
// is down, run for real with the built CLIs on two generated cuts. Every command is printed as
// an operator would type it.

const BIN = {
  "prep-publisher": path.resolve(__dirname, "../../apps/publisher/bin/prep-publisher.js"),
  "prep-receiver": path.resolve(__dirname, "../../apps/receiver/bin/prep-receiver.js"),
};

function sh(cmd: keyof typeof BIN, args: string[], cwd: string): number {
  process.stdout.write(`\n$ ${cmd} ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [BIN[cmd], ...args], { cwd, stdio: "inherit" });
  return r.status ?? 1;
}

function must(status: number, what: string): void {
  if (status !== 0) throw new Error(`demo step failed: ${what} (exit ${status})`);
}

export async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "prepcast-demo-"));
  process.stdout.write(`PREPcast offline demo in ${work}\n`);
  process.stdout.write("generating two synthetic PREP cuts (small scale)...\n");
  const cuts = [
    await generateCut({ outDir: path.join(work, "cortes"), k: 1, scale: "small" }),
    await generateCut({ outDir: path.join(work, "cortes"), k: 2, scale: "small" }),
  ];
  for (const c of cuts) process.stdout.write(`  ${path.relative(work, c.dir)}: ${c.files} files, ${c.bytes} bytes, corte ${c.corte}\n`);

  must(sh("prep-publisher", ["init", "--dir", "keys"], work), "init");
  cuts.forEach((c, i) => {
    must(
      sh(
        "prep-publisher",
        ["pack", path.relative(work, c.dir), "--keys", "keys", "--sequence", String(i + 1), "--corte", c.corte, "--out", `corte-${i + 1}.prep`],
        work,
      ),
      `pack ${i + 1}`,
    );
  });
  must(sh("prep-receiver", ["verify", "corte-1.prep", "--trust", "keys/root.pub"], work), "verify");
  must(sh("prep-receiver", ["install", "corte-1.prep", "--trust", "keys/root.pub", "--root", "difusor"], work), "install 1");
  must(sh("prep-receiver", ["install", "corte-2.prep", "--trust", "keys/root.pub", "--root", "difusor"], work), "install 2");
  process.stdout.write("\n# an attacker (or a confused operator) replays the older cut:\n");
  const rollback = sh("prep-receiver", ["install", "corte-1.prep", "--trust", "keys/root.pub", "--root", "difusor"], work);
  if (rollback === 0) throw new Error("demo step failed: the rollback was accepted");
  process.stdout.write(`(refused with exit code ${rollback}, as it must be)\n`);
  must(sh("prep-receiver", ["status", "--root", "difusor"], work), "status");

  const live = path.join(work, "difusor", "current", "site");
  const files = await listFiles(live);
  process.stdout.write(`\n# the live tree: difusor/current -> ${fs.readlinkSync(path.join(work, "difusor", "current"))} (${files.length} files)\n`);
  for (const f of files.slice(0, 15)) process.stdout.write(`  ${String(f.size).padStart(9)}  ${f.path}\n`);
  if (files.length > 15) process.stdout.write(`  ... and ${files.length - 15} more\n`);

  must(sh("prep-receiver", ["audit", "verify", "--root", "difusor"], work), "audit verify");
  process.stdout.write("\n# difusor/audit.log (hash-chained):\n");
  for (const e of readAuditLog(path.join(work, "difusor", "audit.log"))) {
    const d = e.data as Record<string, unknown>;
    const summary = e.event === "cut.refused" ? `${d.code}: ${String(d.message)}` : `${d.id ?? ""} ${d.sequence !== undefined ? `#${d.sequence}` : ""}`;
    process.stdout.write(`  ${e.seq}  ${e.time}  ${e.event.padEnd(14)} ${summary}  hash ${e.hash.slice(0, 12)}\n`);
  }
  process.stdout.write(`\ndone. Everything is in ${work}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
