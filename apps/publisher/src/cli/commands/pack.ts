import { Option, type Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildDeltaPackage } from "@prepcast/delta";
import { CHANNELS, PUBLISHER_KEY_FILES, formatBytes, packCut, parseIsoWithOffset, readPublicKeyFile, reportCliSuccess, type Channel } from "@prepcast/protocol";
import { action, positiveInteger } from "../program";

interface PackOptions {
  keys: string;
  sequence: number;
  corte: string;
  out: string;
  notBefore?: string;
  expires?: string;
  channel: Channel;
  process: string;
  json?: boolean;
  base?: string;
}

export function registerPack(program: Command): void {
  program
    .command("pack")
    .description("sign a cut directory into a .prep package")
    .argument("<CUT_DIR>", "directory holding the cut's site files")
    .requiredOption("--keys <KEYS>", "keys directory from `init` (needs signing.key, keyset.json, keyset.sig)")
    .requiredOption("--sequence <N>", "cut sequence, strictly increasing per process and channel", positiveInteger)
    .requiredOption("--corte <ISO>", "the cut's date and time as the OPLE states it, with offset (2024-06-02T20:15:00-06:00)")
    .requiredOption("--out <FILE.prep>", "package file to write")
    .option("--not-before <ISO>", "embargo: receivers do not show the cut before this time")
    .option("--expires <ISO>", "receivers refuse the cut after this time (default: 30 days)")
    .addOption(new Option("--channel <CHANNEL>", "produccion or simulacro").choices(CHANNELS).default("produccion"))
    .option("--process <ID>", "electoral process id", "VER-2024")
    .option("--base <PREV.prep>", "write a delta package against this earlier package instead (receivers install it on top of that cut)")
    .option("--json", "print the result as JSON")
    .action(
      action(async (cutDir: string, opts: PackOptions) => {
        parseIsoWithOffset(opts.corte, "--corte");
        const started = Date.now();
        const r = await packCut({
          cutDir,
          keysDir: opts.keys,
          process: opts.process,
          channel: opts.channel,
          sequence: opts.sequence,
          corte: opts.corte,
          out: opts.base ? `${opts.out}.full-${process.pid}.tmp` : opts.out,
          ...(opts.notBefore !== undefined ? { notBefore: opts.notBefore } : {}),
          ...(opts.expires !== undefined ? { expires: opts.expires } : {}),
        });
        let delta: Awaited<ReturnType<typeof buildDeltaPackage>> | null = null;
        if (opts.base) {
          try {
            const rootPublicKey = readPublicKeyFile(path.join(opts.keys, PUBLISHER_KEY_FILES.rootPub)).publicKey;
            delta = await buildDeltaPackage({ target: r.out, base: opts.base, rootPublicKey, out: opts.out, workDir: path.dirname(path.resolve(opts.out)) });
          } finally {
            fs.rmSync(r.out, { force: true });
          }
          r.out = opts.out;
          r.packageBytes = delta.packageBytes;
        }
        const m = r.manifest;
        reportCliSuccess(
          opts.json === true,
          { out: r.out, process: m.process, channel: m.channel, sequence: m.sequence, corte: m.corte, notBefore: m.notBefore, expires: m.expires, files: m.files.length, bytes: m.totalSize, packageBytes: r.packageBytes, manifestSha256: r.manifestSha256, ...(delta ? { base: delta.base.base, deltaBytes: delta.stats.size, unchangedFiles: delta.stats.unchanged } : {}) },
          [
            `packed ${m.process}/${m.channel} #${m.sequence} (corte ${m.corte}) -> ${r.out}`,
            `${m.files.length} files, ${formatBytes(m.totalSize)} of content, package ${formatBytes(r.packageBytes)}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
            `manifest sha256 ${r.manifestSha256}`,
            ...(delta ? [`delta package against #${delta.base.base.sequence} (${delta.base.base.manifestSha256.slice(0, 12)}): ${delta.stats.unchanged} files unchanged, stream ${formatBytes(delta.stats.size)}`] : []),
            ...(m.notBefore !== m.createdAt ? [`embargoed until ${m.notBefore}`] : []),
          ],
        );
      }),
    );
}
