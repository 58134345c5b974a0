import { createHash, type Hash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { PrepcastError, toPrepcastError } from "../errors";
import type { ManifestFile } from "../trust/manifest";
import { validateSitePath } from "../paths";

// Every way a cut's content arrives (a .prep entry, a "full" payload, a rebuilt delta) ends here:
// bytes are hashed and counted as they stream to disk, and a file counts only once its size and
// SHA-256 equal the signed manifest's. Nothing is ever written outside `<staging>/site/`.

/** The directory inside a staging (or cut) directory that holds the published files. */
export const SITE_DIR = "site";

// The last absolute staging directory's resolved site root: an install asks for tens of thousands
// of paths under the same one, and resolving it each time cost more than the rest of this function.
let lastStagingDir: string | null = null;
let lastSiteRoot = "";

/** Absolute path of `file` under `<stagingDir>/site`, re-validated and proved to stay inside it. */
export function sitePathIn(stagingDir: string, filePath: string): string {
  validateSitePath(filePath, "manifest file");
  let root: string;
  if (stagingDir === lastStagingDir) root = lastSiteRoot;
  else {
    root = path.resolve(stagingDir, SITE_DIR);
    if (path.isAbsolute(stagingDir)) {
      lastStagingDir = stagingDir;
      lastSiteRoot = root;
    }
  }
  // A valid site path has no ".", ".." or empty segment, no backslash and no leading "/": joined
  // with "/" it is already the resolved path (elsewhere, let path.resolve do it).
  const target = path.sep === "/" ? `${root}/${filePath}` : path.resolve(root, ...filePath.split("/"));
  if (!target.startsWith(root + path.sep)) {
    throw new PrepcastError("PATH_UNSAFE", `path ${JSON.stringify(filePath)} resolves outside the staging directory`, { where: filePath });
  }
  return target;
}

/** Remembers which parent directories exist so a cut with 50 000 files does not mkdir 50 000 times. */
export class StagingDirs {
  private readonly made = new Set<string>();
  async ensureParent(target: string, where: string): Promise<void> {
    const dir = path.dirname(target);
    if (this.made.has(dir)) return;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST" || code === "ENOTDIR") {
        throw new PrepcastError("PATH_COLLISION", `${where}: a parent directory is already a file`, { where, cause: e });
      }
      throw toPrepcastError(e, where);
    }
    this.made.add(dir);
  }
}

/**
 * Streams one manifest file: counts and hashes every chunk and, when given a target path,
 * writes it to a file opened exclusively (`wx`) with mode 0644. `finish()` proves size and hash.
 */
export class VerifiedFileWriter {
  private readonly hash: Hash = createHash("sha256");
  private written = 0;
  // Synchronous file calls: per-file open/chmod/close through the thread pool cost more than
  // the writes themselves on a loaded host (install of the 1.2 GB benchmark cut: 60 -> see
  // docs/benchmarks.md), and each call blocks for about a millisecond at most.
  private fd: number | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  private constructor(
    readonly file: ManifestFile,
    private readonly where: string,
  ) {}

  /** `target` null: verify only (nothing is written). */
  static async open(file: ManifestFile, target: string | null, where = file.path, dirs?: StagingDirs): Promise<VerifiedFileWriter> {
    const w = new VerifiedFileWriter(file, where);
    if (target !== null) {
      await (dirs ?? new StagingDirs()).ensureParent(target, where);
      try {
        w.fd = fs.openSync(target, "wx", 0o644);
        fs.fchmodSync(w.fd, 0o644); // the umask must not change what the site server can read
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EEXIST") {
          throw new PrepcastError("DUPLICATE_ENTRY", `${where} was already written`, { where, cause: e });
        }
        throw toPrepcastError(e, where);
      }
    }
    return w;
  }

  get bytesWritten(): number {
    return this.written;
  }

  get remaining(): number {
    return this.file.size - this.written;
  }

  async write(chunk: Buffer): Promise<void> {
    this.count(chunk);
    if (this.fd === null) return;
    // Coalesce small chunks so a file arriving in 16 KiB pieces costs few write calls.
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= 1 << 20) this.flush();
  }

  /**
   * Like `write`, but the chunk is hashed and written before this returns and never kept: for a
   * caller that reuses one buffer (reads from a held file or a stream reader's window), which
   * would otherwise have to copy every piece (the re-verified unchanged files of a 1.2 GB cut were
   * ~1 GB of copies, garbage the receiver's peak memory carried; docs/benchmarks.md).
   */
  writeNow(chunk: Buffer): void {
    this.count(chunk);
    if (this.fd === null) return;
    this.flush();
    this.writeAll(chunk);
  }

  private count(chunk: Buffer): void {
    if (this.written + chunk.length > this.file.size) {
      throw new PrepcastError("SIZE_MISMATCH", `${this.where} has more than the ${this.file.size} bytes the manifest declares`, {
        where: this.where,
        hint: "the package does not match its signed manifest; refuse it and ask the OPLE for a fresh copy",
      });
    }
    this.written += chunk.length;
    this.hash.update(chunk);
  }

  private flush(): void {
    if (this.fd === null || this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.writeAll(data);
  }

  private writeAll(data: Buffer): void {
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd!, data, off, data.length - off);
    } catch (e) {
      throw toPrepcastError(e, this.where);
    }
  }

  /** Verifies size and hash, then closes the file. Throws SIZE_MISMATCH or HASH_MISMATCH. */
  async finish(): Promise<void> {
    if (this.written !== this.file.size) {
      throw new PrepcastError("SIZE_MISMATCH", `${this.where} has ${this.written} bytes; the manifest declares ${this.file.size}`, {
        where: this.where,
        hint: "the package does not match its signed manifest; refuse it and ask the OPLE for a fresh copy",
      });
    }
    const digest = this.hash.digest("hex");
    if (digest !== this.file.sha256) {
      throw new PrepcastError("HASH_MISMATCH", `${this.where} has SHA-256 ${digest}; the manifest declares ${this.file.sha256}`, {
        where: this.where,
        hint: "the file was altered or damaged in transit; refuse the package and ask the OPLE for a fresh copy",
      });
    }
    this.flush();
    await this.close();
  }

  /** Closes without verifying (the staging directory is about to be removed). */
  async close(): Promise<void> {
    const fd = this.fd;
    this.fd = null;
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch (e) {
        throw toPrepcastError(e, this.where);
      }
    }
  }
}

/** Streams `readable` into `<stagingDir>/site/<file.path>`, proving its size and hash. */
export async function writeVerifiedFile(stagingDir: string, file: ManifestFile, readable: AsyncIterable<Buffer>): Promise<void> {
  const w = await VerifiedFileWriter.open(file, sitePathIn(stagingDir, file.path));
  try {
    for await (const chunk of readable) await w.write(chunk);
    await w.finish();
  } finally {
    await w.close().catch(() => undefined);
  }
}
