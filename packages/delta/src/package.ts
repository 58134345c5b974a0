import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar-stream";
import {
  ENTRY_MODE,
  ENTRY_MTIME,
  GuardedTarReader,
  KEYSET_ENTRY,
  KEYSET_SIG_ENTRY,
  MANIFEST_ENTRY,
  MANIFEST_SIG_ENTRY,
  PrepcastError,
  MANIFEST_ZSTD_ENTRY,
  MANIFEST_ZSTD_LEVEL,
  ROOT_ENTRY,
  ROOT_SIG_ENTRY,
  compressManifest,
  emptyTrustState,
  readSignedHead,
  hashFile,
  readPackage,
  replaceFileDurably,
  toPrepcastError,
  type RootOfTrust,
  type SignedCut,
  type TarEntry,
  type VerifiedCut,
} from "@prepcast/protocol";
import { cutDirContent } from "./content";
import { encodeDelta, type EncodeStats } from "./encode";
import { ENCODING_DELTA_ZSTD } from "./format";

/**
 * Offline delta package (`prep-publisher pack --base PREV.prep`): a tar like `.prep`, with the
 * same four signed documents first, then
 *   prepcast/base.json   {"format":"prepcast/delta-package@2","encoding":"delta-zstd@1",
 *                         "base":{process,channel,sequence,manifestSha256},"streamSize","streamSha256"}
 *   prepcast/delta.bin   the delta-zstd@1 stream against that base
 * and nothing else. Format @2 (written since issue 15) carries the manifest as
 * prepcast/manifest.json.zst, one zstd frame of the exact signed bytes (the manifest was 52 % of a
 * veracruz delta package); format @1 carries it as prepcast/manifest.json and is still read. The
 * entry and base.json's format must agree. base.json is not signed and needs not be: the stream
 * either rebuilds files that hash to the signed manifest, or the package is refused. A plain
 * `.prep` reader refuses this package (prepcast/base.json is not a site file, and
 * manifest.json.zst is not manifest.json), so an old receiver never half-installs it.
 */
export const DELTA_PACKAGE_FORMAT = "prepcast/delta-package@2";
/** The first layout: the manifest uncompressed. Read, no longer written (writeDeltaPackage's `format: 1` for tests). */
export const DELTA_PACKAGE_FORMAT_V1 = "prepcast/delta-package@1";
const FORMATS = [DELTA_PACKAGE_FORMAT_V1, DELTA_PACKAGE_FORMAT] as const;
export const BASE_ENTRY = "prepcast/base.json";
export const DELTA_ENTRY = "prepcast/delta.bin";
const MAX_BASE_JSON = 4096;

export interface DeltaPackageBase {
  format: (typeof FORMATS)[number];
  encoding: typeof ENCODING_DELTA_ZSTD;
  base: { process: string; channel: string; sequence: number; manifestSha256: string };
  streamSize: number;
  streamSha256: string;
}

export interface WriteDeltaPackageOptions {
  /** 2 (the default): the manifest as manifest.json.zst; 1: the old layout, manifest.json as is */
  format?: 1 | 2;
  /** zstd level for manifest.json.zst (default MANIFEST_ZSTD_LEVEL: higher levels save ~3 % for 100x the CPU) */
  manifestLevel?: number;
}

export async function writeDeltaPackage(
  out: string,
  signed: SignedCut,
  base: DeltaPackageBase["base"],
  streamFile: string,
  opts: WriteDeltaPackageOptions = {},
): Promise<{ packageBytes: number; base: DeltaPackageBase; manifestBytes: number }> {
  const st = await fsp.stat(streamFile);
  const v2 = (opts.format ?? 2) === 2;
  const manifestEntry = v2
    ? { name: MANIFEST_ZSTD_ENTRY, data: compressManifest(signed.manifest, opts.manifestLevel ?? MANIFEST_ZSTD_LEVEL) }
    : { name: MANIFEST_ENTRY, data: signed.manifest };
  const doc: DeltaPackageBase = {
    format: v2 ? DELTA_PACKAGE_FORMAT : DELTA_PACKAGE_FORMAT_V1,
    encoding: ENCODING_DELTA_ZSTD,
    base,
    streamSize: st.size,
    streamSha256: (await hashFile(streamFile)).sha256,
  };
  const header = (name: string, size: number) => ({ name, size, mode: ENTRY_MODE, mtime: ENTRY_MTIME, type: "file" as const, uid: 0, gid: 0 });
  try {
    await replaceFileDurably(out, 0o644, async (handle) => {
      const pack = tar.pack();
      // by its fd: a stream on the FileHandle itself would hold it open (its close() would wait)
      const done = pipeline(pack, fs.createWriteStream("", { fd: handle.fd, autoClose: false }));
      try {
        const small = async (name: string, data: Buffer) =>
          new Promise<void>((resolve, reject) => pack.entry(header(name, data.length), data, (e) => (e ? reject(e) : resolve())));
        if (signed.root !== undefined && signed.rootSig !== undefined) {
          await small(ROOT_ENTRY, signed.root);
          await small(ROOT_SIG_ENTRY, signed.rootSig);
        }
        await small(KEYSET_ENTRY, signed.keyset);
        await small(KEYSET_SIG_ENTRY, signed.keysetSig);
        await small(manifestEntry.name, manifestEntry.data);
        await small(MANIFEST_SIG_ENTRY, signed.manifestSig);
        await small(BASE_ENTRY, Buffer.from(JSON.stringify(doc) + "\n"));
        await new Promise<void>((resolve, reject) => {
          const sink = pack.entry(header(DELTA_ENTRY, st.size), (e) => (e ? reject(e) : resolve()));
          pipeline(fs.createReadStream(streamFile, { highWaterMark: 1 << 20 }), sink).catch(reject);
        });
        pack.finalize();
        await done;
      } catch (e) {
        pack.destroy();
        await done.catch(() => undefined);
        throw e;
      }
    });
  } catch (e) {
    throw toPrepcastError(e, out);
  }
  return { packageBytes: (await fsp.stat(out)).size, base: doc, manifestBytes: manifestEntry.data.length };
}

