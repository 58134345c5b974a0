import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as zlib from "node:zlib";
import { ZipArchive, buildZip, crc32 } from "../index";
import { tempDirs } from "./helpers";

const tmp = tempDirs();
const when = { date: ((2024 - 1980) << 9) | (6 << 5) | 2, time: (20 << 11) | (15 << 5) };

describe("zip", () => {
  const a = Buffer.from("CLAVE|VOTOS\r\n".repeat(5000));
  const b = Buffer.from("sección ñ\r\n");
  let zip: Buffer;
  beforeAll(async () => {
    zip = await buildZip(
      [
        { name: "A_2024.csv", data: a },
        { name: "b-ñ.csv", data: b },
        { name: "empty.csv", data: Buffer.alloc(0) },
      ],
      when,
    );
  });

  test("crc32 matches the IEEE check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
  });

  test("round trip: names, sizes, CRCs and contents", async () => {
    const path = join(tmp(), "x.zip");
    writeFileSync(path, zip);
    const archive = await ZipArchive.open(path);
    expect(archive.entries.map((e) => [e.name, e.size, e.method])).toEqual([
      ["A_2024.csv", a.length, 8],
      ["b-ñ.csv", b.length, 8],
      ["empty.csv", 0, 8],
    ]);
    expect(archive.read(archive.find("A_2024.csv")!).equals(a)).toBe(true);
    expect(archive.read(archive.find("b-ñ.csv")!).equals(b)).toBe(true);
    expect(archive.read(archive.find("empty.csv")!).length).toBe(0);
    expect(archive.entries[0].crc32).toBe(crc32(a));
  });

  test("a truncated zip is refused", () => {
    expect(() => ZipArchive.fromBuffer(zip.subarray(0, zip.length - 10), "cut.zip")).toThrow(/cut.zip: no end-of-central-directory record/);
    expect(() => ZipArchive.fromBuffer(Buffer.alloc(5))).toThrow(/too short/);
  });

  test("a corrupted body is refused by inflate or by the CRC check", () => {
    const bad = Buffer.from(zip);
    bad[30 + "A_2024.csv".length + 20] ^= 0xff;
    const archive = ZipArchive.fromBuffer(bad, "cut.zip");
    expect(() => archive.read(archive.entries[0])).toThrow(expect.objectContaining({ code: "PACKAGE_INVALID", where: "cut.zip:A_2024.csv" }));
  });

  test("a CRC mismatch is refused even when the deflate stream is fine", () => {
    const bad = Buffer.from(zip);
    const cd = bad.readUInt32LE(bad.length - 22 + 16);
    bad.writeUInt32LE((bad.readUInt32LE(cd + 16) ^ 1) >>> 0, cd + 16);
    const archive = ZipArchive.fromBuffer(bad);
    expect(() => archive.read(archive.entries[0])).toThrow(/CRC-32/);
  });

  test("offsets and lengths pointing outside the file are refused, not followed", () => {
    const cdAt = zip.readUInt32LE(zip.length - 22 + 16);
    const pastEnd = Buffer.from(zip);
    pastEnd.writeUInt32LE(zip.length * 4, pastEnd.length - 22 + 16);
    expect(() => ZipArchive.fromBuffer(pastEnd)).toThrow(/central directory .* overlaps/);
    const hugeEntry = Buffer.from(zip);
    hugeEntry.writeUInt32LE(0x7fffff00, cdAt + 20); // compressed size
    const archive = ZipArchive.fromBuffer(hugeEntry);
    expect(() => archive.read(archive.entries[0])).toThrow(/runs past the end of the file/);
    const badOffset = Buffer.from(zip);
    badOffset.writeUInt32LE(cdAt + 5, cdAt + 42);
    expect(() => ZipArchive.fromBuffer(badOffset)).toThrow(/not before the central directory/);
    const longName = Buffer.from(zip);
    longName.writeUInt16LE(0xffff, cdAt + 28);
    expect(() => ZipArchive.fromBuffer(longName)).toThrow(/runs past the directory/);
  });

  test("an entry that inflates beyond its declared size (zip bomb) is refused", () => {
    const bomb = Buffer.from(zip);
    const cdAt = bomb.readUInt32LE(bomb.length - 22 + 16);
    bomb.writeUInt32LE(100, cdAt + 24); // declared size far below the real one
    const archive = ZipArchive.fromBuffer(bomb);
    expect(() => archive.read(archive.entries[0])).toThrow(/larger than declared/);
    expect(() => ZipArchive.fromBuffer(zip, "z", { maxEntryBytes: 1000 })).toThrow(expect.objectContaining({ code: "TOO_LARGE" }));
  });

  test("stored entries and unsupported methods", () => {
    const viaZlib = zlib.deflateRawSync(a); // sanity: our zip used real deflate
    expect(viaZlib.length).toBeLessThan(a.length);
    const stored = Buffer.from(zip);
    const cdAt = stored.readUInt32LE(stored.length - 22 + 16);
    stored.writeUInt16LE(12, cdAt + 10); // bzip2
    const archive = ZipArchive.fromBuffer(stored);
    expect(() => archive.read(archive.entries[0])).toThrow(/compression method 12 is not supported/);
  });
});
