import { mkdirSync } from "node:fs";
import { utimes, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Writes many files into one directory tree with a bounded number of writes in flight: file
 * system calls overlap with generating the next file, and memory holds at most `concurrency`
 * pending files (which keeps a national cut with acta scans small). Every file gets the same mtime.
 */
export class TreeWriter {
  files = 0;
  bytes = 0;
  private active = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly madeDirs = new Set<string>();
  private failure: unknown;

  constructor(
    readonly root: string,
    private readonly mtime: Date,
    private readonly concurrency = 32,
  ) {
    mkdirSync(root, { recursive: true });
    this.madeDirs.add(root);
  }

  /** Queues one file; resolves once it may be followed by another (not when it is on disk). */
  async put(relPath: string, data: string | Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.active >= this.concurrency) await new Promise<void>((resolve) => this.waiters.push(resolve));
    const abs = join(this.root, relPath);
    const dir = dirname(abs);
    if (!this.madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    this.files++;
    this.bytes += typeof data === "string" ? Buffer.byteLength(data) : data.length;
    this.active++;
    void this.writeOne(abs, data);
  }

  /** Waits for every queued write and rethrows the first failure. */
  async finish(): Promise<void> {
    while (this.active > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    if (this.failure) throw this.failure;
  }

  private async writeOne(abs: string, data: string | Buffer): Promise<void> {
    try {
      await writeFile(abs, data);
      // Every cut is a fresh export: all its files carry the cut's time.
      await utimes(abs, this.mtime, this.mtime);
    } catch (err) {
      this.failure ??= err;
    } finally {
      this.active--;
      this.waiters.shift()?.();
    }
  }
}