/** Whether a package file is a delta package: its fifth entry is prepcast/base.json (headers only). */
export async function isDeltaPackage(file: string): Promise<boolean> {
  const fh = await fsp.open(file, "r");
  try {
    const { size } = await fh.stat();
    let at = 0;
    for (let i = 0; i < 5 && at + 512 <= size; i++) {
      const h = Buffer.alloc(512);
      await fh.read(h, 0, 512, at);
      const name = h.subarray(0, 100).toString("latin1").replace(/\0.*$/s, "");
      const len = parseInt(h.subarray(124, 136).toString("latin1").replace(/[\0 ]/g, "") || "0", 8);
      if (!Number.isSafeInteger(len) || len < 0) return false;
      if (i === 4) return name === BASE_ENTRY;
      at += 512 + Math.ceil(len / 512) * 512;
    }
    return false;
  } finally {
    await fh.close();
  }
}

function parseBaseDoc(raw: Buffer, manifestCompressed: boolean): DeltaPackageBase {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new PrepcastError("PACKAGE_INVALID", `${BASE_ENTRY} is not JSON`, { where: BASE_ENTRY });
  }
  if (typeof v !== "object" || v === null) throw new PrepcastError("PACKAGE_INVALID", `${BASE_ENTRY} is not a JSON object`, { where: BASE_ENTRY });
  if (typeof v.format === "string" && /^prepcast\/delta-package@/.test(v.format) && !(FORMATS as readonly string[]).includes(v.format)) {
    throw new PrepcastError(
      "PACKAGE_INVALID",
      `${BASE_ENTRY}: delta package format ${JSON.stringify(v.format.slice(0, 60))} is not one this receiver reads (${FORMATS.join(", ")})`,
      {
        where: BASE_ENTRY,
        hint: "upgrade prep-receiver, or install the full .prep of this cut instead",
      },
    );
  }
  // the manifest entry already showed the layout: base.json must name the same one
  const layout = manifestCompressed ? DELTA_PACKAGE_FORMAT : DELTA_PACKAGE_FORMAT_V1;
  if ((FORMATS as readonly unknown[]).includes(v.format) && v.format !== layout) {
    throw new PrepcastError(
      "PACKAGE_INVALID",
      `${BASE_ENTRY} says ${String(v.format)} but the package is laid out as ${layout} (${manifestCompressed ? MANIFEST_ZSTD_ENTRY : MANIFEST_ENTRY})`,
      {
        where: BASE_ENTRY,
        hint: "the package is damaged or forged; repack with prep-publisher pack --base",
      },
    );
  }
  const b = v.base as Record<string, unknown> | undefined;
  const ok =
    v.format === layout &&
    v.encoding === ENCODING_DELTA_ZSTD &&
    !!b &&
    typeof b.process === "string" &&
    typeof b.channel === "string" &&
    Number.isSafeInteger(b.sequence) &&
    typeof b.manifestSha256 === "string" &&
    /^[0-9a-f]{64}$/.test(b.manifestSha256) &&
    Number.isSafeInteger(v.streamSize) &&
    (v.streamSize as number) >= 0 &&
    typeof v.streamSha256 === "string" &&
    /^[0-9a-f]{64}$/.test(v.streamSha256);
  if (!ok)
    throw new PrepcastError("PACKAGE_INVALID", `${BASE_ENTRY} is not a ${layout} document`, {
      where: BASE_ENTRY,
      hint: "repack with prep-publisher pack --base",
    });
  return v as unknown as DeltaPackageBase;
}

/**
 * Reads a delta package strictly in order: the four signed documents (given to `verify` before
 * anything else is believed), base.json, then the stream copied to `streamOut` within
 * `maxStreamBytes(verified)` and checked against base.json's size and hash.
 */
