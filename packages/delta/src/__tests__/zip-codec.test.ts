// delta-zip@1 (docs/protocol.md §9.4): the codec compliance suite, with cuts that carry zips, and
// the zip-specific refusals a generic suite cannot reach.
import * as fs from "node:fs";
import * as path from "node:path";
import fc from "fast-check";
import { isPrepcastError } from "@prepcast/protocol";
import { describeCodecCompliance, CODEC_REFUSAL_CODES } from "../compliance";
import { encodeDelta } from "../encode";
import { ENCODING_DELTA_ZIP, applyZipDelta, encodeZipDelta } from "../zip";
import { ObjectIndex } from "../object-index";
import { readSite, tmpDir, writeCut } from "./helpers";
import { csvLike, writeZip } from "./zip-writer";

/** The database of a later cut: every 25th row counted again (changes spread over the whole file, as the PREP's are). */
function recount(csv: Buffer, cut: number): Buffer {
  const lines = csv.toString().split("\r\n");
  return Buffer.from(
    lines.map((l, i) => (i > 0 && l && (i + cut) % 25 === 0 ? l.replace(/,(\d+),/, (_m, v: string) => `,${Number(v) + cut},`) : l)).join("\r\n"),
  );
}

/** A PREP-like cut whose database zip (pako 9/9, as PHP's ZipArchive writes it) changes from cut to cut, plus a node:zlib zip that cannot be rebuilt. */
function zipCut(rows: number, seed: number, cut = 0): Record<string, Buffer> {
  const csv = recount(csvLike(rows, seed), cut);
  const leeme = Buffer.from("LEEME: descripcion de los campos del PREP.\n".repeat(40));
  return {
    "datos/QROO_DIP_LOC_2019.csv": csv,
    "20190603_0547_PREP_DIP_QROO.zip": writeZip([
      { name: "LEEME.txt", data: leeme, how: { method: "pako", level: 9, memLevel: 9 } },
      { name: "QROO_DIP_LOC_2019.csv", data: csv, how: { method: "pako", level: 9, memLevel: 9 } },
      { name: "vacio.txt", data: Buffer.alloc(0), how: { method: "stored" } },
    ]),
    "otro/node.zip": writeZip([{ name: "x.csv", data: recount(csvLike(rows, seed + 1), cut), how: { method: "node", level: 9, memLevel: 9 } }]),
    "index.html": Buffer.from(`<p>corte ${seed}</p>`),
  };
}

describeCodecCompliance(
  ENCODING_DELTA_ZIP,
  () => ({
    encoding: ENCODING_DELTA_ZIP,
    kind: "delta",
    encode: (target, base, out) => encodeZipDelta(target, base, out, { level: 3 }),
    apply: (i) =>
      applyZipDelta({ streamPath: i.streamPath, target: i.target, base: i.base ? i.base.content : null, findObject: i.findObject, stagingDir: i.stagingDir }),
  }),
  {
    moreCuts: async () => [
      { what: "a database zip that grows (pako 9/9) and a node:zlib zip", base: zipCut(300, 1), target: zipCut(340, 1, 1) },
      { what: "a new zip with no base version", base: { "index.html": Buffer.from("x") }, target: zipCut(50, 2) },
      {
        what: "a zip whose base version is not a zip",
        base: { ...zipCut(50, 3), "20190603_0547_PREP_DIP_QROO.zip": Buffer.from("not a zip") },
        target: zipCut(60, 3),
      },
    ],
  },
);

const root = tmpDir("zipcodec");
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(root, `${name}-${n++}`);

async function encodeBoth(baseFiles: Record<string, Buffer>, targetFiles: Record<string, Buffer>) {
  const base = writeCut(fresh("base"), baseFiles);
  const target = writeCut(fresh("target"), targetFiles);
  const stream = fresh("stream") + ".bin";
  const stats = await encodeZipDelta(target.content, base.content, stream, { level: 3 });
  return { base, target, stream, stats };
}

async function apply(e: Awaited<ReturnType<typeof encodeBoth>>, streamPath = e.stream) {
  const staging = fresh("staging");
  const objects = ObjectIndex.fromCut(e.base.dir, e.base.files);
  const result = await applyZipDelta({
    streamPath,
    target: { manifestSha256: e.target.content.manifestSha256, files: e.target.files },
    base: e.base.content,
    findObject: (sha) => objects.find(sha),
    stagingDir: staging,
  });
  return { result, staging };
}

