import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { PrepcastError } from "@prepcast/protocol";
import { decodeZipRecipe, encodeZipRecipe, parseZip, rebuildZip, splitZip, trySplitZip, DEFAULT_ZIP_LIMITS } from "../zip";
import { sha256Hex } from "../zip/split";
import { csvLike, writeZip, type TestEntry } from "./zip-writer";

function refusal(fn: () => unknown): { code: string; reason: unknown } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof PrepcastError)) throw e;
    return { code: e.code, reason: e.details?.reason };
  }
  throw new Error("expected a refusal");
}

function roundTrip(zip: Buffer): Buffer {
  const split = splitZip(zip, "t.zip");
  const wire = encodeZipRecipe(split.recipe);
  const recipe = decodeZipRecipe(wire, zip.length, DEFAULT_ZIP_LIMITS.maxTotalBytes, "t.zip");
  return rebuildZip(recipe, split.plains, { size: zip.length, sha256: sha256Hex(zip) }, "t.zip");
}

const entryArb = fc.record({
  name: fc.stringMatching(/^[A-Za-z0-9_./-]{1,40}$/),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 3000 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer()).map(([rows, seed]) => csvLike(rows, seed)),
  ),
  how: fc.oneof(
    fc.constant({ method: "stored" as const }),
    fc.constantFrom([9, 9], [6, 8], [9, 8]).map(([level, memLevel]) => ({ method: "pako" as const, level: level!, memLevel: memLevel! })),
  ),
});

describe("zip split and rebuild", () => {
  it("split → recipe on the wire → rebuild is the identity for zips written with pako (stored and deflated entries)", () => {
    fc.assert(
      fc.property(fc.array(entryArb, { maxLength: 6 }), fc.uint8Array({ maxLength: 40 }), (entries, comment) => {
        const zip = writeZip(entries, Buffer.from(comment.filter((b) => b !== 0x50))); // no stray "PK" in the comment
        expect(roundTrip(zip).equals(zip)).toBe(true);
        const split = splitZip(zip, "t.zip");
        expect(split.plains.map((p) => p.toString("hex"))).toEqual(entries.map((e) => e.data.toString("hex")));
        expect(split.recipe.skeleton.length).toBe(zip.length - split.recipe.entries.reduce((n, e) => n + e.compressedSize, 0));
      }),
      { numRuns: 60 },
    );
  });

  it("the publisher's try refuses a zip written with node:zlib (never returns a split that does not rebuild)", () => {
    const node: TestEntry = { name: "BASE.csv", data: csvLike(3000, 7), how: { method: "node", level: 9, memLevel: 9 } };
    const r = trySplitZip(writeZip([node]), "node.zip");
    expect(r.ok).toBe(false);
    if (!r.ok) expect([r.error.code, r.error.details?.reason]).toEqual(["ZIP_UNSUPPORTED", "not-rebuildable"]);
    // The same content written with pako at 9/9 splits.
    expect(trySplitZip(writeZip([{ ...node, how: { method: "pako", level: 9, memLevel: 9 } }]), "pako.zip").ok).toBe(true);

    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.integer(), fc.constantFrom(1, 6, 9), fc.constantFrom(8, 9), (rows, seed, level, memLevel) => {
        const zip = writeZip([{ name: "x.csv", data: csvLike(rows, seed), how: { method: "node", level, memLevel } }]);
        const t = trySplitZip(zip, "x.zip");
        if (t.ok) expect(rebuildZip(t.split.recipe, t.split.plains, { size: zip.length, sha256: sha256Hex(zip) }, "x.zip").equals(zip)).toBe(true);
        else expect(t.error.details?.reason).toBe("not-rebuildable");
      }),
      { numRuns: 15 },
    );
  });

  it("rebuilds the real 2019 Quintana Roo zip byte for byte (skipped, saying so, when ../shared is absent)", () => {
    const file = path.join(__dirname, "../../../../../shared/data/qroo-2019/20190603_0547_PREP_DIP_QROO.zip");
    if (!fs.existsSync(file)) {
      console.log(`skipped: ${file} is absent`);
      return;
    }
    const zip = fs.readFileSync(file);
    const split = splitZip(zip, file);
    expect(split.recipe.entries.map((e) => [e.method, e.level, e.memLevel])).toEqual(split.recipe.entries.map(() => [8, 9, 9]));
    expect(split.recipe.skeleton.length).toBeLessThan(1024);
    expect(roundTrip(zip).equals(zip)).toBe(true);
  });

  it("a rebuild from other plain contents or a damaged skeleton is HASH_MISMATCH / SIZE_MISMATCH, never a wrong file", () => {
    const zip = writeZip([
      { name: "a.csv", data: csvLike(200, 1), how: { method: "pako", level: 9, memLevel: 9 } },
      { name: "b.txt", data: Buffer.from("hola"), how: { method: "stored" } },
    ]);
    const { recipe, plains } = splitZip(zip, "t.zip");
    const expected = { size: zip.length, sha256: sha256Hex(zip) };
    const other = Buffer.from(plains[0]!);
    other[10] = other[10]! ^ 1;
    expect(refusal(() => rebuildZip(recipe, [other, plains[1]!], expected, "t.zip")).code).toBe("HASH_MISMATCH");
    expect(refusal(() => rebuildZip(recipe, [plains[0]!, Buffer.from("hol")], expected, "t.zip")).code).toBe("SIZE_MISMATCH");
    const skeleton = Buffer.from(recipe.skeleton);
    skeleton[0] = skeleton[0]! ^ 1;
    expect(refusal(() => rebuildZip({ ...recipe, skeleton }, plains, expected, "t.zip")).code).toBe("HASH_MISMATCH");
  });
});

