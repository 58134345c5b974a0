import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import type { ManifestFile } from "@prepcast/protocol";
import { cutDirContent, payloadFileContent } from "../content";
import { tmpDir, writeCut } from "./helpers";

// Sizes chosen around the thresholds in content.ts: empty files, small ones, gaps above the
// 64 KiB coalescing limit, files above the 256 KiB synchronous-read limit.
const SIZES = [0, 1, 100, 3000, 70 << 10, 300 << 10];

function cutOf(sizes: number[]): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  sizes.forEach((size, i) => {
    const b = Buffer.alloc(size);
    for (let k = 0; k < size; k++) b[k] = (i * 31 + k * 7) & 0xff;
    files[`d${i % 3}/f${String(i).padStart(3, "0")}.bin`] = b;
  });
  return files;
}

function writePayload(file: string, list: readonly ManifestFile[], files: Record<string, Buffer>): void {
  fs.writeFileSync(file, Buffer.concat(list.map((f) => files[f.path]!)));
}

describe("CutContent.readMany", () => {
  it("returns exactly the files asked for, in order, from a payload file and from a cut directory; readInto lays them end to end", async () => {
    const dir = tmpDir("content");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...SIZES), { minLength: 1, maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.nat({ max: 16 }),
        async (sizes, picks, prefix) => {
          const run = fs.mkdtempSync(path.join(dir, "run-"));
          const files = cutOf(sizes);
          const cut = writeCut(run, files);
          const payload = path.join(run, "payload.full");
          writePayload(payload, cut.files, files);
          const indices = picks.map((p) => p % cut.files.length);
          // mostly increasing (as groups ask), sometimes not
          if (indices.length % 2 === 0) indices.sort((a, b) => a - b);
          const fromPayload = await payloadFileContent("p".repeat(64), cut.files, payload);
          try {
            for (const content of [fromPayload, cutDirContent("c".repeat(64), cut.files, run)]) {
              const got = await content.readMany(indices);
              expect(got.length).toBe(indices.length);
              got.forEach((b, k) => expect(createHash("sha256").update(b).digest("hex")).toBe(cut.files[indices[k]!]!.sha256));
            }
            // the payload file reads straight into a buffer, after a prefix: gaps between the files
            // must not land in it, nothing outside the files' bytes is touched
            const expected = Buffer.concat(indices.map((i) => files[cut.files[i]!.path]!));
            const total = prefix + expected.length;
            const buf = Buffer.alloc(total + 5, 0xee);
            expect(await fromPayload.readInto!(indices, buf, prefix)).toBe(total);
            expect(buf.subarray(prefix, total).equals(expected)).toBe(true);
            expect(buf.subarray(0, prefix).every((x) => x === 0xee) && buf.subarray(total).every((x) => x === 0xee)).toBe(true);
            if (expected.length > 0) await expect(fromPayload.readInto!(indices, Buffer.alloc(total - 1), prefix)).rejects.toMatchObject({ code: "INTERNAL" });
          } finally {
            await fromPayload.close();
          }
          fs.rmSync(run, { recursive: true, force: true });
        },
      ),
      { numRuns: 40 },
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("a cut directory whose file was altered on disk is refused with STATE_INVALID naming the file", async () => {
    const dir = tmpDir("content-altered");
    const files = cutOf([100, 3000, 300 << 10]);
    const cut = writeCut(dir, files);
    const victim = cut.files[0]!;
    fs.appendFileSync(path.join(dir, "site", ...victim.path.split("/")), "x");
    await expect(cut.content.readMany([1, 0])).rejects.toMatchObject({ code: "STATE_INVALID", where: expect.stringContaining(victim.path) });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("an index outside the manifest is refused before any read", async () => {
    const dir = tmpDir("content-range");
    const files = cutOf([100, 200]);
    const cut = writeCut(dir, files);
    const payload = path.join(dir, "payload.full");
    writePayload(payload, cut.files, files);
    const c = await payloadFileContent("p".repeat(64), cut.files, payload);
    await expect(c.readMany([0, 2])).rejects.toMatchObject({ code: "INTERNAL" });
    await expect(cut.content.readMany([5])).rejects.toMatchObject({ code: "INTERNAL" });
    await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
