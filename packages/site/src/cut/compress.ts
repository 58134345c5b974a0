// Compressed variants are made once per cut (at activation), into DIR/cache/<cutId>/, outside the
// signed cut so the cut directory stays byte-for-byte what the OPLE signed. Each source file is
// re-hashed against the manifest before compressing: a variant can only ever encode signed bytes.
import { createHash, randomBytes } from "node:crypto";
import { promises as fsp, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants as zc, gzip } from "node:zlib";
import { LoadedCut, readCut } from "./cut";

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

export type Encoding = "br" | "gzip";

export interface Variant {
  encoding: Encoding;
  size: number;
  sha256: string;
  abs: string;
}

export interface VariantIndex {
  format: "prepcast/site-variants@1";
  cutId: string;
  manifestSha256: string;
  files: Record<string, { br?: { size: number; sha256: string }; gzip?: { size: number; sha256: string } }>;
}

export interface PrepareOptions {
  /** Receiver state directory (holds cuts/ and cache/). */
  root: string;
  /** The cut directory (DIR/cuts/<id>). */
  cutDir: string;
  /** Files smaller than this are not worth compressing (default 1024 bytes). */
  minSize?: number;
}

const EXT: Record<Encoding, string> = { br: ".br", gzip: ".gz" };

export function variantsDir(root: string, cutId: string): string {
  return join(root, "cache", cutId);
}

/**
 * Writes the gzip and brotli variants of every compressible file of the cut (once: if the index
 * already exists it is returned as is). Call it after install, before switching `current`, so the
 * variants are ready when the cut goes live; the server also triggers it when it sees a cut without.
 */
export async function prepareCompressedVariants(opts: PrepareOptions): Promise<VariantIndex> {
  const cut = readCut(opts.cutDir);
  const finalDir = variantsDir(opts.root, cut.id);
  const existing = readVariantIndexFile(finalDir);
  if (existing && existing.manifestSha256 === cut.manifestSha256) return existing;
  const minSize = opts.minSize ?? 1024;
  // One preparation per cut in this process: the site server's cut watcher, the first requests
  // to a cut without variants and the agent's embargo preparation all ask for the same cut
  // within seconds of a switch, and each used to compress the whole cut again.
  const key = `${finalDir}\0${cut.manifestSha256}\0${minSize}`;
  const running = inflight.get(key);
  if (running) return running;
  const work = writeVariants(cut, finalDir, opts.root, minSize).finally(() => inflight.delete(key));
  inflight.set(key, work);
  return work;
}

/** Preparations in flight in this process, by variants directory, manifest and minimum size. */
const inflight = new Map<string, Promise<VariantIndex>>();

async function writeVariants(cut: LoadedCut, finalDir: string, root: string, minSize: number): Promise<VariantIndex> {
  const tmp = join(root, "cache", `.tmp-${cut.id}-${randomBytes(6).toString("hex")}`);
  await fsp.mkdir(tmp, { recursive: true });
  const index: VariantIndex = { format: "prepcast/site-variants@1", cutId: cut.id, manifestSha256: cut.manifestSha256, files: {} };
  try {
    for (const f of cut.files.values()) {
      if (!f.compressible || f.size < minSize) continue;
      const bytes = await fsp.readFile(f.abs);
      if (bytes.length !== f.size || createHash("sha256").update(bytes).digest("hex") !== f.sha256) continue; // never encode bytes the OPLE did not sign
      const made: VariantIndex["files"][string] = {};
      const br = await brotliAsync(bytes, { params: { [zc.BROTLI_PARAM_QUALITY]: 9, [zc.BROTLI_PARAM_SIZE_HINT]: bytes.length } });
      const gz = await gzipAsync(bytes, { level: 9 });
      for (const [enc, data] of [
        ["br", br],
        ["gzip", gz],
      ] as const) {
        if (data.length >= bytes.length * 0.95) continue;
        const out = join(tmp, f.path + EXT[enc]);
        await fsp.mkdir(dirname(out), { recursive: true });
        await fsp.writeFile(out, data);
        made[enc] = { size: data.length, sha256: createHash("sha256").update(data).digest("hex") };
      }
      if (made.br || made.gzip) index.files[f.path] = made;
    }
    await fsp.writeFile(join(tmp, "index.json"), JSON.stringify(index));
    await fsp.rm(finalDir, { recursive: true, force: true });
    try {
      await fsp.rename(tmp, finalDir);
    } catch (e) {
      // Another process finished the same cut first: its result is equivalent.
      if ((e as NodeJS.ErrnoException).code !== "ENOTEMPTY" && (e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return index;
}

function readVariantIndexFile(dir: string): VariantIndex | undefined {
  try {
    const idx = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as VariantIndex;
    return idx.format === "prepcast/site-variants@1" ? idx : undefined;
  } catch {
    return undefined;
  }
}

/** The variants ready for a cut, keyed by manifest path; undefined if not prepared yet. */
export function loadVariants(root: string, cut: LoadedCut): Map<string, Variant[]> | undefined {
  const dir = variantsDir(root, cut.id);
  const idx = readVariantIndexFile(dir);
  if (!idx || idx.manifestSha256 !== cut.manifestSha256) return undefined;
  const map = new Map<string, Variant[]>();
  for (const [path, v] of Object.entries(idx.files)) {
    if (!cut.files.has(path)) continue;
    const list: Variant[] = [];
    if (v.br) list.push({ encoding: "br", size: v.br.size, sha256: v.br.sha256, abs: join(dir, path + EXT.br) });
    if (v.gzip) list.push({ encoding: "gzip", size: v.gzip.size, sha256: v.gzip.sha256, abs: join(dir, path + EXT.gzip) });
    map.set(path, list);
  }
  return map;
}

/** Removes variant directories of cuts that are no longer on disk (retention removed them). */
export async function pruneVariants(root: string): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fsp.readdir(join(root, "cache"));
  } catch {
    return removed;
  }
  for (const name of names) {
    const stale = name.startsWith(".tmp-")
      ? false
      : !(await fsp.stat(join(root, "cuts", name)).then(
          () => true,
          () => false,
        ));
    if (stale) {
      await fsp.rm(join(root, "cache", name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  return removed;
}

/** Picks the best encoding the client accepts (br over gzip); q=0 refuses an encoding. */
export function chooseEncoding(acceptEncoding: string | undefined, available: Variant[]): Variant | undefined {
  if (!acceptEncoding || available.length === 0) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    let q = 1;
    for (const p of params) {
      const m = /^\s*q=([0-9.]+)\s*$/.exec(p);
      if (m) q = Number(m[1]);
    }
    accepted.set(name, q);
  }
  const ok = (enc: string): boolean => {
    const q = accepted.get(enc) ?? accepted.get("*");
    return q !== undefined && q > 0;
  };
  return available.find((v) => ok(v.encoding));
}
