import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PrepcastError, replaceFileDurably, type ManifestFile } from "@prepcast/protocol";
import type { CutContent } from "../content";
import { encodeDelta, type EncodeOptions, type EncodeStats } from "../encode";
import { MAX_BASE_PLAIN_BYTES, MAX_UNPACKED_BYTES, encodeZipStreamHeader, sha256Hex, unpackedForm, zipPlains, type UnpackedRow } from "./codec-format";
import { trySplitZip } from "./split";

export interface ZipEncodeStats extends EncodeStats {
  /** Zips sent as their unpacked form (they rebuild byte for byte), and zips that travel as plain files (with the first reason). */
  zipsUnpacked: number;
  zipsPlain: number;
  zipPlainReason?: string;
}

/** Unpacked forms the publisher holds for one stream at most (in memory while it encodes); further zips travel as plain files. */
export const MAX_TARGET_UNPACKED_BYTES = 256 << 20;

/** Whether the codec looks inside a file: by name, as the OPLE publishes its database (`*.zip`). */
export function isZipPath(p: string): boolean {
  return /\.zip$/i.test(p);
}

/** `content` with some files replaced by other bytes (their unpacked form, or their plains), as the inner delta-zstd@1 stream sees the cut. */
function replaced(content: CutContent, swap: Map<number, { bytes: Buffer; file: ManifestFile }>): CutContent {
  const files = content.files.map((f, i) => swap.get(i)?.file ?? f);
  return {
    manifestSha256: content.manifestSha256,
    files,
    read: async (index, offset = 0, length) => {
      const s = swap.get(index);
      if (!s) return content.read(index, offset, length);
      return s.bytes.subarray(offset, offset + (length ?? s.bytes.length - offset));
    },
    readMany: async (indices) => {
      const plain = indices.filter((i) => !swap.has(i));
      const read = await content.readMany(plain);
      let k = 0;
      return indices.map((i) => swap.get(i)?.bytes ?? read[k++]!);
    },
    close: () => content.close(),
  };
}

/**
 * Writes the `delta-zip@1` stream from `base` (or from nothing) to `target` to `outFile`: each
 * changed `*.zip` of the target that rebuilds byte for byte with pinned pako travels as its
 * unpacked form, encoded against the plain contents of the base's zip at the same path; every
 * other file exactly as `delta-zstd@1` sends it. A zip that does not rebuild (another deflate,
 * zip64, a damaged zip…) travels as a plain file: the stream is never wrong, only larger.
 */
export async function encodeZipDelta(target: CutContent, base: CutContent | null, outFile: string, opts: EncodeOptions = {}): Promise<ZipEncodeStats> {
  const started = process.cpuUsage();
  const baseShas = new Set(base ? base.files.map((f) => f.sha256) : []);
  const baseByPath = new Map<string, number>();
  base?.files.forEach((f, i) => baseByPath.set(f.path, i));
  const targetSwap = new Map<number, { bytes: Buffer; file: ManifestFile }>();
  const baseSwap = new Map<number, { bytes: Buffer; file: ManifestFile }>();
  const targetRows: UnpackedRow[] = [];
  const baseRows: UnpackedRow[] = [];
  let zipsPlain = 0;
  let zipPlainReason: string | undefined;
  let basePlainBytes = 0;
  let unpackedBytes = 0;
  for (let i = 0; i < target.files.length; i++) {
    const f = target.files[i]!;
    if (!isZipPath(f.path) || baseShas.has(f.sha256) || targetRows.length >= 4096 || f.size > MAX_UNPACKED_BYTES) continue;
    const t = trySplitZip(await target.read(i), f.path);
    const unpacked = t.ok ? unpackedForm(t.split) : null;
    if (!t.ok || !unpacked || unpacked.length > MAX_UNPACKED_BYTES || unpackedBytes + unpacked.length > MAX_TARGET_UNPACKED_BYTES) {
      zipsPlain++;
      zipPlainReason ??= t.ok
        ? `${f.path}: unpacked form over the limits (${MAX_UNPACKED_BYTES} bytes each, ${MAX_TARGET_UNPACKED_BYTES} per cut)`
        : t.error.message;
      continue;
    }
    unpackedBytes += unpacked.length;
    const sha256 = sha256Hex(unpacked);
    targetSwap.set(i, { bytes: unpacked, file: { path: f.path, size: unpacked.length, sha256 } });
    targetRows.push({ index: i, size: unpacked.length, sha256 });
    // Its dictionary: the base zip at the same path, as plain contents (a zip that does not parse stays as it is).
    const j = baseByPath.get(f.path);
    const bf = j === undefined ? undefined : base!.files[j]!;
    if (j === undefined || !bf || bf.size > MAX_UNPACKED_BYTES) continue;
    const plains = zipPlains(await base!.read(j), MAX_UNPACKED_BYTES, bf.path);
    if (!plains || basePlainBytes + plains.length > MAX_BASE_PLAIN_BYTES) continue;
    basePlainBytes += plains.length;
    const psha = sha256Hex(plains);
    // Not a content hash the target can name: no target file is ever marked "unchanged" against it.
    baseSwap.set(j, { bytes: plains, file: { path: bf.path, size: plains.length, sha256: `plains:${psha}` } });
    baseRows.push({ index: j, size: plains.length, sha256: psha });
  }
  baseRows.sort((a, b) => a.index - b.index);

  const inner = `${outFile}.inner-${process.pid}`;
  try {
    const stats = await encodeDelta(replaced(target, targetSwap), base ? replaced(base, baseSwap) : null, inner, opts);
    const header = encodeZipStreamHeader(target.manifestSha256, base ? base.manifestSha256 : null, targetRows, baseRows);
    const hash = createHash("sha256").update(header);
    let size = header.length;
    await fsp.mkdir(path.dirname(outFile), { recursive: true });
    await replaceFileDurably(outFile, 0o640, async (handle) => {
      await handle.write(header);
      for await (const chunk of fs.createReadStream(inner, { highWaterMark: 1 << 20 })) {
        const b = chunk as Buffer;
        hash.update(b);
        size += b.length;
        let off = 0;
        while (off < b.length) off += (await handle.write(b, off, b.length - off)).bytesWritten;
      }
      await handle.sync();
    });
    const cpu = process.cpuUsage(started);
    const out: ZipEncodeStats = {
      ...stats,
      size,
      sha256: hash.digest("hex"),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      zipsUnpacked: targetRows.length,
      zipsPlain,
    };
    if (zipPlainReason !== undefined) out.zipPlainReason = zipPlainReason;
    return out;
  } catch (e) {
    throw e instanceof PrepcastError ? e : new PrepcastError("INTERNAL", `encoding the delta-zip stream failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await fsp.rm(inner, { force: true });
  }
}
