import { lstat, open, readdir } from "node:fs/promises";
import { join } from "node:path";
import { compareUtf8 } from "@prepcast/protocol";

export interface TreeFile {
  /** Relative, `/`-separated. */
  path: string;
  size: number;
}

interface TreeEntry extends TreeFile {
  /** Anything that is not a regular file or a directory (symlink, FIFO, socket, device). */
  special?: string;
}

function kindOf(st: import("node:fs").Stats): string {
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isSocket()) return "socket";
  if (st.isBlockDevice() || st.isCharacterDevice()) return "device";
  return "special file";
}

async function walk(root: string, rel: string, out: TreeEntry[]): Promise<void> {
  const entries = await readdir(rel === "" ? root : join(root, rel), { withFileTypes: true });
  for (const ent of entries) {
    const childRel = rel === "" ? ent.name : `${rel}/${ent.name}`;
    if (ent.isDirectory()) {
      await walk(root, childRel, out);
    } else {
      const st = await lstat(join(root, childRel)); // lstat: a symlink is reported, never followed
      out.push(st.isFile() ? { path: childRel, size: st.size } : { path: childRel, size: st.size, special: kindOf(st) });
    }
  }
}

async function listEntries(dir: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  await walk(dir, "", out);
  return out.sort((a, b) => compareUtf8(a.path, b.path));
}

/** Every regular file under `dir` (symlinks are not followed), sorted by UTF-8 byte order. */
export async function listFiles(dir: string): Promise<TreeFile[]> {
  return (await listEntries(dir)).filter((e) => e.special === undefined).map(({ path, size }) => ({ path, size }));
}

/** Offset of the first differing byte of two files of equal size, or -1 if they are identical. */
async function firstDifference(a: string, b: string): Promise<number> {
  const [fa, fb] = await Promise.all([open(a, "r"), open(b, "r")]);
  try {
    const size = 1 << 20;
    const ba = Buffer.allocUnsafe(size);
    const bb = Buffer.allocUnsafe(size);
    let offset = 0;
    while (true) {
      const [ra, rb] = await Promise.all([fa.read(ba, 0, size, offset), fb.read(bb, 0, size, offset)]);
      const n = Math.min(ra.bytesRead, rb.bytesRead);
      if (ba.subarray(0, n).equals(bb.subarray(0, n)) === false) {
        for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) return offset + i;
      }
      if (ra.bytesRead !== rb.bytesRead) return offset + n; // one of them changed under us
      if (n === 0) return -1;
      offset += n;
    }
  } finally {
    await Promise.all([fa.close(), fb.close()]);
  }
}

export interface TreeComparison {
  equal: boolean;
  /** One human-readable line per difference, in path order. */
  differences: string[];
}

/**
 * Byte-for-byte comparison of two directory trees: same relative paths, same sizes, same bytes.
 * Symlinks and other special files are differences in themselves (a published tree has none).
 */
export async function compareTrees(a: string, b: string): Promise<TreeComparison> {
  const [la, lb] = await Promise.all([listEntries(a), listEntries(b)]);
  const differences: string[] = [];
  let i = 0;
  let j = 0;
  while (i < la.length || j < lb.length) {
    const order = i >= la.length ? 1 : j >= lb.length ? -1 : compareUtf8(la[i].path, lb[j].path);
    if (order < 0) {
      differences.push(`only in ${a}: ${la[i++].path}`);
    } else if (order > 0) {
      differences.push(`only in ${b}: ${lb[j++].path}`);
    } else {
      const ea = la[i++];
      const eb = lb[j++];
      if (ea.special !== undefined || eb.special !== undefined) {
        differences.push(`not a regular file: ${ea.path} (${ea.special ?? "file"} vs ${eb.special ?? "file"})`);
      } else if (ea.size !== eb.size) {
        differences.push(`size differs: ${ea.path} (${ea.size} vs ${eb.size} bytes)`);
      } else {
        const at = await firstDifference(join(a, ea.path), join(b, eb.path));
        if (at >= 0) differences.push(`content differs: ${ea.path} (first at byte ${at})`);
      }
    }
  }
  return { equal: differences.length === 0, differences };
}
