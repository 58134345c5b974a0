import { execFile } from "node:child_process";
import { promises as fsp } from "node:fs";
import * as path from "node:path";
import { toPrepcastError } from "./errors";

/** A temp name beside `file` (the same directory, so the rename stays on one file system). */
export function tempPathFor(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/**
 * Replaces `file` so that a crash leaves either the old or the new content: a temp file beside it
 * is created with `mode` and handed to `fill`, then fsynced, closed, renamed over `file`, and the
 * directory fsynced. On any error the temp file is removed and the error rethrown as it is.
 */
export async function replaceFileDurably<T>(file: string, mode: number, fill: (handle: fsp.FileHandle, tmp: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(file);
  let handle: fsp.FileHandle | null = null;
  try {
    handle = await fsp.open(tmp, "wx", mode);
    const result = await fill(handle, tmp);
    await handle.sync();
    await handle.close();
    handle = null;
    await fsp.rename(tmp, file);
    await fsyncDir(path.dirname(file));
    return result;
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/**
 * Writes `data` to `file` so that a crash leaves either the old or the new content: temp + fsync + rename + fsync(dir).
 * `owner` gives the new file an owner and group before it replaces the old one (root rewriting a
 * file another user reads, e.g. a service's config).
 */
export async function writeFileAtomic(file: string, data: string | Buffer, mode = 0o644, owner?: { uid: number; gid: number }): Promise<void> {
  try {
    await replaceFileDurably(file, mode, async (handle) => {
      await handle.writeFile(data);
      if (owner) await handle.chown(owner.uid, owner.gid);
    });
  } catch (e) {
    throw toPrepcastError(e, file);
  }
}

/** fsync a directory so a rename or new entry in it survives a power cut. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Flushes every file of a freshly extracted tree before it can go live. One `sync -f` (syncfs)
 * costs one call instead of one fsync per file (a cut has tens of thousands); when the command
 * is unavailable, each file is fsynced.
 */
export async function syncTree(dir: string): Promise<void> {
  const ok = await new Promise<boolean>((resolve) => {
    execFile("sync", ["-f", dir], { timeout: 120_000 }, (err) => resolve(err === null));
  });
  if (ok) return;
  const walk = async (d: string): Promise<void> => {
    for (const entry of await fsp.readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile()) {
        const h = await fsp.open(p, "r");
        try {
          await h.sync();
        } finally {
          await h.close();
        }
      }
    }
    await fsyncDir(d);
  };
  await walk(dir);
}
