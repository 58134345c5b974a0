import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import { PrepcastError, VerifiedFileWriter, sitePathIn, toPrepcastError, type ManifestFile } from "@prepcast/protocol";
import { applyDelta, type ApplyOptions, type ApplyResult } from "../apply";
import type { CutContent } from "../content";
import { protocolError } from "../format";
import { ZIP_HEADER_SIZE, ZIP_TABLE_ROW, decodeZipStreamHeader, sha256Hex, zipFromUnpacked, zipPlains } from "./codec-format";

export interface ZipApplyResult extends ApplyResult {
  /** Zips rebuilt from their unpacked form and verified against the signed manifest. */
  zipsRebuilt: number;
}

async function readHead(file: string, where: string): Promise<Buffer> {
  const h = await fsp.open(file, "r");
  try {
    const { size } = await h.stat();
    // the header, then at most the largest tables the limits allow (checked again once the counts are read)
    const want = Math.min(size, ZIP_HEADER_SIZE + ZIP_TABLE_ROW * 2 * 4096);
    const buf = Buffer.alloc(want);
    let done = 0;
    while (done < want) {
      const { bytesRead } = await h.read(buf, done, want - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done);
  } catch (e) {
    throw toPrepcastError(e, where);
  } finally {
    await h.close();
  }
}

/**
 * Rebuilds a cut from a `delta-zip@1` stream (docs/protocol.md §9.4) into `<stagingDir>/site`.
 * Untrusted work, bounded as `applyDelta` is: the tables are bounded before anything is
 * allocated; each base zip the stream names is unpacked from the receiver's own verified base
 * cut and must match the size and SHA-256 the stream states (PROTOCOL_ERROR otherwise); the inner
 * delta-zstd@1 stream rebuilds every file, the unpacked forms verified against the stream's
 * table; then each zip is rebuilt with pinned pako and written through a verifier against the
 * signed manifest (HASH_MISMATCH / SIZE_MISMATCH), replacing its unpacked form.
 */
export async function applyZipDelta(opts: ApplyOptions): Promise<ZipApplyResult> {
  const where = "delta-zip stream";
  const { target, base } = opts;
  try {
    const header = decodeZipStreamHeader(await readHead(opts.streamPath, where), target, base, where);
    // The base side: the receiver unpacks its own (signed, committed) zips; the stream only says which.
    const baseSwap = new Map<number, { bytes: Buffer; file: ManifestFile }>();
    for (const row of header.base) {
      const bf = base!.files[row.index]!;
      if (bf.size > 64 << 20) throw protocolError(`base file ${row.index} (${bf.path}) is ${bf.size} bytes, too large to unpack`, where);
      const plains = zipPlains(await base!.read(row.index), row.size, bf.path);
      if (!plains || plains.length !== row.size || sha256Hex(plains) !== row.sha256)
        throw protocolError(`base file ${row.index} (${bf.path}) does not unpack to what the stream states`, where);
      baseSwap.set(row.index, { bytes: plains, file: { path: bf.path, size: plains.length, sha256: `plains:${row.sha256}` } });
    }
    const innerBase: CutContent | null = base
      ? {
          manifestSha256: base.manifestSha256,
          files: base.files.map((f, i) => baseSwap.get(i)?.file ?? f),
          read: async (index, offset = 0, length) => {
            const s = baseSwap.get(index);
            return s ? s.bytes.subarray(offset, offset + (length ?? s.bytes.length - offset)) : base.read(index, offset, length);
          },
          readMany: async (indices) => {
            const read = await base.readMany(indices.filter((i) => !baseSwap.has(i)));
            let k = 0;
            return indices.map((i) => baseSwap.get(i)?.bytes ?? read[k++]!);
          },
          close: () => base.close(),
        }
      : null;
    const unpackedAt = new Map(header.target.map((r) => [r.index, r]));
    const innerFiles = target.files.map((f, i) => {
      const r = unpackedAt.get(i);
      return r ? { path: f.path, size: r.size, sha256: r.sha256 } : f;
    });
    const result = await applyDelta({
      ...opts,
      streamOffset: header.streamOffset,
      target: { manifestSha256: target.manifestSha256, files: innerFiles },
      base: innerBase,
      // an unchanged file is one the base holds with the signed hash; an unpacked form never is
      findObject: (sha) => (header.target.some((r) => r.sha256 === sha) ? null : opts.findObject(sha)),
    });
    // The unpacked forms are in staging, verified against the table: rebuild each zip in their place.
    let zipsRebuilt = 0;
    for (const row of header.target) {
      const f = target.files[row.index]!;
      const at = sitePathIn(opts.stagingDir, f.path);
      const unpacked = fs.readFileSync(at);
      if (unpacked.length !== row.size) throw new PrepcastError("SIZE_MISMATCH", `${f.path}: its unpacked form changed in staging`, { where: f.path });
      const zip = zipFromUnpacked(unpacked, f, f.path);
      fs.rmSync(at);
      const w = await VerifiedFileWriter.open(f, at, f.path);
      try {
        await w.write(zip);
        await w.finish();
      } finally {
        await w.close().catch(() => undefined);
      }
      zipsRebuilt++;
    }
    return { ...result, zipsRebuilt };
  } catch (e) {
    throw toPrepcastError(e, where);
  }
}
