import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { VerifiedFileWriter, sitePathIn, type ManifestFile } from "../index";
import { codeOf, tempDir } from "./helpers";

const fileOf = (p: string, data: Buffer): ManifestFile => ({ path: p, size: data.length, sha256: createHash("sha256").update(data).digest("hex") });

describe("VerifiedFileWriter.writeNow (callers that reuse one buffer)", () => {
  const content = Buffer.from("0123456789abcdefghij".repeat(4096)); // 80 KiB

  it("writes each piece before returning, so the caller may overwrite its buffer at once", async () => {
    const staging = tempDir();
    const f = fileOf("datos/a.json", content);
    const target = sitePathIn(staging, f.path);
    const w = await VerifiedFileWriter.open(f, target);
    const window = Buffer.alloc(7000);
    for (let off = 0; off < content.length; off += window.length) {
      const n = content.copy(window, 0, off, off + window.length);
      w.writeNow(window.subarray(0, n));
      window.fill(0x58); // what a reused buffer does to a piece the writer kept
    }
    await w.finish();
    expect(fs.readFileSync(target).equals(content)).toBe(true);
    expect((fs.statSync(target).mode & 0o777).toString(8)).toBe("644");
  });

  it("mixes with write(): pending pieces are flushed first, in order", async () => {
    const staging = tempDir();
    const f = fileOf("b.bin", content);
    const target = sitePathIn(staging, f.path);
    const w = await VerifiedFileWriter.open(f, target);
    await w.write(content.subarray(0, 100));
    w.writeNow(content.subarray(100, 50_000));
    await w.write(content.subarray(50_000));
    await w.finish();
    expect(fs.readFileSync(target).equals(content)).toBe(true);
  });

  it("refuses a piece past the signed size before writing it, and a wrong hash at finish", async () => {
    const staging = tempDir();
    const f = fileOf("c.bin", content);
    const long = await VerifiedFileWriter.open(f, sitePathIn(staging, f.path));
    long.writeNow(content);
    expect(codeOf(() => long.writeNow(Buffer.from("x")))).toBe("SIZE_MISMATCH");
    expect(fs.statSync(path.join(staging, "site", "c.bin")).size).toBe(content.length);
    await long.close();

    const other = Buffer.from(content);
    other[500] = other[500]! ^ 1;
    const check = await VerifiedFileWriter.open(f, null); // verify only: nothing on disk
    check.writeNow(other);
    await expect(check.finish()).rejects.toMatchObject({ code: "HASH_MISMATCH" });
  });
});