describe("zip parser refuses hostile and unsupported zips with typed codes", () => {
  const text = csvLike(300, 3);
  const good = () => writeZip([{ name: "a.csv", data: text, how: { method: "pako", level: 9, memLevel: 9 } }]);
  // Offsets in `good()`: local header at 0, name "a.csv" (5 bytes), data from 35.
  const cdAt = (zip: Buffer) => zip.readUInt32LE(zip.length - 22 + 16);
  const patch = (mutate: (zip: Buffer) => void) => {
    const z = good();
    mutate(z);
    return z;
  };
  const refuse = (zip: Buffer, limits = DEFAULT_ZIP_LIMITS) => refusal(() => splitZip(zip, "bad.zip", limits));

  it("every truncation is ZIP_INVALID", () => {
    const zip = good();
    for (let n = 0; n < zip.length; n += n < 80 ? 1 : 97) expect(refuse(zip.subarray(0, n)).code).toBe("ZIP_INVALID");
  });

  it("lying sizes: larger than the data inflates to, smaller (a bomb), beyond deflate's ratio", () => {
    const setSize = (z: Buffer, size: number) => {
      z.writeUInt32LE(size, 22);
      z.writeUInt32LE(size, cdAt(z) + 24);
    };
    expect(refuse(patch((z) => setSize(z, text.length + 5)))).toEqual({ code: "ZIP_INVALID", reason: "lying-size" });
    expect(refuse(patch((z) => setSize(z, text.length - 5)))).toEqual({ code: "TOO_LARGE", reason: "inflates-larger" });
    expect(refuse(patch((z) => setSize(z, 0x7fffffff)))).toEqual({ code: "TOO_LARGE", reason: "entry-size" });
    expect(
      refuse(
        patch((z) => setSize(z, 0x7fffffff)),
        { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 0xffffffff },
      ),
    ).toEqual({
      code: "ZIP_INVALID",
      reason: "lying-size",
    });
  });

  it("a bomb entry (64 MiB of zeros in 64 KiB) is refused by the limits before it is inflated, and inflating stops at its declared size", () => {
    const zeros = Buffer.alloc(64 << 20);
    const bomb = writeZip([{ name: "bomb.bin", data: zeros, how: { method: "node", level: 9, memLevel: 9 } }]);
    expect(bomb.length).toBeLessThan(100_000);
    expect(refuse(bomb, { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 1 << 20 })).toEqual({ code: "TOO_LARGE", reason: "entry-size" });
    expect(refuse(bomb, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: 1 << 20 })).toEqual({ code: "TOO_LARGE", reason: "total-size" });
    // Declared 1 KiB: inflating stops there.
    const lying = Buffer.from(bomb);
    lying.writeUInt32LE(1024, 22);
    lying.writeUInt32LE(1024, cdAt(lying) + 24);
    expect(refuse(lying)).toEqual({ code: "TOO_LARGE", reason: "inflates-larger" });
  });

  it("zip64, encryption, data descriptors, other methods, several disks: ZIP_UNSUPPORTED", () => {
    const flags = (f: number) => (z: Buffer) => {
      z.writeUInt16LE(f, 6);
      z.writeUInt16LE(f, cdAt(z) + 8);
    };
    expect(refuse(patch(flags(0x0801)))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "encrypted" });
    expect(refuse(patch(flags(0x0808)))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "data-descriptor" });
    expect(refuse(patch((z) => (z.writeUInt16LE(12, 8), z.writeUInt16LE(12, cdAt(z) + 10))))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "method" });
    expect(refuse(patch((z) => z.writeUInt32LE(0xffffffff, cdAt(z) + 20)))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "zip64" });
    expect(refuse(patch((z) => z.writeUInt16LE(0xffff, z.length - 22 + 10)))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "zip64" });
    expect(refuse(patch((z) => z.writeUInt16LE(1, z.length - 22 + 4)))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "multi-disk" });
    const extra = Buffer.from([1, 0, 0, 0]); // a zip64 extra field (id 1), empty
    expect(refuse(writeZip([{ name: "a", data: text, how: { method: "stored" }, extra }]))).toEqual({ code: "ZIP_UNSUPPORTED", reason: "zip64" });
  });

  it("overlapping entries, disagreeing headers, bytes after the end record, a misplaced central directory: ZIP_INVALID", () => {
    // Two central headers naming the same local entry.
    const one = good();
    const at = cdAt(one);
    const cd = one.subarray(at, one.length - 22);
    const end = Buffer.from(one.subarray(one.length - 22));
    end.writeUInt16LE(2, 8);
    end.writeUInt16LE(2, 10);
    end.writeUInt32LE(cd.length * 2, 12);
    expect(refuse(Buffer.concat([one.subarray(0, at), cd, cd, end]))).toEqual({ code: "ZIP_INVALID", reason: "overlap" });
    expect(refuse(patch((z) => z.writeUInt32LE(z.readUInt32LE(14) ^ 1, 14)))).toEqual({ code: "ZIP_INVALID", reason: "header-mismatch" });
    expect(refuse(patch((z) => (z[30] = 0x62)))).toEqual({ code: "ZIP_INVALID", reason: "header-mismatch" });
    expect(refuse(Buffer.concat([good(), Buffer.from("trailing")]))).toEqual({ code: "ZIP_INVALID", reason: "no-end-record" });
    expect(refuse(patch((z) => z.writeUInt32LE(cdAt(z) - 1, z.length - 22 + 16)))).toEqual({ code: "ZIP_INVALID", reason: "central-directory" });
    // A stored entry whose sizes differ.
    const stored = writeZip([{ name: "s", data: text, how: { method: "stored" } }]);
    stored.writeUInt32LE(text.length - 1, stored.readUInt32LE(stored.length - 6) + 20);
    expect(refuse(stored)).toEqual({ code: "ZIP_INVALID", reason: "stored-size" });
  });

  it("a prefix before the first entry is ZIP_UNSUPPORTED (gap); random damage never escapes as anything but a typed error or the same zip", () => {
    const zip = good();
    const prefixed = Buffer.concat([Buffer.from("PREFIX"), zip]);
    const end = prefixed.length - 22;
    prefixed.writeUInt32LE(prefixed.readUInt32LE(end + 16) + 6, end + 16);
    prefixed.writeUInt32LE(6, prefixed.readUInt32LE(end + 16) + 42);
    expect(refuse(prefixed)).toEqual({ code: "ZIP_UNSUPPORTED", reason: "gap" });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (edits) => {
        const z = Buffer.from(zip);
        for (const [i, b] of edits) z[i % z.length] = b;
        const t = trySplitZip(z, "fuzz.zip");
        if (t.ok) expect(rebuildZip(t.split.recipe, t.split.plains, { size: z.length, sha256: sha256Hex(z) }, "fuzz.zip").equals(z)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe("zip recipe on the wire", () => {
  const zip = writeZip([
    { name: "a.csv", data: csvLike(100, 2), how: { method: "pako", level: 9, memLevel: 9 } },
    { name: "b", data: Buffer.from("stored"), how: { method: "stored" } },
  ]);
  const split = splitZip(zip, "t.zip");
  const wire = encodeZipRecipe(split.recipe);

  it("is bounded by the file's signed size: a wrong size, truncation or trailing bytes are refused", () => {
    expect(refusal(() => decodeZipRecipe(wire, zip.length + 1, 1 << 20, "r")).code).toBe("PROTOCOL_ERROR");
    expect(refusal(() => decodeZipRecipe(wire.subarray(0, wire.length - 1), zip.length, 1 << 20, "r")).code).toBe("TRUNCATED");
    expect(refusal(() => decodeZipRecipe(Buffer.concat([wire, Buffer.from([0])]), zip.length, 1 << 20, "r")).code).toBe("PROTOCOL_ERROR");
    expect(refusal(() => decodeZipRecipe(wire, zip.length, 100, "r")).code).toBe("PROTOCOL_ERROR"); // plain sizes beyond the receiver's bound
  });

  it("any damage is refused or rebuilds to a file that fails the hash, never to another file", () => {
    const expected = { size: zip.length, sha256: sha256Hex(zip) };
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const w = Buffer.from(wire);
        w[i % w.length] = w[i % w.length]! ^ x;
        let recipe;
        try {
          recipe = decodeZipRecipe(w, zip.length, 1 << 20, "r");
        } catch (e) {
          expect(e).toBeInstanceOf(PrepcastError);
          return;
        }
        const plains = recipe.entries.map((e, k) => (split.plains[k]?.length === e.size ? split.plains[k]! : Buffer.alloc(e.size)));
        try {
          expect(rebuildZip(recipe, plains, expected, "r").equals(zip)).toBe(true);
        } catch (e) {
          expect(["HASH_MISMATCH", "SIZE_MISMATCH"]).toContain((e as PrepcastError).code);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("parseZip gives each entry's data range, in file order", () => {
    const layout = parseZip(zip, "t.zip");
    expect(layout.entries.map((e) => [e.name, e.method, e.dataStart])).toEqual([
      ["a.csv", 8, 35],
      ["b", 0, 35 + layout.entries[0]!.compressedSize + 31],
    ]);
    expect(layout.centralStart + 46 * 2 + 6 + 22).toBe(zip.length);
  });
});