describe("delta-zip@1", () => {
  it("sends a rebuildable zip as its entries' delta: far smaller than delta-zstd@1, the node:zlib zip as a plain file", async () => {
    const e = await encodeBoth(zipCut(3000, 5), zipCut(3000, 5, 1));
    expect(e.stats).toMatchObject({ zipsUnpacked: 1, zipsPlain: 1 });
    expect(e.stats.zipPlainReason).toMatch(/does not re-deflate/);
    const { result, staging } = await apply(e);
    expect(result.zipsRebuilt).toBe(1);
    expect(readSite(staging, e.target.files)).toEqual(readSite(e.target.dir, e.target.files));
    // Without the node:zlib zip, compare with delta-zstd@1 on the same pair.
    const only = (c: Record<string, Buffer>) => Object.fromEntries(Object.entries(c).filter(([p]) => p !== "otro/node.zip"));
    const z = await encodeBoth(only(zipCut(3000, 5)), only(zipCut(3000, 5, 1)));
    const plain = await encodeDelta(z.target.content, z.base.content, fresh("plain") + ".bin", { level: 3 });
    expect(z.stats.size * 4).toBeLessThan(plain.size);
  });

  it("a base zip that unpacks to other contents than the stream states is PROTOCOL_ERROR", async () => {
    const e = await encodeBoth(zipCut(200, 6), zipCut(220, 6));
    // The same stream, applied against a base whose zip at that path is another (valid, signed) zip.
    const other = writeCut(fresh("base"), { ...zipCut(200, 6), "20190603_0547_PREP_DIP_QROO.zip": zipCut(201, 6)["20190603_0547_PREP_DIP_QROO.zip"]! });
    const refused = await apply({ ...e, base: { ...other, content: { ...other.content, manifestSha256: e.base.content.manifestSha256 } } }).catch((err) => err);
    expect(isPrepcastError(refused, "PROTOCOL_ERROR")).toBe(true);
    expect(String(refused.message)).toMatch(/does not unpack to what the stream states/);
  });

  it("an unchanged zip is a COPY, never unpacked", async () => {
    const cut = zipCut(200, 8);
    const e = await encodeBoth(cut, { ...cut, "index.html": Buffer.from("<p>otro</p>") });
    expect(e.stats).toMatchObject({ zipsUnpacked: 0, zipsPlain: 0, unchanged: 3 });
    const { result, staging } = await apply(e);
    expect(result.zipsRebuilt).toBe(0);
    expect(readSite(staging, e.target.files)).toEqual(readSite(e.target.dir, e.target.files));
  });

  it("forged tables: a base file that is not a zip, counts beyond the cut, tables cut short", async () => {
    const e = await encodeBoth(zipCut(200, 9), zipCut(200, 9, 1));
    const bytes = fs.readFileSync(e.stream);
    expect([bytes.readUInt32BE(70), bytes.readUInt32BE(74)]).toEqual([1, 1]);
    const forged = async (mutate: (b: Buffer) => Buffer) => {
      const file = fresh("forged") + ".bin";
      fs.writeFileSync(file, mutate(Buffer.from(bytes)));
      return apply(e, file).then(
        () => null,
        (err: unknown) => [(err as { code: string }).code, (err as Error).message],
      );
    };
    const indexHtml = e.base.files.findIndex((f) => f.path === "index.html");
    // the base row (at 78 + 40) names index.html, which does not unpack
    expect(await forged((b) => (b.writeUInt32BE(indexHtml, 78 + 40), b))).toEqual(["PROTOCOL_ERROR", expect.stringMatching(/does not unpack/)]);
    expect(await forged((b) => (b.writeUInt32BE(e.target.files.length + 1, 70), b))).toEqual(["PROTOCOL_ERROR", expect.stringMatching(/beyond the limits/)]);
    expect(await forged((b) => (b.writeUInt32BE((64 << 20) + 1, 78 + 4), b))).toEqual(["PROTOCOL_ERROR", expect.stringMatching(/more than 67108864/)]);
    expect((await forged((b) => b.subarray(0, 100)))?.[0]).toBe("TRUNCATED");
  });

  it("any flipped byte of a zip-carrying stream is refused with a typed error or rebuilds the exact cut", async () => {
    const e = await encodeBoth(zipCut(150, 7), zipCut(160, 7));
    const bytes = fs.readFileSync(e.stream);
    const expected = readSite(e.target.dir, e.target.files);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, x) => {
        const flipped = Buffer.from(bytes);
        flipped[at] = flipped[at]! ^ x;
        const file = fresh("flip") + ".bin";
        fs.writeFileSync(file, flipped);
        try {
          const { staging } = await apply(e, file);
          expect(readSite(staging, e.target.files)).toEqual(expected);
        } catch (err) {
          expect(isPrepcastError(err)).toBe(true);
          expect(CODEC_REFUSAL_CODES).toContain((err as { code: string }).code);
        }
      }),
      { numRuns: 120 },
    );
  });
});
