import { PrepcastError } from "../errors";
import { EventLoopTurns } from "../event-loop";
import type { Manifest } from "../trust/manifest";
import { sitePathIn, StagingDirs, VerifiedFileWriter } from "./verified-file";

// The "full" payload encoding is the files' bytes concatenated in manifest order. The signed
// manifest already fixes every boundary, so the stream carries no framing an attacker could bend:
// the splitter cuts it by the declared sizes and each piece must hash to the declared digest.

export interface PayloadResult {
  files: number;
  bytes: number;
}

/** Splits a "full" payload into `<stagingDir>/site/...` (or only verifies it when stagingDir is null). */
export async function applyFullPayload(stagingDir: string | null, manifest: Manifest, readable: AsyncIterable<Buffer | Uint8Array>): Promise<PayloadResult> {
  const dirs = new StagingDirs();
  const turns = new EventLoopTurns();
  const files = manifest.files;
  let index = 0;
  let bytes = 0;
  let current: VerifiedFileWriter | null = null;
  const openNext = async (): Promise<VerifiedFileWriter | null> => {
    // zero-length files take no bytes of the stream: create and verify them on the way
    while (index < files.length) {
      await turns.maybeYield();
      const f = files[index++]!;
      const w = await VerifiedFileWriter.open(f, stagingDir === null ? null : sitePathIn(stagingDir, f.path), f.path, dirs);
      if (f.size > 0) return w;
      await w.finish();
    }
    return null;
  };
  try {
    current = await openNext();
    for await (const raw of readable) {
      let chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      while (chunk.length > 0) {
        if (current === null) {
          throw new PrepcastError("TOO_LARGE", `the payload has more bytes than the manifest's totalSize ${manifest.totalSize}`, {
            where: `payload byte ${bytes}`,
            hint: "the payload does not match the signed manifest; refuse it",
          });
        }
        const take = Math.min(current.remaining, chunk.length);
        await current.write(take === chunk.length ? chunk : chunk.subarray(0, take));
        chunk = chunk.subarray(take);
        bytes += take;
        if (current.remaining === 0) {
          await current.finish();
          current = await openNext();
        }
      }
    }
    if (current !== null) {
      throw new PrepcastError("TRUNCATED", `the payload ended after ${bytes} of ${manifest.totalSize} bytes, inside ${current.file.path}`, {
        where: current.file.path,
        hint: "the transfer was cut short; resume or resend it",
      });
    }
    return { files: files.length, bytes };
  } finally {
    await current?.close().catch(() => undefined);
  }
}
