import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { EventLoopTurns, PrepcastError } from "@prepcast/protocol";

const COPY_BATCH = 4 << 20;

/**
 * Lays `files` end to end in `payloadPath` (created exclusively, fsynced), hashing each file and
 * the whole as they are copied, so what is signed is exactly what was copied even if the source
 * changes afterwards. Reads go straight into one 4 MiB batch buffer that is written when full:
 * no buffer per file (a stream per file allocated 1 MiB each, and garbage collection of ~6.5 GB
 * cost more than the copy itself on a 6,500-file cut) and one write per 4 MiB, not per file.
 * A file whose inode, size or mtime differs from the listing (`walkCutDir`) was replaced or
 * rewritten mid-copy, and is refused. The reads are synchronous (a thread-pool round trip per
 * small file costs more than the read): the event loop gets a turn every 20 ms (EventLoopTurns).
 */
export async function copyIntoPayload(
  files: ReadonlyArray<{ path: string; absolute: string; size?: number; mtimeMs?: number; ino?: number }>,
  payloadPath: string,
): Promise<{ files: Array<{ path: string; size: number; sha256: string }>; sha256: string }> {
  const out = fs.openSync(payloadPath, "wx", 0o640);
  const whole = createHash("sha256");
  const batch = Buffer.allocUnsafe(COPY_BATCH);
  let used = 0;
  const turns = new EventLoopTurns();
  const flush = (): void => {
    let off = 0;
    while (off < used) off += fs.writeSync(out, batch, off, used - off);
    used = 0;
  };
  const hashed: Array<{ path: string; size: number; sha256: string }> = [];
  try {
    for (const f of files) {
      await turns.maybeYield();
      const fd = fs.openSync(f.absolute, "r");
      try {
        const st = fs.fstatSync(fd);
        if (!st.isFile() || (f.ino !== undefined && (st.ino !== f.ino || st.size !== f.size || st.mtimeMs !== f.mtimeMs))) {
          throw new PrepcastError("HASH_MISMATCH", `${f.path} changed while it was being copied for signing`, {
            where: f.absolute,
            hint: "publish a cut directory that nothing is writing to (copy it aside first)",
          });
        }
        const h = createHash("sha256");
        let size = 0;
        for (;;) {
          if (used === COPY_BATCH) {
            flush();
            await turns.maybeYield(); // a large file is many batches
          }
          const n = fs.readSync(fd, batch, used, COPY_BATCH - used, null);
          if (n === 0) break;
          const piece = batch.subarray(used, used + n);
          h.update(piece);
          whole.update(piece);
          used += n;
          size += n;
        }
        if (size !== st.size) {
          throw new PrepcastError("HASH_MISMATCH", `${f.path} changed size while it was being copied for signing (${st.size} → ${size} bytes)`, {
            where: f.absolute,
            hint: "publish a cut directory that nothing is writing to (copy it aside first)",
          });
        }
        hashed.push({ path: f.path, size, sha256: h.digest("hex") });
      } finally {
        fs.closeSync(fd);
      }
    }
    flush();
    fs.fsyncSync(out);
  } finally {
    fs.closeSync(out);
  }
  return { files: hashed, sha256: whole.digest("hex") };
}
