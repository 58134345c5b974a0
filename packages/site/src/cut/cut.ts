// A cut directory as installed by the receiver (docs/architecture.md, "Receiver state directory"):
//   DIR/current -> cuts/<id>/ ; <id>/prepcast/{keyset.json,keyset.sig,manifest.json,manifest.sig} ; <id>/site/...
// The receiver verified the signatures before activation; here the manifest is parsed again only to
// know which paths exist (deny by default) and their hashes (ETags, integrity of the memory cache).
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readlinkSync, realpathSync } from "node:fs";
import { basename, join } from "node:path";
import { Manifest, parseManifest, PrepcastError, stateDirLayout } from "@prepcast/protocol";
import { cacheControlFor, contentTypeFor, isCompressible } from "./content";

export type SiteManifest = Manifest;

export interface CutFile {
  path: string;
  sha256: string;
  size: number;
  contentType: string;
  cacheControl: string;
  etag: string;
  compressible: boolean;
  /** Absolute path of the bytes inside the cut. */
  abs: string;
}

export interface LoadedCut {
  id: string;
  dir: string;
  manifest: SiteManifest;
  manifestSha256: string;
  corteMs: number;
  notBeforeMs: number;
  expiresMs: number | undefined;
  files: Map<string, CutFile>;
  /** Exact signed documents, served under /.well-known/prepcast/. */
  signed: { "keyset.json": Buffer; "keyset.sig": Buffer; "manifest.json": Buffer; "manifest.sig": Buffer; "root.json"?: Buffer; "root.sig"?: Buffer };
}

/** A manifest path must be relative, "/"-separated, without "." / ".." / empty segments or NUL. */
export function isSafeManifestPath(p: string): boolean {
  if (p.startsWith("/") || p.includes("\\") || p.includes("\0")) return false;
  return p.split("/").every((seg) => seg !== "" && seg !== "." && seg !== "..");
}

function parseTime(value: string, field: string, where: string): number {
  const ms = Date.parse(value);
  if (!Number.isFinite(ms)) throw new PrepcastError("MANIFEST_INVALID", `manifest field ${field} is not an ISO 8601 time: "${value}"`, { where });
  return ms;
}

/** Parses manifest bytes with the protocol's strict parser (canonical JSON, schema, path rules). */
export function parseSiteManifest(bytes: Buffer, where: string): SiteManifest {
  return parseManifest(bytes, where);
}

export function readCut(cutDir: string): LoadedCut {
  const pre = join(cutDir, "prepcast");
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(pre, name));
    } catch (e) {
      throw new PrepcastError("STATE_INVALID", `cut ${basename(cutDir)} lacks prepcast/${name}`, {
        where: join(pre, name),
        cause: e,
        hint: "the live cut must be installed by prep-receiver (install or run)",
      });
    }
  };
  // a root set's root.json and root.sig come with the cut when the OPLE has one (root rotation)
  const root = existsSync(join(pre, "root.json")) && existsSync(join(pre, "root.sig")) ? { "root.json": read("root.json"), "root.sig": read("root.sig") } : {};
  const signed = {
    ...root,
    "keyset.json": read("keyset.json"),
    "keyset.sig": read("keyset.sig"),
    "manifest.json": read("manifest.json"),
    "manifest.sig": read("manifest.sig"),
  };
  const where = join(pre, "manifest.json");
  const manifest = parseSiteManifest(signed["manifest.json"], where);
  const files = new Map<string, CutFile>();
  const siteDir = join(cutDir, "site");
  for (const f of manifest.files) {
    if (!isSafeManifestPath(f.path)) throw new PrepcastError("PATH_UNSAFE", `manifest lists an unsafe path: ${JSON.stringify(f.path)}`, { where });
    files.set(f.path, {
      path: f.path,
      sha256: f.sha256,
      size: f.size,
      contentType: contentTypeFor(f.path),
      cacheControl: cacheControlFor(f.path),
      etag: `"${f.sha256}"`,
      compressible: isCompressible(f.path),
      abs: join(siteDir, f.path),
    });
  }
  return {
    id: basename(cutDir),
    dir: cutDir,
    manifest,
    manifestSha256: createHash("sha256").update(signed["manifest.json"]).digest("hex"),
    corteMs: parseTime(manifest.corte, "corte", where),
    notBeforeMs: parseTime(manifest.notBefore, "notBefore", where),
    expiresMs: manifest.expires ? parseTime(manifest.expires, "expires", where) : undefined,
    files,
    signed,
  };
}

/**
 * Resolves DIR/current to the cut directory with one readlink (the receiver writes a relative
 * `cuts/<id>` link); anything else falls back to realpath. Undefined when there is no live cut.
 */
export function resolveCurrentDir(root: string): string | undefined {
  const link = stateDirLayout(root).current;
  try {
    const target = readlinkSync(link);
    if (/^cuts\/[^/]+$/.test(target)) return join(root, target);
    return realpathSync.native(link);
  } catch {
    return undefined;
  }
}

/**
 * Keeps parsed cuts by real directory. A request resolves `current` once and then uses only that
 * cut object, so a response can never mix two cuts even if the symlink changes meanwhile.
 */
export class CutCache {
  private readonly cuts = new Map<string, LoadedCut>();
  private readonly failures = new Map<string, { at: number; error: Error }>();
  constructor(private readonly keep = 3) {}

  get(dir: string): LoadedCut {
    const hit = this.cuts.get(dir);
    if (hit) return hit;
    const failed = this.failures.get(dir);
    // A damaged cut is re-read at most once a second instead of on every request.
    if (failed && Date.now() - failed.at < 1000) throw failed.error;
    try {
      const cut = readCut(dir);
      this.cuts.set(dir, cut);
      this.failures.delete(dir);
      while (this.cuts.size > this.keep) this.cuts.delete(this.cuts.keys().next().value as string);
      return cut;
    } catch (e) {
      this.failures.set(dir, { at: Date.now(), error: e as Error });
      throw e;
    }
  }
}
