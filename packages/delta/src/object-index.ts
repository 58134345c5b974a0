import * as fs from "node:fs";
import * as path from "node:path";
import { MANIFEST_ENTRY, parseManifest, sitePathIn, type ManifestFile } from "@prepcast/protocol";

/**
 * The receiver's content-addressed view of what it holds: SHA-256 → a file with those bytes in a
 * committed cut under DIR/cuts. Committed cuts are immutable (the store only ever adds or removes
 * whole cut directories), so the retained cuts themselves are the object store: nothing is copied
 * into DIR/objects, and a lookup is only a hint (every file copied from it is verified again).
 */
export class ObjectIndex {
  private readonly paths = new Map<string, string>();

  /** Indexes the committed cut directories given (each with prepcast/manifest.json and site/). */
  static fromCutDirs(cutDirs: readonly string[]): ObjectIndex {
    const index = new ObjectIndex();
    for (const dir of cutDirs) {
      let manifest;
      try {
        manifest = parseManifest(fs.readFileSync(path.join(dir, ...MANIFEST_ENTRY.split("/"))));
      } catch {
        continue; // a cut being removed by retention is simply not a source
      }
      for (const f of manifest.files) if (!index.paths.has(f.sha256)) index.paths.set(f.sha256, sitePathIn(dir, f.path));
    }
    return index;
  }

  /** Indexes one committed cut whose manifest is already parsed (and was verified when it was installed). */
  static fromCut(cutDir: string, files: readonly ManifestFile[]): ObjectIndex {
    const index = new ObjectIndex();
    for (const f of files) if (!index.paths.has(f.sha256)) index.paths.set(f.sha256, sitePathIn(cutDir, f.path));
    return index;
  }

  get size(): number {
    return this.paths.size;
  }

  has(sha256: string): boolean {
    return this.paths.has(sha256);
  }

  find(sha256: string): string | null {
    return this.paths.get(sha256) ?? null;
  }
}
