import { Command, CommanderError, InvalidArgumentError } from "commander";
import { PrepcastError } from "@prepcast/protocol";
import { MAX_CUT, generateCut } from "./generate";
import { SCALES, type Scale } from "./geography";
import { replayQroo2019 } from "./qroo";
import type { ZipDeflate } from "./zip";
import { CUT_MINUTES } from "./time";

export interface CliIo {
  out: (line: string) => void;
  err: (text: string) => void;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (text) => process.stderr.write(text),
};

function integer(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number.`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}.`);
    return n;
  };
}

function zipDeflateArg(value: string): ZipDeflate {
  if (value !== "node" && value !== "libzip") throw new InvalidArgumentError("expected node or libzip.");
  return value;
}

function scaleArg(value: string): Scale {
  if (!Object.prototype.hasOwnProperty.call(SCALES, value)) throw new InvalidArgumentError(`Use one of: ${Object.keys(SCALES).join(", ")}.`);
  return value as Scale;
}

/**
 * `prep-gen-cuts --out DIR [--scale S] [--cuts N] [--from K] [--seed S] [--actas] [--qroo ZIP]`.
 * Returns the exit code (0 ok, 1 failure, 2 bad usage) and also sets process.exitCode.
 */
export async function main(args: string[], io: CliIo = defaultIo): Promise<number> {
  const program = new Command()
    .name("prep-gen-cuts")
    .description(
      "Write a deterministic series of synthetic PREP cuts (static site, per-section JSON, CSV database and its zip)\n" +
        "into DIR/cut-0001, DIR/cut-0002, ...; or, with --qroo, replay the real Quintana Roo 2019 PREP zip as cuts.",
    )
    .requiredOption("--out <dir>", "directory that receives the cut-NNNN directories")
    .option("--scale <scale>", "small (~220 sections), veracruz (~4,800) or national (~71,000)", scaleArg, "small" as Scale)
    .option("--cuts <n>", "number of cuts to write (with --qroo: at most this many)", integer("--cuts", 1, MAX_CUT))
    .option("--from <k>", "first cut number; cut 1 is 2024-06-02 20:00 (UTC-6), +15 min each", integer("--from", 1, MAX_CUT), 1)
    .option("--seed <s>", "seed of the series", integer("--seed", 0, 0xffffffff), 1)
    .option("--actas", "also write an incompressible scan per captured acta (large)", false)
    .option("--now", "stamp the cuts with today's times: the last one now, each earlier one 15 minutes before (a site showing them is not stale)", false)
    .option(
      "--zip-deflate <how>",
      "how the database zip is deflated: node (level 6) or libzip (level 9, memLevel 9, as the OPLE's PHP site writes it; delta-zip@1 rebuilds it)",
      zipDeflateArg,
      "node" as ZipDeflate,
    )
    .option("--qroo <zip>", "replay this real PREP zip instead (rows appear at acopio, fill in at captura)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.replace(/\n$/, "")), writeErr: io.err });
  const finish = (code: number): number => {
    process.exitCode = code;
    return code;
  };
  try {
    program.parse(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) return finish(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
  const o = program.opts<{
    out: string;
    scale: Scale;
    cuts?: number;
    from: number;
    seed: number;
    actas: boolean;
    now: boolean;
    qroo?: string;
    zipDeflate: ZipDeflate;
  }>();
  try {
    if (o.qroo !== undefined) {
      for (const cut of await replayQroo2019({ zipPath: o.qroo, outDir: o.out, cuts: o.cuts })) {
        io.out(`${cut.dir}\t${cut.files} files\t${cut.bytes} bytes\t${cut.captured}/${cut.registered} actas captured/registered`);
      }
      return finish(0);
    }
    const cuts = o.cuts ?? 4;
    if (o.from + cuts - 1 > MAX_CUT) {
      io.err(`error: --from ${o.from} with --cuts ${cuts} goes past cut ${MAX_CUT}\n`);
      return finish(2);
    }
    const last = o.from + cuts - 1;
    const now = Date.now();
    for (let k = o.from; k < o.from + cuts; k++) {
      const at = o.now ? { at: new Date(now - (last - k) * CUT_MINUTES * 60_000) } : {};
      const cut = await generateCut({ outDir: o.out, k, scale: o.scale, seed: o.seed, actas: o.actas, zipDeflate: o.zipDeflate, ...at });
      io.out(`${cut.dir}\t${cut.files} files\t${cut.bytes} bytes`);
    }
    return finish(0);
  } catch (err) {
    if (err instanceof PrepcastError) {
      io.err(`error [${err.code}]: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ""}\n`);
    } else {
      const e = err as NodeJS.ErrnoException;
      io.err(`error: ${e.message ?? String(err)}${e.code === "ENOSPC" ? "\n  hint: the disk is full; free space or choose another --out" : ""}\n`);
    }
    return finish(1);
  }
}
