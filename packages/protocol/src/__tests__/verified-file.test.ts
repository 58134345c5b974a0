import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { StagingDirs, VerifiedFileWriter, WriteBehind, sitePathIn, type ManifestFile } from "../index";
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

describe("WriteBehind (installs write through the thread pool while reading on)", () => {
  /** this process's descriptors open on files under `dir` */
  const openUnder = (dir: string): number =>
    fs.readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir + path.sep);
      } catch {
        return false; // closed while listing
      }
    }).length;

  it("writes every file whole, in order, however its chunks arrive; closes them all by drain()", async () => {
    const staging = tempDir();
    const behind = new WriteBehind(3 << 20, 8);
    const dirs = new StagingDirs();
    const written: { target: string; data: Buffer }[] = [];
    for (let i = 0; i < 40; i++) {
      // sizes from empty to 5 MiB, in chunks of odd sizes: several pwritev calls per file, some in flight together
      const data = Buffer.alloc(i === 0 ? 0 : (i * 131_071) % (5 << 20), 0);
      for (let j = 0; j < data.length; j += 4096) data.writeUInt32LE((i * 7919 + j) >>> 0, j);
      const f = fileOf(`d${i % 3}/f${i}.bin`, data);
      const target = sitePathIn(staging, f.path);
      const w = await VerifiedFileWriter.open(f, target, f.path, dirs, behind);
      for (let off = 0, step = 1; off < data.length; off += step, step = ((step * 3) % 700_001) + 1) await w.write(data.subarray(off, off + step));
      await w.finish();
      written.push({ target, data });
    }
    await behind.drain();
    expect(openUnder(staging)).toBe(0);
    for (const { target, data } of written) expect(fs.readFileSync(target).equals(data)).toBe(true);
  });

  it("never holds more files open than its limit (a cut of thousands of small files)", async () => {
    const staging = tempDir();
    const behind = new WriteBehind(8 << 20, 16);
    const dirs = new StagingDirs();
    let most = 0;
    for (let i = 0; i < 2000; i++) {
      const data = Buffer.from(`{"seccion":${i}}`);
      const f = fileOf(`s/${i}.json`, data);
      const w = await VerifiedFileWriter.open(f, sitePathIn(staging, f.path), f.path, dirs, behind);
      await w.write(data);
      await w.finish();
      if (i % 10 === 0) most = Math.max(most, openUnder(staging));
    }
    await behind.drain();
    expect(openUnder(staging)).toBe(0);
    expect(most).toBeLessThanOrEqual(16);
    expect(most).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(staging, "site", "s"))).toHaveLength(2000);
  });

  it("reports a failed write at the next write and at drain(), as a coded error, and closes the file", async () => {
    const dir = tempDir();
    const file = path.join(dir, "read-only");
    fs.writeFileSync(file, "");
    const behind = new WriteBehind();
    const fd = fs.openSync(file, "r"); // writes to it fail with EBADF in the thread pool
    behind.adopt(fd);
    await behind.write(fd, [Buffer.from("abc")], 3, 0, "site/x.json");
    await expect(behind.drain()).rejects.toMatchObject({ code: "IO_ERROR" });
    await expect(behind.write(fd, [Buffer.from("d")], 1, 3, "site/x.json")).rejects.toMatchObject({ code: "IO_ERROR" });
    behind.closeAfterWrites(fd, "site/x.json");
    await behind.settle();
    expect(openUnder(dir)).toBe(0);
  });

  it("refuses writeNow (its caller reuses the buffer, which the pool would still be reading)", async () => {
    const staging = tempDir();
    const data = Buffer.from("abc");
    const f = fileOf("x.bin", data);
    const behind = new WriteBehind();
    const w = await VerifiedFileWriter.open(f, sitePathIn(staging, f.path), f.path, undefined, behind);
    expect(() => w.writeNow(data)).toThrow(/not with a WriteBehind/);
    await w.close();
    await behind.drain();
  });
});
