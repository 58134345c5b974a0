import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { once } from "node:events";
import * as tar from "tar-stream";
import { PrepcastError, toPrepcastError } from "../errors";
import { createManifest, parseManifest, type Channel, type Manifest, type ManifestFile } from "../manifest";
import { assertNoCollisions, validateSitePath } from "../paths";
import { encodeSigFile, signDocument } from "../signing";
import { sha256Hex } from "../hash";
import { ENTRY_MODE, ENTRY_MTIME, KEYSET_ENTRY, KEYSET_SIG_ENTRY, MANIFEST_ENTRY, MANIFEST_SIG_ENTRY, MAX_FILE_SIZE, siteEntryName } from "./format";
import { loadPublisherSigningMaterial, type PublisherSigningMaterial } from "./publisher-keys";

const READ_CHUNK = 1 << 20;

/** A regular file found in a cut directory. */
export interface CutFile {
  path: string;
  absolute: string;
  size: number;
}

/**
 * Lists the regular files under `cutDir` with their site paths. Refuses symlinks (they could
 * point anywhere on the publisher's disk), devices, FIFOs and sockets, and paths that break the
 * site path rules, naming the offending path.
 */
export async function walkCutDir(cutDir: string): Promise<CutFile[]> {
  const root = path.resolve(cutDir);
  let st: fs.Stats;
  try {
    st = await fsp.lstat(root);
  } catch (e) {
    throw toPrepcastError(e, cutDir);
  }
  if (!st.isDirectory()) throw new PrepcastError("ENTRY_TYPE", `${cutDir} is not a directory`, { where: cutDir, hint: "give the directory holding the cut's site files" });
  const out: CutFile[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = await fsp.readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(abs, relPath);
      } else if (entry.isFile()) {
        validateSitePath(relPath, cutDir);
        const fst = await fsp.lstat(abs);
        if (fst.size > MAX_FILE_SIZE) throw new PrepcastError("TOO_LARGE", `${relPath} is ${fst.size} bytes; files must be under 8 GiB`, { where: relPath });
        out.push({ path: relPath, absolute: abs, size: fst.size });
      } else {
        const kind = entry.isSymbolicLink() ? "a symbolic link" : entry.isFIFO() ? "a FIFO" : entry.isSocket() ? "a socket" : "a device or special file";
        throw new PrepcastError("ENTRY_TYPE", `${relPath} is ${kind}; a cut may hold only regular files and directories`, {
          where: path.join(cutDir, relPath),
          hint: entry.isSymbolicLink() ? "replace the link with a copy of the file it points to" : "remove it from the cut directory",
        });
      }
    }
  };
  await walk(root, "");
  assertNoCollisions(
    out.map((f) => f.path),
    cutDir,
  );
  return out;
}

/** Streams a file once to learn its size and SHA-256 (never holds it whole). */
export async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: READ_CHUNK })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest("hex") };
}

export interface PackCutOptions {
  cutDir: string;
  /** A keys directory from initPublisherKeys, or the loaded material. */
  keysDir?: string;
  signing?: PublisherSigningMaterial;
  process: string;
  channel: Channel;
  sequence: number;
  corte: string;
  notBefore?: Date | string;
  expires?: Date | string;
  createdAt?: Date | string;
  out: string;
  /** clock for checking the keyset's expiry (default: now) */
  now?: Date;
}

export interface PackCutResult {
  out: string;
  manifest: Manifest;
  manifestSha256: string;
  packageBytes: number;
}

/** Collects small pushes (headers, padding) into large writes. */
class CoalescingFileWriter {
  private parts: Buffer[] = [];
  private bytes = 0;
  total = 0;
  constructor(private readonly handle: fsp.FileHandle) {}
  async write(chunk: Buffer): Promise<void> {
    this.parts.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes >= READ_CHUNK) await this.flush();
  }
  async flush(): Promise<void> {
    if (this.bytes === 0) return;
    const data = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.bytes);
    this.parts = [];
    this.bytes = 0;
    let off = 0;
    while (off < data.length) off += (await this.handle.write(data, off, data.length - off)).bytesWritten;
    this.total += data.length;
  }
}

