import { Option, type Command } from "commander";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildDeltaPackage } from "@prepcast/delta";
import { CHANNELS, DEFAULT_PUBLISH_UNTIL, formatBytes, packCut, reportCliSuccess, requireKeysDirRoot, writeFileAtomic, type Channel } from "@prepcast/protocol";
import { action, positiveInteger } from "../program";
import { checkPublisherCorteOrder, finalCutOption } from "../../service/cut-order";

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
  retract?: string;
  final?: boolean;
  publishUntil?: string;
}

/**
 * What `pack` knows of the cuts it signed before with these keys: per process and channel, the
 * highest sequence and its corte, in KEYS/packed.json. With it pack refuses a cut that goes back
 * in time (CORTE_ROLLBACK) as `push` and the receivers do. Without it (keys copied elsewhere, a
 * read-only keys directory) there is nothing to compare with and the receivers still check.
 */
export const PACKED_RECORD = "packed.json";

interface PackedRecord {
  format: "prepcast/packed@1";
  streams: Record<string, { sequence: number; corte: string; manifestSha256: string; out: string; packedAt: string; retraction?: string }>;
}

function readPackedRecord(keysDir: string): PackedRecord {
  const file = path.join(keysDir, PACKED_RECORD);
  try {
    const r = JSON.parse(fs.readFileSync(file, "utf8")) as PackedRecord;
    if (r && r.format === "prepcast/packed@1" && typeof r.streams === "object" && r.streams !== null) return r;
  } catch {
    /* absent or unreadable: nothing known */
  }
  return { format: "prepcast/packed@1", streams: {} };
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
    .option(
      "--retract <REASON>",
      `withdraw a wrong cut: sign this one as a retraction, so its corte may be earlier than the last packed cut's (KEYS/${PACKED_RECORD}); the reason is signed and receivers log it`,
    )
    .option("--final", `sign this cut as the last one of the process: receivers stop staleness alarms and keep it online until --publish-until`)
    .option("--publish-until <ISO>", `with --final: the signed end of publication (default ${DEFAULT_PUBLISH_UNTIL}, the call's)`)
    .option("--json", "print the result as JSON")
    .action(
      action(async (cutDir: string, opts: PackOptions) => {
        const stream = `${opts.process}/${opts.channel}`;
        const record = readPackedRecord(opts.keys);
        const last = record.streams[stream];
        // the order only matters going forward: packing an older sequence again changes nothing for receivers
        checkPublisherCorteOrder(
          { process: opts.process, channel: opts.channel, sequence: opts.sequence, corte: opts.corte, retract: opts.retract },
          last && opts.sequence > last.sequence ? { ...last, label: `the last cut packed with ${opts.keys}, #${last.sequence}` } : null,
          "--corte",
        );
        const final = finalCutOption(opts, opts.corte, DEFAULT_PUBLISH_UNTIL, "--publish-until (default)");
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
          ...(opts.retract !== undefined ? { retraction: { reason: opts.retract } } : {}),
          ...(final !== undefined ? { final } : {}),
        });
        let delta: Awaited<ReturnType<typeof buildDeltaPackage>> | null = null;
        if (opts.base) {
          try {
            const rootPublicKey = requireKeysDirRoot(opts.keys);
            delta = await buildDeltaPackage({ target: r.out, base: opts.base, rootPublicKey, out: opts.out, workDir: path.dirname(path.resolve(opts.out)) });
          } finally {
            fs.rmSync(r.out, { force: true });
          }
          r.out = opts.out;
          r.packageBytes = delta.packageBytes;
        }
        const m = r.manifest;
        let recordProblem: string | null = null;
        if (!last || m.sequence >= last.sequence) {
          record.streams[stream] = {
            sequence: m.sequence,
            corte: m.corte,
            manifestSha256: r.manifestSha256,
            out: path.resolve(r.out),
            packedAt: new Date().toISOString(),
            ...(m.retraction ? { retraction: m.retraction.reason } : {}),
          };
          try {
            await writeFileAtomic(path.join(opts.keys, PACKED_RECORD), JSON.stringify(record, null, 2) + "\n");
          } catch (e) {
            recordProblem = `could not record the cut in ${path.join(opts.keys, PACKED_RECORD)} (${(e as NodeJS.ErrnoException).code ?? String(e)}): the next pack cannot check the corte order`;
            if (opts.json !== true) process.stderr.write(`warning: ${recordProblem}\n`);
          }
        }
        reportCliSuccess(
          opts.json === true,
          {
            out: r.out,
            process: m.process,
            channel: m.channel,
            sequence: m.sequence,
            corte: m.corte,
            notBefore: m.notBefore,
            expires: m.expires,
            files: m.files.length,
            bytes: m.totalSize,
            packageBytes: r.packageBytes,
            manifestSha256: r.manifestSha256,
            retraction: m.retraction?.reason ?? null,
            final: m.final !== undefined,
            publishUntil: m.final?.publishUntil ?? null,
            ...(recordProblem ? { warning: recordProblem } : {}),
            ...(delta ? { base: delta.base.base, deltaBytes: delta.stats.size, unchangedFiles: delta.stats.unchanged } : {}),
          },
          [
            `packed ${m.process}/${m.channel} #${m.sequence} (corte ${m.corte}) -> ${r.out}`,
            `${m.files.length} files, ${formatBytes(m.totalSize)} of content, package ${formatBytes(r.packageBytes)}, ${((Date.now() - started) / 1000).toFixed(1)} s`,
            `manifest sha256 ${r.manifestSha256}`,
            ...(delta
              ? [
                  `delta package against #${delta.base.base.sequence} (${delta.base.base.manifestSha256.slice(0, 12)}): ${delta.stats.unchanged} files unchanged, stream ${formatBytes(delta.stats.size)}`,
                ]
              : []),
            ...(m.notBefore !== m.createdAt ? [`embargoed until ${m.notBefore}`] : []),
            ...(m.final ? [`signed as the FINAL cut: receivers keep it online without staleness alarms until ${m.final.publishUntil}`] : []),
            ...(m.retraction ? [`signed as a retraction: "${m.retraction.reason}" (receivers accept its earlier corte and log the reason)`] : []),
          ],
        );
      }),
    );
}