export async function readDeltaPackage(
  file: string,
  opts: { verify: (signed: SignedCut) => VerifiedCut; streamOut: string; maxStreamBytes: (v: VerifiedCut) => number },
): Promise<{ verified: VerifiedCut; base: DeltaPackageBase }> {
  const reader = new GuardedTarReader(file, file);
  const next = async (want: string): Promise<TarEntry> => {
    const e = await reader.next();
    if (e === null) throw new PrepcastError("MISSING_ENTRY", `the delta package ends before ${want}`, { where: want });
    if (e.header.type !== "file") throw new PrepcastError("ENTRY_TYPE", `${e.header.name} is a ${e.header.type}, not a regular file`, { where: e.header.name });
    if (e.header.name !== want)
      throw new PrepcastError("UNEXPECTED_ENTRY", `expected ${want} but found ${JSON.stringify(e.header.name.slice(0, 200))}`, {
        where: want,
        hint: "repack with prep-publisher pack --base",
      });
    return e;
  };
  const readSmall = async (e: TarEntry, max: number): Promise<Buffer> => {
    if ((e.header.size ?? 0) > max)
      throw new PrepcastError("TOO_LARGE", `${e.header.name} is ${e.header.size} bytes, more than ${max}`, { where: e.header.name });
    const parts: Buffer[] = [];
    for await (const c of e) parts.push(c as Buffer);
    return Buffer.concat(parts);
  };
  try {
    // the signed documents first, read as every package's are (protocol's guarded reader)
    // (format @2: the compressed manifest decompressed within its declared, bounded size, no more)
    const head = await readSignedHead(reader, { manifestZstd: true });
    const verified = opts.verify(head.signed);
    const base = parseBaseDoc(await readSmall(await next(BASE_ENTRY), MAX_BASE_JSON), head.manifestZstdBytes !== null);
    const entry = await next(DELTA_ENTRY);
    const limit = opts.maxStreamBytes(verified);
    if ((entry.header.size ?? 0) !== base.streamSize || base.streamSize > limit) {
      throw new PrepcastError(
        "TOO_LARGE",
        `${DELTA_ENTRY} is ${entry.header.size} bytes; base.json says ${base.streamSize}, the limit for this manifest is ${limit}`,
        { where: DELTA_ENTRY },
      );
    }
    const h = createHash("sha256");
    const out = await fsp.open(opts.streamOut, "wx", 0o600);
    try {
      for await (const c of entry) {
        h.update(c as Buffer);
        await out.write(c as Buffer);
      }
    } finally {
      await out.close();
    }
    if (h.digest("hex") !== base.streamSha256)
      throw new PrepcastError("HASH_MISMATCH", `${DELTA_ENTRY} does not match the hash in ${BASE_ENTRY}`, { where: DELTA_ENTRY });
    const after = await reader.next();
    if (after !== null) throw new PrepcastError("TRAILING_DATA", `the delta package has an entry after ${DELTA_ENTRY}`, { where: after.header.name });
    await reader.finish();
    return { verified, base };
  } catch (e) {
    const err = reader.abort(e);
    await reader.settled();
    throw err;
  }
}

/**
 * Builds a delta package from two full `.prep` packages of the same process and channel: both are
 * verified and extracted (under `workDir`, removed afterwards), the stream is computed from the
 * base's files to the target's, and the target's signed documents are copied verbatim.
 */
export async function buildDeltaPackage(
  opts: { target: string; base: string; rootPublicKey: RootOfTrust; out: string; workDir: string } & WriteDeltaPackageOptions,
): Promise<{ packageBytes: number; manifestBytes: number; stats: EncodeStats; base: DeltaPackageBase; targetSequence: number }> {
  const work = await fsp.mkdtemp(path.join(opts.workDir, ".prepcast-delta-"));
  try {
    const extract = async (file: string, name: string) => {
      const dir = path.join(work, name);
      const r = await readPackage(file, { rootPublicKey: opts.rootPublicKey, state: emptyTrustState(), extractInto: () => dir });
      return { dir, verified: r.verified };
    };
    const t = await extract(opts.target, "target");
    const b = await extract(opts.base, "base");
    const tm = t.verified.manifest;
    const bm = b.verified.manifest;
    if (tm.process !== bm.process || tm.channel !== bm.channel || bm.sequence >= tm.sequence) {
      throw new PrepcastError(
        "STATE_CONFLICT",
        `base ${bm.process}/${bm.channel} #${bm.sequence} is not an earlier cut of ${tm.process}/${tm.channel} #${tm.sequence}`,
        {
          where: opts.base,
          hint: "--base must be the package of a previous cut of the same process and channel",
        },
      );
    }
    const stream = path.join(work, "delta.bin");
    const stats = await encodeDelta(
      cutDirContent(t.verified.manifestSha256, tm.files, t.dir),
      cutDirContent(b.verified.manifestSha256, bm.files, b.dir),
      stream,
    );
    const ref = { process: bm.process, channel: bm.channel, sequence: bm.sequence, manifestSha256: b.verified.manifestSha256 };
    const w = await writeDeltaPackage(opts.out, t.verified.signed, ref, stream, {
      ...(opts.format !== undefined ? { format: opts.format } : {}),
      ...(opts.manifestLevel !== undefined ? { manifestLevel: opts.manifestLevel } : {}),
    });
    return { packageBytes: w.packageBytes, manifestBytes: w.manifestBytes, stats, base: w.base, targetSequence: tm.sequence };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}
