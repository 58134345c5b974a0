import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { PrepcastError, hashFile, writeFileAtomic } from "@prepcast/protocol";
import type { EncodeStats } from "./encode";

/** What building a stream must report: its size and SHA-256 (the codec's own figures may follow). */
export interface StreamStats {
  size: number;
  sha256: string;
}

export interface CachedStream {
  file: string;
  size: number;
  sha256: string;
  encoding: string;
  /** The figures its encoder reported (EncodeStats for delta-zstd@1 and full-zstd@1). */
  stats: (StreamStats & Partial<EncodeStats> & Record<string, unknown>) | null;
}

interface CacheMeta {
  format: "prepcast/delta-cache@1";
  encoding: string;
  target: string;
  base: string | null;
  size: number;
  sha256: string;
  stats: StreamStats & Record<string, unknown>;
}

/**
 * STATE/deltas/<target>-from-<base|empty>.bin (+ .json): each stream is computed once per
 * (target, base, encoding), even when 32 sessions ask for it at the same moment, and every
 * session then reads the same file.
 */
export class DeltaCache {
  private readonly inflight = new Map<string, Promise<CachedStream>>();

  constructor(readonly dir: string) {}

  fileFor(targetId: string, baseId: string | null, encoding: string): string {
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
    return path.join(this.dir, `${safe(targetId)}-from-${baseId ? safe(baseId) : "empty"}.${safe(encoding)}.bin`);
  }

  /** The cached stream, building it with `build(outFile)` the first time. */
  get(
    key: { targetId: string; targetSha256: string; baseId: string | null; baseSha256: string | null; encoding: string },
    build: (outFile: string) => Promise<StreamStats>,
  ): Promise<CachedStream> {
    const file = this.fileFor(key.targetId, key.baseId, key.encoding);
    let p = this.inflight.get(file);
    if (!p) {
      p = this.load(file, key).then(async (hit) => {
        if (hit) return hit;
        await fsp.mkdir(this.dir, { recursive: true, mode: 0o750 });
        const stats = { ...(await build(file)) } as StreamStats & Record<string, unknown>;
        const meta: CacheMeta = {
          format: "prepcast/delta-cache@1",
          encoding: key.encoding,
          target: key.targetSha256,
          base: key.baseSha256,
          size: stats.size,
          sha256: stats.sha256,
          stats,
        };
        await writeFileAtomic(`${file}.json`, JSON.stringify(meta, null, 2) + "\n");
        return { file, size: stats.size, sha256: stats.sha256, encoding: key.encoding, stats };
      });
      p.catch(() => this.inflight.delete(file));
      this.inflight.set(file, p);
    }
    return p;
  }

  /**
   * Removes every cached stream whose target or base is one of `cutIds` (the publisher pruned
   * those cuts): their files and records, and the in-memory entries. Returns the files removed.
   */
  async removeFor(cutIds: readonly string[]): Promise<string[]> {
    if (cutIds.length === 0) return [];
    const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");
    const ids = new Set(cutIds.map(safe));
    let names: string[];
    try {
      names = await fsp.readdir(this.dir);
    } catch {
      return [];
    }
    const removed: string[] = [];
    for (const name of names) {
      // <target>-from-<base|empty>.<encoding>.bin[.json]; cut ids are <seq>-<hash12>, without "-from-"
      const m = /^(.+?)-from-(.+?)\.[^.]+\.bin(\.json)?$/.exec(name);
      if (!m || !(ids.has(m[1]!) || ids.has(m[2]!))) continue;
      const file = path.join(this.dir, name);
      this.inflight.delete(file.replace(/\.json$/, ""));
      await fsp.rm(file, { force: true });
      if (!m[3]) removed.push(file);
    }
    return removed;
  }

  /** A stream left by an earlier run counts only if its bytes still hash to what was recorded. */
  private async load(file: string, key: { targetSha256: string; baseSha256: string | null; encoding: string }): Promise<CachedStream | null> {
    let meta: CacheMeta;
    try {
      meta = JSON.parse(await fsp.readFile(`${file}.json`, "utf8")) as CacheMeta;
    } catch {
      return null;
    }
    if (meta.format !== "prepcast/delta-cache@1" || meta.target !== key.targetSha256 || meta.base !== key.baseSha256 || meta.encoding !== key.encoding)
      return null;
    try {
      const { size, sha256 } = await hashFile(file);
      if (size !== meta.size || sha256 !== meta.sha256) throw new PrepcastError("STATE_INVALID", `${file} does not match its record`);
    } catch {
      await fsp.rm(file, { force: true });
      await fsp.rm(`${file}.json`, { force: true });
      return null;
    }
    return { file, size: meta.size, sha256: meta.sha256, encoding: meta.encoding, stats: meta.stats };
  }
}