/** Writes one tar entry from a file on disk, re-hashing it so a file changed since the manifest was built is caught. */
async function packFileEntry(pack: tar.Pack, file: CutFile, expected: ManifestFile): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    const sink = pack.entry({ name: siteEntryName(expected.path), size: expected.size, mode: ENTRY_MODE, mtime: ENTRY_MTIME, type: "file", uid: 0, gid: 0 }, (err) => (err ? reject(err) : resolve()));
    const hash = createHash("sha256");
    let size = 0;
    const stream = fs.createReadStream(file.absolute, { highWaterMark: READ_CHUNK });
    (async () => {
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > expected.size) break;
        hash.update(buf);
        if (!sink.write(buf)) await once(sink as unknown as NodeJS.EventEmitter, "drain");
      }
      if (size !== expected.size || hash.digest("hex") !== expected.sha256) {
        throw new PrepcastError("HASH_MISMATCH", `${file.path} changed while it was being packed`, {
          where: file.absolute,
          hint: "pack a cut directory that nothing is writing to (copy it aside first)",
        });
      }
      sink.end(undefined);
    })().catch((e) => {
      stream.destroy();
      sink.destroy(e as Error);
      reject(e);
    });
  });
  await done;
}

/**
 * Signs a cut directory into a `.prep` package: hashes every file (first pass, streamed),
 * builds and signs the manifest, then writes the pax tar (second pass, streamed) to
 * `out.tmp-*` and renames it over `out`. Same inputs and times give byte-identical packages.
 */
export async function packCut(options: PackCutOptions): Promise<PackCutResult> {
  const signing = options.signing ?? (options.keysDir !== undefined ? loadPublisherSigningMaterial(options.keysDir, options.now) : undefined);
  if (signing === undefined) throw new PrepcastError("CONFIG_INVALID", "packCut needs keysDir or signing material", { hint: "pass --keys KEYS" });
  const files = await walkCutDir(options.cutDir);
  const hashed: ManifestFile[] = [];
  const byPath = new Map<string, CutFile>();
  for (const f of files) {
    const { size, sha256 } = await hashFile(f.absolute);
    hashed.push({ path: f.path, size, sha256 });
    byPath.set(f.path, f);
  }
  const manifestBytes = createManifest({
    process: options.process,
    channel: options.channel,
    sequence: options.sequence,
    corte: options.corte,
    files: hashed,
    ...(options.createdAt !== undefined ? { createdAt: options.createdAt } : {}),
    ...(options.notBefore !== undefined ? { notBefore: options.notBefore } : {}),
    ...(options.expires !== undefined ? { expires: options.expires } : {}),
  });
  const manifest = parseManifest(manifestBytes);
  const manifestSig = encodeSigFile(signDocument("manifest", manifestBytes, signing.signingKey.secretKey, signing.signingKey.keyid));

  const out = path.resolve(options.out);
  const tmp = `${out}.tmp-${process.pid}-${Date.now().toString(36)}`;
  let handle: fsp.FileHandle | null = null;
  try {
    handle = await fsp.open(tmp, "wx", 0o644);
    const writer = new CoalescingFileWriter(handle);
    const pack = tar.pack();
    const produce = (async () => {
      const small = (name: string, data: Buffer) =>
        new Promise<void>((resolve, reject) => {
          pack.entry({ name, size: data.length, mode: ENTRY_MODE, mtime: ENTRY_MTIME, type: "file", uid: 0, gid: 0 }, data, (err) => (err ? reject(err) : resolve()));
        });
      await small(KEYSET_ENTRY, signing.keyset);
      await small(KEYSET_SIG_ENTRY, signing.keysetSig);
      await small(MANIFEST_ENTRY, manifestBytes);
      await small(MANIFEST_SIG_ENTRY, manifestSig);
      for (const mf of manifest.files) await packFileEntry(pack, byPath.get(mf.path)!, mf);
      pack.finalize();
    })().catch((e) => {
      pack.destroy(e as Error);
      throw e;
    });
    let produceError: unknown;
    produce.catch((e) => {
      produceError = e;
    });
    try {
      for await (const chunk of pack) await writer.write(chunk as Buffer);
    } catch (e) {
      throw produceError ?? e;
    }
    await produce;
    await writer.flush();
    await handle.sync();
    await handle.close();
    handle = null;
    await fsp.rename(tmp, out);
    return { out, manifest, manifestSha256: sha256Hex(manifestBytes), packageBytes: writer.total };
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw toPrepcastError(e, options.out);
  }
}
